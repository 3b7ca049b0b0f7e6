/**
 * Cross-message batching for text. The sentence encoder costs several milliseconds per call on
 * top of its per-sentence work, so text messages that wait while every worker is busy are sent to
 * the next free worker together, as one task whose sentences go through one encoder call
 * (the worker's `runBatch`). A message that finds a worker free is sent at once, alone: batching
 * only ever gathers what would have queued anyway, so it adds no latency at low load.
 *
 * Only text tasks for the language model alone are held here; everything else goes straight to
 * piscina's queue. Every reply still settles its own promise, so the session's per-connection
 * order is untouched.
 */
import type { InferenceResult, InferenceTask } from "./task.js";

/** Most messages sent to a worker as one batch (a bigger batch only delays its first reply). */
export const MAX_BATCH_MESSAGES = 16;

/** What crosses back from the worker for one message of a batch (errors lose their class). */
export type BatchOutcome = { ok: true; result: InferenceResult } | { ok: false; message: string };

interface Waiting {
  task: InferenceTask;
  resolve(result: InferenceResult): void;
  reject(err: unknown): void;
}

export interface CoalescerOptions {
  /** Tasks that may run at once (the pool's workers). */
  threads: number;
  /** Messages allowed to wait here; `overloaded()` is thrown beyond. */
  maxWaiting: number;
  runOne(task: InferenceTask): Promise<InferenceResult>;
  runBatch(tasks: InferenceTask[]): Promise<BatchOutcome[]>;
  overloaded(): Error;
}

/** A text task for the language model only: the kind whose encoder calls can be merged. */
export function batchable(task: InferenceTask): boolean {
  const models = Object.keys(task.jobs);
  return task.input.kind === "text" && models.length === 1 && models[0] === "language";
}

export class Coalescer {
  private inFlight = 0;
  private readonly waiting: Waiting[] = [];

  constructor(private readonly opts: CoalescerOptions) {}

  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Runs a task now when a worker is free (or it cannot be batched), else queues it for a batch. */
  run(task: InferenceTask): Promise<InferenceResult> {
    if (!batchable(task) || this.inFlight < this.opts.threads) return this.track(this.opts.runOne(task));
    if (this.waiting.length >= this.opts.maxWaiting) return Promise.reject(this.opts.overloaded());
    return new Promise<InferenceResult>((resolve, reject) => this.waiting.push({ task, resolve, reject }));
  }

  /** Rejects every waiting task (the pool is closing). */
  abort(err: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      this.drain();
    };
    p.then(done, done);
    return p;
  }

  /** Sends waiting text tasks, as batches, to the workers that are free. */
  private drain(): void {
    while (this.waiting.length > 0 && this.inFlight < this.opts.threads) {
      const batch = this.waiting.splice(0, MAX_BATCH_MESSAGES);
      if (batch.length === 1) {
        const [w] = batch as [Waiting];
        this.track(this.opts.runOne(w.task)).then(w.resolve, w.reject);
        continue;
      }
      this.track(this.opts.runBatch(batch.map((w) => w.task))).then(
        (outcomes) =>
          batch.forEach((w, i) => {
            const o = outcomes[i];
            if (o?.ok) w.resolve(o.result);
            else w.reject(new Error(o ? o.message : "batch returned too few results"));
          }),
        // The worker died mid-batch: every message of the batch fails, as the one running would.
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      );
    }
  }
}
