// Turnpike's browser client: the signaling WebSocket (docs/protocol.md) and
// the WebRTC call it sets up. An ES module with no dependency and no build
// step: `import { TurnpikeClient } from "/turnpike.js"`.
//
// Events (CustomEvent, the payload in `detail`):
//   state          {state}               offline | connecting | idle | waiting | paired
//   hello          {id, limits, privacy}  a new signaling session
//   waiting        {}                     in the queue
//   matched        {role, common, privacy, mode}
//   partner-left   {reason}               next | left | disconnected
//   chat           {text}                 a line from the partner (plain text)
//   typing         {active}
//   media          {video, audio}         the partner's camera / microphone
//   remote-stream  {stream}               the partner's MediaStream (video mode)
//   connection     {state}                the RTCPeerConnection's connectionState
//   path           {path, local, remote}  the selected candidate pair, once connected
//   reconnecting   {attempt, delayMs}     the signaling connection dropped
//   warning        {code, message}
//   error          {code, message}
//   report-received {}

/** @typedef {"text" | "video"} Mode */
/**
 * @typedef {object} FindOptions
 * @property {Mode} mode
 * @property {string[]} [interests]
 * @property {string} [lang]
 * @property {boolean} [privacy]  relay-only ICE: the partner never sees this browser's address
 */
/**
 * @typedef {object} ClientOptions
 * @property {string} [url]             the WebSocket URL; default: /ws on this page's host
 * @property {number} [reconnectMinMs]  first reconnect delay (default 500)
 * @property {number} [reconnectMaxMs]  longest reconnect delay (default 15000)
 * @property {number} [disconnectedRestartMs]  ICE restart after this long "disconnected" (default 4000)
 */
/** @typedef {"offline" | "connecting" | "idle" | "waiting" | "paired"} ClientState */

/** @returns {string} ws(s)://host/ws for the page's own origin */
export function defaultSignalUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

export class TurnpikeClient extends EventTarget {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    super();
    this.url = options.url ?? defaultSignalUrl();
    this.reconnectMinMs = options.reconnectMinMs ?? 500;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 15000;
    this.disconnectedRestartMs = options.disconnectedRestartMs ?? 4000;
    /** @type {ClientState} */
    this.state = "offline";
    /** @type {WebSocket | null} */
    this.socket = null;
    /** @type {MediaStream | null} the camera/microphone sent to partners in video mode */
    this.localStream = null;
    /** @type {FindOptions | null} the last search, repeated by next() and after a reconnect */
    this.search = null;
    /** @type {RTCPeerConnection | null} */
    this.pc = null;
    /** @type {{video: boolean, audio: boolean}} */
    this.media = { video: true, audio: true };
    this.sessionId = "";
    this.attempt = 0;
    this.wanted = false;  // connect() called and close() not: reconnect when dropped
    this.typingActive = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
    /** @type {Call | null} */
    this.call = null;
  }

  /** Opens the signaling connection (and keeps it open until close()). */
  connect() {
    this.wanted = true;
    if (this.socket) return;
    this.setState("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => this.dropped(socket);
  }

  /** Closes the connection for good (no reconnect). */
  close() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.endCall();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
    this.setState("offline");
  }

  /** @param {FindOptions} options  look for a partner (replaces the search while waiting) */
  find(options) {
    this.search = { ...options };
    if (this.state === "paired") {
      this.next();
      return;
    }
    this.send({ type: "find", ...this.search });
  }

  /** Ends the current pair and looks again with the last options. */
  next() {
    if (!this.search) return;
    this.endCall();
    this.send({ type: "next" });
  }

  /** Stops looking, or ends the pair; the session stays open. */
  leave() {
    this.search = null;
    this.endCall();
    this.send({ type: "leave" });
    if (this.state === "waiting" || this.state === "paired") this.setState("idle");
  }

  /** @param {string} text */
  sendChat(text) {
    this.typing(false);
    this.send({ type: "chat", text });
  }

  /** @param {boolean} active  sent only when it changes */
  typing(active) {
    if (active === this.typingActive || this.state !== "paired") return;
    this.typingActive = active;
    this.send({ type: "typing", active });
  }

  /**
   * Turns the local camera and/or microphone on or off; the partner is told.
   * @param {{video?: boolean, audio?: boolean}} change
   */
  setMedia(change) {
    Object.assign(this.media, change);
    for (const track of this.localStream?.getTracks() ?? []) {
      track.enabled = track.kind === "video" ? this.media.video : this.media.audio;
    }
    if (this.state === "paired") this.send({ type: "media", ...change });
  }

  /** Blocks the current (or last) partner: the pair ends and they never meet again. */
  block() {
    this.endCall();
    this.send({ type: "block" });
    if (this.state === "paired") this.setState("idle");
  }

  /** @param {string} reason  reported to the moderators; the pair goes on */
  report(reason) {
    this.send({ type: "report", reason });
  }

  /**
   * The selected ICE candidate pair of the current call.
   * @returns {Promise<{path: "relay" | "p2p", local: string, remote: string} | null>}
   */
  async selectedPath() {
    return this.call ? this.call.selectedPath() : null;
  }

  // --- internals ---

  /** @param {ClientState} state */
  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.emit("state", { state });
  }

  /** @param {string} type @param {object} [detail] */
  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** @param {object} message */
  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** @param {WebSocket} socket */
  dropped(socket) {
    if (socket !== this.socket) return;
    this.socket = null;
    const wasPaired = this.state === "paired";
    this.endCall();
    if (wasPaired) this.emit("partner-left", { reason: "disconnected" });
    this.setState("offline");
    if (!this.wanted) return;
    // Exponential backoff with jitter, so a restarted server is not hit by
    // every browser at the same instant.
    const base = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** this.attempt);
    const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
    this.attempt += 1;
    this.emit("reconnecting", { attempt: this.attempt, delayMs });
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  /** @param {unknown} data */
  receive(data) {
    let message;
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    switch (message.type) {
      case "hello":
        this.attempt = 0;
        this.sessionId = message.id;
        this.setState("idle");
        this.emit("hello", { id: message.id, limits: message.limits, privacy: message.privacy });
        if (this.search) this.send({ type: "find", ...this.search });  // resume after a drop
        break;
      case "waiting":
        this.endCall();
        this.setState("waiting");
        this.emit("waiting");
        break;
      case "matched":
        this.matched(message);
        break;
      case "signal":
        this.call?.receive(message.data);
        break;
      case "partner_left":
        this.endCall();
        this.setState("idle");
        this.emit("partner-left", { reason: message.reason });
        break;
      case "chat":
        this.emit("chat", { text: String(message.text) });
        break;
      case "typing":
        this.emit("typing", { active: message.active !== false });
        break;
      case "media":
        this.emit("media", { video: message.video, audio: message.audio });
        break;
      case "report_received":
        this.emit("report-received");
        break;
      case "warning":
        this.emit("warning", { code: message.code, message: message.message });
        break;
      case "error":
        this.emit("error", { code: message.code, message: message.message });
        break;
    }
  }

  /** @param {any} message  the server's `matched` */
  matched(message) {
    this.endCall();
    this.typingActive = false;
    this.setState("paired");
    const mode = this.search?.mode ?? "text";
    this.emit("matched", { role: message.role, common: message.common ?? [],
                           privacy: message.privacy, mode });
    if (mode === "video") {
      this.call = new Call(this, message);
      this.send({ type: "media", ...this.media });  // e.g. joined with the camera off
    }
  }

  endCall() {
    this.call?.close();
    this.call = null;
    this.pc = null;
  }
}

// One RTCPeerConnection with one partner, negotiated with the "perfect
// negotiation" pattern: both sides may offer at any time (tracks, ICE
// restarts); on a collision the polite side yields.
class Call {
  /** @param {TurnpikeClient} client @param {any} matched */
  constructor(client, matched) {
    this.client = client;
    this.polite = matched.role === "polite";
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.settingRemoteAnswer = false;
    this.reportedPath = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.restartTimer = undefined;
    this.remoteStream = new MediaStream();
    const pc = new RTCPeerConnection({
      iceServers: matched.iceServers ?? [],
      iceTransportPolicy: matched.iceTransportPolicy === "relay" ? "relay" : "all",
    });
    this.pc = pc;
    client.pc = pc;
    const local = client.localStream;
    if (local && local.getTracks().length > 0) {
      for (const track of local.getTracks()) pc.addTrack(track, local);
    } else {
      // No camera here: still receive the partner's.
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    // The impolite side (the initiator) makes the first offer alone: when
    // both offer at once, the candidates the polite side gathered for its
    // rolled-back offer can be lost (seen in about one call in five). After
    // the first exchange either side may offer, and collisions are handled.
    this.started = !this.polite;
    pc.onnegotiationneeded = () => {
      if (this.started) this.offer();
    };
    pc.onicecandidate = ({ candidate }) =>
      this.signal({ candidate: candidate ? candidate.toJSON() : null });
    pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      client.emit("remote-stream", { stream: this.remoteStream });
    };
    pc.onconnectionstatechange = () => this.connectionChanged();
    pc.oniceconnectionstatechange = () => this.iceChanged();
  }

  /** @param {object} data */
  signal(data) {
    if (this.client.call === this) this.client.send({ type: "signal", data });
  }

  async offer() {
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.signal({ description: this.pc.localDescription?.toJSON() });
    } catch (error) {
      this.client.emit("error", { code: "webrtc", message: String(error) });
    } finally {
      this.makingOffer = false;
    }
  }

  /** @param {{description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null}} data */
  async receive(data) {
    const pc = this.pc;
    try {
      if (data.description) {
        const description = data.description;
        // An answer still being applied does not make a new offer a collision:
        // messages are handled as they come, not one after the other.
        const readyForOffer = !this.makingOffer &&
          (pc.signalingState === "stable" || this.settingRemoteAnswer);
        const collision = description.type === "offer" && !readyForOffer;
        this.ignoreOffer = !this.polite && collision;
        if (this.ignoreOffer) return;
        this.settingRemoteAnswer = description.type === "answer";
        try {
          await pc.setRemoteDescription(description);
        } finally {
          this.settingRemoteAnswer = false;
        }
        if (description.type === "offer") {
          this.started = true;
          await pc.setLocalDescription();
          this.signal({ description: pc.localDescription?.toJSON() });
        }
      } else if (data.candidate) {
        try {
          await pc.addIceCandidate(data.candidate);
        } catch (error) {
          if (!this.ignoreOffer) throw error;  // a candidate of an offer we ignored
        }
      }
    } catch (error) {
      if (pc.signalingState !== "closed") {
        this.client.emit("error", { code: "webrtc", message: String(error) });
      }
    }
  }

  connectionChanged() {
    const state = this.pc.connectionState;
    this.client.emit("connection", { state });
    if (state === "connected" && !this.reportedPath) {
      this.reportedPath = true;
      this.reportPath();
    }
  }

  // A failed path gets new candidates (a network change, a NAT binding that
  // expired); "disconnected" often recovers by itself, so it gets a while.
  // The impolite side restarts first; the polite one waits twice as long, so
  // both rarely offer at once, yet a side whose partner never restarts
  // still does.
  iceChanged() {
    const state = this.pc.iceConnectionState;
    clearTimeout(this.restartTimer);
    if (state !== "failed" && state !== "disconnected") return;
    const delay = (state === "failed" ? 0 : this.client.disconnectedRestartMs) +
      (this.polite ? 2 * this.client.disconnectedRestartMs : 0);
    this.restartTimer = setTimeout(() => {
      const now = this.pc.iceConnectionState;
      if ((now === "failed" || now === "disconnected") && this.pc.signalingState === "stable") {
        this.pc.restartIce();
      }
    }, delay);
  }

  async reportPath() {
    const selected = await this.selectedPath();
    if (!selected || this.client.call !== this) return;
    this.client.send({ type: "stats", path: selected.path });
    this.client.emit("path", selected);
  }

  /** @returns {Promise<{path: "relay" | "p2p", local: string, remote: string} | null>} */
  async selectedPath() {
    const stats = await this.pc.getStats();
    /** @type {any} */
    let pair = null;
    stats.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) {
        pair = stats.get(report.selectedCandidatePairId);
      }
    });
    if (!pair) {
      stats.forEach((report) => {
        if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") {
          pair = report;
        }
      });
    }
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId)?.candidateType ?? "unknown";
    const remote = stats.get(pair.remoteCandidateId)?.candidateType ?? "unknown";
    const path = local === "relay" || remote === "relay" ? "relay" : "p2p";
    return { path, local, remote };
  }

  close() {
    clearTimeout(this.restartTimer);
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.close();
  }
}
