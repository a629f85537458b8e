"""Before joining, a participant chooses the name others will see."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from exercises.demo import demo_class
from exercises.state import Member
from tests.harness import OrchestratorProcess, open_pass

pytestmark = pytest.mark.services


async def test_the_chosen_name_reaches_the_roster_and_bad_names_are_refused(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    opened = await open_pass(env, orchestrator.base_url, demo_class(), [Member("p-a", "Anna Lind")])
    participant, fac = opened.participants[0], opened.facilitator
    try:
        assert participant.last("snapshot")["me"] == {"id": "p-a", "name": "Anna Lind"}
        ack = await participant.call("set_name", {"name": "  Anna  L. "})
        assert ack == {"ok": True, "name": "Anna L."}
        view = await fac.wait_for("facilitator", lambda v: v["roster"][0]["name"] == "Anna L.")
        assert view["roster"][0]["id"] == "p-a"
        assert (await participant.call("sync"))["me"]["name"] == "Anna L."
        for bad, code in [({"name": "   "}, "name_empty"), ({"name": "x" * 61}, "out_of_range"),
                          ({"name": 5}, "bad_payload"), ({}, "bad_payload")]:
            refused = await participant.call("set_name", bad)
            assert refused["ok"] is False and refused["error"]["code"] == code, (bad, refused)
    finally:
        await opened.close()


async def test_connection_quality_reaches_the_facilitators_roster(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    opened = await open_pass(env, orchestrator.base_url, demo_class(), [Member("p-q", "Qi")])
    participant, fac = opened.participants[0], opened.facilitator
    try:
        assert (await participant.call("quality", {"level": "poor"}))["ok"]
        view = await fac.wait_for("facilitator", lambda v: v["roster"][0]["quality"] == "poor")
        assert view["roster"][0]["id"] == "p-q"
        refused = await participant.call("quality", {"level": "superb"})
        assert refused["error"]["code"] == "out_of_range"
    finally:
        await opened.close()


def token_name(assignment: dict[str, Any]) -> str:
    """The display name a LiveKit token carries (its JWT's ``name`` claim)."""
    body = assignment["token"].split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["name"])


async def test_nobody_can_take_a_role_or_another_persons_name_and_the_token_carries_the_checked_one(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    opened = await open_pass(env, orchestrator.base_url, demo_class(),
                             [Member("p-a", "Anna Lind"), Member("p-b", "Bo Ek")])
    anna, bo = opened.participants
    try:
        before = (await anna.call("sync"))["state"]["version"]
        for name, code in [("Facilitator", "name_reserved"), ("facilitatorn", "name_reserved"),
                           ("OPS", "name_reserved"), ("bo ek", "name_taken"),
                           ("Bo\u200b Ek", "name_taken"), ("\u202e\u200b", "name_empty")]:
            refused = await anna.call("set_name", {"name": name})
            assert refused["ok"] is False and refused["error"]["code"] == code, (name, refused)
        assert (await anna.call("sync"))["state"]["version"] == before
        ack = await anna.call("set_name", {"name": "An\x00na\u202e \u200bL."})
        assert ack == {"ok": True, "name": "Anna L."}
        token = await anna.call("token")
        assert token_name(token["assignment"]) == "Anna L."
        # Bo cannot take Anna's new name either.
        assert (await bo.call("set_name", {"name": "anna l."}))["error"]["code"] == "name_taken"
    finally:
        await opened.close()


async def test_look_alike_letters_and_mixed_scripts_are_refused_and_nothing_changes(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    opened = await open_pass(env, orchestrator.base_url, demo_class(),
                             [Member("p-a", "Anna Lind"), Member("p-b", "Bo Ek")])
    anna, bo = opened.participants
    try:
        before = await bo.call("sync")
        first = await opened.facilitator.wait_for("facilitator", lambda v: len(v["roster"]) == 2)
        roster = [(m["id"], m["name"]) for m in first["roster"]]
        for name, code in [("Аnna Lind", "name_mixed_script"),  # Cyrillic А
                           ("ΑΝΝΑ LIND", "name_lookalike"),  # all Greek capitals
                           ("Ａｎｎａ Ｌｉｎｄ", "name_taken"),  # fullwidth
                           ("Fасilitаtоr", "name_mixed_script"),
                           ("ОРЅ", "name_reserved"),  # Cyrillic letters only
                           ("Adrnin", "name_reserved")]:
            refused = await bo.call("set_name", {"name": name})
            assert refused["ok"] is False and refused["error"]["code"] == code, (name, refused)
        after = await bo.call("sync")
        assert after["state"]["version"] == before["state"]["version"]
        assert after["me"] == {"id": "p-b", "name": "Bo Ek"}
        assert token_name((await bo.call("token"))["assignment"]) == "Bo Ek"
        # Anna's own capitals look like her name, and the facilitator's roster never moved.
        assert (await anna.call("set_name", {"name": "ANNA LIND"}))["name"] == "ANNA LIND"
        view = await opened.facilitator.wait_for(
            "facilitator", lambda v: any(m["name"] == "ANNA LIND" for m in v["roster"]))
        assert sorted((m["id"], m["name"]) for m in view["roster"]) == sorted(
            (pid, "ANNA LIND" if pid == "p-a" else name) for pid, name in roster)
    finally:
        await opened.close()
