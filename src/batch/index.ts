/**
 * Batch jobs (`/v0/batch/jobs`), Hume's v0 batch API, started next to the streaming server on
 * the same port and pool: the routes over either queue, the embedded one (a SQLite store and
 * this process's runner) or BullMQ on Redis (`queueUrl`). `startBatch` never throws for
 * a store it cannot open: batch routes then answer 503 `batch_unavailable` and streaming goes on.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { InferencePool } from "../inference/pool.js";
import type { Logger } from "../server/logger.js";
import type { BatchConfig } from "./config.js";
import { BATCH_PREFIX, serveBatch } from "./http.js";
import { BatchMetrics } from "./metrics.js";
import { JobRunner } from "./runner.js";
import type { ListQuery } from "./schema.js";
import { JobStore, type NewJob } from "./store.js";

export { BATCH_PREFIX } from "./http.js";
export { BatchConfig, DEFAULT_BATCH_CONFIG } from "./config.js";

export interface BatchService {
  /** Serves a request under BATCH_PREFIX for an authenticated key. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, keyId: string): void;
  /** Stops taking jobs; running ones get `graceMs` to finish, the rest go back to the queue. */
  close(graceMs: number): Promise<void>;
}

export function isBatchPath(pathname: string): boolean {
  return pathname === BATCH_PREFIX || pathname.startsWith(`${BATCH_PREFIX}/`);
}

export interface StartBatchOptions {
  config: BatchConfig;
  pool: InferencePool;
  log: Logger;
  /** The server's metrics registry; undefined when metrics are off. */
  registry: Registry | undefined;
}

export async function startBatch(options: StartBatchOptions): Promise<BatchService> {
  return options.config.queueUrl ? startRedis(options, options.config.queueUrl) : startEmbedded(options);
}

/** BullMQ on Redis (loaded only when asked for). */
async function startRedis({ config, pool, log, registry }: StartBatchOptions, url: string): Promise<BatchService> {
  const { RedisQueue } = await import("./redis.js");
  // The gauges are read at scrape time, after the queue exists.
  let queue: InstanceType<typeof RedisQueue> | undefined;
  const metrics = registry ? new BatchMetrics(registry, async () => (queue ? queue.countByStatus() : { QUEUED: 0, IN_PROGRESS: 0, COMPLETED: 0, FAILED: 0 })) : undefined;
  queue = new RedisQueue({ url, measure: { pool, config }, log, metrics });
  const q = queue;
  log.info({ queue: "redis", dir: config.dir }, "batch jobs enabled");
  const routes = { jobs: q.jobs, config, log, submitted: () => undefined };
  return {
    handle: (req, res, reqUrl, keyId) => void serveBatch(req, res, reqUrl, keyId, routes),
    close: (graceMs) => q.close(graceMs),
  };
}

/** The SQLite store and this process's runner. */
async function startEmbedded({ config, pool, log, registry }: StartBatchOptions): Promise<BatchService> {
  let store: JobStore;
  try {
    store = await JobStore.open(config.dir);
  } catch (err) {
    log.error({ err: (err as Error).message, dir: config.dir }, "batch: the job store could not be opened; batch jobs are disabled");
    return unavailable("The batch job store could not be opened; see the server log.");
  }
  const metrics = registry ? new BatchMetrics(registry, async () => store.countByStatus()) : undefined;
  const runner = new JobRunner({ store, measure: { pool, config }, log, metrics });
  runner.start();
  log.info({ queue: "embedded", dir: config.dir }, "batch jobs enabled");
  const jobs = {
    create: async (job: NewJob) => store.create(job),
    get: async (id: string, keyId: string) => store.get(id, keyId),
    list: async (keyId: string, q: ListQuery) => store.list(keyId, q),
    predictions: async (id: string) => store.predictions(id),
  };
  const routes = { jobs, config, log, submitted: () => runner.nudge() };
  return {
    handle(req, res, url, keyId) {
      void serveBatch(req, res, url, keyId, routes);
    },
    async close(graceMs) {
      await runner.close(graceMs);
      store.close();
    },
  };
}

function unavailable(message: string): BatchService {
  return {
    handle(_req, res) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: message, code: "batch_unavailable" }));
    },
    async close() {},
  };
}
