/**
 * Server configuration: defaults, then environment variables, then explicit options (CLI flags).
 * Every knob is documented in the README's configuration table.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_LIMITS, type MediaLimits } from "../media/limits.js";
import { batchConfigFromEnv, DEFAULT_BATCH_CONFIG, resolveBatchConfig, type BatchConfig } from "../batch/config.js";
import { normalizeOrigin } from "./origin.js";

export interface ServerConfig {
  host: string;
  port: number;
  apiKeys: string[];
  /**
   * Browser origins allowed to open a WebSocket besides the server's own (`*` = any); undefined =
   * the default policy: none without API keys, any with them (server/origin.ts).
   */
  allowedOrigins: string[] | undefined;
  /** Close a connection with 1000 after this long without a message; 0 disables. */
  idleTimeoutMs: number;
  /** Largest WebSocket message accepted, checked before it is parsed. */
  maxMessageBytes: number;
  /** Messages one connection may have waiting for a reply before the excess gets E0902. */
  maxPendingPerConnection: number;
  /** Messages waiting across all connections before the excess gets E0902; 0 = unlimited. */
  maxPendingTotal: number;
  /** Open WebSocket connections in total; beyond it the upgrade gets HTTP 503. 0 = unlimited. */
  maxConnections: number;
  /** Open connections per API key (all clients share one identity without keys); beyond it HTTP 429. 0 = unlimited. */
  maxConnectionsPerKey: number;
  /** Messages per second per API key (token bucket); the excess gets E0904. 0 = unlimited. */
  rateLimitPerKey: number;
  /** Token-bucket size: messages a key may send at once before the rate applies. 0 = the rate. */
  rateBurstPerKey: number;
  /** On SIGTERM / close(): how long in-flight messages may take to be answered before sockets close with 1001. */
  shutdownTimeoutMs: number;
  /** Serve Prometheus metrics at /metrics (behind the API key when keys are configured). */
  metrics: boolean;
  /** Resident memory one ffmpeg child may use before it is killed (E0200); 0 = unlimited. */
  ffmpegMaxMemoryMb: number;
  /** Inference worker threads; 0 = one per core. */
  threads: number;
  logLevel: string;
  limits: MediaLimits;
  /** Batch jobs (`/v0/batch/jobs`): store, queue and limits (batch/config.ts). */
  batch: BatchConfig;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: "127.0.0.1",
  port: 8000,
  apiKeys: [],
  allowedOrigins: undefined,
  idleTimeoutMs: 60_000,
  maxMessageBytes: 32 * 1024 * 1024,
  maxPendingPerConnection: 1024,
  maxPendingTotal: 16_384,
  maxConnections: 4_096,
  maxConnectionsPerKey: 0,
  rateLimitPerKey: 0,
  rateBurstPerKey: 0,
  shutdownTimeoutMs: 10_000,
  metrics: true,
  // Decoding 60 s of video or 5 s of audio needs well under 200 MB; 1 GB only stops runaways.
  ffmpegMaxMemoryMb: 1_024,
  threads: 0,
  logLevel: "info",
  limits: DEFAULT_LIMITS,
  batch: DEFAULT_BATCH_CONFIG,
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

function int(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === "") return undefined;
  if (["1", "true", "on", "yes"].includes(raw)) return true;
  if (["0", "false", "off", "no"].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

export function readKeysFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read API keys file ${path}: ${(err as Error).message}`);
  }
  // One key per line; blank lines and # comments are ignored.
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

type Overrides = Partial<Omit<ServerConfig, "limits" | "batch">> & { limits?: Partial<MediaLimits>; batch?: Partial<BatchConfig>; apiKeysFile?: string };

export function loadConfig(overrides: Overrides = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const fromEnv: Overrides = {
    host: env.OPEN_EXPRESSION_HOST || undefined,
    port: int(env, "OPEN_EXPRESSION_PORT") ?? int(env, "PORT"),
    idleTimeoutMs: int(env, "OPEN_EXPRESSION_IDLE_TIMEOUT_MS"),
    maxMessageBytes: int(env, "OPEN_EXPRESSION_MAX_MESSAGE_BYTES"),
    maxPendingPerConnection: int(env, "OPEN_EXPRESSION_MAX_PENDING"),
    maxPendingTotal: int(env, "OPEN_EXPRESSION_MAX_PENDING_TOTAL"),
    maxConnections: int(env, "OPEN_EXPRESSION_MAX_CONNECTIONS"),
    maxConnectionsPerKey: int(env, "OPEN_EXPRESSION_MAX_CONNECTIONS_PER_KEY"),
    rateLimitPerKey: int(env, "OPEN_EXPRESSION_RATE_LIMIT"),
    rateBurstPerKey: int(env, "OPEN_EXPRESSION_RATE_BURST"),
    shutdownTimeoutMs: int(env, "OPEN_EXPRESSION_SHUTDOWN_TIMEOUT_MS"),
    metrics: bool(env, "OPEN_EXPRESSION_METRICS"),
    ffmpegMaxMemoryMb: int(env, "OPEN_EXPRESSION_FFMPEG_MAX_MEMORY_MB"),
    threads: int(env, "OPEN_EXPRESSION_THREADS"),
    logLevel: env.OPEN_EXPRESSION_LOG_LEVEL || undefined,
    allowedOrigins: parseOrigins(env.OPEN_EXPRESSION_ALLOWED_ORIGINS, "OPEN_EXPRESSION_ALLOWED_ORIGINS"),
  };
  const limitsFromEnv: Partial<MediaLimits> = {
    maxTextChars: int(env, "OPEN_EXPRESSION_MAX_TEXT_CHARS"),
    maxAudioMs: int(env, "OPEN_EXPRESSION_MAX_AUDIO_MS"),
    maxVideoMs: int(env, "OPEN_EXPRESSION_MAX_VIDEO_MS"),
    maxImageWidth: int(env, "OPEN_EXPRESSION_MAX_IMAGE_WIDTH"),
    maxImageHeight: int(env, "OPEN_EXPRESSION_MAX_IMAGE_HEIGHT"),
    maxFacemeshFaces: int(env, "OPEN_EXPRESSION_MAX_FACEMESH_FACES"),
    decodeTimeoutMs: int(env, "OPEN_EXPRESSION_DECODE_TIMEOUT_MS"),
    maxVideoFrames: int(env, "OPEN_EXPRESSION_MAX_VIDEO_FRAMES"),
  };
  const keys = [
    ...(env.OPEN_EXPRESSION_API_KEYS ?? "").split(",").map((k) => k.trim()).filter(Boolean),
    ...(env.OPEN_EXPRESSION_API_KEYS_FILE ? readKeysFile(env.OPEN_EXPRESSION_API_KEYS_FILE) : []),
    ...(overrides.apiKeysFile ? readKeysFile(overrides.apiKeysFile) : []),
    ...(overrides.apiKeys ?? []),
  ];
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    ...defined(fromEnv),
    ...defined(overrides),
    apiKeys: keys,
    limits: { ...DEFAULT_LIMITS, ...defined(limitsFromEnv), ...defined(overrides.limits ?? {}) },
    batch: resolveBatchConfig(batchConfigFromEnv(env), overrides.batch ?? {}),
  };
  delete (config as Overrides).apiKeysFile;
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`port must be 0-65535, got ${config.port}`);
  }
  return config;
}

/** "a, b" -> normalised origins; "" -> undefined (not set). */
export function parseOrigins(raw: string | undefined, source: string): string[] | undefined {
  const items = (raw ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  if (items.length === 0) return undefined;
  return items.map((item) => {
    const origin = normalizeOrigin(item);
    if (!origin) throw new ConfigError(`${source}: "${item}" is not an origin (scheme://host[:port], or *)`);
    return origin;
  });
}

function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
