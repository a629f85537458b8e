// Staff single sign-on from the pages: who is signed in, and a page's credential from the
// session when the page was opened without a link.

/** Who is signed in with single sign-on: {sso, signed_in, name, roles, csrf}. */
export async function whoAmI() {
  try {
    const r = await fetch("/auth/me", { credentials: "same-origin", cache: "no-store" });
    return await r.json();
  } catch {
    return { sso: false, signed_in: false };
  }
}

/** Where the organisation's sign-in starts, coming back to this page. */
export function signInUrl() {
  return `/auth/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}

async function sessionCredential(me, role, pass) {
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
    location.assign(signInUrl());
    return new Promise(() => {}); // the page is leaving
  }
  return sessionCredential(me, role, pass);
}

/**
 * Like staffCredential, but a page nobody is signed in to stays and offers the
 * sign-in: `offer` (a link) is pointed at it and shown. `roles` in order of
 * preference: the first the session holds is asked for (a facilitator holds
 * "facilitator-home", their own page's role). Returns the credential, or null
 * (single sign-on is not set up here, or the offer is shown).
 */
export async function offeredCredential(roles, offer) {
  const me = await whoAmI();
  if (!me.sso) return null;
  if (!me.signed_in) {
    offer.href = signInUrl();
    offer.hidden = false;
    return null;
  }
  const held = new Set(me.roles || []);
  if (held.has("facilitator")) held.add("facilitator-home");
  return sessionCredential(me, roles.find((r) => held.has(r)) || roles[0], null);
}
