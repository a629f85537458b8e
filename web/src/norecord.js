// onlive never records. Each page imports this module first, so the
// browser's recorder is gone before any library is evaluated: nothing in
// the bundle (livekit-client ships an optional pre-connect recorder meant
// for agents) can start one, whatever it is asked to do.
try {
  Object.defineProperty(globalThis, "MediaRecorder", { value: undefined, writable: false, configurable: false });
} catch {
  // Already locked down by an earlier import: nothing left to do.
}
