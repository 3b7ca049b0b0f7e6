/**
 * One WebSocket connection's conversation. Every message gets exactly one reply, in the order
 * the messages arrived: messages go through a promise chain, so a slow model never lets a later
 * reply overtake an earlier one, while other connections proceed in parallel on the pool.
 */
import { randomUUID } from "node:crypto";
import { assignDeferredIdentities, type DeferredFacePrediction } from "../models/face/identity.js";
import type { ModelResult, SessionState } from "../models/model.js";
import { AUDIO_SAMPLE_RATE, AudioStream, decodeSound } from "../media/audio.js";
import { extractFrames, FrameFeed, type VideoFrame } from "../media/video.js";
import { isAvailable } from "../models/registry.js";
import { intake, type Media } from "../media/intake.js";
import type { MediaLimits } from "../media/limits.js";
import {
  ErrorCode,
  MODEL_ACCEPTS,
  MODEL_NAMES,
  ProtocolError,
  STREAM_WINDOW,
  WarningCode,
  type FaceConfig,
  type FacePrediction,
  StreamRequest,
  messages,
  type ErrorReply,
  type ModelName,
  type ModelsConfig,
  type PredictionsReply,
  type Reply,
} from "../protocol/index.js";
import type { InferencePool } from "../inference/pool.js";
import type { ModelInput } from "../models/model.js";

export interface SessionOptions {
  pool: InferencePool;
  limits: MediaLimits;
  maxPending: number;
  /**
   * Bytes of frames waiting to be processed (E0902 beyond, like `maxPending`); one frame is
   * always accepted when nothing waits. Default: unlimited.
   */
  maxPendingBytes?: number;
  /** Resolves when the connection can take another reply; awaited before each message is processed. */
  writable?: () => Promise<void>;
  /** Server-wide checks on each arriving frame (rate limit, global queue, shutdown); none by default. */
  admission?: Admission;
}

/**
 * Server-wide admission of one frame, checked after the connection's own limits. `admit`
 * returns the error to answer the frame with instead of processing it, or undefined when the
 * frame is admitted; an admitted frame is released exactly once, when its reply is ready.
 */
export interface Admission {
  admit(): ProtocolError | undefined;
  release(): void;
}

/** What the session reports about each handled message (for logs and metrics). */
export interface MessageOutcome {
  reply: Reply;
  /** The models the message asked for, when it got that far (also on error replies). */
  models: ModelName[];
  ms: number;
  /** Internal error text for the server log when the reply is a generic E0903. */
  failure?: string;
}

export class Session {
  /** One stable id per connection, 32 hex digits like the official service's. */
  readonly jobId = randomUUID().replaceAll("-", "");
  private models: ModelsConfig | undefined;
  private streamWindowMs: number = STREAM_WINDOW.default;
  /** Per-model state (face identities); never shared across sessions. */
  private readonly state = new Map<ModelName, SessionState>();
  /** Audio context and stream time for the audio models (README "Audio time"). */
  private readonly audio = new AudioStream();
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private pendingBytes = 0;

  constructor(private readonly options: SessionOptions) {}

  get pendingCount(): number {
    return this.pending;
  }

  /** Queues a raw frame; resolves with its reply once every earlier message has been answered. */
  handle(frame: string): Promise<MessageOutcome> {
    // Over the limit, the frame itself is dropped now and only its payload_id waits in line for
    // its turn, so a flooding client cannot make the server buffer without bound.
    // Bytes count too: 1024 waiting frames of 32 MB each would be 32 GB.
    const overBytes = this.pendingBytes > 0 && this.pendingBytes + frame.length > (this.options.maxPendingBytes ?? Infinity);
    // The connection's own limits first, then the server-wide ones (which count the frame in).
    const refusal = this.pending >= this.options.maxPending || overBytes ? overloadError() : this.options.admission?.admit();
    const rejected = refusal ? { payloadId: payloadIdOf(frame), error: refusal } : undefined;
    let body: string | undefined = rejected ? undefined : frame;
    const bytes = rejected ? 0 : frame.length;
    this.pending++;
    this.pendingBytes += bytes;
    const run = async (): Promise<MessageOutcome> => {
      try {
        if (rejected || body === undefined) {
          return { reply: errorReply(rejected?.error ?? overloadError(), rejected?.payloadId), models: [], ms: 0 };
        }
        // A client that does not read its replies stops getting new ones computed.
        await this.options.writable?.();
        const start = performance.now();
        const text = body;
        body = undefined;
        const outcome = await this.process(text);
        return { ...outcome, ms: performance.now() - start };
      } finally {
        this.pending--;
        this.pendingBytes -= bytes;
        if (!rejected) this.options.admission?.release();
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async process(frame: string): Promise<Omit<MessageOutcome, "ms">> {
    let json: unknown;
    try {
      json = JSON.parse(frame);
    } catch (err) {
      return { reply: errorReply(new ProtocolError(ErrorCode.InvalidJson, `Failed to parse the request as JSON: ${(err as Error).message}`)), models: [] };
    }
    const payloadId = payloadIdOf(json);
    const seen: { models: ModelName[] } = { models: [] };
    try {
      return await this.processRequest(json, payloadId, seen);
    } catch (err) {
      // Internal failures reach the client as a generic E0903 (no paths or stack details); the
      // detail goes to the server log through `failure`.
      const internal = !(err instanceof ProtocolError);
      const error = internal
        ? new ProtocolError(ErrorCode.InferenceFailed, "The model failed on this input. The connection is still usable; details are in the server log.")
        : err;
      const reply = errorReply(error, payloadId);
      if (wantsJobDetails(json)) reply.job_details = { job_id: this.jobId };
      return internal ? { reply, models: seen.models, failure: err instanceof Error ? err.message : String(err) } : { reply, models: seen.models };
    }
  }

  private async processRequest(json: unknown, payloadId: string | undefined, seen: { models: ModelName[] }): Promise<{ reply: Reply; models: ModelName[] }> {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new ProtocolError(ErrorCode.InvalidPayload, "The request must be a JSON object.");
    }
    const parsed = StreamRequest.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "payload";
      throw new ProtocolError(ErrorCode.InvalidPayload, `Invalid field '${where}': ${issue?.message ?? "bad value"}.`);
    }
    const req = parsed.data;
    if (req.stream_window_ms != null) this.streamWindowMs = req.stream_window_ms;
    if (req.reset_stream) this.resetStream();
    if (req.models != null) this.models = req.models;

    const reply: PredictionsReply = {};
    if (payloadId !== undefined) reply.payload_id = payloadId;
    if (req.job_details) reply.job_details = { job_id: this.jobId };

    if (req.data == null) {
      if (req.reset_stream || req.job_details) return { reply, models: [] };
      throw new ProtocolError(ErrorCode.InvalidPayload, "The payload has no 'data' to measure.");
    }
    const models = enabledModels(req.models ?? this.models);
    if (models.length === 0) {
      throw new ProtocolError(ErrorCode.InvalidPayload, "No models configured: send a 'models' object such as {\"language\": {}} with the first message.");
    }
    seen.models = models;
    const config = (req.models ?? this.models) as ModelsConfig;
    const media = await intake({ data: req.data, rawText: req.raw_text ?? false, models }, this.options.limits);
    // Decoding checks (E0200/E0202/E0203/E0204; a video's frames excepted, which decode while
    // the face model runs) come before E0901, so a client learns about its media even from a
    // build that lacks the model.
    const decoded = await decodeMedia(media, models, config, this.options.limits);
    const missing = models.find((m) => !isAvailable(m));
    if (missing) throw new ProtocolError(ErrorCode.ModelUnavailable, messages.modelUnavailable(missing));

    // Only audio that reaches the models enters the stream (and moves stream time): a video's
    // sound waits until its frames have decoded too, so a message answered with a decoding error
    // never moves stream time. Meanwhile the frames already run through the face model.
    const sound = decoded.sound;
    const audio = sound
      ? (async () => {
          await decoded.video?.done;
          return this.audioInput(sound);
        })()
      : undefined;
    const results = await Promise.all(
      models.map(async (model) => {
        if (model === "face" && decoded.video) return this.runFrames(decoded.video, config.face);
        const input = AUDIO_MODELS.has(model) ? await audio : decoded.input;
        if (!input) throw new Error(`no ${model} input for ${media.kind} media`);
        return this.runModel(model, input, config[model]);
      }),
    );
    models.forEach((model, i) => {
      const r = results[i];
      if (!r) return;
      const block: { predictions: unknown[]; warning?: string; code?: string } = { predictions: r.predictions };
      if (r.warning) {
        block.warning = r.warning.message;
        block.code = r.warning.code;
      }
      (reply as Record<string, unknown>)[model] = block;
    });
    return { reply, models };
  }

  /** This message's audio with the stream window's context and the VAD's speech regions. */
  private async audioInput(sound: Float32Array): Promise<ModelInput> {
    const window = this.audio.push(sound, this.streamWindowMs);
    const speech = await this.options.pool.speech(window.samples, window.startSec);
    return { kind: "audio", sampleRate: AUDIO_SAMPLE_RATE, ...window, speech };
  }

  /**
   * Video frames through the face model as they come out of the decoder: up to one frame per
   * pool thread in flight, a new one starting as soon as any finishes, and never more, so other
   * connections' work still gets a turn on the pool. With identities on, the frames' face
   * descriptors come back and ids are given here in frame order, as if the frames had been
   * measured one after another.
   */
  private async runFrames(video: VideoFrames, config: FaceConfig | null | undefined): Promise<ModelResult<unknown>> {
    const deferIdentity = Boolean(config?.identify_faces);
    const results: FacePrediction[][] = [];
    const measure = async (f: VideoFrame) => {
      const r = await this.runModel("face", { kind: "image", bytes: f.bytes, frame: f.frame, time: f.time, deferIdentity }, config);
      results[f.frame] = (r.predictions as FacePrediction[]).map((p) => inVideoPixels(p, f.scale));
    };
    let next = 0;
    const lane = async () => {
      for (let f = await video.feed.at(next++); f; f = await video.feed.at(next++)) await measure(f);
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.options.pool.threads) }, lane));
    } catch (err) {
      await video.done; // a decoding failure is the message's error, not what a model made of part of it
      throw err;
    }
    // The feed hands over exactly the frames `done` settles with, so each has its results.
    let perFrame = (await video.done).map((f) => results[f.frame] ?? []);
    if (deferIdentity) {
      const faceState = this.state.get("face") ?? {};
      const assigned = assignDeferredIdentities(faceState.identities, perFrame as (FacePrediction & DeferredFacePrediction)[][]);
      this.state.set("face", { ...faceState, identities: assigned.state });
      perFrame = assigned.frames;
    }
    const predictions = perFrame.flat();
    if (predictions.length > 0) return { predictions };
    return { predictions: [], warning: { code: WarningCode.NoFaces, message: "No faces could be detected." } };
  }

  private async runModel(model: ModelName, input: ModelInput, config: unknown) {
    const state = this.state.get(model) ?? {};
    const out = await this.options.pool.run({
      model,
      input,
      config: config ?? {},
      state,
    });
    this.state.set(model, out.state);
    if (out.error) throw new ProtocolError(out.error.code as ErrorCode, out.error.message);
    return out.result;
  }

  /**
   * Drops audio context and restarts stream time at 0. The audio window lives in `this.audio`,
   * not in model state, so face identities survive, as the protocol says.
   */
  private resetStream(): void {
    this.audio.reset();
  }
}

/** Boxes found on a scaled-down frame, in the video's own pixels (what the client sent). */
function inVideoPixels(p: FacePrediction, scale: number): FacePrediction {
  if (scale === 1) return p;
  const { x, y, w, h } = p.bbox;
  return { ...p, bbox: { x: Math.round(x / scale), y: Math.round(y / scale), w: Math.round(w / scale), h: Math.round(h / scale) } };
}

/** The models that take sound (from audio, or a video's sound track). */
const AUDIO_MODELS: ReadonlySet<ModelName> = new Set(MODEL_NAMES.filter((m) => MODEL_ACCEPTS[m].includes("audio")));

interface Decoded {
  /** Model input for text, image and facemesh media. */
  input?: ModelInput;
  /** This message's new audio (16 kHz mono), when audio models were requested. */
  sound?: Float32Array;
  /** A video's sampled frames, when face was requested: handed over while still decoding. */
  video?: VideoFrames;
}

/** Frames of a video being decoded: `feed` hands them over as they come, `done` settles with all. */
interface VideoFrames {
  feed: FrameFeed;
  done: Promise<VideoFrame[]>;
}

/** Decodes what the requested models need; every decoding error is coded here. */
async function decodeMedia(media: Media, models: readonly ModelName[], config: ModelsConfig, limits: MediaLimits): Promise<Decoded> {
  switch (media.kind) {
    case "text":
      return { input: { kind: "text", text: media.text } };
    case "facemesh":
      return { input: { kind: "facemesh", faces: media.faces } };
    case "image":
      return { input: { kind: "image", bytes: media.bytes } };
    case "audio":
      // Intake already refused non-audio models (E0102), so audio models were requested.
      return { sound: await decodeSound(media.bytes, "audio", limits) };
    case "video": {
      // Two ffmpeg runs over the same bytes, side by side: frames (handed to the face model as
      // they come) and sound. A sound error is the message's error even if the frames fail too.
      let video: VideoFrames | undefined;
      if (models.includes("face")) {
        const feed = new FrameFeed();
        const done = extractFrames(media.bytes, config.face?.fps_pred, limits, media.probe, (f) => feed.push(f)).finally(() => feed.end());
        done.catch(() => undefined); // read later, through `done`; unread when the sound fails first
        video = { feed, done };
      }
      const sound = models.some((m) => AUDIO_MODELS.has(m)) ? await decodeSound(media.bytes, "video", limits) : undefined;
      return { ...(sound && { sound }), ...(video && { video }) };
    }
  }
}

function enabledModels(config: ModelsConfig | null | undefined): ModelName[] {
  if (!config) return [];
  return MODEL_NAMES.filter((m) => config[m] != null);
}

function payloadIdOf(json: unknown): string | undefined {
  if (typeof json === "string") {
    // Overloaded frames are not parsed in full; a cheap look for the id keeps the reply matched.
    const m = /"payload_id"\s*:\s*"((?:[^"\\]|\\.){0,256})"/.exec(json);
    if (!m?.[1]) return undefined;
    try {
      return JSON.parse(`"${m[1]}"`) as string;
    } catch {
      return undefined;
    }
  }
  if (typeof json === "object" && json !== null && "payload_id" in json) {
    const id = (json as { payload_id: unknown }).payload_id;
    return typeof id === "string" ? id : undefined;
  }
  return undefined;
}

function wantsJobDetails(json: unknown): boolean {
  return typeof json === "object" && json !== null && (json as { job_details?: unknown }).job_details === true;
}

function overloadError(): ProtocolError {
  return new ProtocolError(ErrorCode.Overloaded, "Too many messages are waiting on this connection; this one was not processed. Wait for replies before sending more.");
}

export function errorReply(error: ProtocolError, payloadId?: string): ErrorReply {
  const reply: ErrorReply = { error: error.message, code: error.code };
  if (payloadId !== undefined) reply.payload_id = payloadId;
  return reply;
}
