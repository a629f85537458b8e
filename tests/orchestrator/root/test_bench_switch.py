"""``onlive bench switch`` runs its bots in processes of their own and ends in JSON.

Figures are printed, never asserted: tests do not judge wall-clock speed.
"""

from __future__ import annotations

import json

import pytest

from orchestrator.root.bench import switch
from orchestrator.root.bench.botprocs import BotProcess, BotProcessError

pytestmark = pytest.mark.services


def test_every_bot_over_two_processes_hears_its_partner_and_the_figures_end_the_output(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert switch.run(["--n", "4", "--cycles", "2", "--bot-processes", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("breakout switch benchmark")
    figures = json.loads(lines[-1])
    assert figures["n"] == 4 and figures["cycles"] == 2 and figures["bot_processes"] == 2
    # Each of the 8 switches was timed in the bot's own process, on the benchmark's clock.
    assert figures["media_switches_missed"] == 0
    assert 0 < figures["open_to_assignment_p50_ms"] <= figures["open_to_media_p50_ms"]
    assert figures["bots_cpu_cores"] > 0
    assert len(figures["load"].split()) == 3, "how busy the machine was, with the figures"


async def test_a_bot_process_refuses_an_unknown_request_by_name_and_ends_when_closed() -> None:
    process = await BotProcess.spawn()
    try:
        with pytest.raises(BotProcessError, match="'dance' failed: ValueError: unknown request"):
            await process.call("dance")
        assert await process.cpu() > 0
    finally:
        await process.close()
    assert process.process.returncode == 0
