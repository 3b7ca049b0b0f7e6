/**
 * One accepted WebSocket: frames in, replies out, in order (Session does the ordering). This file
 * adds what sits around a session: reply backpressure, the idle timeout, server-wide admission
 * (rate limit, global queue, shutdown), per-message request ids in the logs, and metrics.
 */
import { randomBytes } from "node:crypto";
import type { WebSocket } from "ws";
import type { InferencePool } from "../inference/pool.js";
import { ErrorCode, ProtocolError, messages } from "../protocol/index.js";
import type { ServerConfig } from "./config.js";
import type { GlobalQueue, RateLimiter } from "./limits.js";
import type { Logger } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";
import { isAvailable } from "../models/registry.js";
import { Session, type Admission } from "./session.js";

/**
 * Reply bytes handed to a connection but not yet written to it. Above this the connection is
 * congested (its client is not reading): we stop reading its messages and computing its replies
 * until the backlog halves. A word-level reply to 10,000 characters is about 2 MB, so without
 * this a client that never reads could make the server buffer without bound.
 */
const REPLY_HIGH_WATER_BYTES = 8 * 1024 * 1024;

export interface ConnectionContext {
  config: ServerConfig;
  pool: InferencePool;
  log: Logger;
  metrics: ServerMetrics | undefined;
  /** Opaque label of the API key that opened the connection (never the key). */
  keyId: string;
  rate: RateLimiter;
  queue: GlobalQueue;
  /** True once the server is shutting down: new frames are answered with E0902, not processed. */
  draining: () => boolean;
}

/** What the server needs of a live connection to shut down gracefully. */
export interface LiveConnection {
  /** No message waiting for its reply and every reply written to the socket. */
  readonly settled: boolean;
}

export function serveSocket(ws: WebSocket, ctx: ConnectionContext): LiveConnection {
  const { config, log, metrics } = ctx;
  let unflushed = 0;
  let waiters: (() => void)[] = [];
  const release = () => {
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  const writable = (): Promise<void> =>
    unflushed <= REPLY_HIGH_WATER_BYTES || ws.readyState !== ws.OPEN ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
  const sendReply = (text: string) => {
    const bytes = Buffer.byteLength(text);
    unflushed += bytes;
    if (unflushed > REPLY_HIGH_WATER_BYTES && !ws.isPaused) ws.pause();
    ws.send(text, () => {
      unflushed -= bytes;
      if (unflushed <= REPLY_HIGH_WATER_BYTES / 2) {
        if (ws.isPaused) ws.resume();
        release();
      }
    });
  };
  const session = new Session({
    pool: ctx.pool,
    isAvailable,
    limits: config.limits,
    maxPending: config.maxPendingPerConnection,
    maxPendingBytes: 2 * config.maxMessageBytes,
    writable,
    admission: admission(ctx),
  });
  const connLog = log.child({ job_id: session.jobId, key_id: ctx.keyId });
  connLog.debug("connection opened");
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    if (config.idleTimeoutMs > 0) {
      idleTimer = setTimeout(() => {
        // Busy computing replies is not idle; stuck behind a client that reads nothing for a
        // whole idle period is.
        if (session.pendingCount > 0 && unflushed <= REPLY_HIGH_WATER_BYTES) return armIdle();
        connLog.info("closing idle connection");
        ws.close(1000, "idle timeout");
      }, config.idleTimeoutMs);
      idleTimer.unref();
    }
  };
  armIdle();
  ws.on("message", (data, isBinary) => {
    armIdle();
    const arrived = performance.now();
    // Correlates this message's log lines; random, so it reveals nothing about the payload.
    const requestLog = connLog.child({ request_id: randomBytes(8).toString("hex") });
    // Binary frames are accepted when they hold UTF-8 JSON; anything else gets E0100 like bad text.
    const frame = isBinary || typeof data !== "string" ? Buffer.from(data as Buffer).toString("utf8") : data;
    session
      .handle(frame)
      .then((outcome) => {
        const code = "code" in outcome.reply ? outcome.reply.code : undefined;
        metrics?.message(outcome.models, outcome.reply, (performance.now() - arrived) / 1000);
        if (ws.readyState !== ws.OPEN) {
          requestLog.debug({ models: outcome.models, code }, "reply dropped: the connection closed first");
          return;
        }
        sendReply(JSON.stringify(outcome.reply));
        requestLog.debug({ models: outcome.models, ms: Math.round(outcome.ms * 100) / 100, code }, "message");
        if (outcome.failure) requestLog.warn({ models: outcome.models, err: outcome.failure }, "model failed on a message");
      })
      // Session answers every failure with an error reply; anything that still escapes is a bug,
      // and must cost this connection at most, never the process (unhandled rejections exit).
      .catch((err: unknown) => {
        requestLog.error({ err }, "message handling failed");
        ws.close(1011, "internal error");
      });
  });
  ws.on("error", (err) => connLog.warn({ err: err.message }, "socket error"));
  ws.on("close", (code) => {
    if (idleTimer) clearTimeout(idleTimer);
    release(); // let waiting messages finish; their replies are dropped
    connLog.debug({ code }, "connection closed");
  });
  return {
    get settled() {
      return session.pendingCount === 0 && unflushed === 0;
    },
  };
}

/** The server-wide checks a frame passes after its connection's own limits, in this order. */
function admission(ctx: ConnectionContext): Admission {
  return {
    admit() {
      if (ctx.draining()) return new ProtocolError(ErrorCode.Overloaded, messages.shuttingDown());
      if (!ctx.rate.take(ctx.keyId)) return new ProtocolError(ErrorCode.RateLimited, messages.rateLimited(ctx.config.rateLimitPerKey));
      if (!ctx.queue.tryAcquire()) return new ProtocolError(ErrorCode.Overloaded, messages.serverQueueFull(ctx.config.maxPendingTotal));
      return undefined;
    },
    release() {
      ctx.queue.release();
    },
  };
}
