// The chat page: wires the form and buttons of index.html to a TurnpikeClient.
// Everything the partner sends is shown with textContent, never as HTML.
import { TurnpikeClient } from "./turnpike.js";

/** @param {string} id @returns {any} */
const $ = (id) => document.getElementById(id);

const ui = {
  status: $("status"),
  notice: $("notice"),
  messages: $("messages"),
  typing: $("typing"),
  compose: $("compose"),
  message: $("message"),
  send: $("send"),
  start: $("start"),
  next: $("next"),
  stop: $("stop"),
  camera: $("camera"),
  mic: $("mic"),
  report: $("report"),
  block: $("block"),
  reportDialog: $("report-dialog"),
  reportReason: $("report-reason"),
  videos: $("videos"),
  remoteVideo: $("remote-video"),
  localVideo: $("local-video"),
  remoteCameraOff: $("remote-camera-off"),
  interests: $("interests"),
  lang: $("lang"),
  privacy: $("privacy"),
};

const client = new TurnpikeClient();
/** The page's state, for tests and for people reading the DOM: body[data-state]. */
let phase = "idle";
let active = false;  // Start pressed and Stop not
/** @type {ReturnType<typeof setTimeout> | undefined} */
let typingTimer;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let partnerTypingTimer;

/** @returns {"text" | "video"} */
function chosenMode() {
  const checked = /** @type {HTMLInputElement | null} */ (
    document.querySelector('input[name="mode"]:checked'));
  return checked?.value === "video" ? "video" : "text";
}

/** @param {"text" | "video"} mode */
function setMode(mode) {
  const radio = /** @type {HTMLInputElement} */ (
    document.querySelector(`input[name="mode"][value="${mode}"]`));
  radio.checked = true;
  document.body.classList.toggle("mode-video", mode === "video");
  document.body.classList.toggle("mode-text", mode === "text");
  ui.videos.hidden = mode !== "video";
  ui.camera.hidden = ui.mic.hidden = mode !== "video";
}

/** @param {string} name @param {string} text */
function setPhase(name, text) {
  phase = name;
  document.body.dataset.state = name;
  ui.status.textContent = text;
  const paired = name === "connecting" || name === "connected";
  ui.message.disabled = ui.send.disabled = !paired;
  ui.report.disabled = ui.block.disabled = !(paired || name === "partner-left");
  ui.start.hidden = active;
  ui.next.hidden = ui.stop.hidden = !active;
  if (!paired) showPartnerTyping(false);
}

/** @param {string | undefined} path  how the call connected, once known */
function connectedText(path) {
  return `Connected${path === "relay" ? " (through the relay)" : ""}. Say hi!`;
}

/** @param {string} text */
function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = text === "";
}

/** @param {"me" | "stranger" | "system"} who @param {string} text */
function addMessage(who, text) {
  const item = document.createElement("li");
  item.className = who;
  if (who !== "system") {
    const name = document.createElement("strong");
    name.textContent = who === "me" ? "You: " : "Stranger: ";
    item.append(name);
  }
  item.append(document.createTextNode(text));
  ui.messages.append(item);
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

/** @param {boolean} on */
function showPartnerTyping(on) {
  clearTimeout(partnerTypingTimer);
  ui.typing.hidden = !on;
  // A lost "stopped typing" must not leave the indicator on for ever.
  if (on) partnerTypingTimer = setTimeout(() => { ui.typing.hidden = true; }, 6000);
}

/** @returns {import("./turnpike.js").FindOptions} */
function searchOptions() {
  const interests = ui.interests.value.split(",").map((s) => s.trim()).filter(Boolean);
  return { mode: chosenMode(), interests, lang: ui.lang.value, privacy: ui.privacy.checked };
}

/** Why the camera cannot be used, in words, or "" when it can. @param {unknown} error */
function cameraProblem(error) {
  if (!navigator.mediaDevices?.getUserMedia) {
    return "This browser gives no camera access here (video chat needs https:// or localhost).";
  }
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Camera and microphone access was denied.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No camera or microphone was found.";
  }
  if (name === "NotReadableError") return "The camera is in use by another program.";
  return `The camera could not be started (${name || String(error)}).`;
}

/** Asks for the camera; on failure falls back to text mode and says why. */
async function openCamera() {
  if (client.localStream) return true;
  try {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error("no mediaDevices");
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    client.localStream = stream;
    ui.localVideo.srcObject = stream;
    client.setMedia({ video: true, audio: true });
    return true;
  } catch (error) {
    showNotice(`${cameraProblem(error)} Text chat still works.`);
    setMode("text");
    return false;
  }
}

async function start() {
  showNotice("");
  if (chosenMode() === "video") await openCamera();
  active = true;
  ui.messages.replaceChildren();
  client.connect();
  client.find(searchOptions());
  setPhase("searching", "Looking for someone…");
}

async function next() {
  if (!active) return;
  if (chosenMode() === "video") await openCamera();  // switched to video mid-session
  ui.messages.replaceChildren();
  ui.remoteVideo.srcObject = null;
  client.find(searchOptions());
  setPhase("searching", "Looking for someone…");
}

function stop() {
  active = false;
  client.leave();
  ui.remoteVideo.srcObject = null;
  setPhase("idle", "Stopped. Press Start to meet someone.");
}

/** @param {HTMLButtonElement} button @param {"video" | "audio"} kind @param {string} label */
function toggleMedia(button, kind, label) {
  const on = button.getAttribute("aria-pressed") !== "true";
  button.setAttribute("aria-pressed", String(on));
  button.textContent = `${label} ${on ? "on" : "off"}`;
  client.setMedia({ [kind]: on });
}

// --- the client's events ---

client.addEventListener("waiting", () => {
  if (active) setPhase("searching", "Looking for someone…");
});
client.addEventListener("matched", (event) => {
  const { common, mode, privacy } = /** @type {CustomEvent} */ (event).detail;
  ui.messages.replaceChildren();
  ui.remoteCameraOff.hidden = true;
  delete document.body.dataset.path;
  const shared = common.length ? ` You both like: ${common.join(", ")}.` : "";
  addMessage("system", `You're now chatting with a stranger.${shared}${privacy ? " (relay only)" : ""}`);
  if (mode === "video") {
    setPhase("connecting", "Connecting…");
  } else {
    setPhase("connected", "Connected. Say hi!");
  }
  ui.message.focus();
});
client.addEventListener("remote-stream", (event) => {
  const { stream } = /** @type {CustomEvent} */ (event).detail;
  if (ui.remoteVideo.srcObject !== stream) ui.remoteVideo.srcObject = stream;
});
client.addEventListener("connection", (event) => {
  const { state } = /** @type {CustomEvent} */ (event).detail;
  if (state === "connected") setPhase("connected", connectedText(document.body.dataset.path));
  if (state === "disconnected" || state === "failed") setPhase("connecting", "Reconnecting the call…");
});
client.addEventListener("path", (event) => {
  const { path } = /** @type {CustomEvent} */ (event).detail;
  document.body.dataset.path = path;
  ui.status.textContent = connectedText(path);
});
client.addEventListener("partner-left", (event) => {
  const { reason } = /** @type {CustomEvent} */ (event).detail;
  ui.remoteVideo.srcObject = null;
  if (!active) return;
  const why = reason === "disconnected" ? "Stranger lost their connection." : "Stranger has left.";
  addMessage("system", why);
  setPhase("partner-left", `${why} Press Next to meet someone else.`);
});
client.addEventListener("chat", (event) => {
  showPartnerTyping(false);
  addMessage("stranger", /** @type {CustomEvent} */ (event).detail.text);
});
client.addEventListener("typing", (event) => {
  showPartnerTyping(/** @type {CustomEvent} */ (event).detail.active);
});
client.addEventListener("media", (event) => {
  const { video } = /** @type {CustomEvent} */ (event).detail;
  if (video !== undefined) ui.remoteCameraOff.hidden = video !== false;
  document.body.dataset.partnerVideo = String(video !== false);
});
client.addEventListener("reconnecting", (event) => {
  const { delayMs } = /** @type {CustomEvent} */ (event).detail;
  if (active) {
    setPhase("reconnecting", `Connection to the server lost. Reconnecting in ${Math.ceil(delayMs / 1000)} s…`);
  }
});
client.addEventListener("hello", () => {
  if (phase === "reconnecting") setPhase("searching", "Reconnected. Looking for someone…");
});
client.addEventListener("report-received", () => addMessage("system", "Thanks, your report was sent."));
client.addEventListener("warning", (event) => {
  addMessage("system", /** @type {CustomEvent} */ (event).detail.message);
});
client.addEventListener("error", (event) => {
  const { code, message } = /** @type {CustomEvent} */ (event).detail;
  if (code === "rate_limited" || code === "muted" || code === "bad_field") addMessage("system", message);
  else console.warn("turnpike:", code, message);
});

// --- the page's controls ---

ui.start.addEventListener("click", start);
ui.next.addEventListener("click", next);
ui.stop.addEventListener("click", stop);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !ui.reportDialog.open) {
    event.preventDefault();
    next();
  }
});
for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener("change", () => setMode(chosenMode()));
}
ui.compose.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.message.value.trim();
  if (!text) return;
  client.sendChat(text);
  addMessage("me", text);
  ui.message.value = "";
  clearTimeout(typingTimer);
});
ui.message.addEventListener("input", () => {
  client.typing(ui.message.value !== "");
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => client.typing(false), 3000);
});
ui.camera.addEventListener("click", () => toggleMedia(ui.camera, "video", "Camera"));
ui.mic.addEventListener("click", () => toggleMedia(ui.mic, "audio", "Mic"));
ui.report.addEventListener("click", () => ui.reportDialog.showModal());
ui.reportDialog.addEventListener("close", () => {
  if (ui.reportDialog.returnValue === "send") client.report(ui.reportReason.value);
});
ui.block.addEventListener("click", () => {
  client.block();
  addMessage("system", "You blocked this stranger. You won't be matched with them again.");
  ui.remoteVideo.srcObject = null;
  setPhase("searching", "Looking for someone…");
  client.find(searchOptions());
});

setMode(chosenMode());
setPhase("idle", "Press Start to meet someone.");
// For tests and for the curious: the page's client.
Object.assign(window, { turnpikeApp: { client, get phase() { return phase; } } });
