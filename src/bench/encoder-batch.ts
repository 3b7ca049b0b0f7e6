/**
 * `npm run bench -- encoder-batch`: the sentence encoder's cost per sentence alone and in batches,
 * as CPU time of this process as well as wall time. CPU time is what a loaded (shared) machine
 * distorts least, and it bounds throughput: two workers on two cores serve at most
 * 2000 / (CPU ms per sentence) sentences a second. Distinct 20-word sentences, so no cache helps.
 */
import { performance } from "node:perf_hooks";
import run, { runBatch, warm } from "../inference/worker.js";
import type { InferenceTask } from "../inference/task.js";
import { loadSentenceEncoder } from "../models/language/encoder/encoder.js";
import { SENTENCE } from "./language.js";

export interface EncoderBatchRow {
  batch: number;
  cpuMsPerSentence: number[];
  wallMsPerSentence: number[];
}

export interface EncoderBatchBench {
  /** The encoder alone, `batch` sentences per call. */
  encoder: EncoderBatchRow[];
  /** The worker's whole path for a sentence-granularity message (segmentation, encoder, TF-IDF,
   * head), in process: one message per task, and `runBatch` of 8 as the pool sends them. */
  workerCpuMsPerMessage: { alone: number[]; batchOf8: number[] };
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

export async function benchEncoderBatch(opts: { quick?: boolean } = {}): Promise<EncoderBatchBench> {
  const encoder = await loadSentenceEncoder();
  let counter = 0;
  const next = () => `${SENTENCE.slice(0, -1)} ${++counter}.`;
  for (let i = 0; i < 10; i++) await encoder.embed([next()]);
  const sentences = opts.quick ? 32 : 64;
  const rows: EncoderBatchRow[] = [1, 4, 8, 16].map((batch) => ({ batch, cpuMsPerSentence: [], wallMsPerSentence: [] }));
  // Rounds interleave the batch sizes, so a change in the machine's load touches all of them.
  for (let round = 0; round < 3; round++) {
    for (const row of rows) {
      const c0 = cpuMs();
      const w0 = performance.now();
      for (let k = 0; k < sentences / row.batch; k++) await encoder.embed(Array.from({ length: row.batch }, next));
      row.cpuMsPerSentence.push(round1((cpuMs() - c0) / sentences));
      row.wallMsPerSentence.push(round1((performance.now() - w0) / sentences));
    }
  }
  const task = (): InferenceTask => ({ input: { kind: "text", text: next() }, jobs: { language: { model: "language", config: { granularity: "sentence" }, state: {} } } });
  await warm(["language"]);
  const worker = { alone: [] as number[], batchOf8: [] as number[] };
  for (let round = 0; round < 3; round++) {
    let c0 = cpuMs();
    for (let i = 0; i < sentences; i++) await run(task());
    worker.alone.push(round1((cpuMs() - c0) / sentences));
    c0 = cpuMs();
    for (let i = 0; i < sentences / 8; i++) {
      const out = await runBatch(Array.from({ length: 8 }, task));
      if (!out.every((o) => o.ok)) throw new Error("a batched message failed");
    }
    worker.batchOf8.push(round1((cpuMs() - c0) / sentences));
  }
  return { encoder: rows, workerCpuMsPerMessage: worker };
}
