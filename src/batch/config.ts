/**
 * Batch settings: where jobs are stored, the queue engine, and the limits of a job. Kept apart
 * from the streaming settings so the server's settings schema can take them over as one block;
 * `batchConfigFromEnv` reads the environment variables the README's configuration table lists.
 */
import { z } from "zod";

export const BatchConfig = z.object({
  /** Directory of the embedded job store (SQLite file); created when missing. */
  dir: z.string().min(1),
  /** `redis://host:port` switches the queue and store to BullMQ on Redis; undefined = embedded. */
  queueUrl: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").optional(),
  /** Jobs this process runs at once (each job's files run one after another, frames in parallel). */
  concurrency: z.number().int().min(1).max(64),
  /** Largest uploaded or fetched file. */
  maxFileBytes: z.number().int().min(1),
  /** Largest request body (all parts of a multipart upload together). */
  maxRequestBytes: z.number().int().min(1),
  /** Files, URLs and text items in one job together. */
  maxFilesPerJob: z.number().int().min(1),
  /** Longest audio or video a job may measure, in milliseconds of media. */
  maxDurationMs: z.number().int().min(1),
  /** Frames of one video sent to the face model; later frames are not measured. */
  maxVideoFrames: z.number().int().min(1),
  /** Characters of one text item or text file. */
  maxTextChars: z.number().int().min(1),
  /** Wall-clock limit of one URL download (including redirects). */
  fetchTimeoutMs: z.number().int().min(1),
  /** Allow `urls` and `callback_url` to reach private, loopback and link-local addresses. */
  allowPrivateUrls: z.boolean(),
  /** A claimed job is held this long without a heartbeat before another worker may retry it. */
  leaseMs: z.number().int().min(500),
  /** Runs of a job that ended in a crash or shutdown before it is marked FAILED. */
  maxAttempts: z.number().int().min(1),
});
export type BatchConfig = z.infer<typeof BatchConfig>;

export const DEFAULT_BATCH_CONFIG: BatchConfig = {
  dir: "data/batch",
  queueUrl: undefined,
  concurrency: 1,
  maxFileBytes: 64 * 1024 * 1024,
  maxRequestBytes: 256 * 1024 * 1024,
  maxFilesPerJob: 100,
  // Ten minutes of video at the default 3 fps is 1800 frames; both limits bound a job's memory.
  maxDurationMs: 10 * 60_000,
  maxVideoFrames: 1_800,
  maxTextChars: 100_000,
  fetchTimeoutMs: 30_000,
  allowPrivateUrls: false,
  leaseMs: 15_000,
  maxAttempts: 3,
};

/** Environment variable of each setting (the flags of `serve` carry the same names). */
export const BATCH_ENV = {
  dir: "OPEN_EXPRESSION_BATCH_DIR",
  queueUrl: "OPEN_EXPRESSION_QUEUE",
  concurrency: "OPEN_EXPRESSION_BATCH_CONCURRENCY",
  maxFileBytes: "OPEN_EXPRESSION_BATCH_MAX_FILE_BYTES",
  maxRequestBytes: "OPEN_EXPRESSION_BATCH_MAX_REQUEST_BYTES",
  maxFilesPerJob: "OPEN_EXPRESSION_BATCH_MAX_FILES",
  maxDurationMs: "OPEN_EXPRESSION_BATCH_MAX_DURATION_MS",
  maxVideoFrames: "OPEN_EXPRESSION_BATCH_MAX_VIDEO_FRAMES",
  maxTextChars: "OPEN_EXPRESSION_BATCH_MAX_TEXT_CHARS",
  fetchTimeoutMs: "OPEN_EXPRESSION_BATCH_FETCH_TIMEOUT_MS",
  allowPrivateUrls: "OPEN_EXPRESSION_ALLOW_PRIVATE_URLS",
  leaseMs: "OPEN_EXPRESSION_BATCH_LEASE_MS",
  maxAttempts: "OPEN_EXPRESSION_BATCH_MAX_ATTEMPTS",
} as const satisfies Record<keyof BatchConfig, string>;

export class BatchConfigError extends Error {
  override name = "ConfigError";
}

/** Settings from the environment; unset variables are left out (defaults apply later). */
export function batchConfigFromEnv(env: NodeJS.ProcessEnv): Partial<BatchConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(BATCH_ENV) as [keyof BatchConfig, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    out[key] = parseSetting(key, raw, name);
  }
  return out as Partial<BatchConfig>;
}

/** One setting from its text form (an env var or a flag); `source` names it in errors. */
export function parseSetting(key: keyof BatchConfig, raw: string, source: string): unknown {
  const kind = typeof DEFAULT_BATCH_CONFIG[key];
  if (key === "allowPrivateUrls") {
    const v = raw.toLowerCase();
    if (["1", "true", "on", "yes"].includes(v)) return true;
    if (["0", "false", "off", "no"].includes(v)) return false;
    throw new BatchConfigError(`${source} must be on or off, got "${raw}"`);
  }
  if (kind === "number") {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new BatchConfigError(`${source} must be a non-negative integer, got "${raw}"`);
    return n;
  }
  return raw;
}

/** Defaults, then `overrides` (env, then flags), validated as a whole. */
export function resolveBatchConfig(...overrides: Partial<BatchConfig>[]): BatchConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_BATCH_CONFIG };
  for (const o of overrides) for (const [k, v] of Object.entries(o)) if (v !== undefined) merged[k] = v;
  const parsed = BatchConfig.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "batch") as keyof BatchConfig;
    throw new BatchConfigError(`${BATCH_ENV[key] ?? key}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}
