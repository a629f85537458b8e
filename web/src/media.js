// The video stage: one LiveKit room at a time, our own camera and
// microphone published small, everyone else's tracks in a grid, and a
// speaking indicator. Switching rooms keeps the local tracks (the camera is
// opened once) and never reloads the page. Nothing is ever recorded: this
// module only plays tracks, and no page records media in any way.

import { Room, RoomEvent, Track, createLocalTracks } from "livekit-client";
import { h, fill } from "./dom.js";
import { t, onLangChange } from "./i18n.js";

const CAPTURE = { resolution: { width: 320, height: 180, frameRate: 15 } };
const ROOM_OPTIONS = {
  adaptiveStream: false,
  dynacast: true,
  stopLocalTrackOnUnpublish: false,
  disconnectOnPageLeave: true,
  videoCaptureDefaults: CAPTURE,
  publishDefaults: {
    simulcast: false,
    videoEncoding: { maxBitrate: 250_000, maxFramerate: 15 },
    dtx: true,
  },
};

/**
 * MediaStage(grid, {localName, onStatus})
 *   devices = {audio, video}: device ids to capture from (set before joining)
 *   join({url, token, room}) -> connects (leaving any other room first)
 *   leave(), setMic(on), setCamera(on)
 * `onStatus({state, room, error})` reports "connecting" | "connected" |
 * "reconnecting" | "disconnected" | "failed"; `onUnexpectedDisconnect(roomName)` fires when
 * the server ends our session (room closed, removed after a move).
 */
export class MediaStage {
  constructor(grid, { localName = "", onStatus = () => {}, onUnexpectedDisconnect = () => {}, onQuality = () => {} } = {}) {
    this.onQuality = onQuality;
    this.grid = grid;
    this.localName = localName;
    this.onStatus = onStatus;
    this.onUnexpectedDisconnect = onUnexpectedDisconnect;
    this.room = null;
    this.roomName = null;
    this.connected = false;
    this.tracks = null; // local tracks, created once
    this.micOn = true;
    this.camOn = true;
    this.tiles = new Map(); // identity -> tile
    this.deviceError = null;
    // Chosen before joining (the pre-join screen); null = the default device.
    this.devices = { audio: null, video: null };
    grid.setAttribute("aria-label", t("media.grid"));
    onLangChange(() => this.relabel());
  }

  async localTracks() {
    if (this.tracks) return this.tracks;
    try {
      // A device id given as a string is tried exactly, then as a preference
      // (livekit-client), so a camera unplugged since the choice still works.
      const audio = { echoCancellation: true, noiseSuppression: true };
      const video = { ...CAPTURE };
      if (this.devices.audio) audio.deviceId = this.devices.audio;
      if (this.devices.video) video.deviceId = this.devices.video;
      this.tracks = await createLocalTracks({ audio, video });
    } catch (error) {
      this.deviceError = error;
      this.tracks = [];
    }
    for (const track of this.tracks) {
      if (track.kind === Track.Kind.Audio && !this.micOn) await track.mute();
      if (track.kind === Track.Kind.Video && !this.camOn) await track.mute();
    }
    this.showLocal();
    return this.tracks;
  }

  get hasCamera() {
    return (this.tracks || []).some((tr) => tr.kind === Track.Kind.Video);
  }

  get hasMic() {
    return (this.tracks || []).some((tr) => tr.kind === Track.Kind.Audio);
  }

  /** This side's connection quality as LiveKit last rated it ("unknown" outside a room). */
  localQuality() {
    return String(this.room?.localParticipant?.connectionQuality || "unknown");
  }

  /** Connect to `target.room` with `target.token`; leaves the current room first. */
  async join(target) {
    await this.localTracks();
    if (this.room) await this.leave();
    const room = new Room(ROOM_OPTIONS);
    this.room = room;
    this.roomName = target.room;
    this.bind(room);
    this.onStatus({ state: "connecting", room: target.room });
    try {
      await room.connect(target.url, target.token, { rtcConfig: { iceServers: [] } });
    } catch (error) {
      if (this.room === room) {
        this.room = null;
        this.roomName = null;
      }
      this.onStatus({ state: "failed", room: target.room, error });
      throw error;
    }
    if (this.room !== room) return; // superseded while connecting
    this.connected = true;
    this.everConnected = true;
    for (const track of this.tracks) {
      try {
        await room.localParticipant.publishTrack(track, track.kind === Track.Kind.Video
          ? { simulcast: false, source: Track.Source.Camera }
          : { source: Track.Source.Microphone });
      } catch (error) {
        console.warn("publish failed", error);
      }
    }
    for (const participant of room.remoteParticipants.values()) this.addParticipant(participant);
    this.onStatus({ state: "connected", room: target.room });
  }

  async leave() {
    const room = this.room;
    this.room = null;
    this.roomName = null;
    this.connected = false;
    for (const [identity, tile] of this.tiles) {
      if (identity !== "local") {
        tile.remove();
        this.tiles.delete(identity);
      }
    }
    if (room) {
      room.removeAllListeners();
      await room.disconnect(false);
    }
    this.onStatus({ state: "disconnected", room: null });
  }

  async stopAll() {
    await this.leave();
    for (const track of this.tracks || []) track.stop();
    this.tracks = [];
    fill(this.grid);
    this.tiles.clear();
  }

  bind(room) {
    room
      .on(RoomEvent.ParticipantConnected, (p) => this.addParticipant(p))
      .on(RoomEvent.ParticipantDisconnected, (p) => this.removeParticipant(p.identity))
      .on(RoomEvent.TrackSubscribed, (track, _pub, p) => this.attach(track, p))
      .on(RoomEvent.TrackUnsubscribed, (track, _pub, p) => this.detach(track, p))
      .on(RoomEvent.TrackMuted, (_pub, p) => this.refreshTile(p))
      .on(RoomEvent.TrackUnmuted, (_pub, p) => this.refreshTile(p))
      .on(RoomEvent.ActiveSpeakersChanged, (speakers) => this.speaking(speakers))
      // The client lost LiveKit and retries by itself: pages say so at once
      // instead of showing a frozen partner as "connected".
      .on(RoomEvent.Reconnecting, () => {
        if (this.room === room) this.onStatus({ state: "reconnecting", room: this.roomName });
      })
      .on(RoomEvent.SignalReconnecting, () => {
        if (this.room === room) this.onStatus({ state: "reconnecting", room: this.roomName });
      })
      .on(RoomEvent.Reconnected, () => {
        if (this.room === room) this.onStatus({ state: "connected", room: this.roomName });
      })
      .on(RoomEvent.ConnectionQualityChanged, (quality, p) => {
        if (p === room.localParticipant) this.onQuality(String(quality));
      })
      .on(RoomEvent.Disconnected, () => {
        if (this.room !== room) return;
        const name = this.roomName;
        this.room = null;
        this.roomName = null;
        this.connected = false;
        for (const [identity, tile] of this.tiles) {
          if (identity !== "local") {
            tile.remove();
            this.tiles.delete(identity);
          }
        }
        this.onStatus({ state: "disconnected", room: null });
        this.onUnexpectedDisconnect(name);
      });
  }

  // -- tiles ------------------------------------------------------------------

  tile(identity, name, local = false) {
    let tile = this.tiles.get(local ? "local" : identity);
    if (tile) return tile;
    const video = h("video", { autoplay: true, playsinline: true, muted: local, dataset: { identity } });
    if (local) video.dataset.local = "";
    else video.dataset.remote = "";
    video.muted = local; // property, not only the attribute: never echo ourselves
    const label = h("span", { class: "tile-name" });
    const state = h("span", { class: "tile-state" });
    tile = h("figure", { class: "tile", dataset: { identity } },
      video, h("div", { class: "tile-off", "aria-hidden": "true" }, h("span", { class: "tile-initial" })),
      h("figcaption", { class: "tile-caption" }, label, state));
    tile.dataset.name = local ? name : name || identity;
    if (local) tile.classList.add("tile-local");
    this.tiles.set(local ? "local" : identity, tile);
    if (local) this.grid.prepend(tile);
    else this.grid.append(tile);
    this.labelTile(tile);
    return tile;
  }

  labelTile(tile) {
    const local = tile.classList.contains("tile-local");
    const identity = tile.dataset.identity || "";
    const name = local ? (tile.dataset.name ? `${tile.dataset.name} (${t("media.you")})` : t("media.you"))
      : identity.startsWith("facilitator-") ? `${tile.dataset.name === "Facilitator" ? t("media.facilitator") : tile.dataset.name}`
        : tile.dataset.name;
    tile.querySelector(".tile-name").textContent = name;
    tile.querySelector(".tile-initial").textContent = (name || "?").trim().charAt(0).toUpperCase();
    const video = tile.querySelector("video");
    video.setAttribute("aria-label", t("media.video", { name }));
    const states = [];
    if (tile.classList.contains("speaking")) states.push(t("media.speaking"));
    if (tile.classList.contains("mic-off")) states.push(t("media.muted"));
    if (tile.classList.contains("cam-off")) states.push(t("media.camoff"));
    tile.querySelector(".tile-state").textContent = states.length ? ` · ${states.join(" · ")}` : "";
  }

  relabel() {
    this.grid.setAttribute("aria-label", t("media.grid"));
    for (const tile of this.tiles.values()) this.labelTile(tile);
  }

  showLocal() {
    const tile = this.tile("local", this.localName, true);
    tile.dataset.name = this.localName || "";
    const video = tile.querySelector("video");
    const camera = (this.tracks || []).find((tr) => tr.kind === Track.Kind.Video);
    if (camera) camera.attach(video);
    tile.classList.toggle("cam-off", !camera || !this.camOn);
    tile.classList.toggle("mic-off", !this.hasMic || !this.micOn);
    this.labelTile(tile);
  }

  addParticipant(participant) {
    const tile = this.tile(participant.identity, participant.name || participant.identity);
    for (const pub of participant.trackPublications.values()) {
      if (pub.track && pub.isSubscribed) this.attach(pub.track, participant);
    }
    this.refreshTile(participant, tile);
  }

  removeParticipant(identity) {
    const tile = this.tiles.get(identity);
    if (tile) tile.remove();
    this.tiles.delete(identity);
  }

  attach(track, participant) {
    const tile = this.tile(participant.identity, participant.name || participant.identity);
    if (track.kind === Track.Kind.Video) {
      track.attach(tile.querySelector("video"));
    } else if (track.kind === Track.Kind.Audio) {
      let audio = tile.querySelector("audio");
      if (!audio) {
        audio = h("audio", { autoplay: true });
        tile.append(audio);
      }
      track.attach(audio);
    }
    this.refreshTile(participant, tile);
  }

  detach(track, participant) {
    track.detach();
    this.refreshTile(participant);
  }

  refreshTile(participant, tile = this.tiles.get(participant.isLocal ? "local" : participant.identity)) {
    if (!tile) return;
    if (participant.isLocal) {
      this.showLocal();
      return;
    }
    const cam = participant.getTrackPublication(Track.Source.Camera);
    const mic = participant.getTrackPublication(Track.Source.Microphone);
    tile.classList.toggle("cam-off", !cam || cam.isMuted || !cam.track);
    tile.classList.toggle("mic-off", !mic || mic.isMuted);
    this.labelTile(tile);
  }

  speaking(speakers) {
    const now = new Set(speakers.map((p) => (p.isLocal ? "local" : p.identity)));
    for (const [key, tile] of this.tiles) {
      const on = now.has(key);
      if (tile.classList.contains("speaking") !== on) {
        tile.classList.toggle("speaking", on);
        this.labelTile(tile);
      }
    }
  }

  // -- controls ---------------------------------------------------------------

  async setMic(on) {
    this.micOn = on;
    for (const track of this.tracks || []) {
      if (track.kind === Track.Kind.Audio) await (on ? track.unmute() : track.mute());
    }
    this.showLocal();
  }

  async setCamera(on) {
    this.camOn = on;
    for (const track of this.tracks || []) {
      if (track.kind === Track.Kind.Video) await (on ? track.unmute() : track.mute());
    }
    this.showLocal();
  }
}

/**
 * Mic and camera toggle buttons bound to a stage. The label says what a
 * press does ("Turn the camera off"), so it needs no separate state.
 */
export function mediaControls(stage) {
  const mic = h("button", { type: "button", class: "btn btn-toggle", id: "mic-toggle" });
  const cam = h("button", { type: "button", class: "btn btn-toggle", id: "cam-toggle" });
  const paint = () => {
    mic.textContent = t(stage.micOn ? "media.mic.on" : "media.mic.off");
    mic.classList.toggle("off", !stage.micOn);
    cam.textContent = t(stage.camOn ? "media.cam.on" : "media.cam.off");
    cam.classList.toggle("off", !stage.camOn);
  };
  mic.addEventListener("click", async () => {
    await stage.setMic(!stage.micOn);
    paint();
  });
  cam.addEventListener("click", async () => {
    await stage.setCamera(!stage.camOn);
    paint();
  });
  onLangChange(paint);
  paint();
  return [mic, cam];
}
