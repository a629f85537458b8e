// "Min träning": a participant's own page, reached from their personal link.
// The link's token comes in the URL fragment (never sent to a server), is kept
// in sessionStorage and sent as a bearer token to /api/m. The page lists the
// next class's sessions to choose from, the classes done and to do, the
// journal, the person's own trend, colleagues and an export of their data.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill } from "./dom.js";
import { t, tx, pick, getLang, setLang, setupLanguage, onLangChange } from "./i18n.js";
import { entryLines, formatDate, newestFirst } from "./journal.js";

const KEY = "onlive.m.link";
const REFRESH_MS = 30_000;
const TICK_MS = 5_000;
const app = { data: null, offset: 0, busy: false };

setupLanguage();

/** The link's token from the fragment (then removed from the address bar), else storage. */
export function readLink() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromHash = params.get("link");
  if (fromHash) {
    try {
      sessionStorage.setItem(KEY, fromHash);
      history.replaceState(null, "", location.pathname + location.search);
    } catch {
      /* storage off: keep the fragment so a reload works */
    }
    return fromHash;
  }
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

const token = readLink();

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token || ""}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const type = response.headers.get("Content-Type") || "";
  if (!type.startsWith("application/json") || response.headers.get("Content-Disposition")) {
    if (!response.ok) throw Object.assign(new Error("refused"), { code: null, status: response.status });
    return response;
  }
  const data = await response.json();
  // The code is what the page shows (in its own words); the server's message stays in its log.
  if (!data.ok) throw Object.assign(new Error("refused"), { code: data.error.code, status: response.status });
  return data;
}

function say(key, vars = {}, kind = "status") {
  const el = $("#status");
  el.className = kind;
  el.textContent = key ? t(key, vars) : "";
  if (key) {
    el.dataset.i18n = key;
    el.dataset.i18nVars = JSON.stringify(vars);
  } else delete el.dataset.i18n;
}

/** A refusal in the page's words: its code's own text, the pages' shared one, or a plain "that did not work". */
function refusalKey(error) {
  const own = `m.err.${error.code}`;
  if (error.code && t(own) !== own) return own;
  const shared = `err.${error.code}`;
  if (error.code && t(shared) !== shared) return shared;
  return error.status >= 500 || error.code === "internal" ? "m.err.server" : "m.err.other";
}

function refuse(error) {
  say(refusalKey(error), {}, "error");
}

function showNotice(error) {
  $("#content").hidden = true;
  $("#notice").hidden = false;
  say(null);
  const code = ["person_inactive", "program_ended"].includes(error.code) ? error.code : "invalid_link";
  $("#notice").dataset.code = code;
  fill($("#notice-text"), h("span", tx(`m.err.${code}`)));
  // A deactivated person or an ended program: say so and offer nothing else.
  $("#resend-form").hidden = code !== "invalid_link";
}

async function load() {
  if (!token) {
    showNotice({ code: "invalid_link" });
    return;
  }
  try {
    const data = await api("GET", "/api/m");
    app.data = data;
    app.offset = data.server_now - Date.now() / 1000;
    // The person's own language (from the roster) until they choose one here.
    if (!languageChosen()) setLang(data.me.language);
    $("#notice").hidden = true;
    $("#content").hidden = false;
    say(null);
    render();
  } catch (error) {
    if (error.status === 401 || error.status === 410) showNotice(error);
    else refuse(error);
  }
}

function languageChosen() {
  try {
    return !!localStorage.getItem("onlive.lang");
  } catch {
    return true;
  }
}

const serverNow = () => Date.now() / 1000 + app.offset;

function when(ts) {
  return new Date(ts * 1000).toLocaleString(getLang() === "sv" ? "sv-SE" : "en-GB",
    { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" });
}

function day(iso) {
  return iso ? new Date(`${iso}T12:00:00`).toLocaleDateString(getLang() === "sv" ? "sv-SE" : "en-GB",
    { year: "numeric", month: "long", day: "numeric" }) : "";
}

function render() {
  const d = app.data;
  if (!d) return;
  document.documentElement.lang = getLang();
  fill($("#hello"), h("span", tx("m.hello", { name: d.me.first_name })));
  $("#program").textContent = t("m.program", { program: d.program.name });
  renderNext(d);
  renderClasses(d);
  renderJournal(d);
  renderTrends(d);
  renderColleagues(d);
}

function joinOpen(s) {
  const now = serverNow();
  return s.mine === "enrolled" && s.state !== "ended" && s.state !== "cancelled"
    && now >= s.join_opens_ts && now < s.starts_ts + s.duration_s;
}

function renderNext(d) {
  const next = d.next_class;
  $("#next-none").hidden = !!next;
  $("#join-hint").hidden = !d.sessions.length;
  $("#next-title").textContent = next ? pick(next.title) : "";
  $("#next-due").textContent = next && next.due_on
    ? t(next.mandatory ? "m.due.mandatory" : "m.due", { date: day(next.due_on) }) : "";
  const holding = d.sessions.find((s) => s.mine);
  fill($("#sessions"), d.sessions.map((s) => {
    const free = Math.max(0, s.capacity - s.enrolled);
    const label = `${when(s.starts_ts)} (${s.time_zone})`;
    const places = s.full ? t("m.full", { n: s.waiting }) : t("m.places", { free, capacity: s.capacity });
    const buttons = [];
    if (s.mine) {
      buttons.push(h("span", { class: `badge ${s.mine === "enrolled" ? "badge-ok" : ""}`,
        ...tx(s.mine === "enrolled" ? "m.mine.enrolled" : "m.mine.waiting", { n: s.position }) }));
      if (s.can_choose) buttons.push(h("button", { type: "button", class: "btn btn-small", onclick: () => cancel(s),
        "aria-label": `${t("m.cancel")}: ${label}` }, t("m.cancel")));
      buttons.push(h("button", { type: "button", class: "btn btn-small", onclick: () => download(s),
        "aria-label": `${t("m.ics")}: ${label}`, dataset: { action: "ics" } }, t("m.ics")));
      if (joinOpen(s)) {
        buttons.push(h("button", { type: "button", class: "btn btn-primary", onclick: () => join(s),
          dataset: { action: "join" } }, t("m.join")));
      } else if (s.mine === "enrolled" && serverNow() < s.join_opens_ts) {
        buttons.push(h("span", { class: "hint", ...tx("m.join.at", { time: when(s.join_opens_ts) }) }));
      }
    } else if (s.can_choose) {
      const key = s.full ? "m.wait" : holding ? "m.switch" : "m.choose";
      buttons.push(h("button", { type: "button", class: `btn btn-small ${s.full ? "" : "btn-primary"}`,
        onclick: () => choose(s), "aria-label": `${t(key)}: ${label}`, dataset: { action: "choose" } }, t(key)));
    }
    return h("li", { class: "session", dataset: { pass: s.pass, mine: s.mine || "", full: String(s.full) } },
      h("p", { class: "session-when" }, h("strong", { text: label })),
      h("p", { class: "hint", text: `${places} · ${t("m.facilitator", { name: s.facilitator })}` }),
      h("div", { class: "actions" }, buttons));
  }));
}

function renderClasses(d) {
  fill($("#classes tbody"), d.classes.map((c) => h("tr", { dataset: { cls: c.class, status: c.status } },
    h("th", { scope: "row", text: `${c.position}. ${pick(c.title)}${c.mandatory ? ` (${t("m.mandatory")})` : ""}` }),
    h("td", { text: day(c.due_on) }),
    h("td", {}, h("span", { class: `badge ${c.status === "done" ? "badge-ok" : c.status === "overdue" || c.status === "missed" ? "badge-bad" : ""}`,
      text: t(`m.status.${c.status}`) }), c.session && c.status !== "todo" ? ` ${when(c.session.starts_ts)}` : "",
      c.minutes_present != null ? ` · ${t("m.minutes", { n: c.minutes_present })}` : ""))));
}

function renderJournal(d) {
  const entries = newestFirst(d.journal);
  $("#journal-none").hidden = entries.length > 0;
  fill($("#journal"), entries.map((e) => h("li", { class: "journal-entry", dataset: { kind: e.kind, pass: e.pass } },
    h("p", { class: "journal-head" }, h("span", { class: "badge", text: t(`journal.kind.${e.kind}`) }), " ",
      h("time", { datetime: new Date(e.at * 1000).toISOString(), text: formatDate(e.at) })),
    h("p", { class: "journal-class", text: pick(e.class) }),
    (e.kind === "reflection" ? [["journal.text", { text: e.value.text || "" }]] : entryLines(e))
      .map(([key, vars]) => h("p", { class: "journal-value", text: t(key, vars.answer ? { ...vars, answer: t(vars.answer) } : vars) })))));
}

function renderTrends(d) {
  $("#trend-none").hidden = d.trends.length > 0;
  fill($("#trends"), d.trends.map((tr) => {
    const max = Math.max(5, ...tr.points.map((p) => p.value));
    const name = tr.question === "energy" ? t("m.trend.energy") : tr.title ? pick(tr.title) : t("gym.scale.gone");
    return h("figure", { class: "trend", dataset: { question: tr.question } },
      h("figcaption", { text: t("m.trend.values", { name, values: tr.points.map((p) => p.value).join(", ") }) }),
      h("div", { class: "bars", "aria-hidden": "true" }, tr.points.map((p) => {
        const fillEl = h("span", { class: "bar-fill" });
        fillEl.style.width = `${Math.round((100 * p.value) / max)}%`;
        return h("div", { class: "bar-row" }, h("span", { text: new Date(p.at * 1000).toLocaleDateString(getLang() === "sv" ? "sv-SE" : "en-GB") }),
          h("span", { class: "bar-track" }, fillEl), h("span", { text: String(p.value) }));
      })));
  }));
}

function renderColleagues(d) {
  $("#colleagues-none").hidden = d.colleagues.length > 0;
  $("#colleagues-wrap").hidden = d.colleagues.length === 0;
  fill($("#colleagues tbody"), d.colleagues.map((c) => h("tr", { dataset: { person: c.id } },
    h("th", { scope: "row", text: c.name }), h("td", { text: c.department }), h("td", { text: c.site }),
    h("td", { text: String(c.times) }))));
}

async function act(fn) {
  if (app.busy) return;
  app.busy = true;
  try {
    await fn();
  } catch (error) {
    if (error.status === 401 || error.status === 410) showNotice(error);
    else refuse(error);
  } finally {
    app.busy = false;
  }
}

function choose(s, giveUp = false) {
  return act(async () => {
    try {
      const r = await api("POST", "/api/m/choose", { pass_id: s.pass, give_up_place: giveUp });
      say(r.outcome === "waiting" ? "m.done.waiting" : "m.done.enrolled", { n: r.position });
    } catch (error) {
      if (error.code === "session_full" && !giveUp) {
        app.busy = false;
        if (window.confirm(t("m.confirm.giveup"))) await choose(s, true);
        return;
      }
      throw error;
    }
    await load();
  });
}

function cancel(s) {
  return act(async () => {
    await api("POST", "/api/m/cancel", { pass_id: s.pass });
    say("m.done.cancelled");
    await load();
  });
}

function join(s) {
  return act(async () => {
    const r = await api("POST", "/api/m/join", { pass_id: s.pass });
    location.assign(r.url);
  });
}

async function save(path, filename) {
  const response = await api("GET", path);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function download(s) {
  return act(() => save(`/api/m/calendar?pass=${encodeURIComponent(s.pass)}`, `onlive-${s.pass}.ics`));
}

$("#export").addEventListener("click", () => act(() => save("/api/m/export", "onlive-min-traning.json")));
$("#resend-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("#resend-status");
  try {
    const response = await fetch("/api/m/link", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: $("#resend-email").value.trim() }) });
    if (response.status === 429) {
      status.className = "error";
      status.textContent = t("m.resend.limited");
      return;
    }
    status.className = "status";
    status.textContent = t("m.resend.sent");
  } catch {
    status.className = "error";
    status.textContent = t("err.timeout");
  }
});

onLangChange(() => render());
setInterval(() => renderNext(app.data || { sessions: [], next_class: null }), TICK_MS);
setInterval(() => { if (!app.busy && !document.hidden) load(); }, REFRESH_MS);
load();

window.onlive = { app };
