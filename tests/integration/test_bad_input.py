"""Bad input gets a clear error with a code and changes nothing."""

from __future__ import annotations

import time

import pytest
import socketio

from exercises.demo import demo_class
from exercises.state import Member
from orchestrator import tickets
from tests.harness import SECRET, Client, OrchestratorProcess, service_for

pytestmark = pytest.mark.services


async def setup_pass(env: dict[str, str], orchestrator: OrchestratorProcess
                     ) -> tuple[str, Client, Client, str, str]:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
        ticket = await service.invite(state.id, Member("p-a", "Anna", "HR", "Malmö"))
        other = await service.create_pass(demo_class())
        credential = service.facilitator_credential(state.id)
        other_credential = service.facilitator_credential(other.id)
    fac = Client(orchestrator.base_url, "/facilitator", {"credential": credential})
    participant = Client(orchestrator.base_url, "/participant", {"ticket": ticket})
    await fac.connect()
    await participant.connect()
    await participant.wait_for("snapshot")
    assert (await fac.command("start"))["ok"]
    return state.id, fac, participant, ticket, other_credential


async def version(client: Client) -> int:
    ack = await client.call("sync")
    return int(ack["state"]["version"] if "state" in ack else ack["version"])


async def test_each_bad_event_gets_a_coded_error_and_changes_nothing(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    pass_id, fac, participant, _, _ = await setup_pass(env, orchestrator)
    try:
        before = await version(participant)
        cases = [
            (participant, "dance", {}, "unknown_event"),
            (participant, "command", {"name": "next"}, "unknown_event"),  # wrong role
            (participant, "answer", {"step_id": "check-in", "client_id": "x",
                                     "value": {"energy": 9, "word": "trött"}}, "invalid_answer"),
            (participant, "answer", {"step_id": "check-in", "client_id": "x", "pass": "other",
                                     "value": {"energy": 3, "word": "ok"}}, "bad_payload"),
            (participant, "answer", {"step_id": "reflection", "client_id": "x",
                                     "value": {"text": "hej"}}, "wrong_step"),
            (participant, "answer", {"step_id": "check-in", "client_id": "x",
                                     "value": {"energy": 3, "word": "x" * 70_000}}, "too_large"),
            (participant, "answer", "not an object", "bad_payload"),
            (fac, "command", {"name": "extend", "seconds": 99_999}, "out_of_range"),
            (fac, "command", {"name": "extend", "seconds": "lots"}, "bad_payload"),
            (fac, "command", {"name": "fly"}, "unknown_command"),
            (fac, "command", {"name": "recall"}, "illegal_command"),
            (fac, "command", {"name": "join_room", "room": "onlive_other_main"}, "unknown_room"),
            (fac, "answer", {}, "unknown_event"),
        ]
        for client, event, data, code in cases:
            ack = await client.call(event, data)
            assert ack["ok"] is False, (event, data)
            assert ack["error"]["code"] == code, (event, ack)
            assert len(ack["error"]["message"]) > 10
        assert await version(participant) == before
        illegal = await fac.command("recall")
        assert "running step 1/5 'check-in'" in illegal["error"]["message"]
    finally:
        await participant.close()
        await fac.close()


async def refused(base_url: str, namespace: str, auth: dict[str, str],
                  origin: str | None = None) -> str:
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    reasons: list[str] = []

    async def on_error(data: object) -> None:
        # Socket.IO refusals carry a code; a refused origin fails the handshake.
        reasons.append(f"{data['data']['code']}: {data['message']}" if isinstance(data, dict)
                       else f"handshake: {data}")

    client.on("connect_error", on_error, namespace=namespace)
    try:
        await client.connect(base_url, namespaces=[namespace], auth=auth,
                             headers={"Origin": origin or base_url}, transports=["websocket"],
                             wait_timeout=5)
    except socketio.exceptions.ConnectionError as error:
        return reasons[0] if reasons else str(error)
    finally:
        await client.disconnect()
    raise AssertionError(f"{namespace} accepted {auth}")


async def test_bad_credentials_are_refused_at_connect(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    pass_id, fac, participant, ticket, other_credential = await setup_pass(env, orchestrator)
    base = orchestrator.base_url
    try:
        expired = tickets.issue(SECRET, tickets.Claims(tickets.Kind.PARTICIPANT, pass_id, "p-a",
                                                       time.time() - 1))
        forged = ticket[:-4] + ("AAAA" if not ticket.endswith("AAAA") else "BBBB")
        other_secret = tickets.issue("another-secret", tickets.Claims(
            tickets.Kind.PARTICIPANT, pass_id, "p-a", time.time() + 60))
        ghost_pass = tickets.issue(SECRET, tickets.Claims(tickets.Kind.FACILITATOR, "nopass",
                                                          "f", time.time() + 60))
        assert "expired_credential: the link has expired" in await refused(
            base, "/participant", {"ticket": expired})
        assert "not valid" in await refused(base, "/participant", {"ticket": forged})
        assert "not valid" in await refused(base, "/participant", {"ticket": other_secret})
        assert "required" in await refused(base, "/participant", {})
        # A participant ticket is not a facilitator credential, nor the reverse.
        assert "facilitator credential is needed" in await refused(
            base, "/facilitator", {"credential": ticket})
        assert "participant credential is needed" in await refused(
            base, "/participant", {"ticket": other_credential})
        assert "no pass" in await refused(base, "/facilitator", {"credential": ghost_pass})
        assert "ops credential" in await refused(base, "/ops", {"credential": other_credential})
        # A page from another origin cannot connect, whatever it holds.
        assert "handshake" in await refused(base, "/participant", {"ticket": ticket},
                                            origin="http://evil.example")
        # Nothing changed: the pass has the one participant.
        ack = await fac.call("sync")
        assert ack["present"] == 1
    finally:
        await participant.close()
        await fac.close()
