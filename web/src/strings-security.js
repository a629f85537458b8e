// -- security: look-alike names, staff sign-in on every staff page, active sign-ins
// (issue 14). Merged into STRINGS by i18n.js; refusals come as codes (err.CODE).

export const SECURITY_STRINGS = {
  sv: {
    "err.name_mixed_script": "Namnet blandar alfabet i samma ord (till exempel latinska och kyrilliska bokstäver). Skriv varje ord med ett och samma alfabet.",
    "err.name_lookalike": "Namnet går inte att skilja från någon annans i passet (bokstäver som ser likadana ut). Lägg till en initial eller välj ett annat namn.",
  },
  en: {
    "err.name_mixed_script": "The name mixes alphabets within one word (for example Latin and Cyrillic letters). Write each word in a single alphabet.",
    "err.name_lookalike": "The name cannot be told apart from someone else's in this pass (letters that look the same). Add an initial or choose another name.",
  },
};
