"""A facilitator adapts a library class before the pass starts; the file stays as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises import library
from exercises.state import Member
from tests.harness import Client, OrchestratorProcess, service_for

pytestmark = pytest.mark.services


async def test_step_edits_are_validated_kept_with_the_pass_and_refused_once_running(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    class_id = "listening-for-real"
    original = library.get_class(class_id, library.example_params(class_id))
    file_before = next(c.file for c in library.list_classes() if c.id == class_id)
    text_before = Path(file_before).read_text()
    step = original.steps[0]
    async with service_for(env) as service:
        state = await service.create_pass(original)
        ticket = await service.invite(state.id, Member("p-a", "Anna"))
        credential = service.facilitator_credential(state.id)
    fac = Client(orchestrator.base_url, "/facilitator", {"credential": credential})
    participant = Client(orchestrator.base_url, "/participant", {"ticket": ticket})
    await fac.connect()
    await participant.connect()
    await participant.wait_for("snapshot")
    try:
        ack = await fac.command("edit_step", step_id=step.id, prompt_sv="Hur landar du i dag?",
                                duration="2m")
        assert ack["ok"], ack
        bad = await fac.command("edit_step", step_id=step.id, duration="soon")
        assert bad["ok"] is False and bad["error"]["code"] == "invalid_edit"
        assert "steps[0].duration" in bad["error"]["message"]
        assert "90s, 3m or 1h" in bad["error"]["message"]
        unknown = await fac.command("edit_step", step_id="nope", title_en="x")
        assert unknown["error"]["code"] == "unknown_step"

        assert (await fac.command("start"))["ok"]
        view = await participant.wait_view(lambda v: v["phase"] == "running")
        assert view["step"]["prompt"] == {"sv": "Hur landar du i dag?", "en": step.prompt.en}
        assert view["step"]["duration"] == 120
        late = await fac.command("edit_step", step_id=step.id, title_en="Too late")
        assert late["ok"] is False and "lobby" not in late["error"]["message"]
        assert "running step 1/" in late["error"]["message"]
    finally:
        await participant.close()
        await fac.close()
    assert Path(file_before).read_text() == text_before
