// Socket.IO to the orchestrator: msgpack parser, websocket only, the
// credential from the URL fragment, and acks as promises.

import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";

/**
 * The credential named `name` ("ticket" or "credential") from the URL
 * fragment, kept in sessionStorage so that a reload works after the fragment
 * is cleaned from the address bar (it must not linger in screenshots or
 * history).
 */
export function readCredential(name, page) {
  const key = `onlive.${page}.${name}`;
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromHash = params.get(name);
  if (fromHash) {
    try {
      sessionStorage.setItem(key, fromHash);
    } catch {
      /* storage off: the fragment stays and a reload still works */
      return fromHash;
    }
    history.replaceState(null, "", location.pathname + location.search);
    return fromHash;
  }
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function connect(namespace, auth) {
  return io(location.origin + namespace, {
    parser: msgpackParser,
    auth,
    transports: ["websocket"],
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
  });
}

export class AckError extends Error {
  constructor(code, message, retryAfter = null) {
    super(message || code);
    this.code = code;
    this.retryAfter = retryAfter; // seconds, when the server says when to try again
  }
}

/** Emit with an ack; resolves to the ack's fields, rejects with AckError. */
export async function call(socket, event, data = {}, timeoutMs = 8000) {
  let ack;
  try {
    ack = await socket.timeout(timeoutMs).emitWithAck(event, data);
  } catch {
    throw new AckError("timeout", "no answer from the server");
  }
  if (!ack || ack.ok !== true) {
    const error = (ack && ack.error) || {};
    throw new AckError(error.code || "error", error.message, error.retry_after ?? null);
  }
  return ack;
}
