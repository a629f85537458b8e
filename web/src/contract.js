// Generated from the Python definitions by `onlive contract`; do not edit. A test fails when it drifts.

export const LIMITS = Object.freeze({
  answerWordChars: 40,
  answerTextChars: 2000,
  nameChars: 60,
  helpTextChars: 500,
  broadcastChars: 500,
  editTitleChars: 120,
  editPromptChars: 4000,
  recallSeconds: 600,
  stepSeconds: 28800,
  eventBytes: 65536,
});

export const ECHO_THRESHOLDS = Object.freeze({
  good: Object.freeze({
    rttMs: 150,
    jitterMs: 30,
    loss: 0.01,
  }),
  fair: Object.freeze({
    rttMs: 300,
    jitterMs: 50,
    loss: 0.05,
  }),
});

export const EVENTS = Object.freeze({
  ANSWER: "answer",
  SYNC: "sync",
  TOKEN: "token",
  HELP: "help",
  COMMAND: "command",
  JOURNAL: "journal",
  SET_NAME: "set_name",
  QUALITY: "quality",
  ECHO_OFFER: "echo_offer",
  ECHO_REPORT: "echo_report",
  ECHO_CLOSE: "echo_close",
  SNAPSHOT: "snapshot",
  STATE: "state",
  ASSIGNMENT: "assignment",
  FACILITATOR: "facilitator",
  CUE: "cue",
  ALERT: "alert",
  FOLLOW_UP: "follow_up",
  SERVICE: "service",
  RESULTS: "results",
});

export const COMMANDS = Object.freeze({
  START: "start",
  NEXT: "next",
  BACK: "back",
  PAUSE: "pause",
  RESUME: "resume",
  EXTEND: "extend",
  OPEN_BREAKOUTS: "open_breakouts",
  BROADCAST: "broadcast",
  RECALL: "recall",
  MOVE: "move",
  SWAP: "swap",
  END: "end",
  EDIT_STEP: "edit_step",
  JOIN_ROOM: "join_room",
  HELP_DONE: "help_done",
});

export const NAMESPACES = Object.freeze({
  PARTICIPANT: "/participant",
  FACILITATOR: "/facilitator",
  OPS: "/ops",
});

export const NAME_REFUSALS = Object.freeze(["name_empty", "name_too_long", "name_mixed_script", "name_reserved", "name_taken", "name_lookalike"]);
