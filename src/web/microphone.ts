/**
 * Microphone mode: PCM from an AudioWorklet, cut into 1-second WAV chunks at the audio
 * context's own sample rate (the server resamples, so the page never does) and sent to
 * `prosody` and `burst` with `stream_window_ms`. Chunks are sent as they fill, without waiting
 * for replies: audio must stay continuous, and the SDK keeps replies in order. Predictions come
 * back in stream time (seconds of audio sent since the last reset), which is the timeline's axis.
 */
import type { ModelsConfig, TimedPrediction } from "../client/index.js";
import { toBase64 } from "../client/encode.js";
import type { Connection } from "./connection.js";
import { byId, el, messageOf, scoreList, setRunning } from "./dom.js";
import { top } from "./palette.js";
import { Timeline } from "./timeline.js";
import { encodeWav } from "../media/wav.js";

declare const __PCM_WORKLET_URL__: string;

const CHUNK_SECONDS = 1;
const MODELS: ModelsConfig = { prosody: {}, burst: {} };
const MAX_LISTED = 30;

export class MicrophoneMode {
  private readonly toggle = byId("mic-toggle", HTMLButtonElement);
  private readonly windowSelect = byId("mic-window", HTMLSelectElement);
  private readonly level = byId("mic-level", HTMLElement);
  private readonly info = byId("mic-info", HTMLElement);
  private readonly list = byId("mic-segments", HTMLOListElement);
  private readonly timeline = new Timeline(byId("mic-timeline", HTMLCanvasElement));
  private stream: MediaStream | undefined;
  private audio: AudioContext | undefined;
  private pending: Float32Array[] = [];
  private pendingSamples = 0;
  /** Seconds of audio sent since the reset that started this recording. */
  private sentSeconds = 0;

  constructor(
    private readonly conn: Connection,
    private readonly ensureConnected: () => Promise<boolean>,
  ) {
    this.toggle.addEventListener("click", () => void (this.stream ? this.stop() : this.start()));
  }

  async start(): Promise<void> {
    if (!(await this.ensureConnected())) return;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        // The models were trained on unprocessed recordings; browser voice processing changes prosody.
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
        video: false,
      });
      this.audio = new AudioContext();
      await this.audio.audioWorklet.addModule(__PCM_WORKLET_URL__);
    } catch (err) {
      this.info.textContent = `The microphone could not be opened: ${messageOf(err)}`;
      await this.stop();
      return;
    }
    // A new recording starts a new time axis: reset_stream sets the server's stream time to 0.
    await this.conn.run("microphone", (client) => client.send({ reset_stream: true }));
    this.sentSeconds = 0;
    this.pending = [];
    this.pendingSamples = 0;
    this.timeline.reset();
    this.list.replaceChildren();

    const source = this.audio.createMediaStreamSource(this.stream);
    const capture = new AudioWorkletNode(this.audio, "pcm-capture", { numberOfInputs: 1, numberOfOutputs: 1, channelCount: 1 });
    capture.port.onmessage = (event: MessageEvent<Float32Array>) => this.onBlock(event.data);
    // Routed to the output through a muted gain: a node nobody pulls from may not be processed.
    const mute = this.audio.createGain();
    mute.gain.value = 0;
    source.connect(capture).connect(mute).connect(this.audio.destination);
    await this.audio.resume();
    setRunning(this.toggle, true, "microphone");
    this.info.textContent = `Listening at ${this.audio.sampleRate} Hz; sending ${CHUNK_SECONDS} s chunks.`;
  }

  async stop(): Promise<void> {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    const audio = this.audio;
    this.audio = undefined;
    await audio?.close().catch(() => undefined);
    this.level.style.width = "0%";
    setRunning(this.toggle, false, "microphone");
  }

  private onBlock(block: Float32Array): void {
    if (!this.audio) return;
    let sum = 0;
    for (const s of block) sum += s * s;
    const rms = Math.sqrt(sum / Math.max(1, block.length));
    // Roughly dBFS -60..0 mapped onto the meter's width.
    const db = 20 * Math.log10(rms + 1e-9);
    this.level.style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100)).toFixed(0)}%`;

    this.pending.push(block);
    this.pendingSamples += block.length;
    const rate = this.audio.sampleRate;
    if (this.pendingSamples >= rate * CHUNK_SECONDS) this.flush(rate);
  }

  private flush(rate: number): void {
    const samples = new Float32Array(this.pendingSamples);
    let offset = 0;
    for (const b of this.pending) {
      samples.set(b, offset);
      offset += b.length;
    }
    this.pending = [];
    this.pendingSamples = 0;
    this.sentSeconds += samples.length / rate;
    const until = this.sentSeconds;
    const data = toBase64(encodeWav(samples, rate));
    const windowMs = Number(this.windowSelect.value) || 5000;
    void this.conn
      .run("microphone", (client) => client.send({ data, raw_text: false, models: MODELS, stream_window_ms: windowMs }))
      .then((reply) => {
        if (!reply) return;
        const prosody = reply.prosody?.predictions ?? [];
        const bursts = reply.burst?.predictions ?? [];
        this.timeline.add(prosody, bursts, until);
        for (const p of prosody) this.listItem("speech", p, p.emotions);
        for (const b of bursts) this.listItem("burst", b, b.descriptions ?? b.emotions);
      });
  }

  /** The readable twin of the timeline: newest first, the top three dimensions of each. */
  private listItem(kind: "speech" | "burst", p: TimedPrediction, scores: TimedPrediction["emotions"]): void {
    const item = el("li", `segment ${kind}`);
    const span = `${p.time.begin.toFixed(1)}–${p.time.end.toFixed(1)} s`;
    const topThree = scoreList(top(scores, 3));
    item.append(el("span", "kind", kind === "burst" ? "▲ burst" : "speech"), el("span", "span", span), el("span", "scores", topThree));
    this.list.prepend(item);
    while (this.list.children.length > MAX_LISTED) this.list.lastElementChild?.remove();
  }
}
