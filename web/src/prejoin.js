// The pre-join screen: the name others will see, a camera and microphone
// preview with device pickers, the echo test, and the statement that
// nothing is recorded. "Join" hands the choice to the participant page,
// which remembers it for this tab so a reload goes straight back into the pass.

import { $, h, fill } from "./dom.js";
import { t, tx, errorKey, onLangChange } from "./i18n.js";
import { EchoTest, echoConcerns, echoFigures } from "./echo.js";
import { LIMITS } from "./contract.js";

const PREVIEW = { width: 320, height: 180, frameRate: 15 };
const ECHO_LINGER_MS = 30_000; // the echo stays on this long after the verdict

const STORE_KEY = "onlive.p.prejoin";

/**
 * The stored choice for this ticket ({name, camera, mic, joined}), or null.
 * Tied to the ticket so that a new link (another pass) starts with the
 * pre-join screen again.
 */
export function loadChoice(ticket) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    return saved && saved.tag === ticketTag(ticket) ? saved : null;
  } catch {
    return null;
  }
}

export function saveChoice(ticket, choice) {
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify({ ...choice, tag: ticketTag(ticket) }));
  } catch {
    /* storage off: a reload shows the pre-join screen again */
  }
}

/** The signature part of the ticket: tells tickets apart without storing one twice. */
const ticketTag = (ticket) => String(ticket || "").split(".").pop().slice(0, 24);

/**
 * PreJoin({socket, initialName, onJoin, onEnter})
 *   show() opens the camera and microphone for the preview.
 *   onJoin({name, camera, mic}) does what must succeed first (the name);
 *   an AckError it throws is shown on the screen and the person stays.
 *   onEnter(choice) follows once the preview and any echo test have
 *   stopped, so the camera is free for the room.
 */
export class PreJoin {
  constructor({ socket, initialName = "", onJoin, onEnter }) {
    this.socket = socket;
    this.onJoin = onJoin;
    this.onEnter = onEnter;
    this.stream = null;
    this.echo = null;
    this.echoTimer = null;
    this.retryTimer = null;
    this.lastReport = null;
    this.echoKey = null; // the i18n key of the echo status line
    this.echoVars = {};
    this.el = {
      section: $("#prejoin"),
      preview: $("#preview"),
      previewTile: $("#preview-tile"),
      note: $("#preview-note"),
      name: $("#name-input"),
      camera: $("#camera-select"),
      mic: $("#mic-select"),
      start: $("#echo-start"),
      stop: $("#echo-stop"),
      echoTile: $("#echo-tile"),
      echoVideo: $("#echo-video"),
      status: $("#echo-status"),
      result: $("#echo-result"),
      error: $("#prejoin-error"),
      form: $("#prejoin-form"),
      join: $("#join"),
    };
    this.el.name.maxLength = LIMITS.nameChars;
    if (initialName && !this.el.name.value) this.el.name.value = initialName;
    this.el.camera.addEventListener("change", () => this.openPreview());
    this.el.mic.addEventListener("change", () => this.openPreview());
    this.el.start.addEventListener("click", () => this.runEcho());
    this.el.stop.addEventListener("click", () => this.stopEcho());
    this.el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.join();
    });
    onLangChange(() => this.paint());
  }

  async show() {
    this.el.section.hidden = false;
    this.paint();
    await this.openPreview();
  }

  hide() {
    this.el.section.hidden = true;
  }

  /** Stop everything (the pass ended or the link was refused). */
  async leave() {
    await this.stopEcho();
    this.stopPreview();
    this.hide();
  }

  /** Prefill the name field once, unless the person has typed already. */
  suggestName(name) {
    if (!this.el.name.value && !this.suggested) this.el.name.value = name;
    this.suggested = true;
  }

  // -- preview and devices ----------------------------------------------------

  async openPreview() {
    await this.stopEcho();
    this.stopPreview();
    const camera = this.el.camera.value || null;
    const mic = this.el.mic.value || null;
    const video = { ...PREVIEW, ...(camera ? { deviceId: { exact: camera } } : {}) };
    const audio = { echoCancellation: true, noiseSuppression: true, ...(mic ? { deviceId: { exact: mic } } : {}) };
    let stream = null;
    // Both, else whichever one works: a person without a camera can still join.
    for (const constraints of [{ video, audio }, { audio }, { video }]) {
      try {
        stream = await navigator.mediaDevices.getUserMedia(constraints);
        break;
      } catch (error) {
        this.deviceError = error;
      }
    }
    this.stream = stream;
    this.el.preview.srcObject = stream;
    const hasVideo = !!stream && stream.getVideoTracks().length > 0;
    this.el.previewTile.classList.toggle("cam-off", !hasVideo);
    this.say(this.el.note, stream ? (hasVideo ? null : "pre.nocamera") : "media.nodevice");
    await this.listDevices();
    this.paint();
  }

  stopPreview() {
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.el.preview.srcObject = null;
  }

  async listDevices() {
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      /* no device list: the pickers stay empty and the defaults are used */
    }
    const using = (kind) => {
      const track = this.stream && (kind === "videoinput" ? this.stream.getVideoTracks() : this.stream.getAudioTracks())[0];
      return track ? track.getSettings().deviceId : null;
    };
    for (const [select, kind, key] of [[this.el.camera, "videoinput", "pre.camera.n"], [this.el.mic, "audioinput", "pre.mic.n"]]) {
      const list = devices.filter((d) => d.kind === kind && d.deviceId);
      const current = using(kind) || select.value;
      fill(select, list.length
        ? list.map((d, i) => h("option", { value: d.deviceId, text: d.label || t(key, { n: i + 1 }) }))
        : h("option", { value: "", ...tx("pre.device.none") }));
      if (current && list.some((d) => d.deviceId === current)) select.value = current;
      select.disabled = list.length === 0;
    }
  }

  // -- echo test ----------------------------------------------------------------

  async runEcho() {
    if (!this.stream || this.echo) return;
    clearTimeout(this.retryTimer);
    this.lastReport = null;
    this.el.result.hidden = true;
    this.el.result.dataset.verdict = "";
    this.setEcho("echo.starting");
    const test = new EchoTest(this.socket, this.stream, {
      onEcho: (echoed) => {
        if (this.echo !== test) return;
        this.el.echoVideo.srcObject = echoed;
        this.el.echoTile.hidden = false;
      },
    });
    this.echo = test;
    this.paint();
    try {
      await test.start();
      if (this.echo !== test) return;
      this.setEcho("echo.measuring");
      const report = await test.report();
      if (this.echo !== test) return;
      this.showReport(report);
      this.setEcho("echo.done");
      this.echoTimer = setTimeout(() => this.stopEcho(), ECHO_LINGER_MS);
    } catch (error) {
      if (this.echo !== test) return;
      await this.stopEcho();
      if (error.code === "busy") {
        const seconds = Math.max(1, Math.ceil(error.retryAfter ?? 10));
        this.setEcho("echo.busy", { s: seconds });
        this.el.start.disabled = true;
        this.retryTimer = setTimeout(() => {
          this.el.start.disabled = false;
          this.setEcho("echo.retry");
        }, seconds * 1000);
      } else if (error.code === "timeout") {
        this.setEcho("err.timeout");
      } else {
        console.warn("echo test failed", error);
        this.setEcho("echo.failed");
      }
    }
  }

  async stopEcho() {
    clearTimeout(this.echoTimer);
    const test = this.echo;
    this.echo = null;
    this.el.echoVideo.srcObject = null;
    this.el.echoTile.hidden = true;
    if (test) {
      if (!this.lastReport) this.setEcho("echo.stopped");
      await test.close();
    }
    this.paint();
  }

  showReport(report) {
    this.lastReport = report;
    const f = echoFigures(report);
    const el = this.el.result;
    el.hidden = false;
    el.dataset.verdict = report.verdict;
    el.dataset.rttMs = f.rtt == null ? "" : String(f.rtt);
    el.dataset.jitterMs = f.jitter == null ? "" : String(f.jitter);
    el.dataset.loss = f.loss == null ? "" : String(f.loss);
    const unknown = t("echo.unknown");
    const concerns = report.verdict === "good" ? [] : echoConcerns(report);
    fill(el,
      h("p", { class: "echo-verdict", ...tx(`echo.verdict.${report.verdict}`) }),
      h("ul", { class: "echo-figures" },
        h("li", tx("echo.rtt", { ms: f.rtt ?? unknown })),
        h("li", tx("echo.jitter", { ms: f.jitter ?? unknown })),
        h("li", tx("echo.loss", { pct: f.loss ?? unknown }))),
      concerns.length ? h("ul", { class: "echo-why" }, concerns.map((key) => h("li", tx(key)))) : null,
      report.verdict === "good" ? null : h("p", { class: "hint", ...tx("echo.advice") }));
  }

  setEcho(key, vars = {}) {
    this.echoKey = key;
    this.echoVars = vars;
    this.say(this.el.status, key, vars);
  }

  say(el, key, vars = {}) {
    el.hidden = !key;
    if (!key) {
      el.textContent = "";
      delete el.dataset.i18n;
      return;
    }
    el.textContent = t(key, vars);
    el.dataset.i18n = key;
    el.dataset.i18nVars = JSON.stringify(vars);
  }

  paint() {
    const running = !!this.echo;
    this.el.start.hidden = running;
    this.el.stop.hidden = !running;
    if (!this.retryTimer || !this.el.start.disabled) this.el.start.disabled = !this.stream;
    this.el.start.textContent = t(this.lastReport ? "echo.again" : "echo.start");
    this.el.start.dataset.i18n = this.lastReport ? "echo.again" : "echo.start";
  }

  // -- join -------------------------------------------------------------------

  async join() {
    const name = this.el.name.value.trim().replace(/\s+/g, " ");
    this.say(this.el.error, null);
    this.el.name.removeAttribute("aria-invalid");
    if (name.length > LIMITS.nameChars) {
      this.el.name.setAttribute("aria-invalid", "true");
      this.say(this.el.error, "pre.name.long");
      this.el.name.focus();
      return;
    }
    const choice = { name, camera: this.el.camera.value || null, mic: this.el.mic.value || null };
    this.el.join.disabled = true;
    try {
      await this.stopEcho();
      await this.onJoin(choice);
    } catch (error) {
      if (error.code === "out_of_range" || error.code === "bad_payload") {
        this.el.name.setAttribute("aria-invalid", "true");
        this.el.name.focus();
      }
      this.say(this.el.error, errorKey(error));
      this.el.join.disabled = false;
      return;
    }
    this.el.join.disabled = false;
    this.stopPreview(); // the camera is free for the room
    this.hide();
    this.onEnter(choice);
  }
}
