// The pre-join echo test, browser side: our preview tracks go to the
// orchestrator's echo peer, which sends them straight back; the person sees
// and hears themselves with the network's delay, then gets a verdict.
// Nothing is recorded on either side: the echo peer only forwards frames.

import { call } from "./connection.js";
import { ECHO_THRESHOLDS, EVENTS } from "./contract.js"; // the thresholds the server judges by

const ICE_GATHER_MS = 5000;

/**
 * What held a report back from "good", as i18n keys: "echo.why.delay",
 * "echo.why.jitter", "echo.why.loss", or "echo.why.nomedia" when nothing was
 * measured. The server's own reasons are English only; these follow the
 * page's language.
 */
export function echoConcerns(report) {
  if (!report || report.rtt_ms == null || report.jitter_ms == null) return ["echo.why.nomedia"];
  const out = [];
  const good = ECHO_THRESHOLDS.good;
  if (report.rtt_ms > good.rttMs) out.push("echo.why.delay");
  if (report.jitter_ms > good.jitterMs) out.push("echo.why.jitter");
  if ((report.loss ?? 0) > good.loss) out.push("echo.why.loss");
  return out;
}

/**
 * Numbers as shown: whole milliseconds, loss in percent with one decimal.
 * Rounded up, so a shown figure is over a (whole) threshold exactly when
 * the measurement is: 30.4 ms of jitter shows as 31, not as a "good" 30.
 */
export function echoFigures(report) {
  const up = (v, step) => (v == null || !Number.isFinite(v) ? null : Math.ceil(v / step - 1e-9) * step + 0); // + 0: never "-0"
  const loss = report && Number.isFinite(report.loss) ? Math.round(up(report.loss * 100, 0.1) * 10) / 10 : null;
  return { rtt: up(report?.rtt_ms, 1), jitter: up(report?.jitter_ms, 1), loss };
}

/** Resolves once ICE gathering is complete (we send one offer, no trickle). */
function gathered(pc, timeoutMs = ICE_GATHER_MS) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      clearTimeout(timer);
      resolve();
    };
    // With only loopback candidates gathering ends at once; a stalled
    // gatherer still sends what it has rather than never starting.
    const timer = setTimeout(() => {
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    }, timeoutMs);
    pc.addEventListener("icegatheringstatechange", done);
  });
}

/**
 * One echo test over `socket`:
 *   const test = new EchoTest(socket, stream, {onEcho(stream)});
 *   await test.start();       // rejects with AckError ("busy" has retryAfter)
 *   const report = await test.report();
 *   await test.close();
 */
export class EchoTest {
  constructor(socket, stream, { onEcho = () => {} } = {}) {
    this.socket = socket;
    this.stream = stream;
    this.onEcho = onEcho;
    this.pc = null;
    this.session = null;
    this.reportAfter = null;
    this.closed = false;
  }

  async start() {
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    const echoed = new MediaStream();
    pc.addEventListener("track", (event) => {
      echoed.addTrack(event.track);
      this.onEcho(echoed);
    });
    for (const track of this.stream.getTracks()) pc.addTransceiver(track, { direction: "sendrecv", streams: [this.stream] });
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    if (this.closed) return;
    const ack = await call(this.socket, EVENTS.ECHO_OFFER, { sdp: pc.localDescription.sdp, type: "offer" }, 15000);
    this.session = ack.session;
    this.reportAfter = ack.report_after ?? null;
    if (this.closed) {
      await this.close();
      return;
    }
    await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
  }

  /** Waits until the server has measured (a few seconds after media flows). */
  async report() {
    const ack = await call(this.socket, EVENTS.ECHO_REPORT, { session: this.session }, 30000);
    return ack.report;
  }

  async close() {
    this.closed = true;
    const session = this.session;
    this.session = null;
    if (this.pc) {
      // The preview keeps its tracks: only the echo connection ends.
      this.pc.close();
      this.pc = null;
    }
    if (session) {
      try {
        await call(this.socket, EVENTS.ECHO_CLOSE, { session }, 5000);
      } catch {
        /* the pool ends idle sessions by itself */
      }
    }
  }
}
