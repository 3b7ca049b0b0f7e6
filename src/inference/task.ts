import type { ConfigOf, DescriptorOf, ModelName, PredictionOf } from "../models/catalog.js";
import type { ModelState } from "../models/descriptor.js";
import type { CarryOf, ModelInput, ModelResult } from "../models/model.js";

/** One model's part of a task: its validated config and its per-connection state. */
export interface ModelJob<K extends ModelName = ModelName> {
  model: K;
  config: ConfigOf<K>;
  state: ModelState;
}
/** The models of one task, keyed by name (run in catalogue order). */
export type ModelJobs = { [K in ModelName]?: ModelJob<K> };

/**
 * What crosses the thread boundary: plain, structured-cloneable data only. One input and every
 * model that reads it, so the stages they declare (speech regions) run once, in the same round
 * trip as the models.
 */
export interface InferenceTask {
  input: ModelInput;
  jobs: ModelJobs;
}

export interface JobResult<K extends ModelName = ModelName> {
  model: K;
  result: ModelResult<PredictionOf<K>, CarryOf<DescriptorOf<K>>>;
  /**
   * A coded protocol error raised by the model (e.g. E0200 for an image that fails to decode).
   * Errors lose their class crossing the thread boundary, so the code travels as data.
   */
  error?: { code: string; message: string };
  /** The model's state as it left it; the session keeps it for the next message. */
  state: ModelState;
  /** Time spent inside the model, for metrics and benchmarks. */
  modelMs: number;
}
/** One result per job of the task, keyed like the jobs. */
export type JobResults = { [K in ModelName]?: JobResult<K> };

export interface InferenceResult {
  results: JobResults;
}

/** What the session and the pipeline need from the inference pool (a test can hand in its own). */
export interface ModelRunner {
  /** Tasks that may usefully run at once (the pool's threads). */
  readonly threads: number;
  run(task: InferenceTask): Promise<InferenceResult>;
}

/**
 * Per-model records (`ModelJobs`, `JobResults`, a reply's blocks) are read per key with full
 * types, but TypeScript cannot check a write under a generic key. These setters take a value typed
 * for its own model, so the write is right by construction; this is the one place that says so.
 */
export function putJob<K extends ModelName>(jobs: ModelJobs, job: ModelJob<K>): void {
  (jobs as Record<ModelName, unknown>)[job.model] = job;
}

export function putResult<K extends ModelName>(results: JobResults, result: JobResult<K>): void {
  (results as Record<ModelName, unknown>)[result.model] = result;
}
