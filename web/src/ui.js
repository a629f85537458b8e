// Pieces shared by the pages: the countdown, the connection status line
// and the cue banner.

import { h } from "./dom.js";
import { t, pick, onLangChange } from "./i18n.js";
import { remainingMs, formatMs } from "./clock.js";
import { onRetry, RETRYABLE } from "./connection.js";
import { EVENTS } from "./contract.js";

const TICK_MS = 200;

/**
 * A countdown bound to the server clock. The element shows m:ss and carries
 * the exact value for tests and assistive tech: data-remaining-ms (ms left,
 * empty without a deadline) computed at data-at-ms (local epoch ms).
 */
export class Countdown {
  constructor(el, clock, { labelEl = null } = {}) {
    this.el = el;
    this.clock = clock;
    this.labelEl = labelEl;
    this.countdown = null;
    this.labelKey = "timer.none";
    this.el.setAttribute("role", "timer");
    this.timer = setInterval(() => this.tick(), TICK_MS);
    onLangChange(() => this.tick());
  }

  /** countdown: {deadline, pausedAt} or null; labelKey names what it counts to. */
  set(countdown, labelKey) {
    this.countdown = countdown && countdown.deadline != null ? countdown : null;
    this.labelKey = labelKey;
    this.tick();
  }

  tick() {
    const atMs = Date.now();
    const ms = remainingMs(this.countdown, this.clock.now());
    const paused = !!(this.countdown && this.countdown.pausedAt != null);
    this.el.dataset.remainingMs = ms == null ? "" : String(ms);
    this.el.dataset.atMs = String(atMs);
    this.el.dataset.paused = String(paused);
    const text = ms == null ? "–:––" : formatMs(ms);
    if (this.el.textContent !== text) this.el.textContent = text;
    this.el.classList.toggle("up", ms === 0);
    this.el.classList.toggle("soon", ms != null && ms > 0 && ms <= 30_000);
    if (this.labelEl) {
      const key = ms == null ? "timer.none" : paused ? "timer.paused" : ms === 0 ? "timer.up" : this.labelKey;
      const label = t(key);
      if (this.labelEl.textContent !== label) this.labelEl.textContent = label;
    }
  }
}

/** Show a status line that follows language changes. */
export function showStatus(el, key, vars = {}) {
  el.textContent = t(key, vars);
  el.dataset.i18n = key;
  el.dataset.i18nVars = JSON.stringify(vars);
  el.dataset.state = key === "conn.nolink" ? "refused" : key.split(".")[1];
}

/** Keep #conn up to date with the socket's state. */
export function connectionStatus(el, socket, { onRefused = () => {} } = {}) {
  let key = "conn.connecting";
  let vars = {};
  const paint = () => showStatus(el, key, vars);
  socket.on("connect", () => {
    key = "conn.online";
    paint();
  });
  socket.io.on("reconnect_attempt", () => {
    key = "conn.offline";
    paint();
  });
  socket.on("disconnect", () => {
    key = "conn.offline";
    paint();
  });
  socket.on("connect_error", (error) => {
    const code = error && error.data && error.data.code;
    if (socket.active) {
      key = "conn.offline";
      vars = {};
    } else if (RETRYABLE.has(code)) {
      // connection.js tries again on its own; onRetry says when.
      key = `err.${code}`;
      vars = {};
    } else {
      // Refused by the server: the link is wrong, expired or the pass ended.
      const code = error && error.data && error.data.code;
      const known = code && t(`err.${code}`) !== `err.${code}`;
      key = known ? `err.${code}` : "conn.refused";
      vars = {};
      onRefused(code);
    }
    paint();
  });
  onRetry(socket, (ms) => {
    key = "conn.unavailable";
    vars = { seconds: Math.max(1, Math.round(ms / 1000)) };
    paint();
  });
  // Notices about the server itself: a restart (this page reconnects to
  // another worker), the live store or the media server away and back.
  socket.on(EVENTS.SERVICE, (notice) => {
    const code = notice && notice.code;
    if (code === "store_up" || code === "media_up") key = socket.connected ? "conn.online" : key;
    else if (code && t(`service.${code}`) !== `service.${code}`) key = `service.${code}`;
    vars = {};
    paint();
  });
  onLangChange(paint);
  paint();
}

/**
 * An alert in the catalogue's words: its code's text, filled from the alert's
 * own parameters (seconds, rooms; a coded reason translated), with the person
 * and the room as the page names them (`name`, `room`). Never the server's
 * message: a code the page has no text for reads as `other`.
 */
export function alertText(alert, { name, room, other = "alert.other" }) {
  const key = `alert.${alert.code}`;
  if (t(key) === key) return t(other);
  const reasonKey = `alert.reason.${alert.reason}`;
  const reason = alert.reason && t(reasonKey) !== reasonKey ? t(reasonKey) : t("alert.reason.unknown");
  return t(key, { ...alert, message: "", name, room, reason });
}

/** A dismissable banner for cues; role=alert so it is announced. */
export class CueBanner {
  constructor(el) {
    this.el = el;
    this.hideTimer = null;
    this.text = h("p", { class: "cue-text" });
    this.close = h("button", { type: "button", class: "btn btn-small cue-close", dataset: { i18nLabel: "cue.close" }, "aria-label": t("cue.close") }, "×");
    this.close.addEventListener("click", () => this.hide());
    el.replaceChildren(this.text, this.close);
    el.hidden = true;
  }

  show(text, kind) {
    this.text.textContent = text;
    this.el.dataset.kind = kind;
    this.el.hidden = false;
    clearTimeout(this.hideTimer);
    this.hideTimer = setTimeout(() => this.hide(), 12_000);
  }

  hide() {
    this.el.hidden = true;
  }
}

const NOTICE_CODES = ["invalid_credential", "missing_credential", "expired_credential", "wrong_role", "pass_ended"];

/**
 * A full-page message instead of the page (a broken, expired, wrong-role or
 * ended link): what happened and what to do, and no controls (CSS hides the
 * rest of the page while body[data-screen=notice]).
 */
export function showNotice(code, role) {
  const known = NOTICE_CODES.includes(code) ? code : "refused";
  document.body.dataset.screen = "notice";
  document.body.dataset.notice = known;
  const el = document.getElementById("notice");
  const say = (id, key) => {
    const target = document.getElementById(id);
    target.dataset.i18n = key;
    target.textContent = t(key);
  };
  say("notice-title", `notice.title.${known}`);
  say("notice-text", known === "refused" ? "conn.refused" : known === "pass_ended" ? "notice.thanks" : `err.${known}`);
  say("notice-todo", known === "pass_ended" ? "notice.todo.ended" : `notice.todo.${role}`);
  el.hidden = false;
  el.setAttribute("role", "alert");
}

/** A cue's words from the catalogue by its kind (a server text only for a kind the page does not know). */
export function cueText(cue) {
  const key = `cue.${cue.kind}`;
  const text = t(key, cue.params || {});
  return text === key ? pick(cue.text) : text;
}
