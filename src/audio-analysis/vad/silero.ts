/**
 * Silero VAD v5 (the ONNX file shipped in @ricky0123/vad-web, MIT model / ISC package) on
 * onnxruntime-node: speech probability per 32 ms frame of 16 kHz audio, turned into speech
 * regions with hysteresis. Runs inside the inference workers as the "speech" stage
 * (inference/stages.ts), so the native calls never hold the event loop that serves sockets.
 *
 * Non-speech vocal sounds, as observed on synthetic audio: espeak-ng "ha ha ha" and "hmm" come
 * out as speech; breath-like filtered noise (a sigh stand-in, p <= 0.11) and a steady 180 Hz
 * tone (p <= 0.73, but not sustained) do not. Real laughs and sighs were not tested, so the burst
 * model should look at the non-speech regions and at energy, not trust either label alone.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ort from "onnxruntime-node";
import { AUDIO_SAMPLE_RATE, roundTime, type TimeSpan } from "../../primitives.js";
import { raiseQuiet } from "../features/level.js";

export const VAD_SAMPLE_RATE = AUDIO_SAMPLE_RATE;
/** Silero v5 at 16 kHz takes 512 new samples a call, preceded by the previous call's last 64. */
const FRAME = 512;
const CONTEXT = 64;

/** Thresholds, chosen as Silero's own defaults suggest (README "Audio time"). */
export const VAD_THRESHOLDS = {
  /** A frame with speech probability at or above this starts (or continues) speech. */
  enter: 0.5,
  /** Speech ends at the first frame below this. */
  exit: 0.35,
  /** Speech regions shorter than this are dropped (clicks, breaths). */
  minSpeechSec: 0.25,
  /** Gaps shorter than this between two regions are bridged. */
  mergeGapSec: 0.3,
} as const;

/** A speech region, in seconds. */
export type Region = TimeSpan;

let session: Promise<ort.InferenceSession> | undefined;

function modelPath(): string {
  // Resolve the package's own files rather than a path relative to this source file.
  const pkg = createRequire(import.meta.url).resolve("@ricky0123/vad-web/package.json");
  return join(dirname(pkg), "dist", "silero_vad_v5.onnx");
}

export function loadVad(): Promise<ort.InferenceSession> {
  session ??= ort.InferenceSession.create(modelPath(), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  session.catch(() => (session = undefined));
  return session;
}

/** Speech probability of each 512-sample frame; a trailing partial frame is zero-padded. */
export async function speechProbabilities(samples: Float32Array): Promise<Float32Array> {
  const vad = await loadVad();
  const frames = Math.ceil(samples.length / FRAME);
  const probs = new Float32Array(frames);
  let state: ort.Tensor = new ort.Tensor("float32", new Float32Array(2 * 128), [2, 1, 128]);
  const sr = new ort.Tensor("int64", BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);
  const buf = new Float32Array(CONTEXT + FRAME);
  for (let f = 0; f < frames; f++) {
    // Context: the 64 samples before this frame (zeros at the start), as Silero's reference wrapper does.
    buf.fill(0);
    const start = f * FRAME;
    const ctxFrom = Math.max(0, start - CONTEXT);
    buf.set(samples.subarray(ctxFrom, start), CONTEXT - (start - ctxFrom));
    buf.set(samples.subarray(start, Math.min(samples.length, start + FRAME)), CONTEXT);
    const out = await vad.run({ input: new ort.Tensor("float32", buf.slice(), [1, CONTEXT + FRAME]), state, sr });
    probs[f] = (out.output?.data as Float32Array | undefined)?.[0] ?? 0;
    const next = out.stateN;
    if (next) state = next;
  }
  return probs;
}

/** Frame probabilities → speech regions in seconds from samples[0], per VAD_THRESHOLDS. */
export function regionsFromProbabilities(probs: Float32Array, totalSec: number, t = VAD_THRESHOLDS): Region[] {
  const frameSec = FRAME / VAD_SAMPLE_RATE;
  const raw: Region[] = [];
  let begin: number | undefined;
  probs.forEach((p, i) => {
    if (begin === undefined && p >= t.enter) begin = i * frameSec;
    else if (begin !== undefined && p < t.exit) {
      raw.push({ begin, end: i * frameSec });
      begin = undefined;
    }
  });
  if (begin !== undefined) raw.push({ begin, end: probs.length * frameSec });
  const merged: Region[] = [];
  for (const r of raw) {
    const last = merged[merged.length - 1];
    if (last && r.begin - last.end < t.mergeGapSec) last.end = r.end;
    else merged.push({ ...r });
  }
  return merged
    .map((r) => ({ begin: r.begin, end: Math.min(r.end, totalSec) }))
    .filter((r) => r.end - r.begin >= t.minSpeechSec);
}

/** Level the window's loud part is raised to before Silero, and the most it is raised (dB). */
const VAD_LEVEL_DB = -20;
const VAD_MAX_GAIN_DB = 50;

/**
 * Silero misses quiet speech (RAVDESS speech 30 dB below its studio level, at about -70 dBFS, gives
 * no region at all), so a quiet window is first raised until its 95th-percentile 10 ms level is
 * at VAD_LEVEL_DB (never lowered, at most VAD_MAX_GAIN_DB). Steady noise raised that way stays
 * non-speech (white, pink and hum at -85 to -45 dBFS were checked); digital silence is untouched.
 */
export function levelForVad(samples: Float32Array): Float32Array {
  return raiseQuiet(samples, VAD_LEVEL_DB, VAD_MAX_GAIN_DB);
}

/** Speech regions of 16 kHz mono audio, in seconds from samples[0] plus `offsetSec`. */
export async function detectSpeech(samples: Float32Array, offsetSec = 0): Promise<Region[]> {
  if (samples.length === 0) return [];
  const regions = regionsFromProbabilities(await speechProbabilities(levelForVad(samples)), samples.length / VAD_SAMPLE_RATE);
  return regions.map((r) => ({ begin: round(r.begin + offsetSec), end: round(r.end + offsetSec) }));
}

const round = roundTime;
