// The participant's answer form, one per step kind. Each submit is an
// attempt with its own client-made id; a retry after a lost ack reuses the
// id, so the server never stores it twice. An ack means it is stored.

import { h, uid, newId, sleep } from "./dom.js";
import { t, tx, px, errorKey } from "./i18n.js";
import { AckError } from "./connection.js";
import { LIMITS } from "./contract.js";

const MAX_WORD = LIMITS.answerWordChars;
const MAX_TEXT = LIMITS.answerTextChars;
const RETRIES = 3;

class Invalid extends Error {
  constructor(input, key, vars) {
    super(key);
    this.input = input;
    this.key = key;
    this.vars = vars;
  }
}

function oneWord(value) {
  const word = value.trim();
  return word && word.length <= MAX_WORD && word.split(/\s+/).length === 1 ? word : null;
}

/** A labelled group of radio buttons or checkboxes. */
function choiceGroup(legendKey, legendVars, name, options, { multiple = false, hint = null } = {}) {
  // options: [value, props for the label text]; hint: props for h()
  const hintId = hint ? uid("hint") : null;
  const inputs = [];
  const fieldset = h("fieldset", { class: "choices", "aria-describedby": hintId },
    h("legend", tx(legendKey, legendVars)),
    hint && h("p", { class: "hint", id: hintId, ...hint }),
    h("div", { class: "choice-row" }, options.map(([value, label]) => {
      const id = uid(name);
      const input = h("input", { type: multiple ? "checkbox" : "radio", name, id, value: String(value) });
      inputs.push(input);
      return h("label", { class: "choice", for: id }, input, h("span", label));
    })));
  return { fieldset, inputs, picked: () => inputs.filter((i) => i.checked).map((i) => i.value) };
}

function textField(key, { multiline = false, max = MAX_TEXT, hintKey = null, vars = {} } = {}) {
  const id = uid("field");
  const hintId = hintKey ? uid("hint") : null;
  const input = multiline
    ? h("textarea", { id, rows: 4, maxlength: max, "aria-describedby": hintId })
    : h("input", { id, type: "text", maxlength: max, autocomplete: "off", spellcheck: "true", "aria-describedby": hintId });
  const wrap = h("div", { class: "field" },
    h("label", { for: id, ...tx(key, vars) }),
    hintKey && h("p", { class: "hint", id: hintId, ...tx(hintKey, vars) }),
    input);
  return { wrap, input };
}

function builders(step) {
  switch (step.kind) {
    case "check-in": {
      const energy = choiceGroup("answer.energy", {}, "energy", [1, 2, 3, 4, 5].map((n) => [n, { text: String(n) }]),
        { hint: tx("answer.energy.range") });
      const word = textField("answer.word", { max: MAX_WORD, hintKey: "answer.word.hint" });
      return {
        nodes: [energy.fieldset, word.wrap],
        read() {
          const [value] = energy.picked();
          if (!value) throw new Invalid(energy.inputs[0], "answer.energy.bad");
          const w = oneWord(word.input.value);
          if (!w) throw new Invalid(word.input, "answer.word.bad");
          return { energy: Number(value), word: w };
        },
        fill(v) {
          for (const i of energy.inputs) i.checked = Number(i.value) === v.energy;
          word.input.value = v.word || "";
        },
      };
    }
    case "check-out": {
      const word = textField("answer.word", { max: MAX_WORD, hintKey: "answer.word.hint" });
      return {
        nodes: [word.wrap],
        read() {
          const w = oneWord(word.input.value);
          if (!w) throw new Invalid(word.input, "answer.word.bad");
          return { word: w };
        },
        fill(v) {
          word.input.value = v.word || "";
        },
      };
    }
    case "reflection":
    case "commitment": {
      const text = textField("answer.text", { multiline: true });
      return {
        nodes: [text.wrap],
        read() {
          if (!text.input.value.trim()) throw new Invalid(text.input, "answer.text.bad");
          return { text: text.input.value.trim() };
        },
        fill(v) {
          text.input.value = v.text || "";
        },
      };
    }
    case "scale": {
      const [min, max] = step.scale || [1, 5];
      const values = [];
      for (let v = min; v <= max; v++) values.push([v, { text: String(v) }]);
      const group = choiceGroup("answer.scale", {}, "scale", values, { hint: { text: `${min} – ${max}` } });
      return {
        nodes: [group.fieldset],
        read() {
          const [value] = group.picked();
          if (value === undefined) throw new Invalid(group.inputs[0], "answer.scale.bad");
          return { value: Number(value) };
        },
        fill(v) {
          for (const i of group.inputs) i.checked = Number(i.value) === v.value;
        },
      };
    }
    case "poll": {
      const group = choiceGroup(step.multiple ? "answer.poll.many" : "answer.poll.one", {}, "poll",
        (step.options || []).map((o, i) => [i, px(o)]), { multiple: !!step.multiple });
      return {
        nodes: [group.fieldset],
        read() {
          const choices = group.picked().map(Number);
          if (!choices.length) throw new Invalid(group.inputs[0], "answer.poll.bad");
          return { choices };
        },
        fill(v) {
          for (const i of group.inputs) i.checked = (v.choices || []).includes(Number(i.value));
        },
      };
    }
    case "word-cloud": {
      const n = step.max_words || 3;
      const words = textField("answer.words", { max: n * (MAX_WORD + 1), hintKey: "answer.words.hint", vars: { n } });
      return {
        nodes: [words.wrap],
        read() {
          const list = words.input.value.split(/[\s,;]+/).map((w) => w.trim()).filter(Boolean);
          if (!list.length || list.length > n || list.some((w) => w.length > MAX_WORD)) {
            throw new Invalid(words.input, "answer.words.bad", { n });
          }
          return { words: list };
        },
        fill(v) {
          words.input.value = (v.words || []).join(" ");
        },
      };
    }
    case "follow-up": {
      const tried = choiceGroup("answer.tried", {}, "tried",
        ["yes", "partly", "no"].map((c) => [c, tx(`answer.tried.${c}`)]));
      const text = textField("answer.tried.text", { multiline: true });
      return {
        nodes: [tried.fieldset, text.wrap],
        read() {
          const [choice] = tried.picked();
          if (!choice) throw new Invalid(tried.inputs[0], "answer.tried.bad");
          const value = { tried: choice };
          if (text.input.value.trim()) value.text = text.input.value.trim();
          return value;
        },
        fill(v) {
          for (const i of tried.inputs) i.checked = i.value === v.tried;
          text.input.value = v.text || "";
        },
      };
    }
    default:
      return null;
  }
}

/**
 * The form for `step` (null when the step takes no answer).
 * `send(value, clientId)` resolves with the ack or rejects with AckError.
 * `saved` is this person's stored answer for the step, if any.
 */
export function answerForm(step, { saved = null, send }) {
  const kind = builders(step);
  if (!kind) return null;
  const headingId = uid("answer");
  const errorEl = h("p", { class: "error", id: uid("err"), role: "alert", hidden: true });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "answer-submit" });
  const visibility = h("p", { class: "hint vis", ...tx(`vis.${step.visibility}`) });
  const form = h("form", { class: "answer", "aria-labelledby": headingId, novalidate: true, dataset: { step: step.id } },
    h("h3", { id: headingId, ...tx("answer.heading") }),
    visibility, ...kind.nodes, errorEl, h("div", { class: "actions" }, submit, status));
  let stored = !!saved;
  if (saved) kind.fill(saved.value);
  const say = (el, key, vars) => {
    if (!key) {
      el.textContent = "";
      delete el.dataset.i18n;
      delete el.dataset.i18nVars;
      return;
    }
    Object.assign(el, { textContent: t(key, vars || {}) });
    el.dataset.i18n = key;
    if (vars) el.dataset.i18nVars = JSON.stringify(vars);
    else delete el.dataset.i18nVars;
  };
  const paint = () => {
    say(submit, stored ? "answer.update" : "answer.send");
    form.dataset.saved = stored ? "true" : "false";
  };
  paint();
  if (stored) say(status, "answer.saved");

  const showError = (invalid) => {
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    if (!invalid) {
      errorEl.hidden = true;
      say(errorEl, null);
      return;
    }
    errorEl.hidden = false;
    say(errorEl, invalid.key, invalid.vars);
    invalid.input.setAttribute("aria-invalid", "true");
    invalid.input.setAttribute("aria-errormessage", errorEl.id);
    invalid.input.focus();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let value;
    try {
      value = kind.read();
    } catch (error) {
      if (error instanceof Invalid) return showError(error);
      throw error;
    }
    showError(null);
    const clientId = newId();
    submit.disabled = true;
    say(status, "answer.sending");
    form.setAttribute("aria-busy", "true");
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await send(value, clientId);
          break;
        } catch (error) {
          const lost = error instanceof AckError && error.code === "timeout";
          if (!lost || attempt >= RETRIES) throw error;
          await sleep(500 * (attempt + 1)); // same client id: never a duplicate
        }
      }
      stored = true;
      say(status, "answer.saved");
    } catch (error) {
      say(status, null);
      errorEl.hidden = false;
      if (error.code === "timeout") say(errorEl, "answer.retry");
      else say(errorEl, errorKey(error));
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
      paint();
    }
  });
  return form;
}
