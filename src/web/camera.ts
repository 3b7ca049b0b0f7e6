/**
 * Camera mode: webcam frames are drawn into a canvas, encoded as JPEG and sent to `face` at the
 * chosen rate. A frame is sent only when the previous one has been answered, so a slow server
 * sees fewer frames instead of a growing queue (the skipped frames are counted on screen).
 * Boxes come back in the sent frame's pixels; the overlay canvas has exactly that size and is
 * stretched over the video by CSS, so no coordinate conversion is needed.
 */
import type { FacePrediction, ModelsConfig } from "../client/index.js";
import { bars, chips } from "./bars.js";
import type { Connection } from "./connection.js";
import { byId, el, messageOf, setRunning } from "./dom.js";
import { ink, strong, top } from "./palette.js";

/** Longest side of a sent frame: the server detects on at most 960 px anyway. */
const MAX_SIDE = 640;
const MODELS: ModelsConfig = { face: { identify_faces: true, facs: {}, descriptions: {} } };

export class CameraMode {
  private readonly video = byId("camera-video", HTMLVideoElement);
  private readonly overlay = byId("camera-overlay", HTMLCanvasElement);
  private readonly toggle = byId("camera-toggle", HTMLButtonElement);
  private readonly rate = byId("camera-rate", HTMLSelectElement);
  private readonly faces = byId("camera-faces", HTMLElement);
  private readonly info = byId("camera-info", HTMLElement);
  private readonly frame = document.createElement("canvas");
  private stream: MediaStream | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;
  private sent = 0;
  private skipped = 0;

  constructor(
    private readonly conn: Connection,
    private readonly ensureConnected: () => Promise<boolean>,
  ) {
    this.toggle.addEventListener("click", () => void (this.stream ? this.stop() : this.start()));
    this.rate.addEventListener("change", () => this.schedule());
  }

  async start(): Promise<void> {
    if (!(await this.ensureConnected())) return;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (err) {
      this.info.textContent = `The camera could not be opened: ${messageOf(err)}`;
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => undefined);
    setRunning(this.toggle, true, "camera");
    this.sent = 0;
    this.skipped = 0;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.video.srcObject = null;
    setRunning(this.toggle, false, "camera");
    this.overlay.getContext("2d")?.clearRect(0, 0, this.overlay.width, this.overlay.height);
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    if (!this.stream) return;
    const fps = Number(this.rate.value) || 1;
    this.timer = setInterval(() => void this.tick(), 1000 / fps);
  }

  private async tick(): Promise<void> {
    if (this.busy) {
      this.skipped++;
      return this.showInfo();
    }
    const w0 = this.video.videoWidth;
    const h0 = this.video.videoHeight;
    if (!w0 || !h0) return;
    this.busy = true;
    try {
      const scale = Math.min(1, MAX_SIDE / Math.max(w0, h0));
      const w = Math.round(w0 * scale);
      const h = Math.round(h0 * scale);
      this.frame.width = w;
      this.frame.height = h;
      this.frame.getContext("2d")?.drawImage(this.video, 0, 0, w, h);
      const jpeg = await new Promise<Blob | null>((resolve) => this.frame.toBlob(resolve, "image/jpeg", 0.85));
      if (!jpeg || !this.stream) return;
      this.sent++;
      const reply = await this.conn.run("camera", (client) => client.sendFile(jpeg, { models: MODELS }));
      if (reply && this.stream) this.draw(reply.face?.predictions ?? [], w, h);
    } finally {
      this.busy = false;
      this.showInfo();
    }
  }

  private showInfo(): void {
    this.info.textContent = `${this.sent} frames sent, ${this.skipped} skipped while the server was busy`;
  }

  private draw(faces: readonly FacePrediction[], w: number, h: number): void {
    this.overlay.width = w;
    this.overlay.height = h;
    const ctx = this.overlay.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    const fontPx = Math.max(12, Math.round(w / 40));
    ctx.font = `600 ${fontPx}px system-ui, sans-serif`;
    ctx.lineWidth = Math.max(2, w / 240);
    for (const f of faces) {
      const best = top(f.emotions, 1)[0];
      const colour = best ? strong(best.name) : "#333";
      const { x, y, w: bw, h: bh } = f.bbox;
      ctx.strokeStyle = colour;
      ctx.strokeRect(x, y, bw, bh);
      const label = `${f.face_id}${best ? ` · ${best.name}` : ""}`;
      const tw = ctx.measureText(label).width + 8;
      const ly = y > fontPx + 6 ? y - fontPx - 6 : y + bh;
      // A darker shade behind the white label text keeps it readable (>= 4.5:1).
      ctx.fillStyle = best ? ink(best.name) : "#333";
      ctx.fillRect(x - ctx.lineWidth / 2, ly, tw, fontPx + 6);
      ctx.fillStyle = "#fff";
      ctx.fillText(label, x + 4, ly + fontPx);
    }
    this.faces.replaceChildren(
      ...(faces.length ? faces.map((f) => faceCard(f)) : [el("p", "empty", "No face in the last frame.")]),
    );
  }
}

function faceCard(f: FacePrediction): HTMLElement {
  const card = el("article", "face-card");
  card.dataset.faceId = f.face_id;
  card.append(el("h3", "", `${f.face_id} (${Math.round(f.prob * 100)}% face)`), bars(f.emotions, 4));
  const descriptions = chips("Looks like", f.descriptions, 3);
  const facs = chips("Action units", f.facs, 3);
  if (descriptions) card.append(descriptions);
  if (facs) card.append(facs);
  return card;
}
