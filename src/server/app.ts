/**
 * HTTP and WebSocket on one port. `/v0/stream/models` upgrades to the streaming protocol after
 * auth and the connection limits; `/healthz` and `/readyz` serve probes, `/metrics` Prometheus.
 * A connection's messages are handled in connection.ts and Session; close() drains gracefully.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { isBatchPath, startBatch, type BatchService } from "../batch/index.js";
import { InferencePool } from "../inference/pool.js";
import { setFfmpegMemoryLimit } from "../media/ffmpeg.js";
import { AVAILABLE_MODELS } from "../models/registry.js";
import { MODEL_NAMES } from "../protocol/index.js";
import { ApiKeys, isLoopback, presentedKey } from "./auth.js";
import { ConfigError, type ServerConfig } from "./config.js";
import { serveSocket, type LiveConnection } from "./connection.js";
import { ConnectionLimiter, GlobalQueue, RateLimiter, type ConnectionRefusal } from "./limits.js";
import type { Logger } from "./logger.js";
import { METRICS_PATH, ServerMetrics, serveMetrics } from "./metrics.js";
import { originPolicy, type OriginCheck } from "./origin.js";
import { serveAsset, servePageToBrowsers } from "./static.js";

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
  setFfmpegMemoryLimit(config.ffmpegMaxMemoryMb * 1024 * 1024);
  const connections = new ConnectionLimiter(config.maxConnections, config.maxConnectionsPerKey);
  const rate = new RateLimiter(config.rateLimitPerKey, config.rateBurstPerKey);
  const queue = new GlobalQueue(config.maxPendingTotal);
  const live = new Set<LiveConnection>();
  // Off means off: no default collectors (event-loop and GC observers) and no per-message counting.
  const metrics = config.metrics ? new ServerMetrics({ connections: () => connections.open, queueDepth: () => queue.depth }) : undefined;
  const pool = new InferencePool({
    threads: config.threads || undefined,
    preload: AVAILABLE_MODELS,
    hooks: {
      inference: (model, ms) => metrics?.inferenceTime(model, ms),
      workerReplaced: () => {
        metrics?.workerRestarted();
        log.warn("an inference worker died and was replaced; only the message (or text batch) it was running failed");
      },
      error: (err) => log.error({ err: err.message }, "inference worker error outside any message"),
    },
  });
  // Batch jobs share the pool and the port; the runner starts taking jobs once models load.
  const batch = await startBatch({ config: config.batch, pool, log, registry: metrics?.registry });
  let ready = false;
  let closing = false;
  /** Set when close() begins: no new connections, and new frames are answered with E0902. */
  let draining = false;
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
  // Set once the port is known (it may be 0 = any): the server's own origin includes it.
  let originAllowed: OriginCheck = () => false;
  const http = createServer((req, res) => serveHttp(req, res, { isReady: () => ready, keys, metrics, log, batch }));
  http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over, nobody else listens for its errors: a client that resets
    // the connection while we answer 401 would otherwise crash the process.
    socket.on("error", (err) => log.debug({ err: err.message }, "socket error during upgrade"));
    const url = requestUrl(req);
    if (!url) return rejectUpgrade(socket, 400, "Bad Request");
    if (url.pathname !== STREAM_PATH) return rejectUpgrade(socket, 404, "Not Found");
    const origin = req.headers.origin;
    if (!originAllowed(origin)) {
      log.info({ remote: req.socket.remoteAddress, origin }, "rejected connection: origin not allowed");
      metrics?.connectionRefused("origin");
      return writeUpgradeError(socket, 403, "Forbidden", FORBIDDEN_ORIGIN);
    }
    const keyId = keys.identify(presentedKey(req, url));
    if (keyId === undefined) {
      log.info({ remote: req.socket.remoteAddress }, "rejected connection: missing or invalid API key");
      metrics?.connectionRefused("unauthorized");
      return rejectUpgrade(socket, 401, "Unauthorized", UNAUTHORIZED.error);
    }
    const refusal: ConnectionRefusal | undefined = draining
      ? { status: 503, code: "shutting_down", message: "The server is shutting down." }
      : connections.check(keyId);
    if (refusal) {
      log.info({ remote: req.socket.remoteAddress, key_id: keyId, code: refusal.code }, "rejected connection: over a connection limit");
      metrics?.connectionRefused(refusal.code);
      return refuseUpgrade(socket, refusal);
    }
    // ws completes the upgrade synchronously (no verifyClient), so no other upgrade can slip in
    // between the check above and this count.
    wss.handleUpgrade(req, socket, head, (ws) => {
      const done = connections.acquire(keyId);
      const conn = serveSocket(ws, { config, pool, log, metrics, keyId, rate, queue, draining: () => draining });
      live.add(conn);
      ws.on("close", () => {
        done();
        live.delete(conn);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const hostForUrl = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  originAllowed = originPolicy({ allowedOrigins: config.allowedOrigins, keysEnabled: keys.enabled, host: config.host, port });
  log.info(
    { url, playground: `${url}/`, stream: `ws://${hostForUrl}:${port}${STREAM_PATH}`, auth: keys.enabled ? `${keys.count} API key(s)` : "disabled" },
    keys.enabled ? "listening" : "listening WITHOUT authentication (allowed because the server is bound to loopback only)",
  );

  return {
    url,
    streamUrl: `ws://${hostForUrl}:${port}${STREAM_PATH}`,
    port,
    pool,
    async close() {
      // Graceful: stop listening and refuse new upgrades, answer every message already received
      // (frames that arrive now get E0902 "shutting down", in order), then close with 1001.
      draining = true;
      const batchClosed = batch.close(config.shutdownTimeoutMs);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while ([...live].some((c) => !c.settled) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const unsettled = [...live].filter((c) => !c.settled).length;
      if (unsettled > 0) log.warn({ connections: unsettled, timeout_ms: config.shutdownTimeoutMs }, "shutdown deadline passed with messages still in flight");
      for (const client of wss.clients) client.close(1001, "server shutting down");
      // Clients get a moment to answer the closing handshake; a client that never answers would
      // otherwise hold the shutdown for ws's 30 s closing timeout.
      const grace = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
        http.closeAllConnections();
      }, SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(grace);
      closing = true; // a warm-up still retrying stops; it is not awaited (it may be sleeping)
      await batchClosed;
      await pool.close();
    },
  };
}

/** The request target as a URL, or undefined when it cannot be parsed (e.g. "//"): never throws. */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? "/", "http://localhost");
  } catch {
    return undefined;
  }
}

const UNAUTHORIZED = { error: "Invalid or missing API key.", code: "unauthorized" } as const;
const FORBIDDEN_ORIGIN = {
  error: "This origin may not open connections to this server; start it with --allowed-origins to allow it.",
  code: "forbidden_origin",
} as const;

interface HttpContext {
  isReady: () => boolean;
  keys: ApiKeys;
  metrics: ServerMetrics | undefined;
  log: Logger;
  batch: BatchService;
}

function serveHttp(req: IncomingMessage, res: ServerResponse, { isReady, keys, metrics, log, batch }: HttpContext): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const url = requestUrl(req);
  if (!url) return json(400, { error: "Bad request target." });
  if (isBatchPath(url.pathname)) {
    const keyId = keys.identify(presentedKey(req, url));
    if (keyId === undefined) return json(401, UNAUTHORIZED);
    return batch.handle(req, res, url, keyId);
  }
  switch (url.pathname) {
    case "/healthz":
      return json(200, { status: "ok" });
    case "/readyz":
      return isReady() ? json(200, { status: "ready", models: AVAILABLE_MODELS }) : json(503, { status: "loading" });
    case "/":
    case "/info":
      // Browsers get the playground page; API clients (and /info) get the build information.
      if (url.pathname === "/" && servePageToBrowsers(req, res)) return;
      return json(200, {
        name: "open-expression",
        version: VERSION,
        stream: STREAM_PATH,
        models: Object.fromEntries(MODEL_NAMES.map((m) => [m, AVAILABLE_MODELS.includes(m) ? "available" : "not available in this build"])),
      });
    case STREAM_PATH:
      // A browser cannot read the status of a refused WebSocket handshake, so the playground
      // asks here with the same key: 401 means the key is wrong, 426 that it is fine.
      if (!keys.accepts(presentedKey(req, url))) return json(401, UNAUTHORIZED);
      return json(426, { error: "Upgrade to WebSocket required." });
    case METRICS_PATH:
      // With API keys configured /metrics needs one: the numbers are harmless, but a public
      // endpoint should not tell strangers how busy it is. Metrics off: 404 like any unknown path.
      if (!metrics) return json(404, { error: "Not found." });
      if (!keys.accepts(presentedKey(req, url))) return json(401, UNAUTHORIZED);
      return void serveMetrics(res, metrics, log);
    default:
      if (serveAsset(req, res, url.pathname)) return;
      return json(404, { error: "Not found." });
  }
}

/** Over a connection limit: HTTP 429 (this key) or 503 (the server), with a JSON body carrying a code. */
function refuseUpgrade(socket: Duplex, refusal: ConnectionRefusal): void {
  const reason = refusal.status === 429 ? "Too Many Requests" : "Service Unavailable";
  writeUpgradeError(socket, refusal.status, reason, { error: refusal.message, code: refusal.code }, "Retry-After: 1\r\n");
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, body = reason): void {
  const code = status === 401 ? "unauthorized" : status === 404 ? "not_found" : "bad_request";
  writeUpgradeError(socket, status, reason, { error: body, code });
}

/** An HTTP error answer on a socket that asked to upgrade (no ServerResponse exists for it). */
function writeUpgradeError(socket: Duplex, status: number, reason: string, body: { error: string; code: string }, extraHeaders = ""): void {
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n${extraHeaders}Connection: close\r\n\r\n${payload}`,
  );
}
