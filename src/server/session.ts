/**
 * One WebSocket connection's conversation. Every message gets exactly one reply, in the order
 * the messages arrived: messages go through a promise chain, so a slow model never lets a later
 * reply overtake an earlier one, while other connections proceed in parallel on the pool. The
 * session handles order, limits, stream time, reset and job details, maps failures to coded
 * errors, and keeps the connection's state; what happens to the media is the pipeline's
 * (`pipeline/`), which reads each model's descriptor: no model is named here.
 */
import { randomUUID } from "node:crypto";
import { AudioStream } from "../media/audio.js";
import { intake } from "../media/intake.js";
import type { MediaLimits } from "../media/limits.js";
import type { ModelState } from "../models/descriptor.js";
import type { ModelRunner } from "../inference/task.js";
import { decodeMedia } from "../pipeline/decode.js";
import { runModels } from "../pipeline/run.js";
import {
  ErrorCode,
  MODEL_NAMES,
  ProtocolError,
  STREAM_WINDOW,
  StreamRequest,
  messages,
  type ErrorReply,
  type ModelName,
  type ModelsConfig,
  type PredictionsReply,
  type Reply,
} from "../protocol/index.js";

export interface SessionOptions {
  /** Runs models (the inference pool). */
  pool: ModelRunner;
  /** Whether this build has the model (E0901 otherwise). */
  isAvailable(model: ModelName): boolean;
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
  /** Per-model state (e.g. face identities); never shared across sessions, kept across reset_stream. */
  private readonly state = new Map<ModelName, ModelState>();
  /** Audio context and stream time for the models that take sound (README "Audio time"). */
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
      return { reply: errorReply(new ProtocolError(ErrorCode.InvalidJson, messages.invalidJson((err as Error).message))), models: [] };
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
        ? new ProtocolError(ErrorCode.InferenceFailed, messages.inferenceFailed())
        : err;
      const reply = errorReply(error, payloadId);
      if (wantsJobDetails(json)) reply.job_details = { job_id: this.jobId };
      return internal ? { reply, models: seen.models, failure: err instanceof Error ? err.message : String(err) } : { reply, models: seen.models };
    }
  }

  private async processRequest(json: unknown, payloadId: string | undefined, seen: { models: ModelName[] }): Promise<{ reply: Reply; models: ModelName[] }> {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new ProtocolError(ErrorCode.InvalidPayload, messages.notAnObject());
    }
    const parsed = StreamRequest.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join(".") : "payload";
      throw new ProtocolError(ErrorCode.InvalidPayload, messages.invalidField(where, issue?.message ?? "bad value"));
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
      throw new ProtocolError(ErrorCode.InvalidPayload, messages.noData());
    }
    const models = enabledModels(req.models ?? this.models);
    if (models.length === 0) {
      throw new ProtocolError(ErrorCode.InvalidPayload, messages.noModels());
    }
    seen.models = models;
    const config: ModelsConfig = req.models ?? this.models ?? {};
    const media = await intake({ data: req.data, rawText: req.raw_text ?? false, models }, this.options.limits);
    // Decoding checks (E0200/E0202/E0203/E0204; a video's frames excepted, which decode while
    // their models run) come before E0901, so a client learns about its media even from a
    // build that lacks the model.
    const decoded = await decodeMedia(media, models, config, this.options.limits);
    const missing = models.find((m) => !this.options.isAvailable(m));
    if (missing) throw new ProtocolError(ErrorCode.ModelUnavailable, messages.modelUnavailable(missing));
    const blocks = await runModels(decoded, models, config, {
      runner: this.options.pool,
      stateOf: (model) => this.state.get(model) ?? {},
      setState: (model, state) => this.state.set(model, state),
      pushAudio: (sound) => this.audio.push(sound, this.streamWindowMs),
    });
    return { reply: { ...reply, ...blocks }, models };
  }

  /**
   * Drops audio context and restarts stream time at 0. The audio window lives in `this.audio`,
   * not in model state, so each model's own state (e.g. identities) survives, as the protocol says.
   */
  private resetStream(): void {
    this.audio.reset();
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
  return new ProtocolError(ErrorCode.Overloaded, messages.connectionQueueFull());
}

export function errorReply(error: ProtocolError, payloadId?: string): ErrorReply {
  const reply: ErrorReply = { error: error.message, code: error.code };
  if (payloadId !== undefined) reply.payload_id = payloadId;
  return reply;
}
