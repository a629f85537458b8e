// The facilitator's control panel: run the class (start, next, timers,
// breakouts, recall, moves, messages), watch the roster, groups, live
// results and help requests, and be on video in the main room or drop into
// a breakout.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill } from "./dom.js";
import { t, tx, pick, errorKey, setupLanguage, onLangChange } from "./i18n.js";
import { readCredential, connect, call } from "./connection.js";
import { staffCredential } from "./signon.js";
import { COMMANDS, EVENTS, LIMITS, NAMESPACES } from "./contract.js";
import { ServerClock, countdownOf, turnOf } from "./clock.js";
import { alertText, Countdown, connectionStatus, CueBanner, showStatus, showNotice, cueText } from "./ui.js";
import { MediaStage, mediaControls } from "./media.js";
import { resultParts } from "./results.js";

const app = { view: null, wantedRoom: null, alerts: [], editing: null };

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
    $("#moving").hidden = status.state !== "connecting" && status.state !== "reconnecting";
    $("#moving").textContent = t(status.state === "reconnecting" ? "media.reconnecting" : "move.connect");
    paintWhere();
  },
  onUnexpectedDisconnect: () => setTimeout(() => goToRoom(validRoom(app.wantedRoom)), 300),
});
fill($("#media-controls"), ...mediaControls(stage));

const credential = readCredential("credential", "f");
if (credential) {
  start(credential);
} else {
  // No link: a facilitator signed in with the organisation's identity provider opens
  // /f?pass=PASS; without single sign-on the page needs its link.
  staffCredential("facilitator", new URLSearchParams(location.search).get("pass")).then((cred) => {
    if (cred) {
      start(cred);
    } else {
      showStatus($("#conn"), "conn.nolink");
      showNotice("missing_credential", "facilitator");
    }
  });
}

function start(cred) {
  const socket = connect(NAMESPACES.FACILITATOR, { credential: cred });
  app.socket = socket;
  connectionStatus($("#conn"), socket, {
    onRefused: (code) => {
      stage.stopAll();
      showNotice(code, "facilitator");
    },
  });
  socket.on(EVENTS.SNAPSHOT, (view) => accept(view, true));
  socket.on(EVENTS.FACILITATOR, (view) => accept(view, false));
  socket.on(EVENTS.CUE, (cue) => {
    clock.sample(cue.server_now);
    if (cue.kind === "facilitator-joined") return; // told to the group; the panel knows
    cues.show(cueText(cue), cue.kind);
  });
  // Help requests come with every view (kept on the server); alerts come live
  // and, after a reload, with the snapshot.
  socket.on(EVENTS.ALERT, (item) => {
    if (!app.alerts.some((a) => a.id === item.id)) app.alerts.unshift(item);
    renderLogs();
  });

  const commands = {
    "#cmd-start": [COMMANDS.START], "#cmd-back": [COMMANDS.BACK], "#cmd-next": [COMMANDS.NEXT],
    "#cmd-pause": [COMMANDS.PAUSE], "#cmd-resume": [COMMANDS.RESUME],
    "#cmd-extend": [COMMANDS.EXTEND, { seconds: 60 }], "#cmd-open": [COMMANDS.OPEN_BREAKOUTS],
  };
  for (const [selector, [name, args]] of Object.entries(commands)) {
    $(selector).addEventListener("click", () => command(name, args));
  }
  $("#cmd-end").addEventListener("click", () => {
    if (window.confirm(t("fac.end.confirm"))) command(COMMANDS.END);
  });
  $("#recall-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Math.max(0, Math.min(LIMITS.recallSeconds, Math.round(Number($("#recall-seconds").value) || 0)));
    command(COMMANDS.RECALL, { countdown: seconds });
  });
  $("#broadcast-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("#broadcast-text").value.trim();
    if (!text) return;
    if (await command(COMMANDS.BROADCAST, { text }, "fac.broadcast.sent")) $("#broadcast-text").value = "";
  });
  $("#move-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const person = $("#move-person").value;
    const group = Number($("#move-group").value);
    if (person && Number.isInteger(group)) boardCommand(COMMANDS.MOVE, { person_id: person, to_group: group });
  });
  $("#swap-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const first = $("#swap-first").value;
    const second = $("#swap-second").value;
    if (first && second) boardCommand(COMMANDS.SWAP, { person_id: first, other_id: second });
  });
  $("#join-main").addEventListener("click", () => goToRoom(app.view && app.view.main_room));
  setupEditDialog();
}

function accept(view, snapshot) {
  clock.sample(view.server_now);
  if (!snapshot && app.view && view.version < app.view.version) return;
  if (snapshot && view.alerts) {
    const known = new Set(app.alerts.map((a) => a.id));
    app.alerts = [...app.alerts, ...view.alerts.filter((a) => !known.has(a.id))];
  }
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
        const ack = await call(app.socket, EVENTS.COMMAND, { name: COMMANDS.JOIN_ROOM, room: target });
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

async function command(name, args = {}, doneKey = `fac.done.${name}`, statusEl = $("#cmd-status"), vars = {}) {
  const say = (key, params, cls) => {
    statusEl.className = cls;
    showStatus(statusEl, key, params);
    statusEl.hidden = false;
  };
  try {
    await call(app.socket, EVENTS.COMMAND, { name, ...args });
    say(t(doneKey) === doneKey ? "fac.done" : doneKey, {}, "status");
    return true;
  } catch (error) {
    say(errorKey(error), vars, "error");
    return false;
  }
}

function nameOf(id) {
  const row = (app.view?.roster || []).find((m) => m.id === id);
  return row ? row.name : "";
}

function groupOf(id) {
  return (app.view?.groups || []).find((g) => g.members.includes(id)) || null;
}

/** A move or swap: done, or refused next to the form with names and the board's group numbers. */
async function boardCommand(name, args) {
  const error = $("#board-error");
  error.hidden = true;
  const from = groupOf(args.person_id);
  const vars = {
    name: nameOf(args.person_id), other: nameOf(args.other_id),
    group: from ? t("fac.group", { n: from.number }) : "",
  };
  const ok = await command(name, args, `fac.done.${name}`, error, vars);
  if (ok) error.hidden = true;
}

// -- rendering ------------------------------------------------------------------

/** A room as the board names it: "Storgruppen" or "Grupp 2", never its id. */
function roomLabel(room, number = null) {
  const view = app.view;
  if (!room && number == null) return "—";
  if (view && room === view.main_room) return t("room.main");
  const group = (view?.groups || []).find((g) => g.room === room);
  if (group) return t("fac.group", { n: group.number });
  // A room re-created since (a move, a late joiner) keeps its group's number.
  const parsed = number ?? (/_r\d+_g(\d+)(?:_v\d+)?$/.exec(room || "") || [])[1];
  return parsed != null ? t("fac.group", { n: parsed }) : t("room.main");
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
  renderSummary(view);
  paintWhere();
}

function renderControls(view) {
  const step = view.step;
  const running = view.phase === "running";
  const rooms = view.rooms || {};
  const paused = !!(view.timer && view.timer.paused_at);
  $("#step-meta").textContent = step ? t("step.of", { n: step.index + 1, total: view.outline.length }) : "";
  $("#step-title").textContent = step ? pick(step.title) : t(`phase.${view.phase}`);
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
  if (r.visibility === "plenary") parts.push(h("p", { class: "hint", text: t("fac.results.plenary") }));
  fill(el, parts, ...resultParts(r, view.step));
}

function renderGroups(view) {
  const groups = view.groups || [];
  const names = Object.fromEntries((view.roster || []).map((m) => [m.id, m.name]));
  const online = new Set((view.roster || []).filter((m) => m.connected).map((m) => m.id));
  const leaving = (view.rooms && view.rooms.leaving) || {};
  const asking = new Set(openHelps(view).map((item) => item.person_id));
  $("#groups-none").hidden = groups.length > 0;
  fill($("#groups"), groups.map((g) => {
    const help = g.members.some((id) => asking.has(id));
    const label = t("fac.group", { n: g.number });
    return h("div", { class: help ? "group group-help" : "group", dataset: { group: String(g.number), room: g.room, help: String(help) } },
      h("h3", {}, `${label} (${g.members.length})`,
        help ? h("span", { class: "badge badge-bad", text: ` ${t("fac.group.help")}` }) : null),
      h("ul", {}, g.members.map((id) => {
        const away = id in leaving ? t("fac.group.leaving", { s: Math.max(0, Math.round(leaving[id] - clock.now())) })
          : !online.has(id) ? t("fac.group.offline") : "";
        return h("li", { dataset: { person: id, online: String(online.has(id)) }, class: away ? "offline" : null },
          names[id] || t("media.facilitator"), away ? h("span", { class: "badge badge-bad", text: ` ${away}` }) : null);
      })),
      g.reasons.length ? h("p", { class: "hint", text: g.reasons.map((c) => t(`reason.${c}`)).join(", ") }) : null,
      h("button", { type: "button", class: "btn btn-small", onclick: () => goToRoom(g.room),
        "aria-label": `${t("fac.join")}: ${label}`, disabled: stage.roomName === g.room }, t("fac.join")));
  }));

  const open = !!(view.rooms && view.rooms.state === "open" && groups.length > 0);
  $("#move-form").hidden = !open;
  $("#swap-form").hidden = !(open && groups.length > 1);
  const grouped = groups.flatMap((g) => g.members.map((id) => [id, g]));
  const present = (view.roster || []).filter((m) => m.connected);
  const option = (m) => {
    const g = groupOf(m.id);
    return h("option", { value: m.id, text: g ? `${m.name} (${t("fac.group", { n: g.number })})` : m.name });
  };
  keepValue($("#move-person"), present.map(option));
  keepValue($("#move-group"), groups.map((g) => h("option", { value: String(g.index), text: t("fac.group", { n: g.number }) })));
  const inGroups = grouped.map(([id]) => (view.roster || []).find((m) => m.id === id)).filter(Boolean);
  keepValue($("#swap-first"), inGroups.map(option));
  keepValue($("#swap-second"), inGroups.map(option));
}

/** Refill a select and keep what was chosen when it is still there. */
function keepValue(select, options) {
  const keep = select.value;
  fill(select, options);
  if (options.some((o) => o.value === keep)) select.value = keep;
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
    // An offline person's last quality is history, not their connection now.
    const quality = m.connected ? (m.quality || "unknown") : null;
    return h("tr", { dataset: { person: m.id, status } },
      h("th", { scope: "row", text: m.name }), h("td", { text: m.department || "" }), h("td", { text: m.site || "" }),
      h("td", {}, h("span", { class: `badge ${badge}`, text: t(key) })),
      h("td", { text: m.connected ? roomLabel(m.room) : "—" }),
      h("td", { dataset: { quality: quality || "" } }, quality ? h("span", { class: `badge ${QUALITY_BADGE[quality] || ""}`, text: t(`quality.${quality}`) }) : "—"));
  }));
}

function when(at) {
  return at ? new Date(Number(at) * 1000).toLocaleTimeString() : "";
}

function openHelps(view) {
  return (view?.helps || []).filter((item) => !item.done);
}

/** An alert naming the person and the group as the board does, never by their ids. */
function alertLine(item) {
  return alertText(item, { name: nameOf(item.person_id) || t("alert.someone"), room: roomLabel(item.room || null, item.group) });
}

function renderLogs() {
  const view = app.view;
  const helps = [...(view?.helps || [])].reverse(); // newest first, open ones on top
  helps.sort((a, b) => Number(a.done) - Number(b.done));
  const open = openHelps(view);
  $("#help-none").hidden = helps.length > 0;
  $("#help-heading").textContent = open.length ? t("fac.help.open", { n: open.length }) : t("fac.help");
  $("#help-top").dataset.open = String(open.length);
  fill($("#help-log"), helps.slice(0, 20).map((item) => {
    const room = item.group != null ? roomLabel(null, item.group) : t("room.main");
    const group = (view?.groups || []).find((g) => g.number === item.group);
    const target = group ? group.room : view?.main_room;
    return h("li", { class: item.done ? "help-item done" : "help-item", dataset: { help: item.id, done: String(item.done) } },
      h("span", {}, `${when(item.at)} · ${t("fac.help.in", { name: item.name, room })}${item.text ? `: ${item.text}` : ""}`),
      item.done ? h("span", { class: "badge", text: ` ${t("fac.help.resolved")}` }) : h("span", { class: "help-actions" },
        h("button", { type: "button", class: "btn btn-small btn-primary", disabled: !target || stage.roomName === target,
          "aria-label": `${t("fac.help.goto")}: ${item.name}, ${room}`, onclick: () => goToRoom(target) }, t("fac.help.goto")),
        h("button", { type: "button", class: "btn btn-small", "aria-label": `${t("fac.help.done")}: ${item.name}`,
          onclick: () => command(COMMANDS.HELP_DONE, { help_id: item.id }) }, t("fac.help.done"))));
  }));
  // Who is reconnecting to sound and picture now (from the roster): one line, gone when they are back.
  const reconnecting = (view?.roster || []).filter((m) => m.connected && m.quality === "lost").map((m) => m.name);
  const media = reconnecting.length
    ? h("li", { class: "alert", dataset: { code: "media_reconnecting" } }, t("fac.media.reconnecting", { names: reconnecting.join(", ") }))
    : null;
  $("#alerts-none").hidden = app.alerts.length > 0 || !!media;
  fill($("#alert-log"), media, app.alerts.slice(0, 20).map((item) => h("li", { class: "alert", dataset: { code: item.code } },
    `${when(item.at)} · ${alertLine(item)}`)));
}

/** At the end: who took part, who did not come, and the anonymous results of each step. */
function renderSummary(view) {
  const ended = view.phase === "ended";
  $("#summary").hidden = !ended;
  document.body.dataset.ended = String(ended);
  if (!ended) return;
  const roster = view.roster || [];
  const took = roster.filter((m) => m.status === "online" || m.status === "offline");
  const absent = roster.filter((m) => m.status === "missing" || m.status === "expected");
  fill($("#summary-people"),
    h("h3", { text: t("fac.end.took", { n: took.length }) }),
    h("ul", { class: "summary-took" }, took.map((m) => h("li", { text: m.name, dataset: { person: m.id } }))),
    absent.length ? h("h3", { text: t("fac.end.absent", { n: absent.length }) }) : null,
    absent.length ? h("ul", { class: "summary-absent" }, absent.map((m) => h("li", { text: m.name }))) : null);
  const script = view.script || [];
  fill($("#summary-results"), (view.summary || []).map((r) => {
    const step = script.find((s) => s.id === r.step);
    return h("section", { class: "summary-step", dataset: { step: r.step } },
      h("h4", { text: step ? pick(step.title) : "" }),
      r.count != null ? h("p", { class: "results-count", text: t("fac.results.count", { n: r.count }) }) : null,
      ...resultParts(r, step));
  }));
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
    // The fields show the step as it is now; only what was changed is sent.
    const now = currentStep(item);
    const prompt = { sv: $("#edit-prompt-sv").value.trim(), en: $("#edit-prompt-en").value.trim() };
    if (prompt.sv && prompt.sv !== (now.prompt?.sv || "")) args.prompt_sv = prompt.sv;
    if (prompt.en && prompt.en !== (now.prompt?.en || "")) args.prompt_en = prompt.en;
    const duration = $("#edit-duration").value;
    if (duration !== "" && Math.round(Number(duration)) !== Math.round(Number(now.duration ?? -1))) {
      args.duration = Math.round(Number(duration));
    }
    try {
      await call(app.socket, EVENTS.COMMAND, { name: COMMANDS.EDIT_STEP, ...args });
      applyEdit(item.id, args);
      dialog.close();
    } catch (error) {
      $("#edit-error").hidden = false;
      showStatus($("#edit-error"), errorKey(error));
    }
  });
}

/** The server took the edit: the step shows it at once, before the next view (which
 * may come up to a quarter of a second later) confirms it. */
function applyEdit(stepId, args) {
  const step = (app.view?.script || []).find((s) => s.id === stepId);
  if (!step) return;
  if (args.title_sv || args.title_en) {
    step.title = { ...step.title, ...(args.title_sv && { sv: args.title_sv }),
      ...(args.title_en && { en: args.title_en }) };
  }
  if (args.prompt_sv || args.prompt_en) {
    step.prompt = { ...(step.prompt || {}), ...(args.prompt_sv && { sv: args.prompt_sv }),
      ...(args.prompt_en && { en: args.prompt_en }) };
  }
  if (args.duration != null) step.duration = args.duration;
  render();
}

/** The step of the class as it is now (the pass's script, after earlier edits). */
function currentStep(item) {
  return (app.view?.script || []).find((step) => step.id === item.id) || item;
}

function openEdit(item) {
  app.editing = item;
  $("#edit-heading").textContent = t("fac.edit.title", { title: pick(item.title) });
  $("#edit-title-sv").value = item.title.sv || "";
  $("#edit-title-en").value = item.title.en || "";
  const now = currentStep(item);
  $("#edit-prompt-sv").value = now.prompt?.sv || "";
  $("#edit-prompt-en").value = now.prompt?.en || "";
  $("#edit-duration").value = now.duration != null ? String(Math.round(Number(now.duration))) : "";
  $("#edit-error").hidden = true;
  $("#edit-dialog").showModal();
}

onLangChange(() => render());

window.onlive = { app, stage, clock };
