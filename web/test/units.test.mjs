// Pure pieces of the pages, run with `node --test` (no browser needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ServerClock, countdownOf, turnOf, remainingMs, formatMs } from "../src/clock.js";
import { STRINGS, LANGS } from "../src/i18n.js";

test("every string exists in Swedish and English, with the same placeholders", () => {
  assert.deepEqual(LANGS, ["sv", "en"]);
  const sv = Object.keys(STRINGS.sv).sort();
  const en = Object.keys(STRINGS.en).sort();
  assert.deepEqual(sv, en);
  const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const key of sv) {
    assert.ok(STRINGS.sv[key].trim() && STRINGS.en[key].trim(), key);
    assert.deepEqual(holes(STRINGS.sv[key]), holes(STRINGS.en[key]), key);
  }
});

test("the clock keeps the least delayed sample", () => {
  let local = 1_000_000;
  const clock = new ServerClock(() => local);
  clock.sample(1000.5); // arrived 0.5 s "late" relative to local 1000.0
  clock.sample(1000.1); // less delay: a larger offset wins
  clock.sample(999.0);
  assert.equal(Math.round(clock.offset * 1000), 500);
  local += 2000;
  assert.equal(Math.round(clock.now() * 1000), 1_002_500);
});

const view = (over = {}) => ({
  phase: "running",
  timer: { deadline: 200, time_up: false, paused_at: null },
  rooms: { state: "closed", round: null, deadline: null, recall_deadline: null, turn: null, turn_deadline: null },
  ...over,
});

test("the countdown follows recall, then breakout, then the step timer", () => {
  assert.deepEqual(countdownOf(view()), { kind: "step", deadline: 200, pausedAt: null });
  const open = view({ timer: { deadline: null, paused_at: null }, rooms: { state: "open", deadline: 500, turn: 1, turn_deadline: 300 } });
  assert.equal(countdownOf(open).kind, "breakout");
  assert.deepEqual(turnOf(open), { turn: 1, deadline: 300, pausedAt: null });
  const recall = view({ rooms: { state: "recalling", deadline: 500, recall_deadline: 530 } });
  assert.deepEqual(countdownOf(recall), { kind: "recall", deadline: 530, pausedAt: null });
  assert.equal(countdownOf(view({ phase: "lobby" })).deadline, null);
});

test("a paused countdown is frozen at the pause", () => {
  const paused = countdownOf(view({ timer: { deadline: 200, paused_at: 150 } }));
  assert.equal(remainingMs(paused, 190), 50_000);
  assert.equal(remainingMs(paused, 900), 50_000);
  assert.equal(remainingMs(countdownOf(view()), 250), 0);
  assert.equal(remainingMs({ deadline: null }, 1), null);
});

test("remaining time is shown rounded up", () => {
  assert.equal(formatMs(0), "0:00");
  assert.equal(formatMs(1), "0:01");
  assert.equal(formatMs(61_000), "1:01");
  assert.equal(formatMs(3_600_000), "1:00:00");
  assert.equal(formatMs(null), "–:––");
});

test("echo figures round up, so a figure over a threshold is shown over it", async () => {
  const { echoFigures, echoConcerns } = await import("../src/echo.js");
  const { ECHO_THRESHOLDS: THRESHOLDS } = await import("../src/contract.js");
  assert.deepEqual(echoFigures({ rtt_ms: 0.4, jitter_ms: 30.4, loss: 0.0101 }), { rtt: 1, jitter: 31, loss: 1.1 });
  assert.deepEqual(echoFigures({ rtt_ms: 150, jitter_ms: 30, loss: 0 }), { rtt: 150, jitter: 30, loss: 0 });
  assert.deepEqual(echoFigures({ rtt_ms: null, jitter_ms: null, loss: 0 }), { rtt: null, jitter: null, loss: 0 });
  assert.deepEqual(THRESHOLDS.good, { rttMs: 150, jitterMs: 30, loss: 0.01 });
  assert.deepEqual(echoConcerns({ rtt_ms: 10, jitter_ms: 31, loss: 0.02 }), ["echo.why.jitter", "echo.why.loss"]);
  assert.deepEqual(echoConcerns({ rtt_ms: 400, jitter_ms: 5, loss: 0 }), ["echo.why.delay"]);
  assert.deepEqual(echoConcerns({ rtt_ms: null, jitter_ms: null, loss: 1 }), ["echo.why.nomedia"]);
});

test("the journal lists newest first and says each kind in words", async () => {
  const { newestFirst, entryLines } = await import("../src/journal.js");
  const entries = [{ kind: "check-in", at: 10, value: { energy: 3, word: "glad" } },
    { kind: "commitment", at: 30, value: { text: "Fråga först" } },
    { kind: "follow-up", at: 20, value: { tried: "partly", text: "Gick bra" } }];
  assert.deepEqual(newestFirst(entries).map((e) => e.at), [30, 20, 10]);
  assert.deepEqual(entryLines(entries[0]), [["journal.energy", { n: 3 }], ["journal.word", { word: "glad" }]]);
  assert.deepEqual(entryLines(entries[1]), [["journal.text", { text: "Fråga först" }]]);
  assert.deepEqual(entryLines(entries[2]), [["journal.tried", { answer: "answer.tried.partly" }], ["journal.text", { text: "Gick bra" }]]);
});

test("a trio in a pair exercise: one speaker and one listener at a time, the third observes", async () => {
  const { roleOf } = await import("../src/roles.js");
  const step = { roles: [{ id: "speaker" }, { id: "listener" }], extra_role: { id: "observer" } };
  for (const turn of [0, 1]) {
    const ids = [0, 1, 2].map((p) => roleOf(step, p, 3, turn).id);
    assert.equal(ids.filter((id) => id === "speaker").length, 1, `turn ${turn}: ${ids}`);
    assert.equal(ids.filter((id) => id === "listener").length, 1, `turn ${turn}: ${ids}`);
    assert.equal(ids.filter((id) => id === "observer").length, 1, `turn ${turn}: ${ids}`);
  }
  assert.deepEqual([0, 1].map((p) => roleOf(step, p, 2, 1).id), ["listener", "speaker"]);
  assert.equal(roleOf({ roles: [] }, 0, 2, 0), null);
});
