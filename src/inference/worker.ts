/**
 * Runs in each inference worker thread. Models are loaded once per worker, on first use or at
 * warm-up, and then serve every connection; per-connection data travels with each task.
 */
import { performance } from "node:perf_hooks";
import { workerData } from "node:worker_threads";
import { MODEL_NAMES, type DescriptorOf, type ModelName } from "../models/catalog.js";
import type { Model, ModelInput } from "../models/model.js";
import { loadModel } from "../models/registry.js";
import { ProtocolError } from "../protocol/index.js";
import type { BatchOutcome } from "./coalesce.js";
import { inputFor, withStages } from "./stages.js";
import { putResult, type InferenceResult, type InferenceTask, type JobResult, type JobResults, type ModelJob, type ModelJobs } from "./task.js";
import { runTestHook } from "./test-hooks.js";

const loaded: { [K in ModelName]?: Promise<Model<DescriptorOf<K>>> } = {};

function model<K extends ModelName>(name: K): Promise<Model<DescriptorOf<K>>> {
  const cached = loaded[name];
  if (cached) return cached;
  const m = loadModel(name);
  (loaded as Record<ModelName, unknown>)[name] = m; // a generic-key write: see putJob in task.ts
  // A failed load is retried by the next task instead of poisoning the worker forever.
  m.catch(() => delete loaded[name]);
  return m;
}

// A worker started to replace one that died loads its models right away, so the next message
// it gets is not slowed by loading (the pool's warm-up only reaches the first workers).
for (const name of (workerData as { preload?: ModelName[] } | undefined)?.preload ?? []) model(name).catch(() => undefined);

/** Warm-up task: load the named models so the first real message is not slow. */
export async function warm(names: ModelName[]): Promise<string[]> {
  await Promise.all(names.map((n) => model(n)));
  return names;
}

async function runJob<K extends ModelName>(job: ModelJob<K>, input: ModelInput): Promise<JobResult<K>> {
  const m = await model(job.model);
  const start = performance.now();
  const state = job.state;
  try {
    const result = await m.predict(inputFor(input, job.model), job.config, state);
    return { model: job.model, result, state, modelMs: performance.now() - start };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { model: job.model, result: { predictions: [] }, state, modelMs: performance.now() - start, error: { code: err.code, message: err.message } };
  }
}

export default async function run(task: InferenceTask): Promise<InferenceResult> {
  const hook = runTestHook(task);
  if (hook) return hook;
  const names = MODEL_NAMES.filter((m) => task.jobs[m] !== undefined);
  // Load first, so a missing model fails before any stage runs.
  await Promise.all(names.map((m) => model(m)));
  const input = await withStages(task.input, task.jobs);
  const results: JobResults = {};
  for (const name of names) await runInto(name, task.jobs, input, results);
  return { results };
}

/**
 * Several text messages at once (the pool's coalescer sends them while every worker is busy).
 * They run concurrently, so the language model's encoder reads all their sentences in one call;
 * one message's failure is its own.
 */
export async function runBatch(tasks: InferenceTask[]): Promise<BatchOutcome[]> {
  return Promise.all(
    tasks.map((t) =>
      run(t).then(
        (result): BatchOutcome => ({ ok: true, result }),
        (err: unknown): BatchOutcome => ({ ok: false, message: err instanceof Error ? err.message : String(err) }),
      ),
    ),
  );
}

async function runInto<K extends ModelName>(name: K, jobs: ModelJobs, input: ModelInput, results: JobResults): Promise<void> {
  const job = jobs[name];
  if (job) putResult(results, await runJob(job, input));
}
