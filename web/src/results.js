// Live results of one step, without names: bars, word lists and texts, and
// what is held back and why. The facilitator's panel and the participant's
// page (plenary steps: everyone sees the answers) render them alike.

import { h } from "./dom.js";
import { t, pick } from "./i18n.js";

export function bars(rows, total) {
  const max = Math.max(1, total ?? Math.max(0, ...rows.map((r) => r[1])));
  return h("div", { class: "bars" }, rows.map(([label, count]) => {
    const fillEl = h("span", { class: "bar-fill" });
    fillEl.style.width = `${Math.round((100 * count) / max)}%`; // CSSOM is allowed under the CSP
    return h("div", { class: "bar-row" }, h("span", { text: label }),
      h("span", { class: "bar-track", "aria-hidden": "true" }, fillEl), h("span", { text: String(count) }));
  }));
}

/** The values of one result (or one group's), as elements. */
export function values(result, step) {
  const out = [];
  if (result.energy) out.push(h("h3", { text: t("fac.results.energy") }), bars(result.energy.map((n, i) => [String(i + 1), n])));
  if (result.choices) {
    out.push(h("h3", { text: t("fac.results.choices") }),
      bars(result.choices.map((n, i) => [pick(step?.options?.[i]) || String(i + 1), n])));
  }
  if (result.histogram) {
    out.push(bars(result.histogram.map((n, i) => [String(result.min + i), n])));
    if (result.mean != null) out.push(h("p", { text: t("fac.results.mean", { mean: result.mean }) }));
  }
  if (result.tried) {
    out.push(h("h3", { text: t("fac.results.tried") }),
      bars(Object.entries(result.tried).map(([k, n]) => [t(`answer.tried.${k}`), n])));
  }
  if (result.words && result.words.length) {
    out.push(h("h3", { text: t("fac.results.words") }), h("ul", { class: "words" },
      result.words.map((w) => h("li", { dataset: { word: w.word } }, `${w.word} `, h("span", { class: "badge", text: `×${w.count}` })))));
  }
  if (result.texts && result.texts.length) {
    out.push(h("h3", { text: t("fac.results.texts") }), h("ul", { class: "texts" }, result.texts.map((x) => h("li", { text: x }))));
  }
  return out;
}

/** Why something is held back, and how many more answers it needs; null when nothing is. */
export function heldBack(r) {
  if (r.visibility === "private") return t("fac.results.hidden");
  if (r.visibility === "leadership" && r.suppressed) {
    return t("fac.results.leadership.held", { k: r.threshold ?? "", needed: r.needed ?? "" });
  }
  if (r.visibility === "leadership") return t("fac.results.leadership");
  return null;
}

/** Everything shown of a result: the held-back note, then values (per group when grouped). */
export function resultParts(r, step) {
  const parts = [];
  const note = heldBack(r);
  if (note) parts.push(h("p", { class: "hint results-held", text: note }));
  if (r.groups) {
    for (const g of r.groups) {
      parts.push(h("div", { class: "group" }, h("h3", { text: `${t("fac.results.group", { n: g.group + 1 })} · ${t("fac.results.count", { n: g.count })}` }),
        values(g, step)));
    }
  } else {
    parts.push(...values(r, step));
  }
  return parts;
}
