/**
 * Server configuration: defaults, then environment variables, then explicit options (CLI flags).
 * Every knob is documented in the README's configuration table.
 */
import { readFileSync } from "node:fs";
import { DEFAULT_LIMITS, type MediaLimits } from "../media/limits.js";

export interface ServerConfig {
  host: string;
  port: number;
  apiKeys: string[];
  /** Close a connection with 1000 after this long without a message; 0 disables. */
  idleTimeoutMs: number;
  /** Largest WebSocket message accepted, checked before it is parsed. */
  maxMessageBytes: number;
  /** Messages one connection may have waiting for a reply before the excess gets E0902. */
  maxPendingPerConnection: number;
  /** Inference worker threads; 0 = one per core. */
  threads: number;
  logLevel: string;
  limits: MediaLimits;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: "127.0.0.1",
  port: 8000,
  apiKeys: [],
  idleTimeoutMs: 60_000,
  maxMessageBytes: 32 * 1024 * 1024,
  maxPendingPerConnection: 1024,
  threads: 0,
  logLevel: "info",
  limits: DEFAULT_LIMITS,
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

type Overrides = Partial<Omit<ServerConfig, "limits">> & { limits?: Partial<MediaLimits>; apiKeysFile?: string };

export function loadConfig(overrides: Overrides = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const fromEnv: Overrides = {
    host: env.OPEN_EXPRESSION_HOST || undefined,
    port: int(env, "OPEN_EXPRESSION_PORT") ?? int(env, "PORT"),
    idleTimeoutMs: int(env, "OPEN_EXPRESSION_IDLE_TIMEOUT_MS"),
    maxMessageBytes: int(env, "OPEN_EXPRESSION_MAX_MESSAGE_BYTES"),
    maxPendingPerConnection: int(env, "OPEN_EXPRESSION_MAX_PENDING"),
    threads: int(env, "OPEN_EXPRESSION_THREADS"),
    logLevel: env.OPEN_EXPRESSION_LOG_LEVEL || undefined,
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
  };
  delete (config as Overrides).apiKeysFile;
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new ConfigError(`port must be 0-65535, got ${config.port}`);
  }
  return config;
}

function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
