/**
 * Runs batch jobs from the store: claims the oldest runnable job (queued, or left behind by a
 * worker that died), holds its lease with a heartbeat while measuring its inputs one after
 * another, and completes it only while still holding the lease, so a job is completed once even
 * when two workers have touched it. On shutdown, claiming stops, running jobs get the shutdown
 * grace to finish, and the rest go back to the queue for the next server.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../server/logger.js";
import { sendCallback } from "./callback.js";
import type { MeasureContext } from "./measure.js";
import type { BatchMetrics } from "./metrics.js";
import { jobDetails } from "./predictions.js";
import { callbackPolicy, processJob, RunStopped } from "./process.js";
import type { JobStore, Claim } from "./store.js";

export interface RunnerOptions {
  store: JobStore;
  measure: MeasureContext;
  log: Logger;
  metrics: BatchMetrics | undefined;
  /** How often an idle runner looks for jobs left by others (new jobs here nudge it at once). */
  pollMs?: number;
}

export class JobRunner {
  /** This process's identity on the leases it takes. */
  readonly owner = randomUUID();
  private readonly active = new Map<string, Promise<void>>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly options: RunnerOptions) {}

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.options.pollMs ?? 1_000);
    this.timer.unref();
    this.nudge();
  }

  /** Claims jobs until the concurrency is used up or none is runnable. */
  nudge(): void {
    if (this.polling || this.stopping) return;
    this.polling = true;
    try {
      const { config } = this.options.measure;
      while (this.active.size < config.concurrency && !this.stopping) {
        const claim = this.options.store.claim(this.owner, config.leaseMs, config.maxAttempts);
        if (!claim) break;
        const run = this.run(claim).finally(() => {
          this.active.delete(claim.job.id);
          setImmediate(() => this.nudge());
        });
        this.active.set(claim.job.id, run);
      }
    } catch (err) {
      this.options.log.error({ err: (err as Error).message }, "batch: claiming a job failed");
    } finally {
      this.polling = false;
    }
  }

  private async run({ job, retried }: Claim): Promise<void> {
    const { store, log, metrics } = this.options;
    const { config } = this.options.measure;
    const started = Date.now();
    if (retried) {
      metrics?.retried();
      log.warn({ job_id: job.id, attempt: job.attempts }, "batch job resumed after an interrupted run");
    }
    log.info({ job_id: job.id, attempt: job.attempts }, "batch job started");
    let leaseLost = false;
    const heartbeat = setInterval(() => {
      try {
        if (!store.renew(job.id, this.owner, config.leaseMs)) leaseLost = true;
      } catch (err) {
        log.warn({ job_id: job.id, err: (err as Error).message }, "batch: renewing a lease failed");
      }
    }, Math.max(250, Math.floor(config.leaseMs / 3)));
    heartbeat.unref();
    try {
      const inputs = store.inputs(job.id);
      const { results, counts } = await processJob(inputs, job.request, this.options.measure, metrics, () => this.stopping || leaseLost);
      if (leaseLost || !store.complete(job.id, this.owner, JSON.stringify(results), counts)) {
        log.warn({ job_id: job.id }, "batch job's lease was taken over by another worker; this run's results are discarded");
        return;
      }
      metrics?.jobEnded("COMPLETED", (Date.now() - started) / 1000);
      log.info({ job_id: job.id, ms: Date.now() - started, num_predictions: counts.predictions, num_errors: counts.errors }, "batch job completed");
      this.notify(job.id);
    } catch (err) {
      if (err instanceof RunStopped && leaseLost && !this.stopping) {
        log.warn({ job_id: job.id }, "batch job's lease was taken over by another worker; this run stopped");
        return;
      }
      if (err instanceof RunStopped || this.stopping) {
        // The store may already be closed when a released job's last model task fails.
        try {
          if (store.release(job.id, this.owner)) log.info({ job_id: job.id }, "batch job returned to the queue at shutdown");
        } catch {
          // released at close() already, or the next claim finds the lease expired
        }
        return;
      }
      log.error({ job_id: job.id, err: (err as Error).message }, "batch job failed");
      if (store.fail(job.id, this.owner, "The job failed with an internal error; details are in the server log.")) {
        metrics?.jobEnded("FAILED", (Date.now() - started) / 1000);
        this.notify(job.id);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The callback, if the job asked for one; sent in the background. */
  private notify(id: string): void {
    const job = this.options.store.get(id);
    const url = job?.request.callback_url;
    if (!job || !url) return;
    void sendCallback(url, jobDetails(job), callbackPolicy(this.options.measure), this.options.log, () => this.stopping);
  }

  /** Stops claiming; waits up to `graceMs` for running jobs, then returns the rest to the queue. */
  async close(graceMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const running = [...this.active.values()];
    const finished = Promise.allSettled(running);
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
    if ((await Promise.race([finished, timeout])) === "timeout") {
      this.stopping = true;
      for (const id of this.active.keys()) {
        if (this.options.store.release(id, this.owner)) this.options.log.info({ job_id: id }, "batch job returned to the queue at shutdown");
      }
    }
    this.stopping = true;
  }
}
