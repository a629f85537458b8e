// Every user-facing string, in Swedish (the default) and English. The
// chosen language is kept in localStorage. Static markup names its string
// with data-i18n (text), data-i18n-label (aria-label), data-i18n-title or
// data-i18n-placeholder; code calls t(). A figure the server owns (a
// length limit, an echo threshold) is a placeholder filled from contract.js,
// never a number typed into a sentence.

import { LIMITS, ECHO_THRESHOLDS } from "./contract.js";

export const LANGS = ["sv", "en"];
const STORE_KEY = "onlive.lang";

export const STRINGS = {
  sv: {
    "app.norec": "Inget spelas in.",
    "app.skip": "Hoppa till innehållet",
    "app.lang.switch": "English",
    "app.lang.label": "Byt språk till engelska",
    "conn.connecting": "Ansluter…",
    "conn.online": "Ansluten",
    "conn.offline": "Anslutningen bröts – försöker igen…",
    "conn.refused": "Kunde inte ansluta: {message}",
    "conn.nolink": "Länken saknar inloggning. Öppna hela länken du fick.",
    "err.invalid_credential": "Länken fungerar inte. Be facilitatorn om en ny länk.",
    "err.missing_credential": "Länken saknar inloggning. Öppna hela länken du fick.",
    "err.wrong_role": "Länken är till en annan sida. Öppna länken du fick för den här sidan.",
    "err.expired_credential": "Länken har gått ut. Be om en ny länk.",
    "err.pass_ended": "Passet är slut. Tack för att du var med!",
    "err.generic": "Något gick fel: {message}",
    "err.timeout": "Servern svarade inte. Försök igen.",

    "phase.lobby": "Väntar på start",
    "phase.running": "Pågår",
    "phase.ended": "Avslutat",
    "lobby.wait": "Facilitatorn startar passet snart. Kolla gärna att kamera och mikrofon fungerar.",
    "ended.thanks": "Passet är slut. Tack för att du var med!",
    "step.of": "Steg {n} av {total}",
    "step.none": "Inget steg ännu",
    "timer.label": "Tid kvar",
    "timer.recall": "Tillbaka till storgruppen om",
    "timer.breakout": "Tid kvar i rummet",
    "timer.step": "Tid kvar",
    "timer.paused": "Pausat",
    "timer.up": "Tiden är ute",
    "timer.none": "Ingen tidsgräns",
    "turn.label": "Tur {n} – rollbyte om",
    "role.yours": "Din roll: {role}",

    "room.main": "Storgruppen",
    "room.breakout.pair": "Parrum",
    "room.breakout.trio": "Triorum",
    "room.breakout.group": "Grupprum",
    "room.none": "Inte i något rum",
    "room.with": "Du är med: {names}",
    "room.why": "Därför är ni ihop:",
    "room.waiting": "Väntar på att grupprummen öppnas…",
    "move.connect": "Ansluter till rummet…",
    "move.pair": "Flyttar dig till ditt par…",
    "move.trio": "Flyttar dig till din trio…",
    "move.group": "Flyttar dig till din grupp…",
    "move.main": "Flyttar dig till storgruppen…",
    "move.failed": "Kunde inte ansluta till rummet. Försöker igen…",

    "reason.new-contact": "ni har inte träffats förut",
    "reason.cross-department": "olika avdelningar",
    "reason.cross-site": "olika orter",
    "reason.repeat-avoided": "undviker att samma personer möts igen",
    "reason.repeat": "ni har träffats förut",
    "reason.same-department": "samma avdelning",
    "reason.late-joiner": "kom in sent",
    "reason.regrouped": "ny gruppering",
    "reason.moved": "flyttad av facilitatorn",
    "reason.alone": "ensam: ingen ny gruppering håller reglerna – flytta någon hit",

    "media.mic.on": "Stäng av mikrofonen",
    "media.mic.off": "Slå på mikrofonen",
    "media.cam.on": "Stäng av kameran",
    "media.cam.off": "Slå på kameran",
    "media.mic": "Mikrofon",
    "media.cam": "Kamera",
    "media.you": "Du",
    "media.camoff": "Kameran är av",
    "media.nodevice": "Ingen kamera eller mikrofon hittades. Du kan fortfarande se och höra de andra.",
    "media.speaking": "pratar",
    "media.muted": "mikrofon av",
    "media.facilitator": "Facilitator",
    "media.video": "Video: {name}",
    "media.grid": "Deltagare i rummet",

    "help.button": "Be om hjälp",
    "help.title": "Be facilitatorn om hjälp",
    "help.text": "Vad behöver du? (valfritt)",
    "help.send": "Skicka",
    "help.cancel": "Avbryt",
    "help.sent": "Facilitatorn har fått ditt meddelande.",

    "answer.heading": "Ditt svar",
    "answer.send": "Skicka",
    "answer.update": "Ändra svar",
    "answer.sending": "Skickar…",
    "answer.saved": "Sparat.",
    "answer.retry": "Kunde inte spara. Försök igen.",
    "answer.energy": "Energi just nu",
    "answer.energy.low": "1 = låg",
    "answer.energy.high": "5 = hög",
    "answer.energy.range": "1 = låg, 5 = hög",
    "answer.word": "Ett ord",
    "answer.word.hint": "Ett ord, högst {answerWordChars} tecken.",
    "answer.word.bad": "Skriv ett enda ord (högst {answerWordChars} tecken).",
    "answer.energy.bad": "Välj din energi, 1 till 5.",
    "answer.text": "Din text",
    "answer.text.bad": "Skriv något först.",
    "answer.scale": "Välj ett värde",
    "answer.scale.bad": "Välj ett värde.",
    "answer.poll.one": "Välj ett alternativ",
    "answer.poll.many": "Välj ett eller flera alternativ",
    "answer.poll.bad": "Välj minst ett alternativ.",
    "answer.words": "Upp till {n} ord",
    "answer.words.hint": "Skilj orden åt med mellanslag eller komma.",
    "answer.words.bad": "Skriv 1 till {n} ord.",
    "answer.tried": "Provade du det du tänkte göra?",
    "answer.tried.yes": "Ja",
    "answer.tried.partly": "Delvis",
    "answer.tried.no": "Nej",
    "answer.tried.bad": "Välj ja, delvis eller nej.",
    "answer.tried.text": "Hur gick det? (valfritt)",
    "vis.private": "Bara du ser ditt svar.",
    "vis.group": "Din grupp ser svaren.",
    "vis.plenary": "Svaren visas för alla, utan namn.",
    "vis.leadership": "Ledningen ser bara en sammanställning utan namn.",

    "cue.title": "Meddelande",
    "cue.close": "Stäng meddelandet",
    "message.from": "Från facilitatorn",

    "fac.title": "Facilitatorns panel",
    "fac.controls": "Styrning",
    "fac.start": "Starta passet",
    "fac.back": "Föregående steg",
    "fac.next": "Nästa steg",
    "fac.pause": "Pausa",
    "fac.resume": "Fortsätt",
    "fac.extend": "+1 minut",
    "fac.open": "Öppna grupprum",
    "fac.recall": "Kalla tillbaka",
    "fac.recall.in": "Nedräkning (sekunder)",
    "fac.end": "Avsluta passet",
    "fac.end.confirm": "Avsluta passet för alla?",
    "fac.broadcast": "Meddelande till alla rum",
    "fac.broadcast.send": "Skicka meddelande",
    "fac.broadcast.sent": "Meddelandet skickat.",
    "fac.done": "Klart.",
    "fac.outline": "Passets steg",
    "fac.current": "Nu",
    "fac.step.edit": "Redigera",
    "fac.edit.title": "Redigera steg: {title}",
    "fac.edit.title_sv": "Rubrik (svenska)",
    "fac.edit.title_en": "Rubrik (engelska)",
    "fac.edit.prompt_sv": "Instruktion (svenska)",
    "fac.edit.prompt_en": "Instruktion (engelska)",
    "fac.edit.duration": "Tid (sekunder)",
    "fac.edit.save": "Spara",
    "fac.edit.cancel": "Avbryt",
    "fac.edit.lobby": "Stegen kan redigeras innan passet startar.",
    "fac.edit.blank": "Lämna tomt för att behålla det nuvarande.",
    "fac.results": "Svar just nu",
    "fac.results.none": "Det här steget har inga svar.",
    "fac.results.count": "{n} har svarat",
    "fac.results.suppressed": "Visas när tillräckligt många har svarat (anonymitet).",
    "fac.results.hidden": "Svaren är privata; bara antalet visas.",
    "fac.results.leadership": "Ledningen ser svaren sammanställda efter passet.",
    "fac.results.energy": "Energi",
    "fac.results.words": "Ord",
    "fac.results.choices": "Val",
    "fac.results.mean": "Medel {mean}",
    "fac.results.texts": "Texter",
    "fac.results.tried": "Provade",
    "fac.results.group": "Grupp {n}",
    "fac.roster": "Deltagare",
    "fac.roster.name": "Namn",
    "fac.roster.department": "Avdelning",
    "fac.roster.site": "Ort",
    "fac.roster.status": "Status",
    "fac.roster.room": "Rum",
    "fac.roster.quality": "Anslutning",
    "quality.excellent": "Utmärkt",
    "quality.good": "Bra",
    "quality.poor": "Svag",
    "quality.lost": "Bruten",
    "quality.unknown": "Okänd",
    "fac.roster.online": "Ansluten",
    "fac.roster.offline": "Inte ansluten",
    "fac.roster.present": "{n} närvarande",
    "fac.groups": "Grupprum",
    "fac.groups.none": "Grupprummen är stängda.",
    "fac.group": "Grupp {n}",
    "fac.join": "Gå in i rummet",
    "fac.joinmain": "Tillbaka till storgruppen",
    "fac.you.in": "Du är i: {room}",
    "fac.move": "Flytta en deltagare",
    "fac.move.person": "Deltagare",
    "fac.move.to": "Till grupp",
    "fac.move.go": "Flytta",
    "fac.help": "Hjälpförfrågningar",
    "fac.help.none": "Inga just nu.",
    "fac.help.item": "{name} ({room}): {text}",
    "fac.alerts": "Larm",
    "fac.alerts.none": "Inga larm.",
    "fac.rooms.closed": "Grupprum stängda",
    "fac.rooms.open": "Grupprum öppna (omgång {n})",
    "fac.rooms.recalling": "Kallar tillbaka…",
    "fac.video": "Din video",

    "ops.title": "Drift",
    "ops.health": "Hälsa",
    "ops.redis": "Redis",
    "ops.livekit": "LiveKit",
    "ops.ok": "OK ({ms} ms)",
    "ops.down": "NERE",
    "ops.lag": "Fördröjning i händelseloopen",
    "ops.lag.value": "senast {last} ms, max {max} ms",
    "ops.connections": "Anslutningar",
    "ops.passes": "Pågående pass",
    "ops.passes.none": "Inga pass pågår.",
    "ops.pass": "Pass",
    "ops.phase": "Fas",
    "ops.step": "Steg",
    "ops.present": "Närvarande",
    "ops.rooms": "Rum (deltagare)",
    "ops.alerts": "Larm",
    "ops.alerts.none": "Inga larm.",
    "ops.updated": "Uppdaterat {time}",

    "pre.title": "Innan du går in",
    "pre.phase.lobby": "Passet har inte börjat ännu. Gå in när du är redo.",
    "pre.phase.running": "Passet har börjat. Gå in när du är redo.",
    "pre.norec": "Inget spelas in – varken ljud, bild eller text. Testet nedan skickar bara tillbaka din egen bild och ditt ljud till dig.",
    "pre.preview": "Din kamera",
    "pre.preview.label": "Förhandsvisning av din kamera",
    "pre.nocamera": "Ingen kamera hittades. De andra ser din initial i stället för bild.",
    "pre.echo.caption": "Tillbaka från servern – så ser och hör de andra dig",
    "pre.echo.label": "Din bild och ditt ljud tillbaka från servern",
    "pre.name": "Ditt namn, som de andra ser det",
    "pre.name.hint": "Lämna tomt för att använda namnet från inbjudan.",
    "pre.name.long": "Namnet får vara högst {nameChars} tecken.",
    "pre.camera.n": "Kamera {n}",
    "pre.mic.n": "Mikrofon {n}",
    "pre.device.none": "Ingen hittades",
    "pre.join": "Gå in",
    "echo.heading": "Testa ljud och bild",
    "echo.intro": "Servern skickar tillbaka din bild och ditt ljud. Du ser och hör dig själv med nätets fördröjning, och får veta hur bra anslutningen är. Inget sparas.",
    "echo.start": "Testa ljud och bild",
    "echo.again": "Testa igen",
    "echo.stop": "Avsluta testet",
    "echo.starting": "Startar testet…",
    "echo.measuring": "Nu ser och hör du dig själv via servern. Mäter anslutningen, några sekunder…",
    "echo.done": "Klart. Testet stängs av om en halv minut.",
    "echo.stopped": "Testet är avslutat.",
    "echo.busy": "Alla ljud- och bildtester används just nu. Försök igen om {s} sekunder.",
    "echo.retry": "Du kan försöka igen nu.",
    "echo.failed": "Testet kunde inte köras: {message}",
    "echo.unknown": "okänd",
    "echo.verdict.good": "Bra: ljud och bild bör fungera fint.",
    "echo.verdict.fair": "Godkänt: det fungerar, men ljud eller bild kan hacka ibland.",
    "echo.verdict.poor": "Svagt: ljud och bild kommer troligen att hacka eller frysa.",
    "echo.rtt": "Fördröjning tur och retur: {ms} ms",
    "echo.jitter": "Jitter (ojämnhet): {ms} ms",
    "echo.loss": "Förlorade paket: {pct} %",
    "echo.why.delay": "Fördröjningen är lång.",
    "echo.why.jitter": "Paketen kommer ojämnt.",
    "echo.why.loss": "En del paket kommer aldrig fram.",
    "echo.why.nomedia": "Inget ljud eller ingen bild kom fram till servern.",
    "echo.advice": "Det kan hjälpa att stänga andra program som använder nätet, sitta närmare wifi-routern eller använda kabel.",
    "echo.help": "Hur bedöms testet?",
    "echo.help.text": "Fördröjning är tiden tur och retur till servern, jitter hur ojämnt paketen kommer fram, förlust hur stor del som aldrig kommer fram.",
    "echo.help.good": "Bra: fördröjning högst {goodRttMs} ms, jitter högst {goodJitterMs} ms och högst {goodLossPct} % förlust.",
    "echo.help.fair": "Godkänt: fördröjning högst {fairRttMs} ms, jitter högst {fairJitterMs} ms och högst {fairLossPct} % förlust.",
    "echo.help.poor": "Svagt: allt sämre än så, eller om inget ljud eller ingen bild kom fram.",

    "journal.open": "Min dagbok",
    "journal.title": "Min dagbok",
    "journal.private": "Bara du ser din dagbok: dina incheckningar, åtaganden och uppföljningar från alla pass, det senaste först.",
    "journal.close": "Stäng",
    "journal.loading": "Hämtar…",
    "journal.empty": "Dagboken är tom än så länge. Dina incheckningar och åtaganden hamnar här.",
    "journal.kind.check-in": "Incheckning",
    "journal.kind.commitment": "Åtagande",
    "journal.kind.follow-up": "Uppföljning",
    "journal.energy": "Energi: {n} av 5",
    "journal.word": "Ord: {word}",
    "journal.text": "{text}",
    "journal.tried": "Provade: {answer}",
    "follow.last": "Förra gången bestämde du dig för:",
    "follow.from": "Från {title}, {date}.",
    "follow.private": "Bara du ser det här.",
    "follow.none": "Du har inget sparat åtagande från ett tidigare pass. Tänk gärna på något du har provat sedan sist.",

    "ops.echo": "Ljud- och bildtester",
    "ops.echo.value": "{active} av {capacity}",
  },
  en: {
    "app.norec": "Nothing is recorded.",
    "app.skip": "Skip to content",
    "app.lang.switch": "Svenska",
    "app.lang.label": "Switch language to Swedish",
    "conn.connecting": "Connecting…",
    "conn.online": "Connected",
    "conn.offline": "Connection lost – retrying…",
    "conn.refused": "Could not connect: {message}",
    "conn.nolink": "The link has no sign-in. Open the whole link you were sent.",
    "err.invalid_credential": "This link does not work. Ask the facilitator for a new link.",
    "err.missing_credential": "The link has no sign-in. Open the whole link you were sent.",
    "err.wrong_role": "This link is for another page. Open the link you were sent for this page.",
    "err.expired_credential": "This link has expired. Ask for a new link.",
    "err.pass_ended": "The pass has ended. Thank you for taking part!",
    "err.generic": "Something went wrong: {message}",
    "err.timeout": "The server did not answer. Try again.",

    "phase.lobby": "Waiting to start",
    "phase.running": "Running",
    "phase.ended": "Ended",
    "lobby.wait": "The facilitator will start the pass soon. Check that your camera and microphone work.",
    "ended.thanks": "The pass has ended. Thank you for taking part!",
    "step.of": "Step {n} of {total}",
    "step.none": "No step yet",
    "timer.label": "Time left",
    "timer.recall": "Back to the main room in",
    "timer.breakout": "Time left in the room",
    "timer.step": "Time left",
    "timer.paused": "Paused",
    "timer.up": "Time is up",
    "timer.none": "No time limit",
    "turn.label": "Turn {n} – switch roles in",
    "role.yours": "Your role: {role}",

    "room.main": "Main room",
    "room.breakout.pair": "Pair room",
    "room.breakout.trio": "Trio room",
    "room.breakout.group": "Group room",
    "room.none": "Not in a room",
    "room.with": "You are with: {names}",
    "room.why": "Why you are together:",
    "room.waiting": "Waiting for the breakout rooms to open…",
    "move.connect": "Connecting to the room…",
    "move.pair": "Moving you to your pair…",
    "move.trio": "Moving you to your trio…",
    "move.group": "Moving you to your group…",
    "move.main": "Moving you to the main room…",
    "move.failed": "Could not connect to the room. Retrying…",

    "reason.new-contact": "you have not met before",
    "reason.cross-department": "different departments",
    "reason.cross-site": "different sites",
    "reason.repeat-avoided": "avoids the same people meeting again",
    "reason.repeat": "you have met before",
    "reason.same-department": "same department",
    "reason.late-joiner": "joined late",
    "reason.regrouped": "regrouped",
    "reason.moved": "moved by the facilitator",
    "reason.alone": "alone: no regrouping keeps the rules – move someone here",

    "media.mic.on": "Turn the microphone off",
    "media.mic.off": "Turn the microphone on",
    "media.cam.on": "Turn the camera off",
    "media.cam.off": "Turn the camera on",
    "media.mic": "Microphone",
    "media.cam": "Camera",
    "media.you": "You",
    "media.camoff": "Camera is off",
    "media.nodevice": "No camera or microphone was found. You can still see and hear the others.",
    "media.speaking": "speaking",
    "media.muted": "microphone off",
    "media.facilitator": "Facilitator",
    "media.video": "Video: {name}",
    "media.grid": "People in the room",

    "help.button": "Ask for help",
    "help.title": "Ask the facilitator for help",
    "help.text": "What do you need? (optional)",
    "help.send": "Send",
    "help.cancel": "Cancel",
    "help.sent": "The facilitator has your message.",

    "answer.heading": "Your answer",
    "answer.send": "Send",
    "answer.update": "Change answer",
    "answer.sending": "Sending…",
    "answer.saved": "Saved.",
    "answer.retry": "Could not save. Try again.",
    "answer.energy": "Energy right now",
    "answer.energy.low": "1 = low",
    "answer.energy.high": "5 = high",
    "answer.energy.range": "1 = low, 5 = high",
    "answer.word": "One word",
    "answer.word.hint": "One word, at most {answerWordChars} characters.",
    "answer.word.bad": "Write a single word (at most {answerWordChars} characters).",
    "answer.energy.bad": "Choose your energy, 1 to 5.",
    "answer.text": "Your text",
    "answer.text.bad": "Write something first.",
    "answer.scale": "Choose a value",
    "answer.scale.bad": "Choose a value.",
    "answer.poll.one": "Choose one option",
    "answer.poll.many": "Choose one or more options",
    "answer.poll.bad": "Choose at least one option.",
    "answer.words": "Up to {n} words",
    "answer.words.hint": "Separate words with spaces or commas.",
    "answer.words.bad": "Write 1 to {n} words.",
    "answer.tried": "Did you try what you planned?",
    "answer.tried.yes": "Yes",
    "answer.tried.partly": "Partly",
    "answer.tried.no": "No",
    "answer.tried.bad": "Choose yes, partly or no.",
    "answer.tried.text": "How did it go? (optional)",
    "vis.private": "Only you see your answer.",
    "vis.group": "Your group sees the answers.",
    "vis.plenary": "Answers are shown to everyone, without names.",
    "vis.leadership": "Leadership only sees a summary without names.",

    "cue.title": "Message",
    "cue.close": "Close the message",
    "message.from": "From the facilitator",

    "fac.title": "Facilitator panel",
    "fac.controls": "Controls",
    "fac.start": "Start the pass",
    "fac.back": "Previous step",
    "fac.next": "Next step",
    "fac.pause": "Pause",
    "fac.resume": "Resume",
    "fac.extend": "+1 minute",
    "fac.open": "Open breakout rooms",
    "fac.recall": "Recall",
    "fac.recall.in": "Countdown (seconds)",
    "fac.end": "End the pass",
    "fac.end.confirm": "End the pass for everyone?",
    "fac.broadcast": "Message to every room",
    "fac.broadcast.send": "Send message",
    "fac.broadcast.sent": "Message sent.",
    "fac.done": "Done.",
    "fac.outline": "Steps of the pass",
    "fac.current": "Now",
    "fac.step.edit": "Edit",
    "fac.edit.title": "Edit step: {title}",
    "fac.edit.title_sv": "Title (Swedish)",
    "fac.edit.title_en": "Title (English)",
    "fac.edit.prompt_sv": "Instruction (Swedish)",
    "fac.edit.prompt_en": "Instruction (English)",
    "fac.edit.duration": "Time (seconds)",
    "fac.edit.save": "Save",
    "fac.edit.cancel": "Cancel",
    "fac.edit.lobby": "Steps can be edited before the pass starts.",
    "fac.edit.blank": "Leave empty to keep the current one.",
    "fac.results": "Answers so far",
    "fac.results.none": "This step takes no answers.",
    "fac.results.count": "{n} answered",
    "fac.results.suppressed": "Shown once enough people have answered (anonymity).",
    "fac.results.hidden": "Answers are private; only the count is shown.",
    "fac.results.leadership": "Leadership sees the answers aggregated after the pass.",
    "fac.results.energy": "Energy",
    "fac.results.words": "Words",
    "fac.results.choices": "Choices",
    "fac.results.mean": "Mean {mean}",
    "fac.results.texts": "Texts",
    "fac.results.tried": "Tried",
    "fac.results.group": "Group {n}",
    "fac.roster": "Participants",
    "fac.roster.name": "Name",
    "fac.roster.department": "Department",
    "fac.roster.site": "Site",
    "fac.roster.status": "Status",
    "fac.roster.room": "Room",
    "fac.roster.quality": "Connection",
    "quality.excellent": "Excellent",
    "quality.good": "Good",
    "quality.poor": "Poor",
    "quality.lost": "Lost",
    "quality.unknown": "Unknown",
    "fac.roster.online": "Connected",
    "fac.roster.offline": "Not connected",
    "fac.roster.present": "{n} present",
    "fac.groups": "Breakout rooms",
    "fac.groups.none": "The breakout rooms are closed.",
    "fac.group": "Group {n}",
    "fac.join": "Drop in",
    "fac.joinmain": "Back to the main room",
    "fac.you.in": "You are in: {room}",
    "fac.move": "Move a participant",
    "fac.move.person": "Participant",
    "fac.move.to": "To group",
    "fac.move.go": "Move",
    "fac.help": "Help requests",
    "fac.help.none": "None right now.",
    "fac.help.item": "{name} ({room}): {text}",
    "fac.alerts": "Alerts",
    "fac.alerts.none": "No alerts.",
    "fac.rooms.closed": "Breakout rooms closed",
    "fac.rooms.open": "Breakout rooms open (round {n})",
    "fac.rooms.recalling": "Recalling…",
    "fac.video": "Your video",

    "ops.title": "Operations",
    "ops.health": "Health",
    "ops.redis": "Redis",
    "ops.livekit": "LiveKit",
    "ops.ok": "OK ({ms} ms)",
    "ops.down": "DOWN",
    "ops.lag": "Event loop lag",
    "ops.lag.value": "last {last} ms, max {max} ms",
    "ops.connections": "Connections",
    "ops.passes": "Running passes",
    "ops.passes.none": "No passes are running.",
    "ops.pass": "Pass",
    "ops.phase": "Phase",
    "ops.step": "Step",
    "ops.present": "Present",
    "ops.rooms": "Rooms (participants)",
    "ops.alerts": "Alerts",
    "ops.alerts.none": "No alerts.",
    "ops.updated": "Updated {time}",

    "pre.title": "Before you join",
    "pre.phase.lobby": "The pass has not started yet. Join when you are ready.",
    "pre.phase.running": "The pass has started. Join when you are ready.",
    "pre.norec": "Nothing is recorded – no sound, picture or text. The test below only sends your own picture and sound back to you.",
    "pre.preview": "Your camera",
    "pre.preview.label": "Preview of your camera",
    "pre.nocamera": "No camera was found. The others see your initial instead of a picture.",
    "pre.echo.caption": "Back from the server – how the others see and hear you",
    "pre.echo.label": "Your picture and sound back from the server",
    "pre.name": "Your name, as the others see it",
    "pre.name.hint": "Leave empty to use the name from your invitation.",
    "pre.name.long": "The name can be at most {nameChars} characters.",
    "pre.camera.n": "Camera {n}",
    "pre.mic.n": "Microphone {n}",
    "pre.device.none": "None found",
    "pre.join": "Join",
    "echo.heading": "Test sound and picture",
    "echo.intro": "The server sends your picture and sound back. You see and hear yourself with the network's delay, and learn how good the connection is. Nothing is kept.",
    "echo.start": "Test sound and picture",
    "echo.again": "Test again",
    "echo.stop": "Stop the test",
    "echo.starting": "Starting the test…",
    "echo.measuring": "You now see and hear yourself through the server. Measuring the connection, a few seconds…",
    "echo.done": "Done. The test turns itself off in half a minute.",
    "echo.stopped": "The test has stopped.",
    "echo.busy": "All sound and picture tests are in use right now. Try again in {s} seconds.",
    "echo.retry": "You can try again now.",
    "echo.failed": "The test could not run: {message}",
    "echo.unknown": "unknown",
    "echo.verdict.good": "Good: sound and picture should work well.",
    "echo.verdict.fair": "Fair: it works, but sound or picture may stutter now and then.",
    "echo.verdict.poor": "Poor: sound and picture will probably stutter or freeze.",
    "echo.rtt": "Round-trip delay: {ms} ms",
    "echo.jitter": "Jitter (unevenness): {ms} ms",
    "echo.loss": "Lost packets: {pct} %",
    "echo.why.delay": "The delay is long.",
    "echo.why.jitter": "Packets arrive unevenly.",
    "echo.why.loss": "Some packets never arrive.",
    "echo.why.nomedia": "No sound or picture reached the server.",
    "echo.advice": "It may help to close other programs that use the network, sit closer to the wifi router or use a cable.",
    "echo.help": "How is the test judged?",
    "echo.help.text": "Delay is the round trip to the server, jitter how unevenly packets arrive, loss the share that never arrives.",
    "echo.help.good": "Good: delay at most {goodRttMs} ms, jitter at most {goodJitterMs} ms and at most {goodLossPct} % loss.",
    "echo.help.fair": "Fair: delay at most {fairRttMs} ms, jitter at most {fairJitterMs} ms and at most {fairLossPct} % loss.",
    "echo.help.poor": "Poor: anything worse, or when no sound or picture arrived.",

    "journal.open": "My journal",
    "journal.title": "My journal",
    "journal.private": "Only you see your journal: your check-ins, commitments and follow-ups from every pass, newest first.",
    "journal.close": "Close",
    "journal.loading": "Loading…",
    "journal.empty": "Your journal is empty so far. Your check-ins and commitments will appear here.",
    "journal.kind.check-in": "Check-in",
    "journal.kind.commitment": "Commitment",
    "journal.kind.follow-up": "Follow-up",
    "journal.energy": "Energy: {n} of 5",
    "journal.word": "Word: {word}",
    "journal.text": "{text}",
    "journal.tried": "Tried: {answer}",
    "follow.last": "Last time you decided to:",
    "follow.from": "From {title}, {date}.",
    "follow.private": "Only you see this.",
    "follow.none": "You have no saved commitment from an earlier pass. Think of something you have tried since last time.",

    "ops.echo": "Sound and picture tests",
    "ops.echo.value": "{active} of {capacity}",
  },
};

function initialLang() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch {
    /* storage off */
  }
  return "sv";
}

let lang = initialLang();
const listeners = new Set();

export const getLang = () => lang;

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORE_KEY, next);
  } catch {
    /* storage off: the choice lasts for this page */
  }
  translateDom(document);
  for (const fn of listeners) fn(lang);
}

export const onLangChange = (fn) => listeners.add(fn);

const echoVars = (level, { rttMs, jitterMs, loss }) => ({
  [`${level}RttMs`]: rttMs,
  [`${level}JitterMs`]: jitterMs,
  [`${level}LossPct`]: Math.round(loss * 1000) / 10, // 0.01 -> 1
});

/**
 * Placeholders any string may use without the caller passing them: every
 * LIMITS key ({nameChars}, {answerWordChars}, …) and the echo thresholds
 * ({goodRttMs}, {goodJitterMs}, {goodLossPct}, and the same for fair).
 */
export const CONTRACT_VARS = Object.freeze({
  ...LIMITS,
  ...echoVars("good", ECHO_THRESHOLDS.good),
  ...echoVars("fair", ECHO_THRESHOLDS.fair),
});

/** `text` with {name} placeholders filled from `vars`, else from CONTRACT_VARS. */
export function interpolate(text, vars = {}) {
  return text.replace(/\{(\w+)\}/g, (_, name) =>
    name in vars ? String(vars[name]) : name in CONTRACT_VARS ? String(CONTRACT_VARS[name]) : `{${name}}`);
}

/** The string `key` in the current language, with {name} placeholders filled. */
export function t(key, vars = {}) {
  return interpolate(STRINGS[lang][key] ?? STRINGS.sv[key] ?? key, vars);
}

/** A {sv, en} text from the server in the current language. */
export function pick(text) {
  if (text == null) return "";
  if (typeof text === "string") return text;
  return text[lang] || text.sv || text.en || "";
}

/**
 * Props for dom.h() that show `key` now and follow later language changes
 * (data-i18n, with data-i18n-vars for placeholders).
 */
export function tx(key, vars = null, dataset = {}) {
  const data = { ...dataset, i18n: key };
  if (vars) data.i18nVars = JSON.stringify(vars);
  return { text: t(key, vars || {}), dataset: data };
}

/** Props for a {sv, en} text from the server that follows language changes. */
export function px(text, dataset = {}) {
  return { text: pick(text), dataset: { ...dataset, textSv: text?.sv ?? "", textEn: text?.en ?? "" } };
}

export function translateDom(root) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, el.dataset.i18nVars ? JSON.parse(el.dataset.i18nVars) : {});
  }
  for (const el of root.querySelectorAll("[data-text-sv]")) {
    el.textContent = pick({ sv: el.dataset.textSv, en: el.dataset.textEn });
  }
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}

/** Wire the language toggle button (#lang) and translate the static markup. */
export function setupLanguage() {
  const button = document.getElementById("lang");
  const paint = () => {
    if (!button) return;
    button.textContent = t("app.lang.switch");
    button.setAttribute("lang", lang === "sv" ? "en" : "sv");
    button.title = t("app.lang.label");
  };
  if (button) button.addEventListener("click", () => setLang(lang === "sv" ? "en" : "sv"));
  onLangChange(paint);
  translateDom(document);
  paint();
}
