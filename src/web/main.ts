/**
 * The playground page: wires the connection panel and the three modes together. The connection
 * defaults to the server that served the page, and connects on load when no key is needed.
 */
import { normalizeUrl } from "../client/index.js";
import { CameraMode } from "./camera.js";
import { Connection } from "./connection.js";
import { byId } from "./dom.js";
import { MicrophoneMode } from "./microphone.js";
import { Panel } from "./panel.js";
import { setupTabs } from "./tabs.js";
import { TextMode } from "./text.js";

const panel = new Panel();
const conn = new Connection(panel);
const form = byId("connect-form", HTMLFormElement);
const urlInput = byId("server-url", HTMLInputElement);
const keyInput = byId("api-key", HTMLInputElement);
const disconnect = byId("disconnect", HTMLButtonElement);

// The page's own server, at the same path prefix (a reverse proxy may mount it under one).
urlInput.value = normalizeUrl(new URL(".", location.href).href);

let connecting: Promise<boolean> | undefined;
const connect = (): Promise<boolean> => {
  connecting = conn.connect(urlInput.value.trim(), keyInput.value.trim()).finally(() => (connecting = undefined));
  return connecting;
};
/** Modes call this before sending: reuses the connection, or the one being opened, or opens one. */
const ensureConnected = (): Promise<boolean> => (conn.connected ? Promise.resolve(true) : (connecting ?? connect()));

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void connect();
});
const camera = new CameraMode(conn, ensureConnected);
const microphone = new MicrophoneMode(conn, ensureConnected);
const text = new TextMode(conn, ensureConnected);

disconnect.addEventListener("click", () => {
  // Devices stop with the connection: frames and audio would only pile up "not connected" notices.
  camera.stop();
  void microphone.stop();
  void conn.disconnect();
});

setupTabs(byId("modes", HTMLElement), (mode) => {
  // Leaving a mode releases its device: a camera light left on in a hidden tab is a surprise.
  if (mode !== "camera") camera.stop();
  if (mode !== "microphone") void microphone.stop();
  if (mode === "text") text.later(0);
});

panel.status("disconnected", "");
void connect();
