// The class page: the organisation's class library, for its admins and facilitators.
// A class is edited as a draft (texts in Swedish and English, durations in minutes,
// steps in order) and checked by the server exactly as a class file is; every
// problem comes back as a field path and a code, shown translated beside its field.
// Saving makes a new version; sessions already scheduled keep theirs.

import "./norecord.js"; // first: before any library is evaluated
import { $, h, fill, uid } from "./dom.js";
import { t, pick, setupLanguage, onLangChange } from "./i18n.js";
import { readCredential } from "./connection.js";
import { offeredCredential } from "./signon.js";

const KINDS_ANSWERED = new Set(["check-in", "reflection", "check-out", "scale", "poll", "word-cloud", "commitment", "follow-up"]);
const VISIBILITIES = ["private", "group", "plenary", "leadership"];
const app = { catalogue: null, exercises: [], editing: null, problems: [], dirty: false, preview: false };

setupLanguage();
/** An admin who opened the admin page in this tab comes here with its credential. */
function adminCredential() {
  try {
    return sessionStorage.getItem("onlive.admin.credential");
  } catch {
    return null;
  }
}
let credential = readCredential("credential", "staff") || adminCredential();

async function api(method, path, body, raw) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${credential || ""}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: raw !== undefined ? raw : body ? JSON.stringify(body) : undefined,
  });
  const type = response.headers.get("Content-Type") || "";
  if (!type.startsWith("application/json")) {
    if (!response.ok) throw Object.assign(new Error("failed"), { code: "other" });
    return response;
  }
  const data = await response.json();
  if (!data.ok) throw Object.assign(new Error("refused"), { code: data.error.code, problems: data.problems || null });
  return data;
}

function errorText(error) {
  const own = `cls.err.${error.code}`;
  if (t(own) !== own) return t(own);
  const shared = `err.${error.code}`;
  return t(shared) !== shared ? t(shared) : t("cls.err.other");
}

function say(el, key, vars = {}) {
  el.textContent = key ? t(key, vars) : "";
}

function alertError(error) {
  const el = $("#alert");
  el.hidden = false;
  el.textContent = errorText(error);
}

// -- problems, translated -----------------------------------------------------------------

const minutes = (seconds) => String(Math.round((Number(seconds) / 60) * 100) / 100);

export function problemText(problem) {
  const vars = { ...problem.params };
  for (const [key, value] of Object.entries(problem.params || {})) {
    if (key.endsWith("seconds")) vars[`${key}_min`] = minutes(value);
  }
  if (vars.language) vars.language = t(`cls.lang.${vars.language}`);
  const key = `cls.p.${problem.code}`;
  return t(key) === key ? t("cls.p.invalid") : t(key, vars);
}

/** The element a problem belongs beside: its field, else the nearest enclosing one. */
function fieldOf(path) {
  let current = path;
  while (current) {
    const el = document.querySelector(`[data-field="${CSS.escape(current)}"]`);
    if (el) return el;
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    if (cut <= 0) break;
    current = current.slice(0, cut);
  }
  return null;
}

function showProblems(problems) {
  app.problems = problems;
  for (const el of document.querySelectorAll("[data-error-for]")) {
    el.textContent = "";
    el.hidden = true;
  }
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const loose = [];
  for (const problem of problems) {
    const field = fieldOf(problem.field);
    const holder = field && (field.matches("[data-error-for]") ? field
      : document.querySelector(`[data-error-for="${CSS.escape(field.dataset.field)}"]`));
    if (!holder) {
      loose.push(problem);
      continue;
    }
    holder.hidden = false;
    holder.textContent = holder.textContent ? `${holder.textContent} ${problemText(problem)}` : problemText(problem);
    if (field.matches("input, textarea, select")) field.setAttribute("aria-invalid", "true");
  }
  const summary = $("#summary");
  summary.hidden = problems.length === 0;
  fill(summary, problems.length ? h("p", { text: t("cls.invalid", { n: problems.length }) }) : null,
    loose.length ? h("ul", {}, loose.map((p) => h("li", { text: problemText(p) }))) : null);
}

// -- the library -----------------------------------------------------------------------------

async function loadLibrary() {
  try {
    const [catalogue, exercises] = await Promise.all([api("GET", "/api/classes"), api("GET", "/api/classes/exercises")]);
    app.catalogue = catalogue;
    app.exercises = exercises.exercises;
    $("#status").textContent = "";
    $("#library").hidden = false;
    renderLibrary();
  } catch (error) {
    $("#status").textContent = "";
    alertError(error);
  }
}

function actionButton(key, title, onclick) {
  return h("button", { type: "button", class: "btn btn-small", "aria-label": `${t(key)}: ${title}`, onclick }, t(key));
}

/** The way back to the role's own page: the admin's, or the facilitator's passes. */
function renderNav() {
  const home = $("#nav-home");
  const role = app.catalogue && app.catalogue.role;
  home.hidden = !role;
  if (!role) return;
  home.href = role === "admin" ? "/admin" : "/passes";
  home.dataset.i18n = role === "admin" ? "gym.nav.admin" : "gym.nav.passes";
  home.textContent = t(home.dataset.i18n);
}

function renderLibrary() {
  renderNav();
  const own = app.catalogue.classes;
  $("#own-none").hidden = own.length > 0;
  $("#own-table").hidden = own.length === 0;
  fill($("#own"), own.map((c) => h("tr", { dataset: { classId: c.class_id } },
    h("th", { scope: "row" }, pick(c.title), c.copied_from ? h("span", { class: "hint", text: ` (${t("cls.copied", { id: c.copied_from })})` }) : null),
    h("td", { text: t("cls.version", { n: c.version }) }),
    h("td", { text: String(c.minutes) }),
    h("td", { text: String(c.upcoming_sessions) }),
    h("td", { class: "button-row" },
      actionButton("cls.edit", pick(c.title), () => openClass(c.class_id, "edit")),
      actionButton("cls.copy", pick(c.title), () => openClass(c.class_id, "copy")),
      actionButton("cls.export", pick(c.title), () => exportClass(c.class_id))))));
  fill($("#builtin"), app.catalogue.built_in.map((c) => h("tr", { dataset: { classId: c.class_id } },
    h("th", { scope: "row", text: pick(c.title) }),
    h("td", { text: String(c.minutes) }),
    h("td", { class: "button-row" },
      actionButton("cls.open", pick(c.title), () => openClass(c.class_id, "edit")),
      actionButton("cls.copy", pick(c.title), () => openClass(c.class_id, "copy"))))));
}

async function exportClass(classId, version = null) {
  try {
    const query = version ? `?version=${version}` : "";
    const response = await api("GET", `/api/classes/${encodeURIComponent(classId)}/yaml${query}`);
    const blob = await response.blob();
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || `${classId}.yaml`;
    const link = h("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
    document.body.append(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  } catch (error) {
    alertError(error);
  }
}

async function importFile(file) {
  const status = $("#import-status");
  fill($("#import-problems"));
  try {
    const saved = await api("POST", "/api/classes/import", null, await file.text());
    say(status, "cls.import.done", { id: saved.class_id, n: saved.version });
    await loadLibrary();
  } catch (error) {
    if (error.problems) {
      say(status, "cls.import.bad");
      fill($("#import-problems"), error.problems.map((p) => h("li", {
        text: p.line ? t("cls.problem.line", { line: p.line, field: p.field || "–", text: problemText(p) })
          : t("cls.problem.noline", { field: p.field || "–", text: problemText(p) }) })));
    } else {
      status.textContent = errorText(error);
    }
  }
}

// -- the editor ----------------------------------------------------------------------------

async function openClass(classId, mode) {
  try {
    const opened = await api("GET", `/api/classes/${encodeURIComponent(classId)}`);
    const draft = opened.draft;
    if (mode === "copy") {
      draft.id = `${draft.id}-2`.slice(0, 64);
      startEditing(draft, { mode, basedOn: null, copiedFrom: classId, history: [], title: draft.title });
    } else {
      startEditing(draft, { mode: opened.based_on ? "edit" : "builtin", basedOn: opened.based_on, copiedFrom: null,
        history: opened.history, title: draft.title });
    }
  } catch (error) {
    alertError(error);
  }
}

function newClass() {
  startEditing({ id: "", title: { sv: "", en: "" }, description: { sv: "", en: "" }, minutes: 45, tags: [], parameters: {}, steps: [] },
    { mode: "new", basedOn: null, copiedFrom: null, history: [], title: null });
}

function startEditing(draft, meta) {
  app.editing = { draft, ...meta };
  app.dirty = false;
  $("#library").hidden = true;
  $("#editor").hidden = false;
  $("#alert").hidden = true;
  say($("#editor-status"), null);
  renderEditor();
  showProblems([]);
  $("#editor-heading").focus();
}

function heading() {
  const e = app.editing;
  if (e.mode === "new") return t("cls.editor.new");
  if (e.mode === "copy") return t("cls.editor.copy", { title: pick(e.title) });
  if (e.mode === "builtin") return t("cls.editor.builtin", { title: pick(e.title) });
  return t("cls.editor.edit", { title: pick(e.title), n: e.basedOn });
}

/** A labelled input bound to `obj[key]`; `path` is the class-file field it becomes. */
function input(labelKey, obj, key, path, { type = "text", multiline = false, labelVars = {}, min = null, step = null, langCode = null } = {}) {
  const id = uid("f");
  const errId = `${id}-err`;
  const props = { id, "aria-describedby": errId, dataset: { field: path }, lang: langCode || null,
    oninput: (event) => {
      const el = event.target;
      obj[key] = type === "number" ? (el.value === "" ? null : Number(el.value)) : type === "checkbox" ? el.checked : el.value;
      app.dirty = true;
      if (key === "title" || path.endsWith(".title.sv") || path.endsWith(".title.en")) refreshHeadings();
      if (key === "minutes" || key === "turn_minutes") renderTotal();
      if (app.preview) renderPreview();
    } };
  let control;
  if (multiline) control = h("textarea", { ...props, rows: 3 });
  else if (type === "checkbox") control = h("input", { ...props, type: "checkbox", checked: !!obj[key] });
  else control = h("input", { ...props, type, min, step, inputmode: type === "number" ? "decimal" : null });
  if (type !== "checkbox") control.value = obj[key] ?? "";
  return h("div", { class: "field" }, h("label", { for: id, text: t(labelKey, labelVars) }), control,
    h("p", { id: errId, class: "error", dataset: { errorFor: path }, hidden: true }));
}

function bilingual(labelKey, obj, key, path, opts = {}) {
  if (!obj[key] || typeof obj[key] !== "object") obj[key] = { sv: "", en: "" };
  return h("fieldset", { class: "inline-field", dataset: { field: path } },
    h("legend", { text: t(labelKey, opts.labelVars || {}) }),
    input("cls.field.sv", obj[key], "sv", `${path}.sv`, { ...opts, labelVars: {}, langCode: "sv" }),
    input("cls.field.en", obj[key], "en", `${path}.en`, { ...opts, labelVars: {}, langCode: "en" }),
    h("p", { class: "error", dataset: { errorFor: path }, hidden: true }));
}

function select(labelKey, obj, key, path, options) {
  const id = uid("f");
  const control = h("select", { id, "aria-describedby": `${id}-err`, dataset: { field: path },
    onchange: (event) => { obj[key] = /^\d+$/.test(event.target.value) ? Number(event.target.value) : event.target.value; app.dirty = true; if (app.preview) renderPreview(); } },
    options.map(([value, text]) => h("option", { value: String(value), selected: String(obj[key]) === String(value) }, text)));
  return h("div", { class: "field" }, h("label", { for: id, text: t(labelKey) }), control,
    h("p", { id: `${id}-err`, class: "error", dataset: { errorFor: path }, hidden: true }));
}

function exerciseTitle(use) {
  const found = app.exercises.find((e) => e.step.use === use);
  return found ? pick(found.step.title) : use;
}

function stepTitle(step, index) {
  return pick(step.title) || step.id || t("cls.step.heading", { n: index + 1, title: "" });
}

function renderStep(step, i, count) {
  const path = `steps[${i}]`;
  const title = stepTitle(step, i);
  const headingId = uid("step");
  const parts = [
    h("div", { class: "button-row" },
      h("button", { type: "button", class: "btn btn-small", disabled: i === 0, dataset: { move: "up" },
        "aria-label": t("cls.step.up.label", { n: i + 1, title }), onclick: () => moveStep(i, -1, "up") }, t("cls.step.up")),
      h("button", { type: "button", class: "btn btn-small", disabled: i === count - 1, dataset: { move: "down" },
        "aria-label": t("cls.step.down.label", { n: i + 1, title }), onclick: () => moveStep(i, 1, "down") }, t("cls.step.down")),
      h("button", { type: "button", class: "btn btn-small btn-danger", dataset: { move: "remove" },
        "aria-label": t("cls.step.remove.label", { n: i + 1, title }), onclick: () => removeStep(i) }, t("cls.step.remove"))),
    h("p", { class: "hint" }, t("cls.step.kind", { kind: t(`cls.kind.${step.kind}`) }),
      step.use ? ` · ${t("cls.step.from", { title: exerciseTitle(step.use) })}` : ""),
    h("p", { class: "error", dataset: { errorFor: path }, hidden: true }),
    input("cls.field.step.id", step, "id", `${path}.id`),
    bilingual("cls.field.title", step, "title", `${path}.title`),
    bilingual("cls.field.prompt", step, "prompt", `${path}.prompt`, { multiline: true }),
    input(step.kind === "breakout" ? "cls.field.breakout.minutes" : "cls.field.step.minutes", step, "minutes", `${path}.duration`,
      { type: "number", min: 0, step: "any" }),
  ];
  if (KINDS_ANSWERED.has(step.kind)) {
    const allowed = step.kind === "commitment" ? ["private"] : VISIBILITIES;
    parts.push(select("cls.field.visibility", step, "visibility", `${path}.visibility`, allowed.map((v) => [v, t(`cls.vis.${v}`)])));
  }
  if (step.kind === "breakout") parts.push(...breakoutFields(step, path));
  if (step.kind === "poll") parts.push(...pollFields(step, path));
  if (step.kind === "scale") {
    parts.push(input("cls.field.scale.min", step, "scale_min", `${path}.scale_min`, { type: "number", step: 1 }),
      input("cls.field.scale.max", step, "scale_max", `${path}.scale_max`, { type: "number", step: 1 }));
  }
  if (step.kind === "word-cloud") parts.push(input("cls.field.words", step, "max_words", `${path}.max_words`, { type: "number", min: 1, step: 1 }));
  return h("li", { dataset: { step: String(i), stepId: step.id } },
    h("fieldset", { class: "panel", dataset: { field: path }, "aria-labelledby": headingId },
      h("legend", { id: headingId, class: "step-title", dataset: { stepHeading: String(i) }, text: t("cls.step.heading", { n: i + 1, title }) }),
      ...parts));
}

function breakoutFields(step, path) {
  step.roles = step.roles || [];
  const roles = step.roles.map((role, r) => h("fieldset", { class: "panel", dataset: { field: `${path}.roles[${r}]` } },
    h("legend", { text: t("cls.field.role", { n: r + 1 }) }),
    input("cls.field.role.id", role, "id", `${path}.roles[${r}].id`),
    bilingual("cls.field.role.name", role, "name", `${path}.roles[${r}].name`),
    bilingual("cls.field.prompt", role, "prompt", `${path}.roles[${r}].prompt`, { multiline: true }),
    h("button", { type: "button", class: "btn btn-small", onclick: () => { step.roles.splice(r, 1); changed(); } },
      t("cls.role.remove", { n: r + 1 }))));
  const out = [
    select("cls.field.group", step, "group_size", `${path}.group_size`, [[2, "2"], [3, "3"], [4, "4"]]),
    h("fieldset", { dataset: { field: `${path}.roles` } }, h("legend", { text: t("cls.field.roles") }),
      h("p", { class: "error", dataset: { errorFor: `${path}.roles` }, hidden: true }), ...roles,
      h("button", { type: "button", class: "btn btn-small", onclick: () => {
        step.roles.push({ id: `role-${step.roles.length + 1}`, name: { sv: "", en: "" }, prompt: { sv: "", en: "" } });
        if (!step.turn_minutes) step.turn_minutes = 1;
        changed();
      } }, t("cls.role.add"))),
  ];
  if (step.roles.length) out.push(input("cls.field.turn", step, "turn_minutes", `${path}.turn_duration`, { type: "number", min: 1, step: "any" }));
  if (step.roles.length && step.extra_role) {
    out.push(h("fieldset", { class: "panel", dataset: { field: `${path}.extra_role` } }, h("legend", { text: t("cls.field.extra") }),
      input("cls.field.role.id", step.extra_role, "id", `${path}.extra_role.id`),
      bilingual("cls.field.role.name", step.extra_role, "name", `${path}.extra_role.name`),
      bilingual("cls.field.prompt", step.extra_role, "prompt", `${path}.extra_role.prompt`, { multiline: true })));
  }
  return out;
}

function pollFields(step, path) {
  step.options = step.options || [];
  return [h("fieldset", { dataset: { field: `${path}.options` } }, h("legend", { text: t("cls.field.options") }),
    h("p", { class: "error", dataset: { errorFor: `${path}.options` }, hidden: true }),
    ...step.options.map((option, o) => h("div", {}, bilingual("cls.field.option", step.options, o, `${path}.options[${o}]`, { labelVars: { n: o + 1 } }),
      h("button", { type: "button", class: "btn btn-small", onclick: () => { step.options.splice(o, 1); changed(); } }, t("cls.option.remove", { n: o + 1 })))),
    h("button", { type: "button", class: "btn btn-small", onclick: () => { step.options.push({ sv: "", en: "" }); changed(); } }, t("cls.option.add"))),
  input("cls.field.multiple", step, "multiple", `${path}.multiple`, { type: "checkbox" })];
}

function changed() {
  app.dirty = true;
  renderEditor();
  showProblems(app.problems.filter(() => false));
}

function renderEditor() {
  const e = app.editing;
  const d = e.draft;
  $("#editor-heading").textContent = heading();
  const latest = e.history && e.history[0];
  $("#editor-upcoming").textContent = latest && latest.upcoming_sessions ? t("cls.editor.upcoming", { n: latest.upcoming_sessions, v: latest.version }) : "";
  $("#export").hidden = !e.basedOn;
  const idField = input("cls.field.id", d, "id", "id");
  if (e.mode === "edit" || e.mode === "builtin") idField.querySelector("input").readOnly = true;
  fill($("#class-fields"), idField,
    bilingual("cls.field.title", d, "title", "title"),
    bilingual("cls.field.description", d, "description", "description", { multiline: true }),
    input("cls.field.minutes", d, "minutes", "duration", { type: "number", min: 10, step: "any" }),
    h("p", { class: "error", dataset: { errorFor: "steps" }, hidden: true }));
  $("#steps-none").hidden = d.steps.length > 0;
  fill($("#steps"), d.steps.map((step, i) => renderStep(step, i, d.steps.length)));
  fill($("#add-exercise"), app.exercises.map((ex) => h("option", { value: ex.step.use },
    `${pick(ex.step.title)} – ${t(`cls.kind.${ex.step.kind}`)}, ${ex.step.minutes} min`)));
  renderTotal();
  if (app.preview) renderPreview();
}

function refreshHeadings() {
  const d = app.editing.draft;
  for (const legend of document.querySelectorAll("[data-step-heading]")) {
    const i = Number(legend.dataset.stepHeading);
    legend.textContent = t("cls.step.heading", { n: i + 1, title: stepTitle(d.steps[i], i) });
  }
}

function renderTotal() {
  const d = app.editing.draft;
  const steps = d.steps.reduce((sum, s) => sum + (Number(s.minutes) || 0), 0);
  $("#total").textContent = t("cls.total", { steps: Math.round(steps * 100) / 100, total: d.minutes ?? "–" });
}

function moveStep(i, delta, which) {
  const steps = app.editing.draft.steps;
  const j = i + delta;
  if (j < 0 || j >= steps.length) return;
  [steps[i], steps[j]] = [steps[j], steps[i]];
  app.dirty = true;
  renderEditor();
  showProblems([]);
  $("#steps-live").textContent = t("cls.step.moved", { title: stepTitle(steps[j], j), n: j + 1 });
  // Keep the keyboard where it was: on the same button of the moved step, or its neighbour.
  const li = document.querySelector(`#steps li[data-step="${j}"]`);
  const same = li.querySelector(`[data-move="${which}"]`);
  (same.disabled ? li.querySelector(`[data-move="${which === "up" ? "down" : "up"}"]`) : same).focus();
}

function removeStep(i) {
  const steps = app.editing.draft.steps;
  const [gone] = steps.splice(i, 1);
  app.dirty = true;
  renderEditor();
  showProblems([]);
  $("#steps-live").textContent = t("cls.step.removed", { title: stepTitle(gone, i) });
  const next = document.querySelector(`#steps li[data-step="${Math.min(i, steps.length - 1)}"] [data-move="remove"]`);
  (next || $("#add-exercise")).focus();
}

function addStep() {
  const chosen = app.exercises.find((e) => e.step.use === $("#add-exercise").value);
  if (!chosen) return;
  const steps = app.editing.draft.steps;
  const step = structuredClone(chosen.step);
  const taken = new Set(steps.map((s) => s.id));
  let id = step.id;
  for (let n = 2; taken.has(id); n += 1) id = `${step.id}-${n}`;
  step.id = id;
  steps.push(step);
  app.dirty = true;
  renderEditor();
  showProblems([]);
  $("#steps-live").textContent = t("cls.step.added", { title: pick(step.title), n: steps.length });
}

function renderPreview() {
  const d = app.editing.draft;
  fill($("#preview-body"),
    h("h4", { text: pick(d.title) }), h("p", { text: pick(d.description) }),
    h("ol", { class: "outline" }, d.steps.map((s) => h("li", {},
      h("strong", { text: pick(s.title) }), s.minutes ? ` (${t("cls.preview.minutes", { n: s.minutes })})` : "",
      h("p", { class: "step-prompt", text: pick(s.prompt) }),
      s.roles && s.roles.length ? h("ul", {}, s.roles.map((r) => h("li", { text: `${pick(r.name)}: ${pick(r.prompt)}` }))) : null,
      s.options && s.options.length ? h("ul", {}, s.options.map((o) => h("li", { text: pick(o) }))) : null))));
}

async function check() {
  try {
    const result = await api("POST", "/api/classes/check", { draft: app.editing.draft, based_on: app.editing.basedOn });
    showProblems(result.problems);
    say($("#editor-status"), result.valid ? "cls.valid" : "cls.invalid", { n: result.problems.length });
    return result.valid;
  } catch (error) {
    $("#editor-status").textContent = errorText(error);
    return false;
  }
}

async function save(event) {
  event.preventDefault();
  const e = app.editing;
  try {
    const saved = await api("POST", "/api/classes/save", { draft: e.draft, based_on: e.basedOn, copied_from: e.copiedFrom });
    showProblems([]);
    app.dirty = false;
    const opened = await api("GET", `/api/classes/${encodeURIComponent(saved.class_id)}`);
    Object.assign(e, { mode: "edit", basedOn: opened.based_on, copiedFrom: null, history: opened.history,
      draft: opened.draft, title: opened.draft.title });
    renderEditor();
    say($("#editor-status"), saved.changed ? "cls.saved" : "cls.unchanged", { n: saved.version });
    const catalogue = await api("GET", "/api/classes");
    app.catalogue = catalogue;
    renderLibrary();
  } catch (error) {
    if (error.problems) {
      showProblems(error.problems);
      say($("#editor-status"), "cls.invalid", { n: error.problems.length });
      const first = document.querySelector("[aria-invalid='true']");
      if (first) first.focus();
    } else {
      $("#editor-status").textContent = errorText(error);
    }
  }
}

function closeEditor() {
  if (app.dirty && !window.confirm(t("cls.confirm.close"))) return;
  app.editing = null;
  $("#editor").hidden = true;
  $("#library").hidden = false;
  $("#new-class").focus();
}

function togglePreview() {
  app.preview = !app.preview;
  $("#preview").hidden = !app.preview;
  $("#preview-toggle").setAttribute("aria-expanded", String(app.preview));
  $("#preview-toggle").textContent = t(app.preview ? "cls.preview.hide" : "cls.preview");
  if (app.preview) renderPreview();
}

$("#new-class").addEventListener("click", newClass);
$("#import-file").addEventListener("change", (event) => { if (event.target.files[0]) importFile(event.target.files[0]); });
$("#add-step").addEventListener("click", addStep);
$("#check").addEventListener("click", check);
$("#editor-form").addEventListener("submit", save);
$("#close").addEventListener("click", closeEditor);
$("#preview-toggle").addEventListener("click", togglePreview);
$("#export").addEventListener("click", () => exportClass(app.editing.draft.id, app.editing.basedOn));
onLangChange(() => {
  if (app.catalogue) renderLibrary();
  if (app.editing) {
    const problems = app.problems;
    renderEditor();
    showProblems(problems);
  }
});

async function start() {
  credential = credential || await offeredCredential(["admin", "facilitator-home"], $("#signin-go"));
  if (credential) {
    loadLibrary();
  } else if (!$("#signin-go").hidden) {
    $("#status").textContent = "";
    $("#signin").hidden = false;
  } else {
    $("#status").textContent = "";
    alertError({ code: "missing_credential" });
  }
}

start();
