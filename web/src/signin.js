// The staff sign-in page: where single sign-on starts, where its errors are
// explained (by code, in the reader's language) and where signing out ends.

import "./norecord.js"; // first: before any library is evaluated
import { $ } from "./dom.js";
import { t, setupLanguage, onLangChange } from "./i18n.js";
import { whoAmI } from "./signon.js";

setupLanguage();
const query = new URLSearchParams(location.search);
const next = query.get("next") || "/";
$("#signin-go").href = `/auth/login?next=${encodeURIComponent(next)}`;

function message() {
  const error = query.get("error");
  if (error) {
    const key = `signin.err.${error}`;
    const text = t(key);
    return text === key ? t("signin.err.other") : text;
  }
  if (query.get("signed_out")) return t("signin.signed_out");
  return t("signin.intro");
}

function render(me) {
  const el = $("#signin-message");
  el.textContent = message();
  el.dataset.state = query.get("error") ? "error" : query.get("signed_out") ? "signed-out" : "intro";
  if (me && me.signed_in) {
    $("#signout").hidden = false;
    $("#signout-csrf").value = me.csrf;
    $("#signin-who").textContent = t("signin.as", { name: me.name || "" });
  }
}

let me = null;
whoAmI().then((found) => { me = found; render(me); });
render(null);
onLangChange(() => render(me));
