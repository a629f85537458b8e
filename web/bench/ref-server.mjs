// The reference for `onlive bench fanout`: a minimal Node socket.io 4 server
// with the msgpack parser doing what onlive does for a facilitator's command
// (bump the version, broadcast the pass's shared view to everyone in it,
// ack). It sends the same messages onlive sent for the command (argv[3], a
// JSON file: onlive's state and the cues its participants got, by kind):
// `extend` announces itself with the "extended" cue and then the state, as
// onlive does, so both servers encode and send the same events and bytes to
// the same clients.
// Usage: node ref-server.mjs PORT SAMPLE.json   (binds 127.0.0.1 only)
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { Server } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";
import { COMMANDS, EVENTS, NAMESPACES } from "../src/contract.js";
import { REF_STATS } from "./ref-events.mjs";

const port = Number(process.argv[2]);
const sample = JSON.parse(readFileSync(process.argv[3], "utf8"));
const payload = sample.state;
const cues = sample.cues ?? {};
let version = payload.version ?? 1;

const http = createServer();
const io = new Server(http, { parser: msgpackParser, transports: ["websocket"],
                              perMessageDeflate: false, pingInterval: 10000, pingTimeout: 10000 });
const participants = io.of(NAMESPACES.PARTICIPANT);

participants.on("connection", (socket) => {
  if (!socket.handshake.auth?.ticket) { socket.disconnect(true); return; }
  socket.join("pass");
  socket.emit(EVENTS.SNAPSHOT, { state: { ...payload, version }, me: { id: socket.id } });
});

io.of(NAMESPACES.FACILITATOR).on("connection", (socket) => {
  socket.join("pass");
  socket.on(EVENTS.COMMAND, (command, ack) => {
    version += 1;
    const view = { ...payload, version, server_now: Date.now() / 1000 };
    if (command?.name === COMMANDS.BROADCAST) {
      participants.to("pass").emit(EVENTS.CUE, { ...cues.message, kind: "message",
                                                 text: { sv: command.text, en: command.text } });
    } else if (command?.name === COMMANDS.EXTEND && cues.extended) {
      participants.to("pass").emit(EVENTS.CUE, { ...cues.extended, version });
    }
    participants.to("pass").emit(EVENTS.STATE, view);
    ack({ ok: true, version });
  });
  socket.on(REF_STATS, (args, ack) => {
    if (args?.gc && global.gc) global.gc();
    const cpu = process.cpuUsage();
    ack({ cpu_ms: (cpu.user + cpu.system) / 1000, rss: process.memoryUsage().rss,
          sockets: participants.sockets.size });
  });
});

http.listen(port, "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => { io.close(); process.exit(0); });
