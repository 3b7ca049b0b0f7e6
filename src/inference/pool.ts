/**
 * The inference pool: worker threads (piscina) so models never block the event loop that
 * serves sockets. Sized to the machine; each worker holds its own copy of the models.
 */
import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { ErrorCode, ProtocolError, messages, type ModelName } from "../protocol/index.js";
import { Coalescer, type BatchOutcome } from "./coalesce.js";
import type { InferenceResult, InferenceTask, ModelRunner } from "./task.js";

export interface PoolOptions {
  /** Worker threads; default: one per core. */
  threads?: number;
  /** Tasks allowed to wait for a free worker before `run` rejects (backpressure). */
  maxQueue?: number;
  /** Models a worker loads as soon as it starts (a replacement for a dead worker included). */
  preload?: ModelName[];
  /** Observers for metrics and logs. */
  hooks?: PoolHooks;
}

export interface PoolHooks {
  /** Time one model task spent inside the model. */
  inference?(model: ModelName, ms: number): void;
  /** A worker thread died (process.exit, uncaught exception, out of memory) and was replaced. */
  workerReplaced?(): void;
  /** An error the pool could not tie to a task (e.g. a worker dying between tasks). */
  error?(err: Error): void;
}

/**
 * The file each thread runs. Built code runs dist/inference/worker.js. From source (tsx, as the
 * tests and scripts run), Node 20 does not carry tsx's loader hooks into worker threads, so a
 * small bootstrap registers tsx inside the thread before importing worker.ts.
 */
const here = fileURLToPath(import.meta.url);
const workerFile = fileURLToPath(
  new URL(extname(here) === ".ts" ? "./worker-from-source.mjs" : "./worker.js", import.meta.url),
);

const CLOSE_TIMEOUT_MS = 5_000;

export class InferencePool implements ModelRunner {
  private readonly piscina: Piscina;
  private readonly hooks: PoolHooks;
  /** Holds text messages while every worker is busy, then sends them as one batch (coalesce.ts). */
  private readonly coalescer: Coalescer;
  readonly threads: number;
  private created = 0;

  constructor(options: PoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? availableParallelism());
    this.hooks = options.hooks ?? {};
    this.piscina = new Piscina({
      filename: workerFile,
      minThreads: this.threads,
      maxThreads: this.threads,
      maxQueue: options.maxQueue ?? 4096,
      // Keep workers alive: loading models is the expensive part.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      workerData: { preload: options.preload ?? [] },
      // close() lets running tasks finish before the workers are terminated, for at most this long.
      closeTimeout: CLOSE_TIMEOUT_MS,
    });
    // When a worker thread dies, piscina rejects the task it was running (only that one: one
    // task per worker at a time; a batch of text messages is one task) and starts a replacement to keep minThreads. Workers are never
    // retired while idle (idleTimeout above), so every creation past the first `threads` is a
    // replacement.
    this.piscina.on("workerCreate", () => {
      if (++this.created > this.threads) this.hooks.workerReplaced?.();
    });
    // Piscina emits 'error' for a worker that dies with no task; an EventEmitter 'error' without
    // a listener would throw and take the whole process down.
    this.piscina.on("error", (err: Error) => this.hooks.error?.(err));
    this.coalescer = new Coalescer({
      threads: this.threads,
      maxWaiting: options.maxQueue ?? 4096,
      runOne: (task) => this.piscina.run(task) as Promise<InferenceResult>,
      runBatch: (tasks) => this.piscina.run(tasks, { name: "runBatch" }) as Promise<BatchOutcome[]>,
      overloaded: () => new ProtocolError(ErrorCode.Overloaded, messages.poolQueueFull()),
    });
  }

  /** Loads the models in every worker; resolves when all are ready. */
  async warm(models: ModelName[]): Promise<void> {
    await Promise.all(
      Array.from({ length: this.threads }, () => this.piscina.run(models, { name: "warm" })),
    );
  }

  /** Runs one input through its models (and the stages they declare) in one worker round trip. */
  async run(task: InferenceTask): Promise<InferenceResult> {
    let out: InferenceResult;
    try {
      // The worker runs this build's own registry, so its answer has the task's types.
      out = await this.coalescer.run(task);
    } catch (err) {
      // A full queue reads as busy, not failed.
      if (err instanceof Error && /queue is at limit/i.test(err.message)) throw new ProtocolError(ErrorCode.Overloaded, messages.poolQueueFull());
      throw err;
    }
    for (const r of Object.values(out.results)) this.hooks.inference?.(r.model, r.modelMs);
    return out;
  }

  get queueSize(): number {
    return this.piscina.queueSize + this.coalescer.waitingCount;
  }

  /**
   * Lets tasks already running finish (queued ones are aborted), then terminates the workers.
   * Terminating a worker in the middle of a native call (onnxruntime, sharp) can abort the whole
   * process from the addon's destructor, so close() never does that unless a task overruns
   * CLOSE_TIMEOUT_MS.
   */
  async close(): Promise<void> {
    this.coalescer.abort(new Error("the inference pool is closing"));
    await this.piscina.close({ force: true });
  }
}
