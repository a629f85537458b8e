"""The pre-join echo test through the orchestrator: offer over Socket.IO, tone back, verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exercises.demo import demo_class
from exercises.state import Member
from signalling.media import EchoClient, EchoReport, Verdict, judge
from signalling.media import ice as loopback
from tests.harness import Client, OrchestratorProcess, service_for
from tests.integration.test_metrics import samples, scrape, value
from tests.signalling.media.hygiene import loop_reports_nothing  # noqa: F401 - autouse here
from tests.waiting import eventually

pytestmark = pytest.mark.services


async def participants(env, base_url: str, count: int) -> tuple[list[Client], str]:  # type: ignore[no-untyped-def]
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
        tickets = [await service.invite(state.id, Member(f"e{i}", f"E{i}")) for i in range(count)]
        ops = service.ops_credential()
    clients = [Client(base_url, "/participant", {"ticket": t}) for t in tickets]
    try:
        for c in clients:
            await c.connect()
    except BaseException:
        for c in clients:
            await c.close()
        raise
    return clients, ops


def echo_client(client: Client) -> EchoClient:
    session: dict[str, str] = {}

    async def send_offer(sdp: str) -> str:
        ack = await client.call("echo_offer", {"sdp": sdp, "type": "offer"})
        assert ack["ok"], ack
        session["id"] = ack["session"]
        return str(ack["sdp"])

    async def fetch_report() -> EchoReport:
        ack = await client.call("echo_report", {"session": session["id"]}, timeout=30)
        assert ack["ok"], ack
        r = ack["report"]
        return EchoReport(r["rtt_ms"], r["jitter_ms"], r["loss"], r["uplink_loss"],
                          r["downlink_loss"], r["packets_received"], Verdict(r["verdict"]),
                          tuple(r["reasons"]))

    return EchoClient(send_offer, fetch_report)


async def test_a_participant_hears_their_echo_and_gets_a_verdict(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    loopback.enable()
    clients, ops_credential = await participants(env, orchestrator.base_url, 1)
    echo = echo_client(clients[0])
    ops = Client(orchestrator.base_url, "/ops", {"credential": ops_credential})
    try:
        await echo.start()
        took = await echo.wait_own_tone(timeout=15)
        print(f"\necho: own tone back after {took * 1000:.0f} ms")
        await ops.connect()
        overview = await ops.call("sync")
        assert overview["echo_sessions"] == {"active": 1, "capacity": 4}
        # The scraper sees the echo pool in use too.
        figures = samples(scrape(orchestrator.base_url, ops_credential)[2])
        assert value(figures, "onlive_echo_sessions") == 1
        assert value(figures, "onlive_echo_capacity") == 4
        report = await echo.report()
        print(f"echo report: {report}")
        # On loopback the round trip is short and nothing is lost; jitter
        # depends on how busy the machine is, so the verdict is checked
        # against the documented thresholds rather than assumed.
        assert report.rtt_ms is not None and report.rtt_ms < 150
        assert report.loss <= 0.01 and report.packets_received > 50
        assert (report.verdict, report.reasons) == judge(report.rtt_ms, report.jitter_ms,
                                                         report.loss)
    finally:
        await echo.close()
        await ops.close()
        for c in clients:
            await c.close()


async def test_a_full_echo_pool_says_when_to_try_again(env: dict[str, str], tmp_path: Path) -> None:
    loopback.enable()
    server = OrchestratorProcess({**env, "ONLIVE_ECHO_CAPACITY": "1",
                                  "ONLIVE_ECHO_IDLE_TIMEOUT": "3"}, tmp_path / "o.log")
    server.start()
    clients: list[Client] = []
    first: EchoClient | None = None
    try:
        clients, _ = await participants(env, server.base_url, 2)
        first = echo_client(clients[0])
        await first.start()
        second = await clients[1].call("echo_offer", {"sdp": "v=0\r\n", "type": "offer"})
        assert second["ok"] is False and second["error"]["code"] == "busy"
        assert "try again in" in second["error"]["message"]
        assert second["error"]["retry_after"] >= 1
        bad = await clients[1].call("echo_offer", {"sdp": "v=0\r\n", "type": "answer"})
        assert bad["error"]["code"] == "bad_payload"
        await first.close()
        # The abandoned session ends on its own; then there is room again.
        async def not_busy() -> dict[str, Any] | None:
            retry = await clients[1].call("echo_offer", {"sdp": "not sdp", "type": "offer"})
            return None if retry["error"]["code"] == "busy" else retry

        retry = await eventually(not_busy, what="the abandoned echo test ends on its own",
                                 interval=0.2)
        assert retry["error"]["code"] == "echo_failed", retry
    finally:
        if first is not None:
            await first.close()
        for c in clients:
            await c.close()
        server.stop()


async def test_the_echo_peer_offers_the_address_it_is_given(env: dict[str, str],
                                                            tmp_path: Path) -> None:
    """ONLIVE_MEDIA_IPS, like LiveKit's node IP: 127.0.0.2 stands in for a public address
    (the test's own peer stays on 127.0.0.1, a different "host" that reaches it)."""
    loopback.enable()
    server = OrchestratorProcess({**env, "ONLIVE_MEDIA_LOOPBACK": "0",
                                  "ONLIVE_MEDIA_IPS": "127.0.0.2"}, tmp_path / "o.log")
    server.start()
    clients: list[Client] = []
    echo: EchoClient | None = None
    try:
        clients, _ = await participants(env, server.base_url, 1)
        answers: list[str] = []
        inner = echo_client(clients[0])

        async def send_offer(sdp: str) -> str:
            answers.append(await inner._send_offer(sdp))  # noqa: SLF001 - the same round trip
            return answers[-1]

        echo = EchoClient(send_offer)
        await echo.start()
        candidates = [line.split()[4] for line in answers[0].splitlines()
                      if line.startswith("a=candidate:")]
        assert candidates and set(candidates) == {"127.0.0.2"}, answers[0]
        await echo.wait_own_tone(timeout=15)
    finally:
        if echo is not None:
            await echo.close()
        for c in clients:
            await c.close()
        server.stop()
