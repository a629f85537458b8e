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

/** Who is signed in with single sign-on: {sso, signed_in, name, roles, csrf}. */
export async function whoAmI() {
  try {
    const r = await fetch("/auth/me", { credentials: "same-origin", cache: "no-store" });
    return await r.json();
  } catch {
    return { sso: false, signed_in: false };
  }
}

/**
 * A staff page's credential without a link: from the single sign-on session
 * (role "ops" or "facilitator", with the pass for a facilitator). Returns the
 * credential, or null when single sign-on is not set up here; a page that is
 * not signed in goes to the sign-in first and comes back.
 */
export async function staffCredential(role, pass = null) {
  const me = await whoAmI();
  if (!me.sso) return null;
  if (!me.signed_in) {
    location.assign(`/auth/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return new Promise(() => {}); // the page is leaving
  }
  const r = await fetch("/auth/credential", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
    body: JSON.stringify(pass ? { role, pass } : { role }),
  });
  const body = await r.json();
  if (!r.ok) {
    location.assign(`/signin?error=${encodeURIComponent(body.error?.code || "other")}`);
    return new Promise(() => {});
  }
  return body.credential;
}
