// Load generator for `onlive bench fanout|join|breakout`: many socket.io-client
// participants (websocket, msgpack parser, each with its own ticket) and one
// facilitator in this one Node process, driven by JSON lines on stdin; each
// reply is one JSON line on stdout. All timing is on this process's clock, so
// "command sent" and "the last participant has it" are measured alike against
// onlive and against the reference server (ref-server.mjs).
import { createInterface } from "node:readline";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { COMMANDS, EVENTS, NAMESPACES } from "../src/contract.js";
import { REF_STATS } from "./ref-events.mjs";

const now = () => Number(process.hrtime.bigint()) / 1e6;
const reply = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Clients in named groups ("onlive", "node"), so that both servers can be
// measured in alternation in the same run, under the same machine load.
const groups = new Map();
const group = (name = "onlive") => {
  if (!groups.has(name)) groups.set(name, { participants: [], facilitator: null });
  return groups.get(name);
};
// Whoever waits for the next event of a kind: { kind, test(client, data), left, resolve }.
let waiter = null;

let lastState = null;
// The last cue of each kind a participant got (the reference server repeats them).
const lastCues = {};

function options(url, auth) {
  return { transports: ["websocket"], parser: msgpackParser, auth, reconnection: false,
           forceNew: true, timeout: 60000, extraHeaders: { Origin: url } };
}

function notify(kind, client, data) {
  const w = waiter;
  if (!w || w.kind !== kind || w.members !== client.members || client.done
      || !w.test(client, data)) return;
  client.done = true;
  client.at = now();
  if (--w.left === 0) { waiter = null; w.resolve(); }
}

function wait(participants, kind, test, timeoutMs) {
  for (const c of participants) c.done = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const missing = participants.filter((c) => !c.done).length;
      waiter = null;
      reject(new Error(`${missing} of ${participants.length} never got ${kind}`));
    }, timeoutMs);
    waiter = { kind, test, left: participants.length, members: participants,
               resolve: () => { clearTimeout(timer); resolve(); } };
  });
}

function connectOne(url, ticket, members) {
  const client = { socket: null, version: -1, done: false, at: 0, started: now(), acked: 0,
                   room: null, members };
  return new Promise((resolve) => {
    const s = io(url + NAMESPACES.PARTICIPANT, options(url, { ticket }));
    client.socket = s;
    s.on(EVENTS.SNAPSHOT, (d) => {
      if (!client.acked) { client.acked = now(); resolve(client); }
      const v = d?.state?.version ?? d?.version;
      if (typeof v === "number" && v > client.version) client.version = v;
    });
    s.on(EVENTS.STATE, (d) => {
      if (d.version > client.version) client.version = d.version;
      lastState = d;
      notify(EVENTS.STATE, client, d);
    });
    s.on(EVENTS.CUE, (d) => { if (d?.kind) lastCues[d.kind] = d; notify(EVENTS.CUE, client, d); });
    s.on(EVENTS.ASSIGNMENT, (d) => { client.room = d.room; notify(EVENTS.ASSIGNMENT, client, d); });
    s.on("connect_error", (e) => { client.error = String(e?.message || e); resolve(client); });
    setTimeout(() => {
      if (!client.acked) { client.error = "no snapshot within 180 s"; resolve(client); }
    }, 180000);
  });
}

function call(socket, event, data, timeoutMs = 60000) {
  return socket.timeout(timeoutMs).emitWithAck(event, data);
}

const ops = {
  async connect({ urls, tickets, spread_s = 0, name }) {
    const { participants } = group(name);
    const t0 = now();
    const gap = tickets.length > 1 ? (spread_s * 1000) / (tickets.length - 1) : 0;
    const pending = [];
    for (let i = 0; i < tickets.length; i++) {
      const due = t0 + i * gap;
      const delay = due - now();
      if (delay > 1) await sleep(delay);
      pending.push(connectOne(urls[i % urls.length], tickets[i], participants));
    }
    const clients = await Promise.all(pending);
    const ok = clients.filter((c) => !c.error);
    participants.push(...ok);
    return { connected: ok.length, failed: clients.length - ok.length,
             errors: [...new Set(clients.filter((c) => c.error).map((c) => c.error))].slice(0, 3),
             ack_ms: ok.map((c) => c.acked - c.started), all_s: (now() - t0) / 1000 };
  },

  async facilitator({ url, credential, name }) {
    const g = group(name);
    const facilitator = io(url + NAMESPACES.FACILITATOR, options(url, { credential }));
    g.facilitator = facilitator;
    await new Promise((resolve, reject) => {
      facilitator.on("connect", resolve);
      facilitator.on("connect_error", reject);
    });
    return {};
  },

  async command({ command, name }) {
    return { ack: await call(group(name).facilitator, EVENTS.COMMAND, command) };
  },

  // Repeat one command; per round, the time until the last participant has
  // the new state (or the cue, then the state: `broadcast` is two fan-outs).
  async rounds({ command, rounds, gap_ms = 200, until = EVENTS.STATE, name }) {
    const { participants, facilitator } = group(name);
    const last = [], median = [];
    for (let r = 0; r < rounds; r++) {
      const base = Math.max(...participants.map((c) => c.version));
      const done = wait(participants, until, (c, d) => until !== EVENTS.STATE || d.version > base, 30000);
      const t0 = now();
      const ack = await call(facilitator, EVENTS.COMMAND, command);
      if (!ack.ok) throw new Error(`command refused: ${JSON.stringify(ack)}`);
      await done;
      const times = participants.map((c) => c.at - t0).sort((a, b) => a - b);
      last.push(times[times.length - 1]);
      median.push(times[Math.floor(times.length / 2)]);
      await sleep(gap_ms);
    }
    return { last_ms: last, median_ms: median };
  },

  // Open breakouts until every participant has a breakout room with a token,
  // then recall (countdown 0) until every one is back in the main room.
  async breakouts({ rounds, gap_ms = 300, name }) {
    const { participants, facilitator } = group(name);
    const open = [], recall = [], rooms = [];
    for (let r = 0; r < rounds; r++) {
      let done = wait(participants, EVENTS.ASSIGNMENT, (c, d) => d.kind === "breakout" && !!d.token, 30000);
      let t0 = now();
      const ack = await call(facilitator, EVENTS.COMMAND, { name: COMMANDS.OPEN_BREAKOUTS });
      if (!ack.ok) throw new Error(`open refused: ${JSON.stringify(ack)}`);
      await done;
      open.push(Math.max(...participants.map((c) => c.at - t0)));
      rooms.push(new Set(participants.map((c) => c.room)).size);
      await sleep(gap_ms);
      done = wait(participants, EVENTS.ASSIGNMENT, (c, d) => d.kind === "main", 30000);
      t0 = now();
      const back = await call(facilitator, EVENTS.COMMAND, { name: COMMANDS.RECALL, countdown: 0 });
      if (!back.ok) throw new Error(`recall refused: ${JSON.stringify(back)}`);
      await done;
      recall.push(Math.max(...participants.map((c) => c.at - t0)));
      await sleep(gap_ms);
    }
    return { open_ms: open, recall_ms: recall, rooms };
  },

  async stats({ gc = false, name }) {
    return { stats: await call(group(name).facilitator, REF_STATS, { gc }) };
  },

  async sample() {
    return { state: lastState, cues: lastCues };
  },

  async memory() {
    return { rss: process.memoryUsage().rss };
  },

  async close() {
    for (const g of groups.values()) {
      for (const c of g.participants) c.socket.close();
      if (g.facilitator) g.facilitator.close();
    }
    groups.clear();
    return {};
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const msg = JSON.parse(line);
  try {
    reply({ op: msg.op, ok: true, ...(await ops[msg.op](msg)) });
  } catch (error) {
    reply({ op: msg.op, ok: false, error: String(error?.stack || error) });
  }
  if (msg.op === "close") break;
}
process.exit(0);
