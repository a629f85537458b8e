// The ops dashboard: health of Redis and LiveKit, event-loop lag,
// connections, echo tests in use, every running pass with its rooms, and alerts. It polls
// `sync` every few seconds and shows alerts as they arrive.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill } from "./dom.js";
import { t, pick, setupLanguage, onLangChange } from "./i18n.js";
import { readCredential, connect, call } from "./connection.js";
import { staffCredential } from "./signon.js";
import { EVENTS, NAMESPACES } from "./contract.js";
import { alertText, connectionStatus, showStatus } from "./ui.js";

const POLL_MS = 3000;
const app = { data: null, extraAlerts: [] };

setupLanguage();
const credential = readCredential("credential", "ops");
if (credential) {
  start(credential);
} else {
  // No link: staff signed in with the organisation's identity provider (single sign-on).
  staffCredential("ops").then((cred) => (cred ? start(cred) : showStatus($("#conn"), "conn.nolink")));
}

function start(cred) {
  const socket = connect(NAMESPACES.OPS, { credential: cred });
  app.socket = socket;
  connectionStatus($("#conn"), socket);
  socket.on(EVENTS.SNAPSHOT, (data) => {
    app.data = data;
    app.extraAlerts = [];
    render();
  });
  socket.on(EVENTS.ALERT, (item) => {
    app.extraAlerts.unshift(item);
    render();
  });
  setInterval(async () => {
    if (!socket.connected || document.hidden) return;
    try {
      app.data = await call(socket, EVENTS.SYNC, {}, 5000);
      app.extraAlerts = [];
      render();
    } catch (error) {
      console.warn("ops sync failed", error);
    }
  }, POLL_MS);
}

function check(name, c) {
  const ok = c && c.ok;
  return h("div", { dataset: { check: name, ok: String(!!ok) } }, h("dt", { text: t(`ops.${name}`) }),
    h("dd", {}, h("span", { class: `badge ${ok ? "badge-ok" : "badge-bad"}`,
      text: ok ? t("ops.ok", { ms: c.latency_ms }) : t("ops.down") })));
}

/** Pre-join echo tests running now, out of the pool's capacity. */
function echoTests(echo) {
  if (!echo) return null;
  const full = echo.capacity > 0 && echo.active >= echo.capacity;
  return h("div", { dataset: { check: "echo", active: String(echo.active), capacity: String(echo.capacity) } },
    h("dt", { text: t("ops.echo") }),
    h("dd", {}, h("span", { class: full ? "badge badge-bad" : "", text: t("ops.echo.value", echo) })));
}

function render() {
  const d = app.data;
  if (!d) return;
  const lag = d.loop_lag_ms || {};
  fill($("#health"), check("redis", d.health?.redis), check("livekit", d.health?.livekit),
    h("div", {}, h("dt", { text: t("ops.lag") }), h("dd", { text: t("ops.lag.value", {
      last: Math.round(lag.last_ms ?? 0), max: Math.round(lag.max_ms ?? 0) }) })),
    h("div", {}, h("dt", { text: t("ops.connections") }), h("dd", { text: String(d.connections ?? 0) })),
    echoTests(d.echo_sessions));
  $("#updated").textContent = t("ops.updated", { time: new Date((d.server_now || Date.now() / 1000) * 1000).toLocaleTimeString() });

  const passes = d.passes || [];
  $("#passes-none").hidden = passes.length > 0;
  fill($("#passes tbody"), passes.map((p) => h("tr", { dataset: { pass: p.pass } },
    h("th", { scope: "row" }, h("span", { text: pick(p.title) }), h("br"), h("code", { text: p.pass })),
    h("td", { text: t(`phase.${p.phase}`) }),
    h("td", { text: p.phase === "running" ? String((p.step ?? 0) + 1) : "—" }),
    h("td", { text: String(p.present) }),
    // A room as its pass's board names it; LiveKit's name for it on hover.
    h("td", {}, h("ul", { class: "texts" }, (p.rooms || []).map((r) => h("li", { title: r.name, dataset: { room: r.name } },
      `${r.group != null ? t("fac.group", { n: r.group }) : t("room.main")} (${r.participants == null ? "—" : r.participants})`)))))));

  const alerts = [...app.extraAlerts, ...(d.alerts || [])];
  $("#alerts-none").hidden = alerts.length > 0;
  fill($("#alerts"), alerts.slice(0, 50).map((a) => h("li", { class: "alert", dataset: { code: a.code } },
    `${a.at ? new Date(a.at * 1000).toLocaleTimeString() : ""} · ${opsAlert(a, passes)}`)));
}

/**
 * An alert in ops' words: the pass by its title, a room as its pass's board
 * names it ("Grupp 2", "Storgruppen"), a person as "someone" (alerts carry
 * ids, and ops needs no names); never the server's message or an id.
 */
function opsAlert(a, passes) {
  const room = a.group != null ? t("fac.group", { n: a.group })
    : a.room && a.pass_id ? t("room.main") : t("alert.room.unknown");
  const text = alertText(a, { name: t("alert.someone"), room, other: "ops.alert.other" });
  const pass = a.pass_id ? passes.find((p) => p.pass === a.pass_id) : null;
  return pass ? t("ops.alert.in", { pass: pick(pass.title), text }) : text;
}

onLangChange(render);
