/**
 * Cross-message batching (src/inference/coalesce.ts, src/models/language/encoder/coalesce.ts):
 * text messages that wait while every worker is busy go to the next free worker as one batch,
 * each still settles its own reply, and a lone message is never held back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Coalescer, MAX_BATCH_MESSAGES, batchable, type BatchOutcome } from "../../../src/inference/coalesce.js";
import type { InferenceResult, InferenceTask } from "../../../src/inference/task.js";
import { coalescing } from "../../../src/models/language/encoder/coalesce.js";
import { EMBEDDING_DIM, lengthGroups } from "../../../src/models/language/encoder/encoder.js";

const text = (t: string): InferenceTask => ({ input: { kind: "text", text: t }, jobs: { language: { model: "language", config: {}, state: {} } } });
const resultFor = (t: InferenceTask): InferenceResult => ({ results: { language: { model: "language", result: { predictions: [] }, state: { text: t.input.kind === "text" ? t.input.text : "" }, modelMs: 0 } } });

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test("only text tasks for the language model alone are batchable", () => {
  assert.equal(batchable(text("hi")), true);
  assert.equal(batchable({ input: { kind: "text", text: "hi" }, jobs: {} }), false);
});

test("messages queued while every worker is busy go out as one batch, each with its own result", async () => {
  const gate = deferred<void>();
  const singles: string[] = [];
  const batches: string[][] = [];
  const c = new Coalescer({
    threads: 1,
    maxWaiting: 100,
    runOne: async (t) => {
      singles.push(t.input.kind === "text" ? t.input.text : "");
      await gate.promise;
      return resultFor(t);
    },
    runBatch: async (ts) => {
      batches.push(ts.map((t) => (t.input.kind === "text" ? t.input.text : "")));
      return ts.map((t): BatchOutcome => (t.input.kind === "text" && t.input.text === "bad" ? { ok: false, message: "boom" } : { ok: true, result: resultFor(t) }));
    },
    overloaded: () => new Error("overloaded"),
  });
  const first = c.run(text("first"));
  const rest = ["a", "bad", "b"].map((t) => c.run(text(t)));
  assert.deepEqual(singles, ["first"], "a free worker takes the first message at once, alone");
  assert.equal(c.waitingCount, 3);
  gate.resolve();
  await first;
  const settled = await Promise.allSettled(rest);
  assert.deepEqual(batches, [["a", "bad", "b"]]);
  assert.equal(settled[0]!.status, "fulfilled");
  assert.equal(settled[1]!.status, "rejected");
  assert.equal(((settled[2] as PromiseFulfilledResult<InferenceResult>).value.results.language!.state as { text: string }).text, "b");
});

test("the waiting list is bounded, and batches are at most MAX_BATCH_MESSAGES", async () => {
  const gate = deferred<void>();
  const sizes: number[] = [];
  const c = new Coalescer({
    threads: 1,
    maxWaiting: MAX_BATCH_MESSAGES + 2,
    runOne: async (t) => (await gate.promise, resultFor(t)),
    runBatch: async (ts) => (sizes.push(ts.length), ts.map((t): BatchOutcome => ({ ok: true, result: resultFor(t) }))),
    overloaded: () => new Error("overloaded"),
  });
  const all = Array.from({ length: MAX_BATCH_MESSAGES + 4 }, (_, i) => c.run(text(String(i))));
  const settled = await (gate.resolve(), Promise.allSettled(all));
  assert.equal(settled.filter((s) => s.status === "rejected").length, 1, "one over the bound");
  assert.deepEqual(sizes, [MAX_BATCH_MESSAGES, 2]);
});

test("encoder calls made in one event-loop turn become one call with shared texts embedded once", async () => {
  const calls: string[][] = [];
  const embed = coalescing(async (texts) => {
    calls.push([...texts]);
    const out = new Float32Array(texts.length * EMBEDDING_DIM);
    texts.forEach((t, i) => out.fill(t.length, i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM));
    return out;
  });
  const [a, b] = await Promise.all([embed(["one", "three"]), embed(["three", "sixsix"])]);
  assert.deepEqual(calls, [["one", "three", "sixsix"]]);
  assert.deepEqual([a![0], a![EMBEDDING_DIM], b![0], b![EMBEDDING_DIM]], [3, 5, 5, 6]);
});

test("encoder passes group rows of similar length, so a long passage does not pad short sentences", () => {
  const rows = [5, 120, 6, 7, 118, 5].map((n) => ({ length: n }));
  const groups = lengthGroups(rows);
  assert.deepEqual(groups.map((g) => g.sort((x, y) => x - y)), [[1, 4], [0, 2, 3, 5]]);
  assert.deepEqual(lengthGroups(Array.from({ length: 8 }, () => ({ length: 20 }))).length, 1);
});
