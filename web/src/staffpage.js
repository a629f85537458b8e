// Shared by the admin and leadership pages: the credential from the link's
// fragment (kept in sessionStorage, removed from the address bar, sent as a
// bearer token, never in a URL), JSON calls and the status line.

import { $ } from "./dom.js";
import { t } from "./i18n.js";

export function readCredential(key) {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromHash = params.get("credential");
  if (fromHash) {
    try {
      sessionStorage.setItem(key, fromHash);
      history.replaceState(null, "", location.pathname + location.search);
    } catch {
      /* storage off: keep the fragment so a reload works */
    }
    return fromHash;
  }
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

/** A JSON call; refusals throw an Error with .code, .status, .fields, .problems.
 * `token` may be a promise (a credential from the single sign-on session). */
export function apiFor(token) {
  return async function api(method, path, body, { raw = null } = {}) {
    const headers = { Authorization: `Bearer ${(await token) || ""}` };
    if (body !== undefined && raw === null) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, body: raw !== null ? raw : body !== undefined ? JSON.stringify(body) : undefined });
    } catch {
      throw Object.assign(new Error("network"), { code: "network", status: 0 });
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      throw Object.assign(new Error(response.statusText), { code: "error", status: response.status });
    }
    if (!data.ok) {
      const e = data.error || {};
      throw Object.assign(new Error(e.message || ""), { code: e.code, status: response.status, fields: e.fields || [], problems: e.problems || [] });
    }
    return data;
  };
}

/** Say something on the page's status line (a catalogue key and its values). */
export function say(key, vars = {}, kind = "status") {
  const el = $("#status");
  el.className = kind;
  el.textContent = key ? t(key, vars) : "";
  if (key) {
    el.dataset.i18n = key;
    el.dataset.i18nVars = JSON.stringify(vars);
  } else delete el.dataset.i18n;
}

/** The catalogue key for a refusal: staff.err.CODE if known, else a generic one. */
export function refusalKey(error) {
  const key = `staff.err.${error.code}`;
  return t(key) !== key ? key : "staff.err.generic";
}

/** A CSV cell (quoted when needed; a leading =+-@ is neutralised for spreadsheets). */
export function csvCell(value) {
  let text = value == null ? "" : String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\n;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function download(name, text, type = "text/csv;charset=utf-8") {
  const url = URL.createObjectURL(new Blob(["\ufeff", text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
