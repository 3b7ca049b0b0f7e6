/**
 * Typed request/reply client for `/v0/stream/models`. The protocol has no message ids of its
 * own: the server answers every message exactly once, in order, so replies are matched to a
 * FIFO queue of requests. Each request also carries a fresh payload_id, and an echoed id that
 * does not match the head of the queue means the two sides disagree about the order; the client
 * then fails everything in flight rather than hand anyone a reply that belongs to someone else.
 */
import { ErrorReply, PredictionsReply, WarningReply, type ModelsConfig, type StreamRequest } from "../protocol/wire.js";
import { readFileInput, toBase64, utf8Base64, type FileInput } from "./encode.js";
import { AuthenticationError, ConnectionError, ExpressionError, ProtocolViolationError, TimeoutError } from "./errors.js";
import { openTransport, type Transport } from "./socket.js";
import { normalizeUrl } from "./url.js";

export interface ReconnectOptions {
  /** Connection attempts after each loss of the connection. */
  attempts: number;
  /** Delay before the first attempt; doubles with each further attempt (capped at 30 s). */
  delayMs: number;
}

export interface ConnectOptions {
  /** Stream URL or base URL (ws, wss, http, https); default ws://127.0.0.1:8000. */
  url?: string;
  apiKey?: string;
  /** Models sent with every measurement unless a call overrides them. */
  models?: ModelsConfig;
  /** Sent as `stream_window_ms` with every measurement when set (500-10000). */
  streamWindowMs?: number;
  /** Reconnect after the connection is lost (default: off). See `ExpressionClient`. */
  reconnect?: ReconnectOptions | false;
  /** Limit for the handshake and for each reply, in ms; 0 = none. Default 30000. */
  timeoutMs?: number;
}

export interface SendOptions {
  /** Replaces the connection's models for this message. */
  models?: ModelsConfig;
}

/** A request as the caller writes it; the client adds `payload_id`. */
export type OutgoingRequest = Omit<StreamRequest, "payload_id">;

/** Predictions, plus a top-level warning for servers that send warnings outside the model key. */
export type StreamReply = PredictionsReply & { warning?: string; code?: string };

interface Pending {
  id: string;
  resolve: (reply: StreamReply) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Timed out: the slot stays queued so its late reply is consumed, then dropped. */
  abandoned: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Reconnection, when enabled: if the connection closes with any code but 1000, the client
 * reconnects in the background with exponential backoff. Requests that were in flight are
 * rejected with a ConnectionError and NOT re-sent (the server may or may not have processed
 * them, and per-connection state such as the audio window and job_id starts over). Sends made
 * while reconnecting wait for the new connection. After a clean close by the server (code 1000,
 * e.g. its idle timeout) the client reconnects on the next send. A 401 stops reconnecting.
 */
export class ExpressionClient {
  /** The normalised stream URL (without the key). */
  readonly url: string;
  private transport: Transport | undefined;
  private connecting: Promise<Transport> | undefined;
  private readonly queue: Pending[] = [];
  private closedByUser = false;
  private lastClose = "";
  private readonly timeoutMs: number;

  private constructor(private readonly options: ConnectOptions) {
    this.url = normalizeUrl(options.url);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Connects (one attempt; reconnect options apply only to later losses). */
  static async connect(options: ConnectOptions = {}): Promise<ExpressionClient> {
    const client = new ExpressionClient(options);
    client.attach(await client.open());
    return client;
  }

  /** Requests sent and not yet answered. */
  get pendingCount(): number {
    return this.queue.length;
  }

  sendText(text: string, options: SendOptions = {}): Promise<StreamReply> {
    return this.send(this.measurement({ data: text, raw_text: true }, options));
  }

  /** Sends a file's bytes as base64; the server detects the type. A string is a path (Node only). */
  async sendFile(file: FileInput, options: SendOptions = {}): Promise<StreamReply> {
    const data = toBase64(await readFileInput(file));
    return this.send(this.measurement({ data, raw_text: false }, options));
  }

  /** Landmarks per face, each `[x, y, z]`; uses the facemesh model unless `models` is given. */
  sendFacemesh(landmarks: number[][][], options: SendOptions = {}): Promise<StreamReply> {
    const models = options.models ?? { facemesh: {} };
    return this.send(this.measurement({ data: utf8Base64(JSON.stringify(landmarks)), raw_text: false }, { models }));
  }

  /** Drops the server's sliding-window context (audio); face identities survive. */
  async reset(): Promise<void> {
    await this.send({ reset_stream: true });
  }

  /** The connection's job id (32 hex digits, stable for the connection). */
  async jobDetails(): Promise<{ job_id: string }> {
    const reply = await this.send({ job_details: true });
    if (!reply.job_details) throw new ProtocolViolationError("the reply to a job_details request has no job_details");
    return reply.job_details;
  }

  /** Sends any request (payload_id is added) and resolves with its reply; errors reject. */
  send(request: OutgoingRequest): Promise<StreamReply> {
    const id = uuid();
    const frame = JSON.stringify({ ...request, payload_id: id });
    // Fast path stays synchronous so calls made together go out in call order.
    if (this.transport?.isOpen && !this.closedByUser) return this.enqueue(this.transport, id, frame);
    return this.ensureTransport().then((t) => this.enqueue(t, id, frame));
  }

  /** Closes with code 1000. Does not wait for replies: requests still in flight are rejected. */
  async close(): Promise<void> {
    this.closedByUser = true;
    const t = this.transport;
    if (!t) return;
    await new Promise<void>((resolve) => {
      const previous = t.onClose;
      t.onClose = (code, reason) => {
        previous(code, reason);
        resolve();
      };
      t.close(1000, "client closed");
    });
  }

  private measurement(request: OutgoingRequest, options: SendOptions): OutgoingRequest {
    const models = options.models ?? this.options.models;
    const out: OutgoingRequest = { ...request };
    if (models) out.models = models;
    if (this.options.streamWindowMs !== undefined) out.stream_window_ms = this.options.streamWindowMs;
    return out;
  }

  private open(): Promise<Transport> {
    return openTransport({ url: this.url, apiKey: this.options.apiKey, timeoutMs: this.timeoutMs });
  }

  private attach(t: Transport): void {
    this.transport = t;
    t.onMessage = (text) => this.onFrame(text);
    t.onClose = (code, reason) => this.onClosed(t, code, reason);
  }

  private ensureTransport(): Promise<Transport> {
    if (this.closedByUser) return Promise.reject(new ConnectionError("the client is closed"));
    if (this.transport?.isOpen) return Promise.resolve(this.transport);
    if (this.connecting) return this.connecting;
    if (this.options.reconnect) return this.reconnect(0);
    return Promise.reject(new ConnectionError(`the connection is closed (${this.lastClose || "not connected"})`));
  }

  private reconnect(firstDelayMs: number): Promise<Transport> {
    const { attempts, delayMs } = this.options.reconnect || { attempts: 0, delayMs: 0 };
    const run = async (): Promise<Transport> => {
      let last: unknown;
      for (let i = 0; i < attempts; i++) {
        const wait = i === 0 ? firstDelayMs : Math.min(MAX_BACKOFF_MS, delayMs * 2 ** i);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (this.closedByUser) break;
        try {
          const t = await this.open();
          if (this.closedByUser) {
            t.close(1000, "client closed");
            break;
          }
          this.attach(t);
          return t;
        } catch (err) {
          if (err instanceof AuthenticationError) throw err;
          last = err;
        }
      }
      if (this.closedByUser) throw new ConnectionError("the client is closed");
      const why = last instanceof Error ? `: ${last.message}` : "";
      throw new ConnectionError(`reconnecting to ${this.url} failed after ${attempts} attempt(s)${why}`, undefined, { cause: last });
    };
    const attempt = run().finally(() => {
      if (this.connecting === attempt) this.connecting = undefined;
    });
    this.connecting = attempt;
    return attempt;
  }

  private enqueue(t: Transport, id: string, frame: string): Promise<StreamReply> {
    return new Promise<StreamReply>((resolve, reject) => {
      const entry: Pending = { id, resolve, reject, timer: undefined, abandoned: false };
      if (this.timeoutMs > 0) {
        entry.timer = setTimeout(() => {
          entry.abandoned = true;
          reject(new TimeoutError(`no reply to ${id} within ${this.timeoutMs} ms`));
        }, this.timeoutMs);
      }
      this.queue.push(entry);
      t.send(frame);
    });
  }

  private onFrame(text: string): void {
    const entry = this.queue.shift();
    if (!entry) return this.desync("the server sent a reply to no request");
    if (entry.timer) clearTimeout(entry.timer);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (!entry.abandoned) entry.reject(new ProtocolViolationError("the server sent a reply that is not JSON"));
      return;
    }
    const echoed = typeof json === "object" && json !== null && "payload_id" in json ? json.payload_id : undefined;
    if (echoed !== undefined && echoed !== null && echoed !== entry.id) {
      entry.reject(new ProtocolViolationError(`reply out of order: expected payload_id ${entry.id}, got ${String(echoed)}`));
      return this.desync("replies arrived out of order");
    }
    if (entry.abandoned) return;
    const error = ErrorReply.safeParse(json);
    if (error.success) {
      entry.reject(new ExpressionError(error.data.code, error.data.error, error.data.payload_id ?? entry.id));
      return;
    }
    const parsed = PredictionsReply.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      entry.reject(new ProtocolViolationError(`the reply does not match the protocol at '${issue?.path.join(".") ?? ""}': ${issue?.message ?? "invalid"}`));
      return;
    }
    const reply: StreamReply = parsed.data;
    const warning = WarningReply.safeParse(json);
    if (warning.success) {
      reply.warning = warning.data.warning;
      reply.code = warning.data.code;
    }
    entry.resolve(reply);
  }

  /** The order of replies can no longer be trusted: fail everything and drop the connection. */
  private desync(why: string): void {
    this.rejectAll(new ProtocolViolationError(`${why}; the connection was closed`));
    // 4000+: browsers allow a script to close only with 1000 or 3000-4999.
    this.transport?.close(4002, "protocol error");
  }

  private onClosed(t: Transport, code: number, reason: string): void {
    if (this.transport !== t) return;
    this.transport = undefined;
    this.lastClose = `code ${code}${reason ? `: ${reason}` : ""}`;
    const why = this.closedByUser ? "the client was closed" : `the connection closed (${this.lastClose})`;
    this.rejectAll(new ConnectionError(`${why} before the server replied; the request was not re-sent`, code));
    if (!this.closedByUser && this.options.reconnect && code !== 1000) {
      // Failures surface on the next send; nobody awaits this one.
      this.reconnect(this.options.reconnect.delayMs).catch(() => undefined);
    }
  }

  private rejectAll(err: Error): void {
    for (const entry of this.queue.splice(0)) {
      if (entry.timer) clearTimeout(entry.timer);
      if (!entry.abandoned) entry.reject(err);
    }
  }
}

/** crypto.randomUUID needs a secure context in browsers; fall back to getRandomValues. */
function uuid(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
