/**
 * Runs in each inference worker thread. Models are loaded once per worker, on first use or at
 * warm-up, and then serve every connection; per-connection data travels with each task.
 */
import { performance } from "node:perf_hooks";
import { workerData } from "node:worker_threads";
import { loadModel, type AnyModel } from "../models/registry.js";
import { detectSpeech, type Region } from "../audio-analysis/vad/silero.js";
import { ProtocolError, type ModelName } from "../protocol/index.js";
import type { InferenceResult, InferenceTask } from "./task.js";
import { runTestHook } from "./test-hooks.js";

const loaded = new Map<ModelName, Promise<AnyModel>>();

function model(name: ModelName): Promise<AnyModel> {
  let m = loaded.get(name);
  if (!m) {
    m = loadModel(name);
    loaded.set(name, m);
    // A failed load is retried by the next task instead of poisoning the worker forever.
    m.catch(() => loaded.delete(name));
  }
  return m;
}

// A worker started to replace one that died loads its models right away, so the next message
// it gets is not slowed by loading (the pool's warm-up only reaches the first workers).
for (const name of (workerData as { preload?: ModelName[] } | undefined)?.preload ?? []) model(name).catch(() => undefined);

/** Warm-up task: load the named models so the first real message is not slow. */
export async function warm(names: ModelName[]): Promise<string[]> {
  await Promise.all(names.map(model));
  return names;
}

/** Silero VAD over one message's audio window (16 kHz mono); regions in stream time. */
export async function vad(task: { samples: Float32Array; offsetSec: number }): Promise<Region[]> {
  return detectSpeech(task.samples, task.offsetSec);
}

export default async function run(task: InferenceTask): Promise<InferenceResult> {
  const hook = runTestHook(task);
  if (hook) return hook;
  const m = await model(task.model);
  const start = performance.now();
  const state = task.state;
  try {
    const result = await m.predict(task.input, task.config, state);
    return { result, state, modelMs: performance.now() - start };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { result: { predictions: [] }, state, modelMs: performance.now() - start, error: { code: err.code, message: err.message } };
  }
}
