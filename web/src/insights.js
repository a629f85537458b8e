// The leadership insights page: per program, class and question, what
// participants answered to steps meant for leadership, k-anonymously. The
// server decides what may be shown; a hidden slice carries no figure and no
// text, and the page says only that it is hidden. The CSV export writes
// exactly what the page shows. Reached from `onlive leadership-link`.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill } from "./dom.js";
import { t, pick, setupLanguage, onLangChange } from "./i18n.js";
import { staffCredential } from "./signon.js";
import { apiFor, csvCell, download, readCredential, refusalKey, say } from "./staffpage.js";
import { bars } from "./results.js";

setupLanguage();
// Without a link, the single sign-on session gives the credential (or sends to sign-in).
const api = apiFor(readCredential("onlive.leadership.credential") || staffCredential("leadership"));
const app = { programs: [], program: null, page: null, filters: { department: "", site: "", level: "" } };

function fail(error) {
  say(refusalKey(error), {}, "error");
  if (error.status === 401) $("#content").hidden = true;
}

/** A distribution's label: a poll's option, an energy or scale value, a follow-up answer. */
function valueLabel(q, key) {
  if (q.kind === "poll") return q.options[Number(key)] ? pick(q.options[Number(key)]) : t("gym.ins.option", { n: Number(key) + 1 });
  if (q.kind === "follow-up") return t(`ins.tried.${key}`);
  return key;
}

/** A question's title in words: from its class, else what kind of question it was. */
function questionTitle(q) {
  if (q.title) return pick(q.title);
  const kind = `cls.kind.${q.kind}`;
  return t("gym.ins.gone", { kind: t(kind) !== kind ? t(kind) : t("gym.ins.question") });
}

const classTitle = (q) => (q.class_title ? pick(q.class_title) : t("gym.ins.class.gone"));

/** What the page shows, as rows: [class, question, what, value, count]. */
function shownRows() {
  const rows = [];
  for (const q of app.page.questions) {
    const base = [classTitle(q), questionTitle(q)];
    if (q.hidden) {
      rows.push([...base, t("ins.csv.hidden"), "", ""]);
      continue;
    }
    rows.push([...base, t("ins.csv.people"), "", q.people]);
    for (const [key, n] of Object.entries(q.distribution)) rows.push([...base, t("ins.csv.answer"), valueLabel(q, key), n]);
    for (const th of q.themes) rows.push([...base, t("ins.csv.theme"), th.word, th.count]);
    for (const text of q.texts) rows.push([...base, t("ins.csv.text"), text, ""]);
  }
  return rows;
}

function options(select, values, chosen, label) {
  fill(select, h("option", { value: "", text: t("ins.all") }),
    values.map((v) => h("option", { value: v, selected: v === chosen, text: label ? label(v) : v })));
}

function question(q) {
  const head = [h("h3", { text: questionTitle(q) }), h("p", { class: "hint", text: t("ins.class", { name: classTitle(q) }) }),
    q.prompt ? h("p", { class: "step-prompt", text: pick(q.prompt) }) : null];
  if (q.hidden) {
    return h("section", { class: "panel question", dataset: { step: q.step, hidden: "true" } }, head,
      h("p", { class: "notice", text: t("ins.hidden", { k: app.page.program.anonymity_k }) }));
  }
  return h("section", { class: "panel question", dataset: { step: q.step, hidden: "false" } }, head,
    h("p", { class: "results-count", text: t("ins.people", { n: q.people }) }),
    Object.keys(q.distribution).length ? [h("h4", { text: t("ins.distribution") }),
      bars(Object.entries(q.distribution).map(([key, n]) => [valueLabel(q, key), n]))] : null,
    q.themes.length ? [h("h4", { text: t("ins.themes") }),
      h("ul", { class: "words" }, q.themes.map((th) => h("li", { text: t("ins.theme", { word: th.word, n: th.count }) })))] : null,
    q.texts.length ? [h("h4", { text: t("ins.texts") }), h("p", { class: "hint", text: t("ins.texts.hint") }),
      h("ul", { class: "texts" }, q.texts.map((text) => h("li", { text })))] : null);
}

function render() {
  const page = app.page;
  if (!page) return;
  const top = page.top;
  $("#top-line").textContent = t("admin.top.line", { trained: top.trained, top: top.top });
  $("#top-warning").hidden = !top.warning;
  $("#top-warning").textContent = t("admin.top.warning", { percent: top.percent, threshold: top.threshold_percent });
  $("#k-hint").textContent = t("ins.khint", { k: page.program.anonymity_k });
  fill($("#f-program"), app.programs.map((p) => h("option", { value: p.id, selected: p.id === app.program, text: p.name })));
  options($("#f-department"), page.filters.departments, app.filters.department);
  options($("#f-site"), page.filters.sites, app.filters.site);
  options($("#f-level"), page.filters.levels, app.filters.level, (v) => t(`level.${v}`));
  $("#none").hidden = page.questions.length > 0;
  fill($("#questions"), page.questions.map(question));
}

async function load() {
  if (!app.program) {
    app.programs = (await api("GET", "/api/insights")).programs;
    app.program = app.programs[0]?.id || null;
  }
  if (!app.program) {
    $("#content").hidden = false;
    say("ins.noprograms");
    return;
  }
  const query = new URLSearchParams(Object.entries(app.filters).filter(([, v]) => v));
  app.page = await api("GET", `/api/insights/${app.program}?${query}`);
  $("#content").hidden = false;
  say(null);
  render();
}

$("#filters").addEventListener("change", async (event) => {
  if (event.target.id === "f-program") {
    app.program = event.target.value;
    app.filters = { department: "", site: "", level: "" };
  } else {
    app.filters = { department: $("#f-department").value, site: $("#f-site").value, level: $("#f-level").value };
  }
  try {
    await load();
  } catch (e) {
    fail(e);
  }
});

$("#export").addEventListener("click", () => {
  if (!app.page) return;
  const f = app.filters;
  const head = [[t("ins.csv.program"), app.page.program.name], [t("admin.dash.department"), f.department || t("ins.all")],
    [t("admin.dash.site"), f.site || t("ins.all")], [t("admin.dash.level"), f.level ? t(`level.${f.level}`) : t("ins.all")], [],
    [t("ins.csv.class"), t("ins.csv.question"), t("ins.csv.what"), t("ins.csv.value"), t("ins.csv.count")]];
  const text = [...head, ...shownRows()].map((r) => r.map(csvCell).join(",")).join("\r\n");
  download(`onlive-insikter-${app.program}.csv`, `${text}\r\n`);
});

onLangChange(render);
load().catch(fail);
