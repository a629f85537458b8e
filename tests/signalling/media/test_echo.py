"""The echo test: an EchoClient against EchoSessions in-process, over real WebRTC on 127.0.0.1."""

from __future__ import annotations

from signalling.media.echo import EchoState
from signalling.media.echo_pool import EchoPool
from signalling.media.verdict import judge
from tests.signalling.media.conftest import TONE_TIMEOUT, PoolClient


async def test_client_hears_its_own_tone_and_gets_a_good_report(pool: EchoPool) -> None:
    bot = PoolClient(pool)
    try:
        await bot.client.start()
        heard_after = await bot.client.wait_own_tone(timeout=TONE_TIMEOUT)
        report = await bot.client.report()
    finally:
        await bot.client.close()
    print(f"\necho: own tone heard after {heard_after * 1000:.0f} ms; report {report.to_wire()}")
    # Figures depend on the machine's load (tests never assert on speed):
    # check that each was measured and that the verdict follows from them.
    assert report.rtt_ms is not None and report.rtt_ms >= 0
    assert report.jitter_ms is not None and report.jitter_ms >= 0
    assert 0.0 <= report.loss <= 1.0 and report.packets_received > 0
    assert (report.verdict, report.reasons) == judge(report.rtt_ms, report.jitter_ms, report.loss)
    assert pool.get(bot.session_id).history == [EchoState.NEW, EchoState.ANSWERED,
                                                EchoState.CONNECTED]
