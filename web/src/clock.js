// Server-authoritative time. Every view carries the server's clock
// (`server_now`, epoch seconds); the offset to the local clock is estimated
// from those samples. A sample can only be late (network and queueing
// delay), never early, so the largest recent offset is the best estimate.

const WINDOW = 16;

export class ServerClock {
  constructor(nowMs = () => Date.now()) {
    this.nowMs = nowMs;
    this.samples = [];
    this.offset = 0; // seconds: server - local
  }

  /** Record a `server_now` seen just now. */
  sample(serverNow) {
    if (typeof serverNow !== "number" || !Number.isFinite(serverNow)) return;
    this.samples.push(serverNow - this.nowMs() / 1000);
    if (this.samples.length > WINDOW) this.samples.shift();
    this.offset = Math.max(...this.samples);
  }

  /** The server's time now, epoch seconds. */
  now() {
    return this.nowMs() / 1000 + this.offset;
  }
}

/**
 * Which deadline a shared view counts down to, and what it is:
 * the recall countdown while recalling, the breakout while rooms are open,
 * otherwise the step timer. `pausedAt` freezes it.
 */
export function countdownOf(view) {
  if (!view || view.phase !== "running") return { kind: null, deadline: null, pausedAt: null };
  const rooms = view.rooms || {};
  const pausedAt = view.timer ? view.timer.paused_at : null;
  if (rooms.state === "recalling" && rooms.recall_deadline != null) {
    return { kind: "recall", deadline: rooms.recall_deadline, pausedAt };
  }
  if (rooms.state === "open" && rooms.deadline != null) {
    return { kind: "breakout", deadline: rooms.deadline, pausedAt };
  }
  const deadline = view.timer ? view.timer.deadline : null;
  return { kind: deadline == null ? null : "step", deadline, pausedAt };
}

/** The turn countdown inside open breakout rooms, or null. */
export function turnOf(view) {
  const rooms = view && view.rooms;
  if (!rooms || rooms.state !== "open" || rooms.turn_deadline == null) return null;
  return { turn: rooms.turn || 0, deadline: rooms.turn_deadline, pausedAt: view.timer ? view.timer.paused_at : null };
}

/** Milliseconds left (never negative), or null without a deadline. */
export function remainingMs(countdown, serverNowSeconds) {
  if (!countdown || countdown.deadline == null) return null;
  const at = countdown.pausedAt != null ? countdown.pausedAt : serverNowSeconds;
  return Math.max(0, Math.round((countdown.deadline - at) * 1000));
}

/** "m:ss" (or "h:mm:ss"), rounding up so 0:00 means the time is up. */
export function formatMs(ms) {
  if (ms == null) return "–:––";
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
