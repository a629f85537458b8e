// The participant's private journal: their check-ins, commitments and
// follow-ups across passes, newest first. Only they ever see it; the
// server sends it to nobody else.

import { $, h, fill } from "./dom.js";
import { t, tx, pick, getLang, errorKey, onLangChange } from "./i18n.js";
import { call } from "./connection.js";
import { EVENTS } from "./contract.js";

/** Newest first; entries with the same time keep the server's order. */
export function newestFirst(entries) {
  return (entries || []).map((e, i) => [e, i])
    .sort((a, b) => (Number(b[0].at) || 0) - (Number(a[0].at) || 0) || b[1] - a[1])
    .map(([e]) => e);
}

/** One entry's value in words: [i18n key, vars] pairs, one per line. */
export function entryLines(entry) {
  const v = entry.value || {};
  switch (entry.kind) {
    case "check-in": {
      const lines = [];
      if (v.energy != null) lines.push(["journal.energy", { n: v.energy }]);
      if (v.word) lines.push(["journal.word", { word: v.word }]);
      return lines;
    }
    case "commitment":
      return v.text ? [["journal.text", { text: v.text }]] : [];
    case "follow-up": {
      const lines = v.tried ? [["journal.tried", { answer: `answer.tried.${v.tried}` }]] : [];
      if (v.text) lines.push(["journal.text", { text: v.text }]);
      return lines;
    }
    default:
      return [];
  }
}

export function formatDate(epochSeconds, lang = getLang()) {
  const date = new Date(Number(epochSeconds) * 1000);
  return date.toLocaleString(lang === "sv" ? "sv-SE" : "en-GB",
    { year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function lineText([key, vars]) {
  // A follow-up's yes/partly/no is itself a string key.
  const filled = vars.answer ? { ...vars, answer: t(vars.answer) } : vars;
  return t(key, filled);
}

/** The journal dialog (#journal) opened by #journal-open, over the participant socket. */
export class Journal {
  constructor(socket) {
    this.socket = socket;
    this.entries = null;
    this.dialog = $("#journal");
    this.list = $("#journal-list");
    this.status = $("#journal-status");
    $("#journal-open").addEventListener("click", () => this.open());
    $("#journal-close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => $("#journal-open").focus());
    onLangChange(() => this.render());
  }

  async open() {
    this.entries = null;
    this.say("journal.loading");
    fill(this.list);
    this.dialog.showModal();
    try {
      const ack = await call(this.socket, EVENTS.JOURNAL, {});
      this.entries = newestFirst(ack.entries);
      this.render();
    } catch (error) {
      this.say(errorKey(error));
    }
  }

  say(key, vars = {}) {
    this.status.textContent = key ? t(key, vars) : "";
    if (key) {
      this.status.dataset.i18n = key;
      this.status.dataset.i18nVars = JSON.stringify(vars);
    } else {
      delete this.status.dataset.i18n;
    }
  }

  render() {
    if (!this.entries) return;
    this.say(this.entries.length ? null : "journal.empty");
    this.list.dataset.count = String(this.entries.length);
    fill(this.list, this.entries.map((e) => h("li", { class: "journal-entry", dataset: { kind: e.kind, pass: e.pass, step: e.step } },
      h("p", { class: "journal-head" },
        h("span", { class: "badge", text: t(`journal.kind.${e.kind}`) }), " ",
        h("time", { datetime: new Date(Number(e.at) * 1000).toISOString(), text: formatDate(e.at) })),
      h("p", { class: "journal-class", text: pick(e.class) }),
      entryLines(e).map((line) => h("p", { class: "journal-value", text: lineText(line) })))));
  }
}

/** The "last time you decided to…" box above a follow-up form. */
export function followUpBox(el, followUp) {
  if (!followUp) {
    el.hidden = true;
    return;
  }
  const c = followUp.commitment;
  el.hidden = false;
  el.dataset.has = String(!!c);
  if (!c) {
    fill(el, h("p", { class: "follow-up-none", ...tx("follow.none") }));
    return;
  }
  fill(el,
    h("p", { class: "follow-up-label", ...tx("follow.last") }),
    h("blockquote", { class: "follow-up-text", text: (c.value && c.value.text) || "" }),
    h("p", { class: "hint" },
      h("span", tx("follow.from", { title: pick(c.class), date: c.at ? formatDate(c.at) : "" })), " ",
      h("span", tx("follow.private"))));
}
