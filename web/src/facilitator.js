// The facilitator's control panel: run the class (start, next, timers,
// breakouts, recall, moves, messages), watch the roster, groups, live
// results and help requests, and be on video in the main room or drop into
// a breakout.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill } from "./dom.js";
import { t, tx, pick, setupLanguage, onLangChange } from "./i18n.js";
import { readCredential, connect, call } from "./connection.js";
import { LIMITS, NAMESPACES } from "./contract.js";
import { ServerClock, countdownOf, turnOf } from "./clock.js";
import { Countdown, connectionStatus, CueBanner, showStatus } from "./ui.js";
import { MediaStage, mediaControls } from "./media.js";

const app = { view: null, wantedRoom: null, helps: [], alerts: [], editing: null };

setupLanguage();
// The server's limits (contract.js): a field stops where the server would refuse.
$("#broadcast-text").maxLength = LIMITS.broadcastChars;
for (const id of ["#edit-title-sv", "#edit-title-en"]) $(id).maxLength = LIMITS.editTitleChars;
for (const id of ["#edit-prompt-sv", "#edit-prompt-en"]) $(id).maxLength = LIMITS.editPromptChars;
$("#recall-seconds").max = String(LIMITS.recallSeconds);
$("#edit-duration").max = String(LIMITS.stepSeconds);
const clock = new ServerClock();
const countdown = new Countdown($("#countdown"), clock, { labelEl: $("#countdown-label") });
const turnCountdown = new Countdown($("#turn-countdown"), clock);
const cues = new CueBanner($("#cue"));
const stage = new MediaStage($("#grid"), {
  localName: "",
  onStatus: (status) => {
    $("#moving").hidden = status.state !== "connecting";
    $("#moving").textContent = t("move.connect");
    paintWhere();
  },
  onUnexpectedDisconnect: () => setTimeout(() => goToRoom(validRoom(app.wantedRoom)), 300),
});
fill($("#media-controls"), ...mediaControls(stage));

const credential = readCredential("credential", "f");
if (!credential) {
  showStatus($("#conn"), "conn.nolink");
} else {
  start(credential);
}

function start(cred) {
  const socket = connect(NAMESPACES.FACILITATOR, { credential: cred });
  app.socket = socket;
  connectionStatus($("#conn"), socket, { onRefused: () => stage.stopAll() });
  socket.on("snapshot", (view) => accept(view, true));
  socket.on("facilitator", (view) => accept(view, false));
  socket.on("cue", (cue) => {
    clock.sample(cue.server_now);
    cues.show(pick(cue.text), cue.kind);
  });
  socket.on("help", (item) => {
    app.helps.unshift(item);
    renderLogs();
  });
  socket.on("alert", (item) => {
    app.alerts.unshift(item);
    renderLogs();
  });

  const commands = {
    "#cmd-start": ["start"], "#cmd-back": ["back"], "#cmd-next": ["next"], "#cmd-pause": ["pause"],
    "#cmd-resume": ["resume"], "#cmd-extend": ["extend", { seconds: 60 }], "#cmd-open": ["open_breakouts"],
  };
  for (const [selector, [name, args]] of Object.entries(commands)) {
    $(selector).addEventListener("click", () => command(name, args));
  }
  $("#cmd-end").addEventListener("click", () => {
    if (window.confirm(t("fac.end.confirm"))) command("end");
  });
  $("#recall-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Math.max(0, Math.min(LIMITS.recallSeconds, Math.round(Number($("#recall-seconds").value) || 0)));
    command("recall", { countdown: seconds });
  });
  $("#broadcast-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("#broadcast-text").value.trim();
    if (!text) return;
    if (await command("broadcast", { text }, "fac.broadcast.sent")) $("#broadcast-text").value = "";
  });
  $("#move-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const person = $("#move-person").value;
    const group = Number($("#move-group").value);
    if (person && Number.isInteger(group)) command("move", { person_id: person, to_group: group });
  });
  $("#join-main").addEventListener("click", () => goToRoom(app.view && app.view.main_room));
  setupEditDialog();
}

function accept(view, snapshot) {
  clock.sample(view.server_now);
  if (!snapshot && app.view && view.version < app.view.version) return;
  app.view = view;
  render();
  if (view.phase === "ended") {
    stage.stopAll();
    return;
  }
  const room = validRoom(app.wantedRoom);
  if (room !== stage.roomName || (!stage.connected && !joining)) goToRoom(room);
}

/** The room we want if it is still open, else the main room. */
function validRoom(room) {
  const view = app.view;
  if (!view || view.phase === "ended") return null;
  const open = new Set([view.main_room, ...(view.groups || []).map((g) => g.room)]);
  return room && open.has(room) ? room : view.main_room;
}

let joining = false;

async function goToRoom(room) {
  app.wantedRoom = room;
  if (joining || !room) return;
  joining = true;
  try {
    while (app.wantedRoom && (stage.roomName !== app.wantedRoom || !stage.connected)) {
      const target = app.wantedRoom;
      try {
        const ack = await call(app.socket, "command", { name: "join_room", room: target });
        await stage.join({ url: ack.url, token: ack.token, room: ack.room });
      } catch (error) {
        console.warn("joining", target, "failed", error);
        app.wantedRoom = validRoom(app.wantedRoom === target ? null : app.wantedRoom);
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
    }
  } finally {
    joining = false;
    paintWhere();
  }
}

async function command(name, args = {}, doneKey = "fac.done") {
  const status = $("#cmd-status");
  try {
    await call(app.socket, "command", { name, ...args });
    status.className = "status";
    status.textContent = t(doneKey);
    return true;
  } catch (error) {
    status.className = "error";
    status.textContent = t("err.generic", { message: error.message });
    return false;
  }
}

// -- rendering ------------------------------------------------------------------

function roomLabel(room) {
  const view = app.view;
  if (!room) return "—";
  if (view && room === view.main_room) return t("room.main");
  const group = (view?.groups || []).find((g) => g.room === room);
  return group ? t("fac.group", { n: group.index + 1 }) : room;
}

function paintWhere() {
  $("#you-in").textContent = stage.roomName ? t("fac.you.in", { room: roomLabel(stage.roomName) }) : "";
  $("#you-in").dataset.room = stage.roomName || "";
  const view = app.view;
  $("#join-main").hidden = !view || !stage.roomName || stage.roomName === view.main_room;
}

function render() {
  const view = app.view;
  if (!view) return;
  document.body.dataset.phase = view.phase;
  $("#pass-title").textContent = pick(view.title);
  document.title = `${t("fac.title")}: ${pick(view.title)} – onlive`;
  renderControls(view);
  renderOutline(view);
  renderResults(view);
  renderGroups(view);
  renderRoster(view);
  renderLogs();
  paintWhere();
}

function renderControls(view) {
  const step = view.step;
  const running = view.phase === "running";
  const rooms = view.rooms || {};
  const paused = !!(view.timer && view.timer.paused_at);
  $("#step-meta").textContent = step ? t("step.of", { n: step.index + 1, total: view.outline.length }) : t(`phase.${view.phase}`);
  $("#step-title").textContent = step ? pick(step.title) : view.phase === "ended" ? t("phase.ended") : t("phase.lobby");
  $("#step-title").dataset.step = step ? step.id : "";
  $("#rooms-state").textContent = rooms.state === "open" ? t("fac.rooms.open", { n: rooms.round })
    : rooms.state === "recalling" ? t("fac.rooms.recalling") : "";
  const c = countdownOf(view);
  countdown.set(c, c.kind === "recall" ? "timer.recall" : c.kind === "breakout" ? "timer.breakout" : "timer.step");
  $("#countdown").dataset.kind = c.kind || "";
  const turn = turnOf(view);
  $("#turn-box").hidden = !turn;
  if (turn) $("#turn-label").textContent = t("turn.label", { n: turn.turn + 1 });
  turnCountdown.set(turn, "turn.label");

  const breakoutStep = step && step.kind === "breakout";
  const roomsOpen = rooms.state === "open" || rooms.state === "recalling";
  $("#cmd-start").hidden = view.phase !== "lobby";
  for (const id of ["#cmd-back", "#cmd-next", "#cmd-pause", "#cmd-resume", "#cmd-extend", "#cmd-end"]) {
    $(id).hidden = view.phase === "lobby" || view.phase === "ended";
  }
  $("#cmd-back").disabled = !running || roomsOpen || !step || step.index === 0;
  $("#cmd-next").disabled = !running || roomsOpen || !step || step.index + 1 >= view.outline.length;
  $("#cmd-pause").hidden ||= paused;
  $("#cmd-resume").hidden ||= !paused;
  $("#cmd-extend").disabled = !running || (c.deadline == null);
  $("#cmd-open").hidden = !(running && breakoutStep && rooms.state === "closed");
  $("#recall-form").hidden = !(running && rooms.state === "open");
  $("#broadcast-form").hidden = !running;
}

function renderOutline(view) {
  const list = $("#outline");
  const lobby = view.phase === "lobby";
  $("#edit-note").hidden = !lobby;
  fill(list, view.outline.map((item, i) => {
    const current = view.step && view.step.index === i;
    return h("li", { "aria-current": current ? "step" : null, dataset: { step: item.id } },
      h("span", {}, `${i + 1}. ${pick(item.title)}`, current ? h("span", { class: "badge badge-ok", ...tx("fac.current") }) : null),
      lobby ? h("button", { type: "button", class: "btn btn-small", onclick: () => openEdit(item),
        "aria-label": `${t("fac.step.edit")}: ${pick(item.title)}` }, t("fac.step.edit")) : null);
  }));
}

function bars(rows, total) {
  const max = Math.max(1, total ?? Math.max(0, ...rows.map((r) => r[1])));
  return h("div", { class: "bars" }, rows.map(([label, count]) => {
    const fillEl = h("span", { class: "bar-fill" });
    fillEl.style.width = `${Math.round((100 * count) / max)}%`; // CSSOM is allowed under the CSP
    return h("div", { class: "bar-row" }, h("span", { text: label }),
      h("span", { class: "bar-track", "aria-hidden": "true" }, fillEl), h("span", { text: String(count) }));
  }));
}

function values(result, step) {
  const out = [];
  if (result.energy) out.push(h("h3", { text: t("fac.results.energy") }), bars(result.energy.map((n, i) => [String(i + 1), n])));
  if (result.choices) {
    out.push(h("h3", { text: t("fac.results.choices") }),
      bars(result.choices.map((n, i) => [pick(step?.options?.[i]) || String(i + 1), n])));
  }
  if (result.histogram) {
    out.push(bars(result.histogram.map((n, i) => [String(result.min + i), n])));
    if (result.mean != null) out.push(h("p", { text: t("fac.results.mean", { mean: result.mean }) }));
  }
  if (result.tried) {
    out.push(h("h3", { text: t("fac.results.tried") }),
      bars(Object.entries(result.tried).map(([k, n]) => [t(`answer.tried.${k}`), n])));
  }
  if (result.words && result.words.length) {
    out.push(h("h3", { text: t("fac.results.words") }), h("ul", { class: "words" },
      result.words.map((w) => h("li", { dataset: { word: w.word } }, `${w.word} `, h("span", { class: "badge", text: `×${w.count}` })))));
  }
  if (result.texts && result.texts.length) {
    out.push(h("h3", { text: t("fac.results.texts") }), h("ul", { class: "texts" }, result.texts.map((x) => h("li", { text: x }))));
  }
  return out;
}

function renderResults(view) {
  const el = $("#results");
  const r = view.results;
  if (!r) {
    fill(el, h("p", { class: "hint", text: t("fac.results.none") }));
    el.dataset.count = "";
    return;
  }
  el.dataset.count = r.count == null ? "" : String(r.count);
  el.dataset.step = r.step;
  const parts = [h("p", { class: "results-count", text: r.count == null ? "" : t("fac.results.count", { n: r.count }) })];
  if (r.visibility === "private") parts.push(h("p", { class: "hint", text: t("fac.results.hidden") }));
  else if (r.visibility === "leadership") parts.push(h("p", { class: "hint", text: t("fac.results.leadership") }));
  else if (r.suppressed) parts.push(h("p", { class: "hint", text: t("fac.results.suppressed") }));
  if (r.groups) {
    for (const g of r.groups) {
      parts.push(h("div", { class: "group" }, h("h3", { text: `${t("fac.results.group", { n: g.group + 1 })} · ${t("fac.results.count", { n: g.count })}` }),
        values(g, view.step)));
    }
  } else {
    parts.push(...values(r, view.step));
  }
  fill(el, parts);
}

function renderGroups(view) {
  const groups = view.groups || [];
  const names = Object.fromEntries((view.roster || []).map((m) => [m.id, m.name]));
  $("#groups-none").hidden = groups.length > 0;
  fill($("#groups"), groups.map((g) => h("div", { class: "group", dataset: { group: String(g.index), room: g.room } },
    h("h3", { text: `${t("fac.group", { n: g.index + 1 })} (${g.members.length})` }),
    h("ul", {}, g.members.map((id) => h("li", { dataset: { person: id }, text: names[id] || id }))),
    g.reasons.length ? h("p", { class: "hint", text: g.reasons.map((c) => t(`reason.${c}`)).join(", ") }) : null,
    h("button", { type: "button", class: "btn btn-small", onclick: () => goToRoom(g.room),
      "aria-label": `${t("fac.join")}: ${t("fac.group", { n: g.index + 1 })}`, disabled: stage.roomName === g.room }, t("fac.join")))));

  const form = $("#move-form");
  form.hidden = !(view.rooms && view.rooms.state === "open" && groups.length > 0);
  const personSelect = $("#move-person");
  const groupSelect = $("#move-group");
  const keepPerson = personSelect.value;
  const keepGroup = groupSelect.value;
  const present = (view.roster || []).filter((m) => m.connected);
  fill(personSelect, present.map((m) => h("option", { value: m.id, text: m.name })));
  fill(groupSelect, groups.map((g) => h("option", { value: String(g.index), text: t("fac.group", { n: g.index + 1 }) })));
  if (present.some((m) => m.id === keepPerson)) personSelect.value = keepPerson;
  if (groups.some((g) => String(g.index) === keepGroup)) groupSelect.value = keepGroup;
}

const QUALITY_BADGE = { excellent: "badge-ok", good: "badge-ok", poor: "badge-bad", lost: "badge-bad" };
// online, offline (joined, then left), expected (not here yet, before the start), missing.
const STATUS = {
  online: ["badge-ok", "fac.roster.online"], offline: ["badge-bad", "fac.roster.offline"],
  expected: ["", "fac.roster.expected"], missing: ["badge-bad", "fac.roster.missing"],
};

function renderRoster(view) {
  const roster = view.roster || [];
  const missing = view.missing || 0;
  $("#present").textContent = t("fac.roster.present", { n: view.present })
    + (missing ? ` · ${t("fac.roster.missing.count", { n: missing })}` : "");
  $("#present").dataset.missing = String(missing);
  fill($("#roster tbody"), roster.map((m) => {
    const status = m.status || (m.connected ? "online" : "offline");
    const [badge, key] = STATUS[status] || STATUS.offline;
    return h("tr", { dataset: { person: m.id, status } },
      h("th", { scope: "row", text: m.name }), h("td", { text: m.department || "" }), h("td", { text: m.site || "" }),
      h("td", {}, h("span", { class: `badge ${badge}`, text: t(key) })),
      h("td", { text: roomLabel(m.room) }),
      h("td", {}, m.quality || m.connected ? h("span", { class: `badge ${QUALITY_BADGE[m.quality] || ""}`, text: t(`quality.${m.quality || "unknown"}`) }) : ""));
  }));
}

function when(at) {
  return at ? new Date(at * 1000).toLocaleTimeString() : "";
}

function renderLogs() {
  $("#help-none").hidden = app.helps.length > 0;
  fill($("#help-log"), app.helps.slice(0, 20).map((item) => h("li", {},
    `${when(item.at)} · ${t("fac.help.item", { name: item.name, room: roomLabel(item.room), text: item.text || "" })}`)));
  $("#alerts-none").hidden = app.alerts.length > 0;
  fill($("#alert-log"), app.alerts.slice(0, 20).map((item) => h("li", { class: "alert" }, `${when(item.at)} · ${alertText(item)}`)));
}

// -- editing a step before the pass starts ----------------------------------------

function setupEditDialog() {
  const dialog = $("#edit-dialog");
  $("#edit-cancel").addEventListener("click", () => dialog.close());
  $("#edit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const item = app.editing;
    const args = { step_id: item.id };
    const title = { sv: $("#edit-title-sv").value.trim(), en: $("#edit-title-en").value.trim() };
    if (title.sv && title.sv !== item.title.sv) args.title_sv = title.sv;
    if (title.en && title.en !== item.title.en) args.title_en = title.en;
    if ($("#edit-prompt-sv").value.trim()) args.prompt_sv = $("#edit-prompt-sv").value.trim();
    if ($("#edit-prompt-en").value.trim()) args.prompt_en = $("#edit-prompt-en").value.trim();
    if ($("#edit-duration").value !== "") args.duration = Math.round(Number($("#edit-duration").value));
    try {
      await call(app.socket, "command", { name: "edit_step", ...args });
      dialog.close();
    } catch (error) {
      $("#edit-error").hidden = false;
      $("#edit-error").textContent = t("err.generic", { message: error.message });
    }
  });
}

function openEdit(item) {
  app.editing = item;
  $("#edit-heading").textContent = t("fac.edit.title", { title: pick(item.title) });
  $("#edit-title-sv").value = item.title.sv || "";
  $("#edit-title-en").value = item.title.en || "";
  $("#edit-prompt-sv").value = "";
  $("#edit-prompt-en").value = "";
  $("#edit-duration").value = "";
  $("#edit-error").hidden = true;
  $("#edit-dialog").showModal();
}

onLangChange(() => render());

window.onlive = { app, stage, clock };

/** An alert in the reader's language when its code is known (else the server's text). */
function alertText(item) {
  const key = `alert.${item.code}`;
  const text = t(key, item);
  return text === key ? item.message : text;
}
