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
