/**
 * Batch metrics, registered on the server's Prometheus registry: jobs by state and queue depth
 * (read from the store when scraped), job duration, files by kind and outcome, errors by code.
 * Labels are bounded sets; never job ids, file names, URLs or keys.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { JOB_STATUSES, type JobStatus } from "./schema.js";

export class BatchMetrics {
  private readonly duration: Histogram<"status">;
  private readonly files: Counter<"kind" | "outcome">;
  private readonly errors: Counter<"code">;
  private readonly mediaSeconds: Counter;
  private readonly retries: Counter;

  constructor(registry: Registry, counts: () => Promise<Record<JobStatus, number>>) {
    const registers = [registry];
    new Gauge({
      name: "open_expression_batch_jobs",
      help: "Batch jobs in the store, by state.",
      labelNames: ["state"],
      registers,
      async collect() {
        const c = await counts();
        for (const s of JOB_STATUSES) this.set({ state: s }, c[s]);
      },
    });
    new Gauge({
      name: "open_expression_batch_queue_depth",
      help: "Batch jobs waiting to start.",
      registers,
      async collect() {
        this.set((await counts()).QUEUED);
      },
    });
    this.duration = new Histogram({
      name: "open_expression_batch_job_duration_seconds",
      help: "Time from a job's start to its end, by final state.",
      labelNames: ["status"],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.files = new Counter({
      name: "open_expression_batch_files_total",
      help: "Inputs measured by batch jobs, by kind (file, url, text) and outcome (ok, error).",
      labelNames: ["kind", "outcome"],
      registers,
    });
    this.errors = new Counter({ name: "open_expression_batch_errors_total", help: "Per-file batch errors, by code.", labelNames: ["code"], registers });
    this.mediaSeconds = new Counter({ name: "open_expression_batch_media_seconds_total", help: "Seconds of audio and video measured by batch jobs.", registers });
    this.retries = new Counter({ name: "open_expression_batch_retries_total", help: "Batch jobs claimed again after their earlier run was interrupted.", registers });
  }

  jobEnded(status: "COMPLETED" | "FAILED", seconds: number): void {
    this.duration.observe({ status }, seconds);
  }

  file(kind: "file" | "url" | "text", errors: string[], mediaSeconds: number): void {
    this.files.inc({ kind, outcome: errors.length > 0 ? "error" : "ok" });
    for (const e of errors) this.errors.inc({ code: /^([A-Za-z0-9_]+):/.exec(e)?.[1] ?? "other" });
    this.mediaSeconds.inc(mediaSeconds);
  }

  retried(): void {
    this.retries.inc();
  }
}
