/**
 * Whole-file measurement for batch jobs: one file (or text item) through every requested model
 * that applies to it, end to end, by the same pipeline as a streaming message (media/intake for
 * detection and limits, pipeline/decode and pipeline/run for the models and their stages). Unlike
 * a streaming message there is no 5-second window: the whole recording is one window in which
 * voice activity detection runs once and prosody and burst score every region; a video's frames
 * are sampled over its whole length and each frame model's per-message step (face ids in frame
 * order) runs once over all of them. Only the limits differ.
 */
import { intakeBytes, type Media } from "../media/intake.js";
import { DEFAULT_LIMITS, type MediaLimits } from "../media/limits.js";
import type { ModelRunner } from "../inference/task.js";
import { MODEL_ACCEPTS, type ModelName } from "../models/catalog.js";
import type { ModelState } from "../models/descriptor.js";
import { decodeMedia, takesSound } from "../pipeline/decode.js";
import { runModels, type Blocks } from "../pipeline/run.js";
import { AUDIO_SAMPLE_RATE } from "../primitives.js";
import { ErrorCode, ProtocolError, type FacePrediction, type ModelsConfig } from "../protocol/index.js";
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
  pool: ModelRunner;
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

/**
 * The streaming models' configs for a batch request: batch-only options (prosody's granularity,
 * window and speakers, language's conversational turns) are read here, not by the models.
 */
function streamingConfig(models: BatchModels): ModelsConfig {
  const { face, burst, prosody, language, facemesh } = models;
  const granularity = language?.granularity === "conversational_turn" ? "utterance" : language?.granularity;
  return {
    ...(face != null && { face }),
    ...(burst != null && { burst }),
    ...(prosody != null && { prosody: {} }),
    ...(language != null && { language: { ...language, granularity } }),
    ...(facemesh != null && { facemesh }),
  };
}

export async function measureText(text: string, models: BatchModels, ctx: MeasureContext): Promise<FileMeasurement> {
  if (models.language == null) return { models: {}, errors: [], mediaSeconds: 0 };
  if ([...text].length > ctx.config.maxTextChars) return failed(coded(ErrorCode.TextTooLong, `The text is longer than ${ctx.config.maxTextChars} characters.`));
  return measureMedia({ kind: "text", text }, { config: { language: models.language }, explicit: true }, ctx);
}

export async function measureFile(bytes: Uint8Array, request: { config: BatchModels; explicit: boolean }, ctx: MeasureContext): Promise<FileMeasurement> {
  let media: Media;
  try {
    media = await intakeBytes(bytes, batchLimits(ctx.config));
  } catch (err) {
    if (err instanceof ProtocolError) return failed(coded(err.code, err.message));
    throw err;
  }
  return measureMedia(media, request, ctx);
}

async function measureMedia(media: Media, request: { config: BatchModels; explicit: boolean }, ctx: MeasureContext): Promise<FileMeasurement> {
  const config = streamingConfig(request.config);
  const out: FileMeasurement = { models: {}, errors: [], mediaSeconds: 0 };
  const recording = media.kind === "audio" || media.kind === "video";
  if (recording && request.config.language != null && request.explicit) {
    out.errors.push(coded(TRANSCRIPTION_UNAVAILABLE, "Language on audio and video needs a transcript, and this server has no transcription model; send the text itself (a text file or `text`)."));
  }
  // A model that does not apply to this file (face on audio) is left out of its results; a
  // silent video is still measured for faces unless audio models were asked for by name.
  const silent = media.kind === "video" && !(media.probe instanceof Error) && !media.probe.hasAudio && !request.explicit;
  const requested = (Object.keys(config) as ModelName[]).filter((m) => config[m] != null);
  const models = requested.filter((m) => MODEL_ACCEPTS[m].includes(media.kind) && !(silent && takesSound(m)));
  if (models.length === 0) return out;
  // A `window` asks prosody for fixed time windows instead of utterances: it runs on its own.
  const window = request.config.prosody?.window;
  const piped = window ? models.filter((m) => m !== "prosody") : models;
  const states = new Map<ModelName, ModelState>();
  let sound: Float32Array | undefined;
  try {
    const decoded = await decodeMedia(media, models, config, batchLimits(ctx.config));
    sound = decoded.sound;
    const blocks = await runModels(decoded, piped, config, {
      runner: ctx.pool,
      stateOf: (m) => states.get(m) ?? {},
      setState: (m, state) => states.set(m, state),
      // The whole recording is one window: stream time is seconds from the file's start.
      pushAudio: (samples) => ({ samples, startSec: 0, newSec: 0 }),
    });
    if (window && sound) Object.assign(blocks, await windowedProsody(sound, window, ctx.pool));
    Object.assign(out.models, batchShapes(blocks, Boolean(request.config.face?.identify_faces)));
  } catch (err) {
    if (err instanceof ProtocolError) {
      out.errors.push(coded(err.code, err.message));
      return out;
    }
    throw err;
  }
  if (sound) out.mediaSeconds = sound.length / AUDIO_SAMPLE_RATE;
  const frames = out.models.face?.grouped_predictions.flatMap((g) => g.predictions as { time: number }[]) ?? [];
  if (media.kind === "video") out.mediaSeconds = Math.max(out.mediaSeconds, ...frames.map((f) => f.time));
  return out;
}

/** Prosody over fixed windows: the regions are handed to the model, so no voice detection runs. */
async function windowedProsody(samples: Float32Array, window: { length?: number | null; step?: number | null }, runner: ModelRunner): Promise<Blocks> {
  const speech = slidingWindows(samples.length / AUDIO_SAMPLE_RATE, window.length ?? 4, window.step ?? 1);
  const { results } = await runner.run({
    input: { kind: "audio", samples, sampleRate: AUDIO_SAMPLE_RATE, startSec: 0, newSec: 0, speech },
    jobs: { prosody: { model: "prosody", config: {}, state: {} } },
  });
  const r = results.prosody;
  if (!r) throw new Error("the worker returned no result for prosody");
  if (r.error) throw new ProtocolError(r.error.code as ErrorCode, r.error.message);
  return { prosody: { predictions: r.result.predictions } };
}

/** Streaming blocks as batch model outputs (a block's warning means nothing was found: no groups). */
function batchShapes(blocks: Blocks, identified: boolean): FileModels {
  const out: FileModels = {};
  if (blocks.face) out.face = faceGroups(blocks.face.predictions, identified);
  if (blocks.prosody) out.prosody = single(blocks.prosody.predictions.map((p) => ({ time: p.time, emotions: p.emotions })));
  if (blocks.burst) out.burst = single(blocks.burst.predictions.map((p) => ({ time: p.time, emotions: p.emotions, descriptions: p.descriptions ?? [] })));
  if (blocks.language) out.language = single(blocks.language.predictions);
  if (blocks.facemesh) out.facemesh = single(blocks.facemesh.predictions);
  return out;
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
