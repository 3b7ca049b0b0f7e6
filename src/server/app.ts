/**
 * HTTP and WebSocket on one port. `/v0/stream/models` upgrades to the streaming protocol after
 * auth; `/healthz` and `/readyz` serve probes. Everything else about a message happens in Session.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { InferencePool } from "../inference/pool.js";
import { AVAILABLE_MODELS } from "../models/registry.js";
import { MODEL_NAMES } from "../protocol/index.js";
import { ApiKeys, isLoopback, presentedKey } from "./auth.js";
import { ConfigError, type ServerConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { Session } from "./session.js";

export const STREAM_PATH = "/v0/stream/models";
const VERSION = "0.1.0";
/** How long close() waits for clients to finish the closing handshake before cutting them off. */
const SHUTDOWN_GRACE_MS = 1_000;

export interface RunningServer {
  /** http://host:port */
  url: string;
  /** ws://host:port/v0/stream/models */
  streamUrl: string;
  port: number;
  pool: InferencePool;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const keys = new ApiKeys(config.apiKeys);
  if (!keys.enabled && !isLoopback(config.host)) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without API keys: anyone who can reach it could use it. ` +
        "Set OPEN_EXPRESSION_API_KEYS (or --api-keys / --api-keys-file), or bind to 127.0.0.1.",
    );
  }
  const pool = new InferencePool({ threads: config.threads || undefined });
  let ready = false;
  let closing = false;
  // Load every model in every worker before /readyz says ready. A failed load (say, a weights
  // file missing) is logged and retried, so a probe sees the server recover once it is fixed.
  void (async () => {
    for (let attempt = 1; !closing; attempt++) {
      try {
        await pool.warm(AVAILABLE_MODELS);
        ready = true;
        log.info({ models: AVAILABLE_MODELS, threads: pool.threads }, "models loaded");
        return;
      } catch (err) {
        if (closing) return;
        log.error({ err, attempt }, "model loading failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * attempt)).unref());
      }
    }
  })();

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxMessageBytes, perMessageDeflate: false });
  const http = createServer((req, res) => serveHttp(req, res, () => ready));
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over, nobody else listens for its errors: a client that resets
    // the connection while we answer 401 would otherwise crash the process.
    socket.on("error", (err) => log.debug({ err: err.message }, "socket error during upgrade"));
    const url = requestUrl(req);
    if (!url) return rejectUpgrade(socket, 400, "Bad Request");
    if (url.pathname !== STREAM_PATH) return rejectUpgrade(socket, 404, "Not Found");
    if (!keys.accepts(presentedKey(req, url))) {
      log.info({ remote: req.socket.remoteAddress }, "rejected connection: missing or invalid API key");
      return rejectUpgrade(socket, 401, "Unauthorized", "Invalid or missing API key.");
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });
  wss.on("connection", (ws: WebSocket) => serveSocket(ws, config, pool, log));

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  log.info(
    { url, stream: `ws://${hostForUrl}:${port}${STREAM_PATH}`, auth: keys.enabled ? `${keys.count} API key(s)` : "disabled" },
    keys.enabled ? "listening" : "listening WITHOUT authentication (allowed because the server is bound to loopback only)",
  );

  return {
    url,
    streamUrl: `ws://${hostForUrl}:${port}${STREAM_PATH}`,
    port,
    pool,
    async close() {
      for (const client of wss.clients) client.close(1001, "server shutting down");
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Clients get a moment to answer the closing handshake; a client that never answers would
      // otherwise hold the shutdown for ws's 30 s closing timeout.
      const grace = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
        http.closeAllConnections();
      }, SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(grace);
      closing = true; // a warm-up still retrying stops; it is not awaited (it may be sleeping)
      await pool.close();
    },
  };
}

/**
 * Reply bytes handed to a connection but not yet written to it. Above this the connection is
 * congested (its client is not reading): we stop reading its messages and computing its replies
 * until the backlog halves. A word-level reply to 10,000 characters is about 2 MB, so without
 * this a client that never reads could make the server buffer without bound.
 */
const REPLY_HIGH_WATER_BYTES = 8 * 1024 * 1024;

function serveSocket(ws: WebSocket, config: ServerConfig, pool: InferencePool, log: Logger): void {
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
    pool,
    limits: config.limits,
    maxPending: config.maxPendingPerConnection,
    maxPendingBytes: 2 * config.maxMessageBytes,
    writable,
  });
  const connLog = log.child({ job_id: session.jobId });
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
    // Binary frames are accepted when they hold UTF-8 JSON; anything else gets E0100 like bad text.
    const frame = isBinary || typeof data !== "string" ? Buffer.from(data as Buffer).toString("utf8") : data;
    session
      .handle(frame)
      .then((outcome) => {
        if (ws.readyState !== ws.OPEN) return;
        sendReply(JSON.stringify(outcome.reply));
        const code = "code" in outcome.reply ? outcome.reply.code : undefined;
        connLog.debug({ models: outcome.models, ms: Math.round(outcome.ms * 100) / 100, code }, "message");
        if (outcome.failure) connLog.warn({ models: outcome.models, err: outcome.failure }, "model failed on a message");
      })
      // Session answers every failure with an error reply; anything that still escapes is a bug,
      // and must cost this connection at most, never the process (unhandled rejections exit).
      .catch((err: unknown) => {
        connLog.error({ err }, "message handling failed");
        ws.close(1011, "internal error");
      });
  });
  ws.on("error", (err) => connLog.warn({ err: err.message }, "socket error"));
  ws.on("close", (code) => {
    if (idleTimer) clearTimeout(idleTimer);
    release(); // let waiting messages finish; their replies are dropped
    connLog.debug({ code }, "connection closed");
  });
}

/** The request target as a URL, or undefined when it cannot be parsed (e.g. "//"): never throws. */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? "/", "http://localhost");
  } catch {
    return undefined;
  }
}

function serveHttp(req: IncomingMessage, res: ServerResponse, isReady: () => boolean): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const url = requestUrl(req);
  if (!url) return json(400, { error: "Bad request target." });
  switch (url.pathname) {
    case "/healthz":
      return json(200, { status: "ok" });
    case "/readyz":
      return isReady() ? json(200, { status: "ready", models: AVAILABLE_MODELS }) : json(503, { status: "loading" });
    case "/":
      return json(200, {
        name: "open-expression",
        version: VERSION,
        stream: STREAM_PATH,
        models: Object.fromEntries(MODEL_NAMES.map((m) => [m, AVAILABLE_MODELS.includes(m) ? "available" : "not available in this build"])),
      });
    case STREAM_PATH:
      return json(426, { error: "Upgrade to WebSocket required." });
    default:
      return json(404, { error: "Not found." });
  }
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, body = reason): void {
  const code = status === 401 ? "unauthorized" : status === 404 ? "not_found" : "bad_request";
  const payload = JSON.stringify({ error: body, code });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
}
