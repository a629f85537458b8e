// The pages against contract.js, the module generated from the Python
// definitions (`onlive contract`; tests/signalling/test_contract.py keeps it
// current). Run with `node --test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import { LIMITS, ECHO_THRESHOLDS, EVENTS, COMMANDS, NAME_REFUSALS } from "../src/contract.js";
import { STRINGS, interpolate, errorKey } from "../src/i18n.js";

const SRC = new URL("../src/", import.meta.url);
const BENCH = new URL("../bench/", import.meta.url);

test("sentences that quote the server's figures are filled from the contract", () => {
  const { good, fair } = ECHO_THRESHOLDS;
  const pct = (loss) => Math.round(loss * 1000) / 10;
  const expected = {
    sv: {
      "answer.word.hint": `Ett ord, högst ${LIMITS.answerWordChars} tecken.`,
      "answer.word.bad": `Skriv ett enda ord (högst ${LIMITS.answerWordChars} tecken).`,
      "pre.name.long": `Namnet får vara högst ${LIMITS.nameChars} tecken.`,
      "echo.help.good": `Bra: fördröjning högst ${good.rttMs} ms, jitter högst ${good.jitterMs} ms och högst ${pct(good.loss)} % förlust.`,
      "echo.help.fair": `Godkänt: fördröjning högst ${fair.rttMs} ms, jitter högst ${fair.jitterMs} ms och högst ${pct(fair.loss)} % förlust.`,
    },
    en: {
      "answer.word.hint": `One word, at most ${LIMITS.answerWordChars} characters.`,
      "answer.word.bad": `Write a single word (at most ${LIMITS.answerWordChars} characters).`,
      "pre.name.long": `The name can be at most ${LIMITS.nameChars} characters.`,
      "echo.help.good": `Good: delay at most ${good.rttMs} ms, jitter at most ${good.jitterMs} ms and at most ${pct(good.loss)} % loss.`,
      "echo.help.fair": `Fair: delay at most ${fair.rttMs} ms, jitter at most ${fair.jitterMs} ms and at most ${pct(fair.loss)} % loss.`,
    },
  };
  for (const [lang, sentences] of Object.entries(expected)) {
    for (const [key, sentence] of Object.entries(sentences)) {
      assert.equal(interpolate(STRINGS[lang][key]), sentence, `${lang} ${key}`);
    }
  }
  // A caller's own value still wins over a contract figure of the same name.
  assert.equal(interpolate("{nameChars}", { nameChars: 5 }), "5");
});

test("no string types a server limit or threshold as a number", () => {
  const { good, fair } = ECHO_THRESHOLDS;
  const figures = new Set([...Object.values(LIMITS), good.rttMs, good.jitterMs, fair.rttMs, fair.jitterMs].map(String));
  for (const lang of Object.keys(STRINGS)) {
    for (const [key, text] of Object.entries(STRINGS[lang])) {
      const typed = (text.match(/\d+/g) || []).filter((n) => n.length > 1 && figures.has(n));
      assert.deepEqual(typed, [], `${lang} ${key}: use a placeholder from CONTRACT_VARS`);
    }
  }
});

// Event and command names come from the contract (EVENTS.X, COMMANDS.X), as the
// server's come from signalling/wirenames.py: this reads the pages and the load
// generator (bench/) in the usual forms (call(s, x), socket.on(x), emit(x),
// command(x), boardCommand(x), the facilitator's button table, a command's
// { name: x }) and refuses a string literal there, and a member the contract
// does not define.
test("the pages and the load generator name events and commands only through the contract", async () => {
  const socketIoOwn = new Set(["connect", "disconnect", "connect_error"]);
  const literals = [];
  const used = { EVENTS: new Set(), COMMANDS: new Set() };
  const scripts = async (dir) => (await readdir(dir)).filter((f) => /\.m?js$/.test(f) && f !== "contract.js")
    .map((f) => new URL(f, dir));
  for (const url of [...await scripts(SRC), ...await scripts(BENCH)]) {
    const code = await readFile(url, "utf8");
    const file = url.pathname.split("/").slice(-2).join("/");
    for (const re of [/\bcall\([^,()]+,\s*"(\w+)"/g, /\bsocket\.on\("(\w+)"/g, /\.emit\("(\w+)"/g,
      /\b(?:command|boardCommand)\("(\w+)"/g, /"#cmd-[\w-]+": \["(\w+)"/g, /EVENTS\.COMMAND, \{ name: "(\w+)"/g]) {
      for (const [, name] of code.matchAll(re)) if (!socketIoOwn.has(name)) literals.push(`${file}: "${name}"`);
    }
    for (const [, table, member] of code.matchAll(/\b(EVENTS|COMMANDS)\.(\w+)/g)) used[table].add(member);
  }
  assert.deepEqual(literals, [], "name it with EVENTS.X or COMMANDS.X from contract.js");
  assert.ok(used.EVENTS.size >= 15 && used.COMMANDS.size >= 10,
    `found ${used.EVENTS.size} events, ${used.COMMANDS.size} commands`);
  assert.deepEqual([...used.EVENTS].filter((m) => !(m in EVENTS)), [], "events the server does not define");
  assert.deepEqual([...used.COMMANDS].filter((m) => !(m in COMMANDS)), [], "commands the server does not define");
});

test("every refusal of a chosen name is explained in Swedish and English", () => {
  assert.ok(NAME_REFUSALS.includes("name_lookalike") && NAME_REFUSALS.includes("name_mixed_script"));
  for (const code of NAME_REFUSALS) {
    assert.equal(errorKey({ code }), `err.${code}`, code);
    for (const lang of ["sv", "en"]) assert.ok(STRINGS[lang][`err.${code}`], `${lang}: err.${code}`);
    assert.notEqual(STRINGS.sv[`err.${code}`], STRINGS.en[`err.${code}`], code);
  }
});
