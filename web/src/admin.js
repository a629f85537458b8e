// The admin page (the learning lead): roster upload, programs and their
// sessions, invitations, the program dashboard, mail that did not go, and
// access: staff signed in with the organisation's account (each can be ended
// at once) and withdrawing any link.
// Reached from `onlive admin-link`; the credential is a bearer token.
// Every problem the server names is shown translated: a roster's as
// line: column: problem, a form's beside its field.

import "./norecord.js"; // first: before any library is evaluated
import { $, $$, h, fill } from "./dom.js";
import { t, pick, setupLanguage, onLangChange } from "./i18n.js";
import { staffCredential } from "./signon.js";
import { apiFor, readCredential, refusalKey, say } from "./staffpage.js";

setupLanguage();
// Without a link, the single sign-on session gives the credential (or sends to sign-in).
const api = apiFor(readCredential("onlive.admin.credential") || staffCredential("admin"));
const app = { data: null, program: null, board: null, missing: {}, mail: [], signins: null, editing: null, report: null, problems: null, rows: [], breakdowns: {} };

const fmtDate = (iso) => (iso ? new Date(`${iso}T12:00:00`).toLocaleDateString(t("app.locale")) : "–");
const fmtTs = (ts) => new Date(ts * 1000).toLocaleString(t("app.locale"), { dateStyle: "medium", timeStyle: "short" });

function fail(error) {
  say(refusalKey(error), {}, "error");
  if (error.status === 401) $("#content").hidden = true;
}

// -- field problems --------------------------------------------------------------------

function clearFields(form) {
  for (const el of $$(".field-error", form)) el.textContent = "";
  for (const el of $$("[aria-invalid]", form)) el.removeAttribute("aria-invalid");
}

function fieldText(p) {
  const key = `admin.field.${p.code}`;
  return t(key) !== key ? t(key, p.params || {}) : t("admin.field.invalid");
}

/** Show each problem beside its field (classes.N.x beside row N); focus the first. */
function showFields(form, problems) {
  clearFields(form);
  let first = null;
  for (const p of problems) {
    const row = /^classes\.(\d+)/.exec(p.field);
    const target = row ? $(`#err-class-${row[1]}`) : $(`#err-${p.field.replace(/\./g, "-")}`, form) || $(`#err-${p.field}`);
    const el = target || $("#status");
    el.textContent = (el.textContent ? `${el.textContent} ` : "") + fieldText(p);
    const input = target && target.id ? $(`[aria-describedby~="${target.id}"]`) : null;
    if (input) {
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    }
  }
  if (first) first.focus();
  say("admin.fix", {}, "error");
}

// -- loading ------------------------------------------------------------------------------

async function load(programId = app.program) {
  app.data = await api("GET", "/api/admin");
  const programs = app.data.programs;
  app.program = programs.some((p) => p.id === programId) ? programId : programs[0]?.id || null;
  resetRows();
  app.breakdowns = {};
  await Promise.all([loadBoard(), loadMail(), loadSignins()]);
  render();
  // Shown once filled: a page shown before its board and mail came would show an
  // empty count, and take a roster file before it knew the organisation's people.
  $("#content").hidden = false;
  say(null);
}

async function loadBoard() {
  app.board = app.program ? (await api("GET", `/api/admin/programs/${app.program}/dashboard`)).dashboard : null;
}

async function loadMail() {
  app.mail = (await api("GET", "/api/admin/mail")).mail;
}

async function loadSignins() {
  const found = await api("GET", "/api/admin/signins");
  app.signins = found.sso ? found.signins : null;
}

const current = () => app.data.programs.find((p) => p.id === app.program) || null;

// -- rendering ------------------------------------------------------------------------------

function render() {
  const d = app.data;
  if (!d) return;
  fill($("#org-heading"), d.organisation.name);
  $("#people-count").textContent = t("admin.roster.count", { n: d.people });
  $("#top-threshold").value = d.organisation.top_warning_percent;
  renderTop();
  renderRoster();
  fill($("#program-pick"),
    d.programs.map((p) => h("option", { value: p.id, selected: p.id === app.program, text: p.name })),
    h("option", { value: "", selected: !app.program, text: t("admin.program.new") }));
  renderProgramForm();
  renderSessions();
  renderBoard();
  renderMail();
  renderSignins();
}

function renderTop() {
  const top = app.board ? app.board.top : null;
  $("#top-line").hidden = !top;
  $("#top-warning").hidden = !(top && top.warning);
  if (!top) return;
  $("#top-line").textContent = t("admin.top.line", { trained: top.trained, top: top.top });
  $("#top-warning").textContent = t("admin.top.warning", { percent: top.percent, threshold: top.threshold_percent });
}

function renderRoster() {
  const r = app.report;
  $("#roster-result").hidden = !r;
  if (r) $("#roster-result").textContent = t("admin.roster.done", r);
  const problems = app.problems;
  $("#roster-problems-wrap").hidden = !problems;
  if (!problems) return;
  $("#roster-problems-title").textContent = t("admin.roster.bad", { n: problems.length });
  fill($("#roster-problems tbody"), problems.map((p) => {
    const key = `admin.roster.p.${p.code}`;
    return h("tr", {}, h("td", { text: String(p.line) }), h("td", { text: p.column }),
      h("td", { text: t(key) !== key ? t(key, p.params) : t("admin.roster.p.invalid") }));
  }));
}

function classOptions(selected) {
  return app.data.classes.map((c) => h("option", { value: c.id, selected: c.id === selected, text: pick(c.title) }));
}

// The program's classes as the form edits them: in their new order, new ones (no id) and
// removed ones (kept in the list, marked, until saved) included. Row N of the request is
// row N here, so a problem the server names comes back beside it.
let rowKeys = 0;
const newRow = (mandatory) => ({ key: ++rowKeys, id: null, class: app.data.classes[0]?.id, due_on: "", mandatory, remove: false });

function resetRows() {
  const p = current();
  app.rows = p ? p.classes.map((c) => ({ key: ++rowKeys, id: c.id, title: c.title, due_on: c.due_on || "", mandatory: c.mandatory, remove: false }))
    : [newRow(true)];
}

/** What the person typed or picked in the rows, into the model (before it is redrawn). */
function syncRows() {
  for (const li of $$("#class-rows > li")) {
    const row = app.rows.find((r) => String(r.key) === li.dataset.key);
    if (!row || row.remove) continue;
    const pickEl = $(".class-pick", li);
    if (pickEl) row.class = pickEl.value;
    row.due_on = $(".class-due", li).value;
    row.mandatory = $(".class-mandatory", li).checked;
  }
}

function rowTitle(row) {
  if (row.id) return pick(row.title);
  const c = app.data.classes.find((x) => x.id === row.class);
  return c ? pick(c.title) : t("gym.class.untitled");
}

/** Scheduled sessions of a class that would go with it (nobody has chosen them). */
function scheduledOf(row) {
  const p = current();
  return row.id && p ? p.sessions.filter((s) => s.program_class_id === row.id).length : 0;
}

function classRow(row, index) {
  const n = index + 1;
  const kept = app.rows.filter((r) => !r.remove);
  const place = kept.indexOf(row) + 1;
  const title = rowTitle(row);
  const errId = `err-class-${n}`;
  const err = h("p", { id: errId, class: "error field-error" });
  if (row.remove) {
    const sessions = scheduledOf(row);
    return h("li", { class: "class-row removed", dataset: { key: String(row.key), id: String(row.id) } },
      h("span", { class: "step-title", text: title }), " ",
      h("span", { class: "hint", text: t(sessions ? "gym.class.removing.sessions" : "gym.class.removing", { n: sessions }) }), " ",
      h("button", { class: "btn btn-small", type: "button", dataset: { move: "undo" },
        "aria-label": t("gym.class.undo.label", { title }), onclick: () => undoRemove(row) }, t("gym.class.undo")),
      err);
  }
  const dueId = `class-due-${n}`;
  const label = { n: place, title };
  const head = row.id ? h("span", { class: "step-title", text: title })
    : h("span", {}, h("label", { for: `class-pick-${n}`, text: t("admin.program.class") }),
      h("select", { id: `class-pick-${n}`, class: "class-pick", "aria-describedby": errId, onchange: syncRows }, classOptions(row.class)));
  return h("li", { class: "class-row", value: String(place), dataset: { key: String(row.key), id: row.id ? String(row.id) : "" } }, head, " ",
    h("label", { for: dueId, text: t("admin.program.due") }),
    h("input", { id: dueId, class: "class-due", type: "date", value: row.due_on || "", "aria-describedby": errId }),
    h("label", {}, h("input", { type: "checkbox", class: "class-mandatory", checked: row.mandatory }), ` ${t("admin.program.mandatory")}`),
    h("span", { class: "row-actions" },
      h("button", { class: "btn btn-small", type: "button", disabled: place === 1, dataset: { move: "up" },
        "aria-label": t("gym.class.up.label", label), onclick: () => moveRow(row, -1, "up") }, t("gym.class.up")),
      h("button", { class: "btn btn-small", type: "button", disabled: place === kept.length, dataset: { move: "down" },
        "aria-label": t("gym.class.down.label", label), onclick: () => moveRow(row, 1, "down") }, t("gym.class.down")),
      h("button", { class: "btn btn-small btn-danger", type: "button", dataset: { move: "remove" },
        "aria-label": t("gym.class.remove.label", label), onclick: () => removeRow(row) }, t("gym.class.remove"))),
    err);
}

function renderRows() {
  fill($("#class-rows"), app.rows.map(classRow));
}

const rowEl = (row) => $(`#class-rows > li[data-key="${row.key}"]`);

function moveRow(row, delta, which) {
  syncRows();
  const kept = app.rows.filter((r) => !r.remove);
  const other = kept[kept.indexOf(row) + delta];
  if (!other) return;
  const i = app.rows.indexOf(row);
  const j = app.rows.indexOf(other);
  [app.rows[i], app.rows[j]] = [app.rows[j], app.rows[i]];
  renderRows();
  $("#classes-live").textContent = t("gym.class.moved", { title: rowTitle(row), n: kept.indexOf(other) + 1 });
  // The keyboard stays on the same button of the moved class, or its other arrow.
  const li = rowEl(row);
  const same = $(`[data-move="${which}"]`, li);
  (same.disabled ? $(`[data-move="${which === "up" ? "down" : "up"}"]`, li) : same).focus();
}

function removeRow(row) {
  syncRows();
  const title = rowTitle(row);
  if (row.id) row.remove = true;
  else app.rows.splice(app.rows.indexOf(row), 1);
  renderRows();
  $("#classes-live").textContent = t(row.id ? "gym.class.removing.live" : "gym.class.removed", { title });
  const focus = row.id ? $('[data-move="undo"]', rowEl(row)) : $('#class-rows [data-move="remove"]');
  (focus || $("#add-class")).focus();
}

function undoRemove(row) {
  syncRows();
  row.remove = false;
  renderRows();
  $("#classes-live").textContent = t("gym.class.kept", { title: rowTitle(row) });
  $('[data-move="remove"]', rowEl(row)).focus();
}

function renderProgramForm() {
  const p = current();
  const form = $("#program-form");
  clearFields(form);
  $("#field-id").hidden = !!p;
  $("#p-id").value = p ? p.id : "";
  $("#p-name").value = p ? p.name : "";
  $("#p-departments").value = p ? p.departments.join(", ") : "";
  $("#p-sites").value = p ? p.sites.join(", ") : "";
  for (const box of $$('input[name="levels"]', form)) box.checked = !!p && p.levels.includes(box.value);
  $("#p-cadence").value = p ? p.cadence : "weekly";
  $("#p-mandatory").checked = p ? p.mandatory : true;
  $("#p-starts").value = p?.starts_on || "";
  $("#p-ends").value = p?.ends_on || "";
  syncRows();
  renderRows();
}

function renderSessions() {
  const p = current();
  $("#sessions-panel").hidden = !p;
  if (!p) return;
  const titles = Object.fromEntries(p.classes.map((c) => [c.id, `${c.position}. ${pick(c.title)}`]));
  fill($("#sessions tbody"), p.sessions.map((s) => h("tr", { dataset: { pass: s.pass } },
    h("td", { text: titles[s.program_class_id] || s.class }),
    h("td", { text: `${s.local.replace("T", " ")} ${s.time_zone}` }),
    h("td", { text: t("admin.s.placesof", { enrolled: s.enrolled, capacity: s.capacity }) }),
    h("td", { text: String(s.waiting) }),
    h("td", { text: s.facilitator }),
    h("td", { text: t(`state.${s.state}`) }),
    h("td", {}, s.state === "scheduled" ? h("button", { class: "btn btn-small", type: "button", text: t("admin.s.edit"),
      "aria-label": t("admin.s.editone", { when: s.local.replace("T", " ") }), onclick: () => editSession(s) }) : null))));
  fill($("#s-class"), p.classes.map((c) => h("option", { value: String(c.id), text: titles[c.id] })));
  const editing = app.editing;
  $("#s-class-field").hidden = !!editing;
  $("#session-cancel").hidden = !editing;
  $("#session-form-title").textContent = t(editing ? "admin.s.change" : "admin.s.new");
}

function editSession(s) {
  app.editing = s.pass;
  renderSessions();
  $("#s-start").value = s.local;
  $("#s-zone").value = s.time_zone;
  $("#s-capacity").value = s.capacity;
  $("#s-facilitator").value = s.facilitator;
  $("#s-start").focus();
}

function table(caption, heads, rows) {
  return h("div", { class: "table-wrap" }, h("table", {},
    h("caption", { text: caption }),
    h("thead", {}, h("tr", {}, heads.map((x) => h("th", { scope: "col", text: x })))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c))))))));
}

function renderBoard() {
  const b = app.board;
  $("#dashboard").hidden = !b;
  if (!b) return;
  $("#dash-audience").textContent = t("admin.dash.audience", { n: b.audience });
  fill($("#dash-classes"), b.classes.map((c) => {
    const missing = app.missing[c.id];
    return h("div", { class: "dash-class", dataset: { class: String(c.id) } },
      h("h3", { text: `${c.position}. ${pick(c.title)}` }),
      h("p", { class: "hint", text: t(c.mandatory ? "admin.dash.mandatory" : "admin.dash.optional", { due: fmtDate(c.due_on) }) }),
      h("p", { class: "dash-done", text: t("admin.dash.done", { done: c.done, not_done: c.not_done }) }),
      table(t("admin.dash.sessions"), [t("admin.s.start"), t("admin.s.places"), t("admin.s.waiting"), t("admin.dash.attended"), t("admin.dash.missing"), t("admin.dash.fill")],
        c.sessions.map((s) => [`${s.local.replace("T", " ")} ${s.time_zone}`, t("admin.s.placesof", { enrolled: s.enrolled, capacity: s.capacity }),
          String(s.waiting), String(s.attended), String(s.missing), `${s.fill_percent} %`])),
      c.not_done > 0 ? h("div", { class: "actions" },
        h("button", { class: "btn btn-small", type: "button", text: t("admin.dash.show", { n: c.not_done }), "aria-expanded": String(!!missing), onclick: () => toggleMissing(c.id) }),
        c.mandatory ? h("button", { class: "btn btn-small btn-primary", type: "button", text: t("admin.dash.remind", { n: c.not_done }), onclick: () => remind(c.id) }) : null) : null,
      missing ? h("ul", { class: "missing-list", "aria-label": t("admin.dash.missinglist") },
        missing.map((p) => h("li", { text: `${p.name} · ${p.department} · ${p.site}${p.enrolled ? ` · ${t("admin.dash.booked")}` : ""}` }))) : null,
      h("div", { class: "actions" }, h("button", { class: "btn btn-small", type: "button", "aria-expanded": String(!!app.breakdowns[c.id]),
        "aria-controls": `breakdown-${c.id}`, dataset: { action: "breakdown" }, text: t("gym.bd.show"),
        "aria-label": t("gym.bd.show.label", { n: c.position, title: pick(c.title) }), onclick: () => toggleBreakdown(c.id) })),
      app.breakdowns[c.id] ? renderBreakdown(c, app.breakdowns[c.id]) : null);
  }));
  const dims = { department: "admin.dash.department", site: "admin.dash.site", level: "admin.dash.level" };
  fill($("#dash-groups"), Object.entries(dims).map(([dim, key]) => table(t(key),
    [t(key), t("admin.dash.audiencecol"), t("admin.dash.enrolled"), t("admin.dash.attended")],
    (b.groups[dim] || []).map((g) => [dim === "level" ? t(`level.${g.value}`) : g.value || "–", String(g.audience), String(g.enrolled), String(g.attended)]))));
  $("#dash-pulse-hint").textContent = t("admin.dash.pulsehint", { k: b.program.anonymity_k });
  fill($("#dash-pulse"), b.pulse.length ? b.pulse.map((q) => h("p", { class: "trend" },
    h("strong", { text: q.question === "energy" ? t("m.trend.energy") : q.title ? pick(q.title) : t("gym.scale.gone") }), ": ",
    q.points.map((p) => t("admin.dash.point", { position: p.position, mean: p.mean.toFixed(1), people: p.people })).join(" → ")))
    : h("p", { class: "hint", text: t("admin.dash.nopulse") }));
}

const DIMS = { department: "admin.dash.department", site: "admin.dash.site", level: "admin.dash.level" };
const groupValue = (dim, v) => (dim === "level" ? t(`level.${v}`) : v || "–");

/** One class by department, site and level: the class, or one of its sessions. */
function renderBreakdown(c, shown) {
  const b = shown.data;
  const session = shown.scope ? b.sessions.find((x) => x.pass === shown.scope) : null;
  const groups = session ? session.groups : b.groups;
  const heads = session ? ["admin.s.places", "admin.s.waiting", "admin.dash.attended", "admin.dash.missing"]
    : ["admin.dash.audiencecol", "gym.bd.placed", "admin.s.waiting", "admin.dash.attended"];
  const cols = session ? ["enrolled", "waiting", "attended", "missing"] : ["audience", "enrolled", "waiting", "attended"];
  const scopeId = `bd-scope-${c.id}`;
  const when = (s) => `${s.local.replace("T", " ")} ${s.time_zone}`;
  const pulse = session ? null : [h("h4", { text: t("gym.bd.pulse") }),
    h("p", { class: "hint", text: t("gym.bd.pulse.hint", { k: b.anonymity_k }) }),
    b.pulse.length ? b.pulse.map((q) => {
      const name = q.question === "energy" ? t("m.trend.energy") : q.title ? pick(q.title) : t("gym.scale.gone");
      const figure = (x) => (x.people == null ? t("gym.bd.hidden") : t("gym.bd.mean", { mean: x.mean == null ? "–" : x.mean.toFixed(1), people: x.people }));
      return h("div", { class: "bd-pulse", dataset: { question: q.question } },
        h("p", {}, h("strong", { text: name }), `: ${figure(q)}`),
        h("div", { class: "stack" }, Object.entries(DIMS).map(([dim, key]) => table(`${name} – ${t(key)}`, [t(key), t("gym.bd.average")],
          (q.groups[dim] || []).map((g) => [groupValue(dim, g.value), figure(g)])))));
    }) : h("p", { class: "hint", text: t("gym.bd.nopulse") })];
  return h("div", { class: "breakdown", id: `breakdown-${c.id}`, dataset: { scope: shown.scope || "class" } },
    h("div", { class: "field" }, h("label", { for: scopeId, text: t("gym.bd.scope") }),
      h("select", { id: scopeId, onchange: (e) => { shown.scope = e.target.value; renderBoard(); $(`#${scopeId}`).focus(); } },
        h("option", { value: "", selected: !shown.scope, text: t("gym.bd.wholeclass") }),
        c.sessions.map((s) => h("option", { value: s.pass, selected: s.pass === shown.scope, text: t("gym.bd.session", { when: when(s) }) })))),
    h("div", { class: "stack bd-places" }, Object.entries(DIMS).map(([dim, key]) => table(t(key), [t(key), ...heads.map((x) => t(x))],
      (groups[dim] || []).map((g) => [groupValue(dim, g.value), ...cols.map((col) => String(g[col]))])))),
    Object.values(groups).every((lines) => !lines.length) ? h("p", { class: "hint", text: t("gym.bd.nobody") }) : null,
    pulse);
}

async function toggleBreakdown(id) {
  if (app.breakdowns[id]) delete app.breakdowns[id];
  else {
    try {
      app.breakdowns[id] = { scope: "", data: (await api("GET", `/api/admin/programs/${app.program}/breakdown?class=${id}`)).breakdown };
    } catch (e) {
      fail(e);
      return;
    }
  }
  renderBoard();
  $(`.dash-class[data-class="${id}"] [data-action="breakdown"]`).focus();
}

function renderMail() {
  const failed = app.mail.filter((m) => m.status === "failed");
  $("#mail-none").hidden = app.mail.length > 0;
  fill($("#mail"), app.mail.map((m) => h("li", { class: `mail-item ${m.status}`, dataset: { status: m.status } },
    h("span", { text: t("admin.mail.line", { kind: t(`mail.kind.${m.kind}`), person: m.name, status: t(`mail.status.${m.status}`), attempts: m.attempts }) }),
    m.status === "failed" ? [" ", h("span", { class: "error", text: t("admin.mail.failed", { when: fmtTs(m.next_ts) }) }), " ",
      h("button", { class: "btn btn-small", type: "button", text: t("admin.mail.retry"), onclick: () => retry(m.id) })] : null)));
  if (failed.length) $("#mail-heading").dataset.failed = String(failed.length);
}

// -- actions ----------------------------------------------------------------------------

async function toggleMissing(id) {
  if (app.missing[id]) delete app.missing[id];
  else app.missing[id] = (await api("GET", `/api/admin/programs/${app.program}/missing?class=${id}`)).people;
  renderBoard();
}

async function remind(id) {
  try {
    const r = await api("POST", `/api/admin/programs/${app.program}/remind`, { program_class_id: id });
    say("admin.dash.reminded", { n: r.reminded });
    await loadMail();
    renderMail();
  } catch (e) {
    fail(e);
  }
}

// -- access: sign-ins and links ---------------------------------------------------------

function renderSignins() {
  $("#signins-wrap").hidden = app.signins === null;
  if (app.signins === null) return;
  $("#signins-none").hidden = app.signins.length > 0;
  $("#signins-table").hidden = app.signins.length === 0;
  fill($("#signins"), app.signins.map((s) => {
    const who = s.name || t("acc.noname");
    return h("tr", { dataset: { signin: s.id } },
      h("th", { scope: "row", text: who }),
      h("td", { text: s.roles.map((r) => t(`acc.role.${r}`)).join(", ") }),
      h("td", {}, h("time", { datetime: new Date(s.since * 1000).toISOString(), text: fmtTs(s.since) })),
      h("td", {}, h("time", { datetime: new Date(s.expires * 1000).toISOString(), text: fmtTs(s.expires) })),
      h("td", {}, h("button", { class: "btn btn-small", type: "button", text: t("acc.withdraw"),
        "aria-label": t("acc.withdraw.label", { name: who }), onclick: () => withdraw(s) })));
  }));
}

async function withdraw(signin) {
  try {
    await api("POST", "/api/admin/signins/withdraw", { id: signin.id });
    say("acc.withdrawn", { name: signin.name || t("acc.noname") });
  } catch (e) {
    fail(e);
  }
  try {
    await loadSignins();
    renderSignins();
  } catch (e) {
    fail(e); // the admin's own sign-in, just ended: the page says so
  }
}

$("#revoke-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("#revoke-what");
  try {
    await api("POST", "/api/revoke", { credential: input.value.trim() });
    input.value = "";
    input.removeAttribute("aria-invalid");
    say("acc.revoked");
    await loadSignins();
    renderSignins();
  } catch (e) {
    input.setAttribute("aria-invalid", "true");
    fail(e);
  }
});

async function retry(id) {
  try {
    await api("POST", `/api/admin/mail/${id}/retry`, {});
    say("admin.mail.retried");
    await loadMail();
    renderMail();
  } catch (e) {
    fail(e);
  }
}

$("#roster-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("#roster-file").files[0];
  if (!file) return;
  say("admin.roster.reading");
  const partial = $("#roster-partial").checked ? "&partial=1" : "";
  try {
    const r = await api("POST", `/api/admin/roster?file=${encodeURIComponent(file.name)}${partial}`, undefined, { raw: await file.arrayBuffer() });
    app.report = r.report;
    app.problems = null;
    await load();
    say("admin.roster.ok");
  } catch (e) {
    app.report = null;
    app.problems = e.code === "invalid_roster" ? e.problems : null;
    renderRoster();
    if (app.problems) {
      say("admin.roster.bad", { n: app.problems.length }, "error");
      $("#roster-problems-title").focus?.();
    } else fail(e);
  }
});

$("#program-pick").addEventListener("change", async (event) => {
  app.program = event.target.value || null;
  app.missing = {};
  app.breakdowns = {};
  app.editing = null;
  resetRows();
  await loadBoard();
  render();
});

$("#add-class").addEventListener("click", () => {
  syncRows();
  const row = newRow($("#p-mandatory").checked);
  app.rows.push(row);
  renderRows();
  $(".class-pick", rowEl(row)).focus();
});

$("#program-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const p = current();
  const body = {
    name: $("#p-name").value, departments: $("#p-departments").value, sites: $("#p-sites").value,
    levels: $$('input[name="levels"]:checked', form).map((b) => b.value),
    cadence: $("#p-cadence").value, mandatory: $("#p-mandatory").checked,
    starts_on: $("#p-starts").value || null, ends_on: $("#p-ends").value || null,
    classes: (syncRows(), app.rows).map((r) => (r.remove ? { id: r.id, remove: true } : {
      ...(r.id ? { id: r.id } : { class_id: r.class }), due_on: r.due_on || null, mandatory: r.mandatory })),
  };
  if (!p) body.id = $("#p-id").value;
  try {
    const r = p ? await api("PUT", `/api/admin/programs/${p.id}`, body) : await api("POST", "/api/admin/programs", body);
    await load(r.program.id);
    say("admin.program.saved", { name: r.program.name });
  } catch (e) {
    if (e.code === "invalid_fields") showFields(form, e.fields);
    else fail(e);
  }
});

$("#session-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { start: $("#s-start").value, time_zone: $("#s-zone").value,
    capacity: $("#s-capacity").value, facilitator: $("#s-facilitator").value };
  try {
    if (app.editing) await api("PUT", `/api/admin/sessions/${app.editing}`, body);
    else await api("POST", `/api/admin/programs/${app.program}/sessions`, { ...body, program_class_id: Number($("#s-class").value) });
    app.editing = null;
    clearFields(form);
    await load();
    say("admin.s.saved");
  } catch (e) {
    if (e.code === "invalid_fields") showFields(form, e.fields);
    else fail(e);
  }
});

$("#session-cancel").addEventListener("click", () => {
  app.editing = null;
  clearFields($("#session-form"));
  renderSessions();
});

$("#invite").addEventListener("click", async () => {
  try {
    const r = await api("POST", `/api/admin/programs/${app.program}/invite`, {});
    say("admin.invited", { n: r.invited });
    await loadMail();
    renderMail();
  } catch (e) {
    fail(e);
  }
});

$("#settings-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/api/admin/settings", { top_warning_percent: Number($("#top-threshold").value) });
    clearFields(event.target);
    await load();
    say("admin.settings.saved");
  } catch (e) {
    if (e.code === "invalid_fields") showFields(event.target, e.fields);
    else fail(e);
  }
});

onLangChange(render);
load().catch(fail);
