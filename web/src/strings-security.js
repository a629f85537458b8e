// -- security: look-alike names, staff sign-in on every staff page, active sign-ins
// (issue 14). Merged into STRINGS by i18n.js; refusals come as codes (err.CODE).

export const SECURITY_STRINGS = {
  sv: {
    "err.name_mixed_script": "Namnet blandar alfabet i samma ord (till exempel latinska och kyrilliska bokstäver). Skriv varje ord med ett och samma alfabet.",
    "err.name_lookalike": "Namnet går inte att skilja från någon annans i passet (bokstäver som ser likadana ut). Lägg till en initial eller välj ett annat namn.",
    "sso.heading": "Logga in",
    "sso.go": "Logga in med organisationens konto",
    "fp.sso.hint": "Du har öppnat sidan utan din länk. Logga in med organisationens konto för att se passen du leder.",
    "cls.sso.hint": "Du har öppnat sidan utan din länk. Logga in med organisationens konto för att se klassbiblioteket.",
    "signin.err.sso_no_name": "Organisationens inloggning gav inget namn, och dina pass hittas på ditt namn. Be den som administrerar onlive om en länk till dina pass.",
  },
  en: {
    "err.name_mixed_script": "The name mixes alphabets within one word (for example Latin and Cyrillic letters). Write each word in a single alphabet.",
    "err.name_lookalike": "The name cannot be told apart from someone else's in this pass (letters that look the same). Add an initial or choose another name.",
    "sso.heading": "Sign in",
    "sso.go": "Sign in with your organisation's account",
    "fp.sso.hint": "You opened this page without your link. Sign in with your organisation's account to see the passes you lead.",
    "cls.sso.hint": "You opened this page without your link. Sign in with your organisation's account to see the class library.",
    "signin.err.sso_no_name": "Your organisation's sign-in gave no name, and your passes are found by your name. Ask whoever administers onlive for a link to your passes.",
  },
};
