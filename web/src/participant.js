// The participant page: a pre-join screen (name, devices, echo test), then
// the pass: follows the step, timers and cues, keeps the video in the room
// the orchestrator assigns, and sends answers. The private journal and the
// follow-up of one's own last commitment are shown only to this person.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill, sleep } from "./dom.js";
import { t, tx, pick, errorKey, setupLanguage, onLangChange } from "./i18n.js";
import { readCredential, connect, call } from "./connection.js";
import { EVENTS, LIMITS, NAMESPACES } from "./contract.js";
import { ServerClock, countdownOf, turnOf } from "./clock.js";
import { Countdown, connectionStatus, CueBanner, showStatus, showNotice, cueText } from "./ui.js";
import { MediaStage, mediaControls } from "./media.js";
import { answerForm } from "./answer.js";
import { PreJoin, loadChoice, saveChoice } from "./prejoin.js";
import { Journal, followUpBox } from "./journal.js";
import { resultParts } from "./results.js";
import { roleOf } from "./roles.js";

const TOKEN_MARGIN_S = 45; // renew a LiveKit token this close to its expiry

const app = {
  view: null,
  assignment: null,
  answer: null, // {client_id, value} stored for the current step
  formStep: null,
  refused: false,
  joined: false, // past the pre-join screen: only then does the page enter rooms
  followUp: null, // {step_id, commitment} for a follow-up step
  screen: "waiting", // "waiting" | "prejoin" | "pass"
  results: null, // a plenary step's answers so far, without names
  mediaState: "connected", // the LiveKit client's own state: "reconnecting" while it retries
  commitment: undefined, // the person's commitment of this pass, for the end summary
  quality: null, // the media link quality last told to the facilitator's roster
};
let prejoin = null;

setupLanguage();
// The server's limit (contract.js): the field stops where the server would refuse.
$("#help-text").maxLength = LIMITS.helpTextChars;
const clock = new ServerClock();
const countdown = new Countdown($("#countdown"), clock, { labelEl: $("#countdown-label") });
const turnCountdown = new Countdown($("#turn-countdown"), clock);
const cues = new CueBanner($("#cue"));
const stage = new MediaStage($("#grid"), {
  onStatus: (status) => {
    app.mediaState = status.state;
    paintMoving(status);
    // In a room again after a drop: the roster's "lost" is over. A resumed
    // connection brings no new rating from LiveKit, so say the one it has.
    if (status.state === "connected" && app.quality === "lost") {
      const level = stage.localQuality();
      reportQuality(level === "lost" ? "unknown" : level);
    }
  },
  onUnexpectedDisconnect: () => reconnectMedia(),
  // The facilitator's roster shows each person's connection quality.
  onQuality: (level) => reportQuality(level),
});
fill($("#media-controls"), ...mediaControls(stage));

const ticket = readCredential("ticket", "p");
// On a phone the video comes first; the step's text folds away until asked for.
if (window.matchMedia("(max-width: 40rem)").matches) $("#step-details").open = false;

if (!ticket) {
  showStatus($("#conn"), "conn.nolink");
  showNotice("missing_credential", "participant");
} else {
  start(ticket);
}

function start(ticketValue) {
  const socket = connect(NAMESPACES.PARTICIPANT, { ticket: ticketValue });
  app.socket = socket;
  connectionStatus($("#conn"), socket, {
    onRefused: (code) => {
      app.refused = true;
      stage.stopAll();
      if (prejoin) prejoin.leave();
      showNotice(code, "participant");
    },
  });
  app.journal = new Journal(socket);
  $("#summary-journal").addEventListener("click", () => $("#journal-open").click());
  $("#journal-open").hidden = false;

  // A reload during the pass goes straight back in with the same choice.
  const choice = loadChoice(ticketValue);
  prejoin = new PreJoin({
    socket,
    initialName: choice ? choice.name : "",
    onJoin: (c) => chooseName(c),
    onEnter: (c) => {
      saveChoice(ticketValue, { ...c, joined: true });
      enterPass(c);
      $("#main").focus();
    },
  });
  if (choice && choice.joined) enterPass(choice);
  else showScreen("waiting");

  socket.on(EVENTS.SNAPSHOT, (snap) => {
    clock.sample(snap.state.server_now);
    app.view = snap.state;
    app.answer = snap.answer;
    app.results = snap.results || null;
    app.formStep = null; // rebuild the form from the stored answer
    takeFollowUp(snap);
    setAssignment(snap.assignment, true);
    if (app.screen === "waiting" && snap.state.phase !== "ended") {
      showScreen("prejoin");
      prejoin.show();
    }
    render();
  });
  socket.on(EVENTS.FOLLOW_UP, (data) => {
    app.followUp = { step_id: data.step_id, commitment: data.commitment ?? null };
    render();
  });
  socket.on(EVENTS.STATE, (view) => {
    clock.sample(view.server_now);
    if (app.view && view.version <= app.view.version) return; // stale
    // `after`: the version of the view the server sent before this one (versions
    // in between changed nothing a participant sees); without it, any skip.
    const gap = app.view && (view.after ?? view.version - 1) > app.view.version;
    const stepChanged = !app.view || !app.view.step || !view.step || app.view.step.id !== view.step.id;
    app.view = view;
    if (stepChanged) {
      app.answer = null;
      app.results = null;
    }
    render();
    // The view itself is complete; a gap (a view not received) could only hide
    // a personal assignment. Ask once, jittered, so that a burst
    // seen by a thousand people does not come back as a thousand syncs at once.
    if (gap) scheduleResync();
  });
  socket.on(EVENTS.ASSIGNMENT, (assignment) => {
    setAssignment(assignment, false);
    render();
  });
  socket.on(EVENTS.CUE, (cue) => {
    clock.sample(cue.server_now);
    if (!cueIsMine(cue)) return;
    cues.show(cueText(cue), cue.kind);
  });
  socket.on(EVENTS.RESULTS, (results) => {
    if (!app.view || !app.view.step || results.step !== app.view.step.id) return;
    app.results = results;
    renderSharedResults();
  });

  $("#help-open").addEventListener("click", () => {
    $("#help-form").hidden = false;
    $("#help-open").hidden = true;
    $("#help-text").focus();
  });
  $("#help-cancel").addEventListener("click", closeHelp);
  $("#help-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call(socket, EVENTS.HELP, { text: $("#help-text").value.trim() });
      showStatus($("#help-status"), "help.sent");
      $("#help-text").value = "";
      closeHelp();
    } catch (error) {
      showStatus($("#help-status"), errorKey(error));
    }
  });
}

function showScreen(name) {
  if (document.body.dataset.screen === "notice") return; // a refused link stays refused
  app.screen = name;
  document.body.dataset.screen = name;
  $("#prejoin").hidden = name !== "prejoin";
  for (const el of document.querySelectorAll("#main > .step, #main > .stage")) el.hidden = name !== "pass";
}

/** Pre-join "continue": the chosen name first, and a token that carries it. */
async function chooseName(choice) {
  if (choice.name) {
    const ack = await call(app.socket, EVENTS.SET_NAME, { name: choice.name });
    choice.name = ack.name;
    // The token in hand was minted with the old name; LiveKit shows a token's name.
    const fresh = await call(app.socket, EVENTS.TOKEN, {});
    if (!app.assignment || fresh.assignment.version >= app.assignment.version) app.assignment = fresh.assignment;
  }
}

function enterPass(choice) {
  app.joined = true;
  stage.devices = { audio: choice.mic || null, video: choice.camera || null };
  if (choice.name) {
    stage.localName = choice.name;
    stage.showLocal();
  }
  showScreen("pass");
  reconcile();
  render();
}

function takeFollowUp(snap) {
  if ("follow_up" in snap && snap.state.step) {
    app.followUp = { step_id: snap.state.step.id, commitment: snap.follow_up ?? null };
  }
}

function ownName(assignment) {
  const me = assignment && assignment.kind === "breakout" && assignment.members ? assignment.members[assignment.position] : null;
  return me ? me.name : "";
}

function closeHelp() {
  $("#help-form").hidden = true;
  $("#help-open").hidden = false;
  $("#help-open").focus();
}

let resyncTimer = null;

function scheduleResync() {
  if (resyncTimer) return;
  resyncTimer = setTimeout(() => {
    resyncTimer = null;
    resync();
  }, 300 + Math.random() * 2700);
}

async function resync() {
  try {
    const snap = await call(app.socket, EVENTS.SYNC, {});
    clock.sample(snap.state.server_now);
    if (!app.view || snap.state.version >= app.view.version) {
      const stepChanged = !app.view?.step || !snap.state.step || app.view.step.id !== snap.state.step.id;
      app.view = snap.state;
      if (stepChanged || snap.answer) app.answer = snap.answer;
      takeFollowUp(snap);
    }
    setAssignment(snap.assignment, false);
    render();
  } catch (error) {
    console.warn("sync failed", error);
  }
}

function currentRoom() {
  return app.assignment ? app.assignment.room : null;
}

function cueIsMine(cue) {
  const room = currentRoom();
  return !cue.rooms || cue.rooms.length === 0 || (room && cue.rooms.includes(room));
}

// -- media: keep the LiveKit room in line with the assignment --------------------

let reconciling = false;

function setAssignment(assignment, fromSnapshot) {
  if (!assignment) return;
  if (!fromSnapshot && app.assignment && assignment.version < app.assignment.version) return;
  app.assignment = assignment;
  const name = ownName(assignment);
  if (name && prejoin && !app.joined) prejoin.suggestName(name);
  if (name && name !== stage.localName && app.joined) {
    stage.localName = name;
    stage.showLocal();
  }
  reconcile();
}

async function reconcile() {
  if (reconciling || !app.joined) return;
  reconciling = true;
  try {
    for (let attempt = 0; ; attempt++) {
      const target = app.assignment;
      if (app.refused || !target || !target.room || app.view?.phase === "ended") {
        if (stage.room) await stage.leave();
        if (app.view?.phase === "ended") await stage.stopAll();
        break;
      }
      if (stage.connected && stage.roomName === target.room) break;
      try {
        let fresh = target;
        if (!fresh.token || (fresh.expires_at && fresh.expires_at - clock.now() < TOKEN_MARGIN_S)) {
          const ack = await call(app.socket, EVENTS.TOKEN, {});
          fresh = ack.assignment;
          if (fresh.version >= app.assignment.version) app.assignment = fresh;
          if (!fresh.room) continue;
        }
        await stage.join(fresh);
      } catch (error) {
        console.warn("joining the room failed", error);
        paintMoving({ state: "failed" });
        await sleep(Math.min(5000, 500 * 2 ** Math.min(attempt, 4)));
        // The token may be stale (or the room gone after a move): ask again.
        try {
          const ack = await call(app.socket, EVENTS.TOKEN, {});
          if (ack.assignment.version >= app.assignment.version) app.assignment = ack.assignment;
        } catch {
          /* offline: the socket's reconnect brings a new snapshot */
        }
      }
    }
  } finally {
    reconciling = false;
  }
  render();
}

/** Tell the facilitator's roster this side's media link quality, when it changes. */
function reportQuality(level) {
  if (level === app.quality) return;
  app.quality = level;
  app.socket?.emit(EVENTS.QUALITY, { level });
}

function reconnectMedia() {
  // The server closed our room (a move, a recall) or the link dropped. A
  // new assignment is usually on its way; give it a moment, then rejoin.
  setTimeout(() => reconcile(), 300);
}

function paintMoving(status) {
  const el = $("#moving");
  const a = app.assignment;
  if (status.state === "reconnecting") {
    // The media client lost LiveKit and retries on its own: say so at once,
    // and tell the facilitator's roster.
    el.textContent = t("media.reconnecting");
    el.dataset.i18n = "media.reconnecting";
    el.hidden = false;
    reportQuality("lost");
  } else if (status.state === "connecting" || status.state === "failed") {
    let key = stage.everConnected ? "move.main" : "move.connect";
    if (a && a.kind === "breakout") {
      const n = (a.members || []).length;
      key = n === 2 ? "move.pair" : n === 3 ? "move.trio" : "move.group";
    }
    if (status.state === "failed") key = "move.failed";
    el.textContent = t(key);
    el.dataset.i18n = key;
    el.hidden = false;
  } else {
    el.hidden = true;
  }
  $("#grid").dataset.room = stage.roomName || "";
  $("#grid").dataset.connected = String(stage.connected);
}

// -- rendering ------------------------------------------------------------------

function render() {
  const view = app.view;
  if (!view) return;
  document.body.dataset.phase = view.phase;
  $("#pass-title").textContent = pick(view.title);
  document.title = `${pick(view.title)} – onlive`;
  if (app.screen === "prejoin" && view.phase === "ended") {
    prejoin.leave();
    showScreen("pass");
  }
  renderSummary(view);
  $("#prejoin-phase").textContent = t(view.phase === "lobby" ? "pre.phase.lobby" : "pre.phase.running");
  renderRoom();
  renderStep();
}

function renderRoom() {
  const a = app.assignment;
  const view = app.view;
  const heading = $("#room-heading");
  const members = $("#room-members");
  const reasons = $("#room-reasons");
  const notice = $("#room-notice");
  notice.hidden = true;
  if (!a || a.kind === "none" || view.phase === "ended") {
    heading.textContent = view.phase === "ended" ? t("phase.ended") : t("room.none");
    members.textContent = "";
    reasons.hidden = true;
    return;
  }
  if (a.kind === "breakout") {
    const n = (a.members || []).length;
    heading.textContent = t(n === 2 ? "room.breakout.pair" : n === 3 ? "room.breakout.trio" : "room.breakout.group");
    const leaving = (view.rooms && view.rooms.leaving) || {};
    const others = (a.members || []).filter((_, i) => i !== a.position);
    members.textContent = t("room.with", {
      names: others.map((m) => (m.id in leaving ? `${m.name} (${t("room.partner.away")})` : m.name)).join(", "),
    });
    const me = a.members && a.members[a.position];
    // The last one in of a group that took in a late arrival is the late joiner;
    // remembered for the round, so a later regroup still says they came late.
    const late = lateInRound(view, (a.reasons || []).includes("late-joiner") && a.position === n - 1);
    // The late joiner reads that they came late, not why the others were moved.
    const codes = late ? (a.reasons || []).filter((c) => c !== "late-joiner" && c !== "moved") : (a.reasons || []);
    const list = codes.map((code) => t(`reason.${code}`)).filter((s) => !s.startsWith("reason."));
    if (late) list.unshift(t("room.late"));
    reasons.hidden = list.length === 0;
    reasons.textContent = list.length ? `${t("room.why")} ${list.join(", ")}.` : "";
    reasons.dataset.late = String(late);
    const gone = others.filter((m) => m.id in leaving && me && m.id !== me.id);
    if (gone.length) {
      const due = Math.max(...gone.map((m) => leaving[m.id]));
      const s = Math.max(0, Math.round(due - clock.now()));
      const stay = others.length > gone.length; // someone is still here: no regroup
      const key = stay ? "room.partner.left.stay" : s > 0 ? "room.partner.left" : "room.partner.left.gone";
      notice.textContent = t(key, { names: gone.map((m) => m.name).join(", "), s });
      notice.dataset.i18n = key;
      notice.hidden = false;
    }
  } else {
    heading.textContent = t("room.main");
    const breakoutStep = view.step && view.step.kind === "breakout" && view.rooms.state === "closed";
    const recalled = breakoutStep && view.rooms.recalled_step === view.step.id;
    members.textContent = recalled ? t("room.recalled") : breakoutStep ? t("room.waiting") : "";
    members.dataset.i18n = recalled ? "room.recalled" : breakoutStep ? "room.waiting" : "";
    reasons.hidden = true;
  }
  heading.dataset.kind = a.kind;
  $("#media-note").hidden = !stage.deviceError;
}

function lateInRound(view, now) {
  const key = `onlive.late.${view.pass}.${view.rooms && view.rooms.round}`;
  try {
    if (now) sessionStorage.setItem(key, "1");
    return now || sessionStorage.getItem(key) === "1";
  } catch {
    return now; // storage off: only while the plan says so
  }
}

function renderStep() {
  const view = app.view;
  const step = view.step;
  const meta = $("#step-meta");
  if (view.phase === "lobby") {
    meta.textContent = t("phase.lobby");
    $("#step-title").textContent = pick(view.title);
    $("#step-prompt").textContent = t("lobby.wait");
  } else if (view.phase === "ended" || !step) {
    meta.textContent = "";
    $("#step-title").textContent = pick(view.title);
    $("#step-prompt").textContent = "";
  } else {
    meta.textContent = t("step.of", { n: step.index + 1, total: view.outline.length });
    $("#step-title").textContent = pick(step.title);
    $("#step-prompt").textContent = pick(step.prompt);
  }
  $("#step-title").dataset.step = step ? step.id : "";

  const c = countdownOf(view);
  countdown.set(c, c.kind === "recall" ? "timer.recall" : c.kind === "breakout" ? "timer.breakout" : "timer.step");
  $("#countdown").dataset.kind = c.kind || "";
  const turn = turnOf(view);
  const inBreakout = app.assignment && app.assignment.kind === "breakout";
  $("#turn-box").hidden = !(turn && inBreakout);
  if (turn && inBreakout) {
    $("#turn-label").textContent = t("turn.label", { n: turn.turn + 1 });
    turnCountdown.set(turn, "turn.label");
  } else {
    turnCountdown.set(null, "timer.none");
  }
  renderRole(step, inBreakout);
  renderMessage(view);
  renderFollowUp(view, step);
  renderAnswer(view, step);
  renderSharedResults();
}

/** A plenary step's answers so far, shown to everyone in the pass, without names. */
function renderSharedResults() {
  const el = $("#shared-results");
  const view = app.view;
  const step = view && view.phase === "running" ? view.step : null;
  const r = app.results;
  if (!step || !step.asks_answer || step.visibility !== "plenary" || !r || r.step !== step.id) {
    el.hidden = true;
    fill(el);
    return;
  }
  el.hidden = false;
  el.dataset.count = String(r.count ?? "");
  fill(el, h("h3", { text: t("results.title") }),
    r.count ? h("p", { class: "results-count", text: t("fac.results.count", { n: r.count }) }) : h("p", { class: "hint", text: t("results.none") }),
    ...resultParts(r, step));
}

/** At the end: the person's commitment of this pass and the way to their journal. */
async function renderSummary(view) {
  const ended = view.phase === "ended";
  $("#summary").hidden = !ended;
  document.body.dataset.ended = String(ended);
  if (!ended) return;
  if (app.commitment === undefined) {
    app.commitment = null;
    try {
      const ack = await call(app.socket, EVENTS.JOURNAL, {});
      const mine = (ack.entries || []).filter((e) => e.pass === view.pass && e.kind === "commitment");
      app.commitment = mine.length ? mine[mine.length - 1].value.text || "" : "";
    } catch {
      app.commitment = "";
    }
  }
  const el = $("#summary-commitment");
  if (app.commitment) {
    el.textContent = app.commitment;
    delete el.dataset.i18n;
  } else {
    el.textContent = t("end.commitment.none");
    el.dataset.i18n = "end.commitment.none";
  }
}

function renderFollowUp(view, step) {
  const mine = view.phase === "running" && step && step.kind === "follow-up"
    && app.followUp && app.followUp.step_id === step.id ? app.followUp : null;
  followUpBox($("#follow-up"), mine);
}

function renderRole(step, inBreakout) {
  const el = $("#role");
  const a = app.assignment;
  if (!step || !step.roles || !step.roles.length || !inBreakout || a.position == null) {
    el.hidden = true;
    return;
  }
  const turn = app.view.rooms.turn || 0;
  const role = roleOf(step, a.position, (a.members || []).length, turn);
  if (!role) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.dataset.role = role.id;
  fill(el, h("p", { class: "role-name", text: t("role.yours", { role: pick(role.name) }) }),
    h("p", { class: "role-prompt", text: pick(role.prompt) }));
}

function renderMessage(view) {
  const el = $("#message");
  const m = view.message;
  const room = currentRoom();
  // No rooms listed: every room of the round, also one opened after the message.
  if (!m || (m.rooms && m.rooms.length && !m.rooms.includes(room))) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  fill(el, h("p", { class: "message-from", text: t("message.from") }), h("p", { class: "message-text", text: m.text }));
}

function renderAnswer(view, step) {
  const slot = $("#answer-slot");
  const open = view.phase === "running" && step && step.asks_answer;
  const key = open ? `${step.id}:${view.step.index}` : null;
  if (key === app.formStep) return; // keep what the person is typing
  app.formStep = key;
  if (!open) {
    fill(slot);
    return;
  }
  const form = answerForm(step, {
    saved: app.answer,
    send: async (value, clientId) => {
      const ack = await call(app.socket, EVENTS.ANSWER, { step_id: step.id, client_id: clientId, value });
      app.answer = { client_id: clientId, value };
      return ack;
    },
  });
  fill(slot, form);
}

onLangChange(() => {
  render();
  paintMoving({ state: $("#moving").hidden ? "connected" : "connecting" });
});

// Tests and the curious can look; nothing here is secret.
window.onlive = { app, stage, clock, prejoin: () => prejoin };
