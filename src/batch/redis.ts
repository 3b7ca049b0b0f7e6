/**
 * The Redis queue (`--queue redis://host:port`): BullMQ on Redis, so any number of server
 * processes on any number of machines share one queue and one job list. BullMQ is the job
 * store too: a job's state, timestamps, counts and failure reason are its BullMQ job's.
 *
 * Inputs and results do not go into Redis: uploads can be hundreds of MB and Redis keeps
 * everything in memory, so they are files in `--batch-dir`, which must then be a directory
 * every server shares (an NFS or other ReadWriteMany volume). Only whole files are written
 * there, each by one writer, then renamed into place, so it needs no locking.
 *
 * Exactly once: BullMQ gives a running job a lock that its worker keeps extending; a worker
 * that dies stops extending it, the job is detected as stalled and runs again elsewhere (at
 * most `maxAttempts` runs), and only the holder of the current lock can move the job to
 * completed. Each run writes its results under its own lock token and the completed job
 * points to the run that completed it, so a stale run can never replace them.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Queue, Worker, type ConnectionOptions, type Job, type JobType } from "bullmq";
import type { Logger } from "../server/logger.js";
import { sendCallback } from "./callback.js";
import type { JobsApi } from "./http.js";
import type { MeasureContext } from "./measure.js";
import type { BatchMetrics } from "./metrics.js";
import { jobDetails } from "./predictions.js";
import { callbackPolicy, processJob } from "./process.js";
import type { FileInfo, InferenceRequest, JobStatus, ListQuery } from "./schema.js";
import type { JobInput, JobRecord, NewJob } from "./store.js";

const QUEUE_NAME = "open-expression-batch";

/** An input as the queue carries it: file bytes stay on the shared volume. */
type InputRef = { kind: "file"; info: FileInfo; path: string } | { kind: "url"; url: string } | { kind: "text"; text: string };

interface JobData {
  keyId: string;
  request: InferenceRequest;
  files: FileInfo[];
  inputs: InputRef[];
}

interface JobResult {
  /** The results file of the run that completed the job, relative to the batch directory. */
  results: string;
  num_predictions: number;
  num_errors: number;
}

type BatchJob = Job<JobData, JobResult>;

const STATES: JobType[] = ["waiting", "prioritized", "delayed", "active", "completed", "failed"];

/** redis://[user:password@]host[:port][/db] as ioredis options. */
export function redisConnection(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : 6379,
    ...(u.username && { username: decodeURIComponent(u.username) }),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    ...(u.pathname.length > 1 && { db: Number(u.pathname.slice(1)) }),
    ...(u.protocol === "rediss:" && { tls: {} }),
    // Workers block on Redis; ioredis must keep retrying rather than fail their commands.
    maxRetriesPerRequest: null,
  };
}

export interface RedisQueueOptions {
  url: string;
  measure: MeasureContext;
  log: Logger;
  metrics: BatchMetrics | undefined;
}

export class RedisQueue {
  private readonly queue: Queue<JobData, JobResult>;
  private readonly worker: Worker<JobData, JobResult>;
  private readonly dir: string;
  private stopping = false;

  constructor(private readonly options: RedisQueueOptions) {
    const { config } = options.measure;
    this.dir = config.dir;
    mkdirSync(join(this.dir, "inputs"), { recursive: true });
    mkdirSync(join(this.dir, "results"), { recursive: true });
    const connection = redisConnection(options.url);
    this.queue = new Queue(QUEUE_NAME, { connection });
    this.worker = new Worker(QUEUE_NAME, (job, token) => this.run(job, token), {
      connection,
      concurrency: config.concurrency,
      lockDuration: config.leaseMs,
      stalledInterval: config.leaseMs,
      // A stalled job runs again; after maxAttempts runs it is failed.
      maxStalledCount: config.maxAttempts - 1,
    });
    this.worker.on("completed", (job, result) => {
      const ms = (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now());
      options.metrics?.jobEnded("COMPLETED", ms / 1000);
      options.log.info({ job_id: job.id, ms, num_predictions: result.num_predictions, num_errors: result.num_errors }, "batch job completed");
      void this.notify(job.id);
    });
    this.worker.on("failed", (job, err) => {
      if (!job || this.stopping) return;
      options.metrics?.jobEnded("FAILED", ((job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())) / 1000);
      options.log.error({ job_id: job.id, err: err.message }, "batch job failed");
      void this.notify(job.id);
    });
    // Connection trouble is retried by ioredis; log it instead of crashing on an unhandled 'error'.
    this.worker.on("error", (err) => options.log.warn({ err: err.message }, "batch: Redis worker error"));
    this.queue.on("error", (err) => options.log.warn({ err: err.message }, "batch: Redis queue error"));
  }

  readonly jobs: JobsApi = {
    create: async (job: NewJob) => {
      const folder = join("inputs", job.id);
      mkdirSync(join(this.dir, folder), { recursive: true });
      const inputs: InputRef[] = [];
      for (const [i, input] of job.inputs.entries()) {
        if (input.kind !== "file") {
          inputs.push(input);
          continue;
        }
        const path = join(folder, String(i));
        await writeAtomically(join(this.dir, path), input.bytes);
        inputs.push({ kind: "file", info: input.info, path });
      }
      const files = job.inputs.flatMap((i) => (i.kind === "file" ? [i.info] : []));
      await this.queue.add("inference", { keyId: job.keyId, request: job.request, files, inputs }, { jobId: job.id, attempts: 1, removeOnComplete: false, removeOnFail: false });
    },
    get: async (id, keyId) => {
      const job = (await this.queue.getJob(id)) as BatchJob | undefined;
      if (!job || job.data.keyId !== keyId) return undefined;
      return this.record(job);
    },
    list: async (keyId, q: ListQuery) => {
      // BullMQ has no secondary indexes: the job list is filtered here. Fine for thousands of
      // jobs; a deployment with millions should prune finished jobs.
      const all = (await this.queue.getJobs(STATES, 0, -1)) as BatchJob[];
      const mine = await Promise.all(all.filter((j) => j?.data?.keyId === keyId).map((j) => this.record(j)));
      const column = { created: "createdMs", started: "startedMs", ended: "endedMs" } as const;
      const key = column[q.sort_by];
      const sign = q.direction === "asc" ? 1 : -1;
      return mine
        .filter((j) => q.status.length === 0 || q.status.includes(j.status))
        .filter((j) => !q.when || q.timestamp_ms === undefined || (q.when === "created_before" ? j.createdMs < q.timestamp_ms : j.createdMs > q.timestamp_ms))
        .sort((a, b) => sign * ((a[key] ?? 0) - (b[key] ?? 0) || a.createdMs - b.createdMs))
        .slice(0, q.limit);
    },
    predictions: async (id) => {
      const job = (await this.queue.getJob(id)) as BatchJob | undefined;
      if (!job?.returnvalue?.results) return undefined;
      return readFile(join(this.dir, job.returnvalue.results), "utf8");
    },
  };

  async countByStatus(): Promise<Record<JobStatus, number>> {
    const c = await this.queue.getJobCounts(...STATES);
    return { QUEUED: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0), IN_PROGRESS: c.active ?? 0, COMPLETED: c.completed ?? 0, FAILED: c.failed ?? 0 };
  }

  private async record(job: BatchJob): Promise<JobRecord> {
    const state = await job.getState();
    const status: JobStatus = state === "completed" ? "COMPLETED" : state === "failed" ? "FAILED" : state === "active" ? "IN_PROGRESS" : "QUEUED";
    const r: JobRecord = { id: job.id ?? "", keyId: job.data.keyId, request: job.data.request, files: job.data.files, status, createdMs: job.timestamp, attempts: job.attemptsStarted };
    if (job.processedOn) r.startedMs = job.processedOn;
    if ((status === "COMPLETED" || status === "FAILED") && job.finishedOn) r.endedMs = job.finishedOn;
    if (status === "COMPLETED") {
      r.numPredictions = job.returnvalue?.num_predictions ?? 0;
      r.numErrors = job.returnvalue?.num_errors ?? 0;
    }
    if (status === "FAILED") {
      r.message = /stalled/i.test(job.failedReason ?? "")
        ? `The job was interrupted ${job.stalledCounter + 1} times (server crash or shutdown) and was not retried again.`
        : "The job failed with an internal error; details are in the server log.";
      r.startedMs ??= job.timestamp;
      r.endedMs ??= job.finishedOn ?? Date.now();
    }
    return r;
  }

  private async run(job: BatchJob, token: string | undefined): Promise<JobResult> {
    const { log, metrics, measure } = this.options;
    if (job.stalledCounter > 0) {
      metrics?.retried();
      log.warn({ job_id: job.id, attempt: job.stalledCounter + 1 }, "batch job resumed after an interrupted run");
    }
    log.info({ job_id: job.id, attempt: job.stalledCounter + 1 }, "batch job started");
    const inputs: JobInput[] = await Promise.all(
      job.data.inputs.map(async (i): Promise<JobInput> => (i.kind === "file" ? { kind: "file", info: i.info, bytes: new Uint8Array(await readFile(join(this.dir, i.path))) } : i)),
    );
    const { results, counts } = await processJob(inputs, job.data.request, measure, metrics, () => this.stopping);
    // Named by this run's lock token: a stale run of the same job writes a different file.
    const file = join("results", `${job.id}-${token ?? randomUUID()}.json`);
    await writeAtomically(join(this.dir, file), JSON.stringify(results));
    return { results: file, num_predictions: counts.predictions, num_errors: counts.errors };
  }

  private async notify(id: string | undefined): Promise<void> {
    if (!id) return;
    const job = (await this.queue.getJob(id)) as BatchJob | undefined;
    const url = job?.data.request.callback_url;
    if (!job || !url) return;
    await sendCallback(url, jobDetails(await this.record(job)), callbackPolicy(this.options.measure), this.options.log, () => this.stopping);
  }

  /**
   * Stops taking jobs and waits up to `graceMs` for running ones. A job still running then is
   * left to BullMQ: its lock expires and another server runs it again.
   */
  async close(graceMs: number): Promise<void> {
    const closed = this.worker.close();
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
    if ((await Promise.race([closed, timeout])) === "timeout") {
      this.stopping = true;
      await this.worker.close(true);
    }
    this.stopping = true;
    await this.queue.close();
  }
}

async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
