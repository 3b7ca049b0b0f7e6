/**
 * Batch settings: where jobs are stored, the queue engine, and the limits of a job, with their
 * bounds. Their names, variables, flags and help are declared with every other setting in
 * server/settings.ts (`BATCH_SETTINGS`), which reads them into `ServerConfig.batch`.
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
