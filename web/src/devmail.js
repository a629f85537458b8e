// The dev-only mailbox: every mail `onlive dev` would have sent, newest first,
// with its links made clickable and its attachments downloadable. Only served
// while onlive dev is its own mail server (no ONLIVE_SMTP_URL).

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill } from "./dom.js";
import { t, tx, setupLanguage, onLangChange } from "./i18n.js";

setupLanguage();
let mails = [];

/** The text with http(s) links as anchors (everything else stays text). */
export function linkify(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    parts.push(text.slice(last, match.index));
    parts.push(h("a", { href: match[0], text: match[0] }));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function render() {
  $("#none").hidden = mails.length > 0;
  fill($("#mails"), mails.map((m) => h("li", { class: "panel mail", dataset: { id: String(m.id), kind: m.kind || "", lang: m.language || "" } },
    h("h2", { class: "mail-subject", text: m.subject }),
    h("p", { class: "hint" }, h("span", tx("dev.mail.to", { to: m.to.join(", ") })), ` · ${new Date(m.at * 1000).toLocaleString()}`),
    h("pre", { class: "mail-body", lang: m.language || null }, linkify(m.text)),
    m.attachments.map((a) => h("p", {}, h("a", { href: a.url, download: a.filename, ...tx("dev.mail.attachment", { name: a.filename }) }))))));
}

async function load() {
  try {
    const response = await fetch("/dev/mail.json");
    if (response.ok) {
      mails = (await response.json()).mails;
      render();
    }
  } catch {
    /* the dev server stopped: keep what is shown */
  }
}

onLangChange(render);
load();
setInterval(load, 3000);
