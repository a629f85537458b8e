// -- messages by code instead of the server's words (issue 11, "Copy") -------------------
// Merged into STRINGS by i18n.js. An alert's reason and a refusal the page has no
// words of its own for come here; a server's message is never shown to anyone.

export const COPY_STRINGS = {
  sv: {
    "alert.reason.egress": "LiveKit började spela in eller sända ut rummet",
    "alert.reason.room_recording": "rummet rapporterade en pågående inspelning",
    "alert.reason.recorder_joined": "en inspelare eller en automatisk agent gick in i rummet",
    "alert.reason.unknown": "orsaken är okänd",
    "alert.room.unknown": "ett rum",
    "ops.alert.other": "Ett larm som den här sidan inte har någon text för. Detaljerna finns i serverns logg.",
    "fac.media.reconnecting": "Återansluter till ljud och bild: {names}.",
    "ops.alert.in": "{pass}: {text}",
    "m.err.unknown_session": "Det passet finns inte längre i ditt program. Ladda om sidan och välj ett annat.",
    "m.err.unknown_pass": "Det passet finns inte längre i ditt program. Ladda om sidan och välj ett annat.",
    "m.err.session_over": "Passet är redan slut. Välj ett annat.",
    "m.err.too_many_requests": "Det blev för många försök på kort tid. Vänta en stund och försök igen.",
    "m.err.unavailable": "Tjänsten är inte tillgänglig just nu. Försök igen om en stund.",
    "m.err.server": "Något gick fel på servern. Inget ändrades – försök igen om en stund.",
    "m.err.other": "Det gick inte. Inget ändrades – försök igen om en stund.",
  },
  en: {
    "alert.reason.egress": "LiveKit started to record or stream the room",
    "alert.reason.room_recording": "the room reported a recording in progress",
    "alert.reason.recorder_joined": "a recorder or an automated agent joined the room",
    "alert.reason.unknown": "the reason is unknown",
    "alert.room.unknown": "a room",
    "ops.alert.other": "An alert this page has no text for. The details are in the server's log.",
    "fac.media.reconnecting": "Reconnecting to sound and picture: {names}.",
    "ops.alert.in": "{pass}: {text}",
    "m.err.unknown_session": "That session is no longer in your program. Reload the page and choose another.",
    "m.err.unknown_pass": "That session is no longer in your program. Reload the page and choose another.",
    "m.err.session_over": "That session is over. Choose another one.",
    "m.err.too_many_requests": "Too many tries in a short time. Wait a while and try again.",
    "m.err.unavailable": "The service is not available right now. Try again in a moment.",
    "m.err.server": "Something went wrong on the server. Nothing changed – try again in a moment.",
    "m.err.other": "That did not work. Nothing changed – try again in a moment.",
  },
};
