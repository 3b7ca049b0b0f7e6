/**
 * Whole-file measurement for batch jobs: one file (or text item) through every requested model
 * that applies to it, end to end. Unlike a streaming message there is no 5-second window:
 * audio is decoded whole, the VAD runs over all of it, and prosody and burst score every region
 * in one task; a video's frames are sampled over its whole length and its faces identified
 * across all of them. Decoding and models are the streaming ones (media/, the inference pool);
 * only the limits differ.
 */
import { assignDeferredIdentities, type DeferredFacePrediction } from "../models/face/identity.js";
import type { ModelInput } from "../models/model.js";
import { AUDIO_SAMPLE_RATE, decodeSound } from "../media/audio.js";
import { DEFAULT_LIMITS, type MediaLimits } from "../media/limits.js";
import { decodeText, parseFacemeshJson, sniff } from "../media/sniff.js";
import { validateFacemesh } from "../media/facemesh.js";
import { extractFrames, FrameFeed, type VideoFrame } from "../media/video.js";
import type { InferencePool } from "../inference/pool.js";
import { ErrorCode, ProtocolError, type FacePrediction, type LanguagePrediction, type ModelName, type TimedPrediction } from "../protocol/index.js";
import type { BatchConfig } from "./config.js";
import type { BatchModels } from "./schema.js";

/** One model's output for one file, in Hume's batch shape. */
export interface ModelOutput {
  metadata: null;
  grouped_predictions: { id: string; predictions: unknown[] }[];
}

export type FileModels = Partial<Record<"face" | "prosody" | "burst" | "language" | "facemesh", ModelOutput>>;

export interface FileMeasurement {
  models: FileModels;
  /** Coded messages ("E0203: ...") of what could not be measured in this file. */
  errors: string[];
  /** Seconds of audio or video measured (0 for images and text), for metrics and benchmarks. */
  mediaSeconds: number;
}

export interface MeasureContext {
  pool: InferencePool;
  config: BatchConfig;
}

/** Id of the single group when faces or speakers are not told apart (Hume's value). */
const UNKNOWN = "unknown";

/** The requested models; no `models` at all means every model this build runs on files. */
export function requestedModels(models: BatchModels | null | undefined): { config: BatchModels; explicit: boolean } {
  if (models) return { config: models, explicit: true };
  return { config: { face: {}, prosody: {}, burst: {}, language: {} }, explicit: false };
}

/** Media limits of a batch job: the streaming ones, with the job's duration and frame limits. */
export function batchLimits(config: BatchConfig): MediaLimits {
  return {
    ...DEFAULT_LIMITS,
    maxAudioMs: config.maxDurationMs,
    maxVideoMs: config.maxDurationMs,
    maxVideoFrames: config.maxVideoFrames,
    maxTextChars: config.maxTextChars,
    // A whole recording takes longer to decode than a 5-second message.
    decodeTimeoutMs: Math.max(DEFAULT_LIMITS.decodeTimeoutMs, 120_000),
  };
}

export async function measureText(text: string, models: BatchModels, ctx: MeasureContext): Promise<FileMeasurement> {
  const out: FileMeasurement = { models: {}, errors: [], mediaSeconds: 0 };
  if (models.language == null) return out;
  if ([...text].length > ctx.config.maxTextChars) {
    out.errors.push(coded(ErrorCode.TextTooLong, `The text is longer than ${ctx.config.maxTextChars} characters.`));
    return out;
  }
  const predictions = (await run(ctx.pool, "language", { kind: "text", text }, models.language)) as LanguagePrediction[];
  out.models.language = single(predictions);
  return out;
}

export async function measureFile(bytes: Uint8Array, request: { config: BatchModels; explicit: boolean }, ctx: MeasureContext): Promise<FileMeasurement> {
  const models = request.config;
  const sniffed = await sniff(bytes);
  if (!sniffed) return failed(coded(ErrorCode.UnknownMediaFormat, "The file's format could not be recognised as text, an image, audio or video."));
  try {
    switch (sniffed.kind) {
      case "text":
        return await measureText(decodeText(bytes) ?? "", models, ctx);
      case "image":
        return await measureImage(bytes, models, ctx);
      case "facemesh":
        return await measureFacemesh(bytes, models, ctx);
      case "audio":
      case "video":
        return await measureRecording(bytes, sniffed.kind, request, ctx);
    }
  } catch (err) {
    if (err instanceof ProtocolError) return failed(coded(err.code, err.message));
    throw err;
  }
}

async function measureImage(bytes: Uint8Array, models: BatchModels, ctx: MeasureContext): Promise<FileMeasurement> {
  const out: FileMeasurement = { models: {}, errors: [], mediaSeconds: 0 };
  if (models.face == null) return out;
  const predictions = (await run(ctx.pool, "face", { kind: "image", bytes }, models.face)) as FacePrediction[];
  out.models.face = faceGroups(predictions, Boolean(models.face.identify_faces));
  return out;
}

async function measureFacemesh(bytes: Uint8Array, models: BatchModels, ctx: MeasureContext): Promise<FileMeasurement> {
  const out: FileMeasurement = { models: {}, errors: [], mediaSeconds: 0 };
  if (models.facemesh == null) return out;
  const faces = validateFacemesh(parseFacemeshJson(decodeText(bytes) ?? "") ?? [], DEFAULT_LIMITS.maxFacemeshFaces);
  out.models.facemesh = single(await run(ctx.pool, "facemesh", { kind: "facemesh", faces }, models.facemesh));
  return out;
}

/** Audio, or a video's frames and sound track: every requested model over the whole recording. */
async function measureRecording(bytes: Uint8Array, kind: "audio" | "video", request: { config: BatchModels; explicit: boolean }, ctx: MeasureContext): Promise<FileMeasurement> {
  const models = request.config;
  const limits = batchLimits(ctx.config);
  const out: FileMeasurement = { models: {}, errors: [], mediaSeconds: 0 };
  if (models.language != null && request.explicit) {
    out.errors.push(coded(TRANSCRIPTION_UNAVAILABLE, "Language on audio and video needs a transcript, and this server has no transcription model; send the text itself (a text file or `text`)."));
  }
  const wantsSound = models.prosody != null || models.burst != null;
  if (kind === "video" && models.face != null) {
    const { predictions, seconds } = await measureFrames(bytes, models.face, limits, ctx.pool);
    out.models.face = faceGroups(predictions, Boolean(models.face.identify_faces));
    out.mediaSeconds = Math.max(out.mediaSeconds, seconds);
  }
  if (!wantsSound) return out;
  let samples: Float32Array;
  try {
    samples = await decodeSound(bytes, kind, limits);
  } catch (err) {
    // A silent video is still measured for faces; its missing sound is this file's error only
    // when audio models were asked for by name.
    if (err instanceof ProtocolError && err.code === ErrorCode.NoAudioSignal && kind === "video" && !request.explicit) return out;
    if (err instanceof ProtocolError) {
      out.errors.push(coded(err.code, err.message));
      return out;
    }
    throw err;
  }
  out.mediaSeconds = Math.max(out.mediaSeconds, samples.length / AUDIO_SAMPLE_RATE);
  const speech = await ctx.pool.speech(samples, 0);
  const audio = (regions: { begin: number; end: number }[]): ModelInput => ({ kind: "audio", samples, sampleRate: AUDIO_SAMPLE_RATE, startSec: 0, newSec: 0, speech: regions });
  if (models.prosody != null) {
    // A `window` asks for fixed time windows instead of utterances: they are the regions scored.
    const window = models.prosody.window;
    const regions = window ? slidingWindows(samples.length / AUDIO_SAMPLE_RATE, window.length ?? 4, window.step ?? 1) : speech;
    const predictions = (await run(ctx.pool, "prosody", audio(regions), {})) as TimedPrediction[];
    out.models.prosody = single(predictions.map((p) => ({ time: p.time, emotions: p.emotions })));
  }
  if (models.burst != null) {
    const predictions = (await run(ctx.pool, "burst", audio(speech), {})) as TimedPrediction[];
    out.models.burst = single(predictions.map((p) => ({ time: p.time, emotions: p.emotions, descriptions: p.descriptions ?? [] })));
  }
  return out;
}

/**
 * A video's sampled frames through the face model as they decode, one in flight per pool
 * thread; with `identify_faces`, ids are given afterwards in frame order across the whole video.
 */
async function measureFrames(bytes: Uint8Array, face: NonNullable<BatchModels["face"]>, limits: MediaLimits, pool: InferencePool): Promise<{ predictions: FacePrediction[]; seconds: number }> {
  const deferIdentity = Boolean(face.identify_faces);
  const feed = new FrameFeed();
  const done = extractFrames(bytes, face.fps_pred, limits, undefined, (f) => feed.push(f)).finally(() => feed.end());
  done.catch(() => undefined); // read below, through `done`
  const results: FacePrediction[][] = [];
  const measure = async (f: VideoFrame) => {
    const p = (await run(pool, "face", { kind: "image", bytes: f.bytes, frame: f.frame, time: f.time, deferIdentity }, face)) as FacePrediction[];
    results[f.frame] = p.map((x) => inVideoPixels(x, f.scale));
  };
  let next = 0;
  const lane = async () => {
    for (let f = await feed.at(next++); f; f = await feed.at(next++)) await measure(f);
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, pool.threads) }, lane));
  } catch (err) {
    await done; // a decoding failure is the file's error, not what a model made of part of it
    throw err;
  }
  const frames = await done;
  let perFrame = frames.map((f) => results[f.frame] ?? []);
  if (deferIdentity) perFrame = assignDeferredIdentities(undefined, perFrame as (FacePrediction & DeferredFacePrediction)[][]).frames;
  const last = frames.at(-1);
  return { predictions: perFrame.flat(), seconds: last ? last.time : 0 };
}

async function run(pool: InferencePool, model: ModelName, input: ModelInput, config: unknown): Promise<unknown[]> {
  const out = await pool.run({ model, input, config: config ?? {}, state: {} });
  if (out.error) throw new ProtocolError(out.error.code as ErrorCode, out.error.message);
  return out.result.predictions;
}

/** Batch face predictions: `box` instead of `bbox`, a number `time`, grouped by face when identified. */
function faceGroups(predictions: FacePrediction[], identified: boolean): ModelOutput {
  const groups = new Map<string, unknown[]>();
  for (const p of predictions) {
    const id = identified ? p.face_id : UNKNOWN;
    const item = { frame: p.frame, time: p.time ?? 0, prob: p.prob, box: p.bbox, emotions: p.emotions, ...(p.facs && { facs: p.facs }), ...(p.descriptions && { descriptions: p.descriptions }) };
    groups.set(id, [...(groups.get(id) ?? []), item]);
  }
  return { metadata: null, grouped_predictions: [...groups].map(([id, preds]) => ({ id, predictions: preds })) };
}

function single(predictions: unknown[]): ModelOutput {
  return { metadata: null, grouped_predictions: predictions.length > 0 ? [{ id: UNKNOWN, predictions }] : [] };
}

function inVideoPixels(p: FacePrediction, scale: number): FacePrediction {
  if (scale === 1) return p;
  const { x, y, w, h } = p.bbox;
  return { ...p, bbox: { x: Math.round(x / scale), y: Math.round(y / scale), w: Math.round(w / scale), h: Math.round(h / scale) } };
}

/** Windows of `length` s every `step` s over [0, duration]; the last one ends at the end. */
export function slidingWindows(duration: number, length: number, step: number): { begin: number; end: number }[] {
  const out: { begin: number; end: number }[] = [];
  for (let begin = 0; begin < duration; begin += step) {
    out.push({ begin, end: Math.min(duration, begin + length) });
    if (begin + length >= duration) break;
  }
  return out;
}

/** Code of features that need a transcript (no transcription model is available offline). */
export const TRANSCRIPTION_UNAVAILABLE = "B0301";

export function coded(code: string, message: string): string {
  return `${code}: ${message}`;
}

function failed(message: string): FileMeasurement {
  return { models: {}, errors: [message], mediaSeconds: 0 };
}
