// A facilitator's own page: the passes they lead, with time, class, how many have
// enrolled, and a button that opens the pass (from an hour before its start) and
// takes them to its control panel. Reached from `onlive facilitator-link NAME`, or
// opened without a link where single sign-on is set up: then it offers the sign-in.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill } from "./dom.js";
import { t, pick, getLang, setupLanguage, onLangChange } from "./i18n.js";
import { readCredential } from "./connection.js";
import { offeredCredential } from "./signon.js";

const REFRESH_MS = 60_000;
const app = { data: null, signedIn: false };

setupLanguage();
let credential = readCredential("credential", "staff");

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${credential || ""}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({ ok: false, error: { code: "other" } }));
  if (!data.ok) throw Object.assign(new Error("refused"), { code: data.error.code });
  return data;
}

function errorText(error, vars = {}) {
  const own = `cls.err.${error.code}`;
  if (t(own) !== own) return t(own, vars);
  const shared = `err.${error.code}`;
  return t(shared) !== shared ? t(shared) : t("cls.err.other");
}

function when(iso, timeZone) {
  return new Intl.DateTimeFormat(getLang() === "en" ? "en-GB" : "sv-SE", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone,
  }).format(new Date(iso));
}

function time(iso, timeZone) {
  return new Intl.DateTimeFormat(getLang() === "en" ? "en-GB" : "sv-SE", { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));
}

async function openPass(session, button) {
  button.disabled = true;
  try {
    const opened = await api("POST", "/api/facilitator/open", { pass_id: session.pass_id });
    // Signed in: the control panel takes its credential from the sign-in too, so that
    // ending the sign-in closes it at once (the link's credential would outlive it).
    location.assign(app.signedIn ? `/f?pass=${encodeURIComponent(session.pass_id)}` : opened.url);
  } catch (error) {
    button.disabled = false;
    const el = $("#alert");
    el.hidden = false;
    el.textContent = errorText(error, { time: time(session.opens_at, session.time_zone) });
  }
}

function render() {
  const data = app.data;
  if (!data) return;
  $("#hello").textContent = t("fp.hello", { name: data.name });
  $("#none").hidden = data.sessions.length > 0;
  $("#table").hidden = data.sessions.length === 0;
  const now = Date.now();
  fill($("#sessions"), data.sessions.map((s) => {
    const at = when(s.starts_at, s.time_zone);
    const title = pick(s.class_title);
    const canOpen = s.state === "open" || Date.parse(s.opens_at) <= now;
    const button = h("button", { type: "button", class: `btn btn-small${canOpen ? " btn-primary" : ""}`,
      "aria-label": t("fp.open.label", { class: title, when: at }) }, t(s.state === "open" ? "fp.enter" : "fp.open"));
    button.addEventListener("click", () => openPass(s, button));
    return h("tr", { dataset: { pass: s.pass_id } },
      h("th", { scope: "row" }, h("time", { datetime: s.starts_at, text: at }),
        s.state === "open" ? h("span", { class: "badge badge-ok", text: ` ${t("fp.state.open")}` }) : null),
      h("td", { text: title }),
      h("td", { text: s.program }),
      h("td", {}, t("fp.enrolled", { n: s.enrolled, capacity: s.capacity }),
        s.waiting ? h("span", { class: "hint", text: ` · ${t("fp.waiting", { n: s.waiting })}` }) : null),
      h("td", {}, button, canOpen ? null : h("p", { class: "hint", text: t("fp.opens", { time: time(s.opens_at, s.time_zone) }) })));
  }));
}

async function load() {
  try {
    app.data = await api("GET", "/api/facilitator/sessions");
    $("#status").textContent = "";
    $("#content").hidden = false;
    render();
  } catch (error) {
    $("#status").textContent = "";
    const el = $("#alert");
    el.hidden = false;
    el.textContent = errorText(error);
  }
}

onLangChange(render);

async function start() {
  if (!credential) {
    credential = await offeredCredential(["facilitator-home"], $("#signin-go"));
    app.signedIn = Boolean(credential);
  }
  $("#status").textContent = "";
  if (credential) {
    load();
    setInterval(load, REFRESH_MS);
  } else if (!$("#signin-go").hidden) {
    $("#signin").hidden = false;
  } else {
    $("#alert").hidden = false;
    $("#alert").textContent = errorText({ code: "missing_credential" });
  }
}

start();
