/**
 * The session alone, against a small runner in place of the inference pool: no server, no socket,
 * no model. Pins the conversation: reply order, per-connection limits, stream time and reset, job
 * details, error mapping, and that one input's models share one worker round trip.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { InferenceResult, InferenceTask, JobResults, ModelRunner } from "../../../src/inference/task.js";
import { DEFAULT_LIMITS } from "../../../src/media/limits.js";
import { encodeWav } from "../../../src/media/wav.js";
import { AUDIO_SAMPLE_RATE } from "../../../src/primitives.js";
import type { ErrorReply, ModelName, PredictionsReply, Reply } from "../../../src/protocol/index.js";
import { Session, type SessionOptions } from "../../../src/server/session.js";

/** Answers each task with `answer`, after `delayMs(task)`; records every task it was given. */
class RecordingRunner implements ModelRunner {
  readonly threads = 2;
  readonly tasks: InferenceTask[] = [];
  constructor(
    private readonly answer: (task: InferenceTask) => JobResults | Promise<JobResults>,
    private readonly delayMs: (task: InferenceTask) => number = () => 0,
  ) {}
  async run(task: InferenceTask): Promise<InferenceResult> {
    this.tasks.push(task);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs(task)));
    return { results: await this.answer(task) };
  }
}

/** A language result that repeats the text back with no scores (the runner is not a model). */
function echoText(task: InferenceTask): JobResults {
  const text = task.input.kind === "text" ? task.input.text : "";
  const state = task.jobs.language?.state ?? {};
  return { language: { model: "language", result: { predictions: [{ text, position: { begin: 0, end: text.length }, emotions: [] }] }, state, modelMs: 0 } };
}

/** Empty audio results that count calls in each model's state, and remember the window they saw. */
function countAudio(task: InferenceTask): JobResults {
  const counted = (state: Record<string, unknown>) => ({ ...state, calls: (typeof state.calls === "number" ? state.calls : 0) + 1 });
  const out: JobResults = {};
  const { prosody, burst } = task.jobs;
  if (prosody) out.prosody = { model: "prosody", result: { predictions: [] }, state: counted(prosody.state), modelMs: 0 };
  if (burst) out.burst = { model: "burst", result: { predictions: [] }, state: counted(burst.state), modelMs: 0 };
  return out;
}

function session(runner: ModelRunner, options: Partial<SessionOptions> = {}): Session {
  return new Session({ pool: runner, isAvailable: () => true, limits: DEFAULT_LIMITS, maxPending: 16, ...options });
}

const text = (data: string, extra: Record<string, unknown> = {}) => JSON.stringify({ models: { language: {} }, raw_text: true, data, ...extra });
const wav = (seconds: number) => Buffer.from(encodeWav(new Float32Array(Math.round(seconds * AUDIO_SAMPLE_RATE)), AUDIO_SAMPLE_RATE)).toString("base64");
const isError = (r: Reply): r is ErrorReply => "error" in r;
const predictions = (r: Reply): PredictionsReply => {
  assert.ok(!isError(r), JSON.stringify(r));
  return r;
};

describe("session (unit)", () => {
  test("replies come back in arrival order, whatever order the runner finishes in", async () => {
    const runner = new RecordingRunner(echoText, (t) => (t.input.kind === "text" && t.input.text === "slow" ? 60 : 0));
    const s = session(runner);
    const finished: string[] = [];
    const slow = s.handle(text("slow", { payload_id: "1" })).then((o) => finished.push(String(o.reply.payload_id)));
    const fast = s.handle(text("fast", { payload_id: "2" })).then((o) => finished.push(String(o.reply.payload_id)));
    await Promise.all([slow, fast]);
    assert.deepEqual(finished, ["1", "2"]);
  });

  test("beyond maxPending, a message is answered E0902 with its payload_id and never reaches the runner", async () => {
    const runner = new RecordingRunner(echoText, () => 20);
    const s = session(runner, { maxPending: 2 });
    const outcomes = await Promise.all([1, 2, 3].map((i) => s.handle(text(`m${i}`, { payload_id: `p${i}` }))));
    const third = outcomes[2]!.reply;
    assert.ok(isError(third));
    assert.equal(third.code, "E0902");
    assert.equal(third.payload_id, "p3");
    assert.equal(runner.tasks.length, 2);
    assert.equal(s.pendingCount, 0);
  });

  test("the models' config is remembered for later messages; job details carry the connection's id", async () => {
    const s = session(new RecordingRunner(echoText));
    await s.handle(text("first"));
    const later = await s.handle(JSON.stringify({ data: "second", raw_text: true, job_details: true }));
    const reply = predictions(later.reply);
    assert.equal(reply.language?.predictions[0]?.text, "second");
    assert.match(reply.job_details?.job_id ?? "", /^[0-9a-f]{32}$/);
    assert.equal(reply.job_details?.job_id, s.jobId);
    assert.deepEqual(later.models, ["language"]);
  });

  test("prosody and burst share one worker round trip; stream time advances and reset_stream restarts it, model state survives", async () => {
    const runner = new RecordingRunner(countAudio);
    const s = session(runner);
    const audio = (extra: Record<string, unknown> = {}) => JSON.stringify({ models: { prosody: {}, burst: {} }, data: wav(1), ...extra });
    await s.handle(audio());
    await s.handle(audio());
    await s.handle(audio({ reset_stream: true }));
    assert.equal(runner.tasks.length, 3, "one task per message, both models in it");
    const windows = runner.tasks.map((t) => (t.input.kind === "audio" ? [t.input.startSec, t.input.newSec] : undefined));
    assert.deepEqual(windows, [[0, 0], [0, 1], [0, 0]]);
    for (const t of runner.tasks) assert.deepEqual(Object.keys(t.jobs).sort(), ["burst", "prosody"]);
    assert.equal(runner.tasks[0]?.input.kind === "audio" && runner.tasks[0].input.speech, undefined, "speech regions are the worker's stage, not the session's");
    assert.deepEqual(runner.tasks[2]?.jobs.prosody?.state, { calls: 2 }, "reset_stream keeps each model's own state");
  });

  test("a model's coded error is the message's error; an internal failure is a generic E0903 with the detail kept for the log", async () => {
    const coded = session(new RecordingRunner(() => ({ language: { model: "language", result: { predictions: [] }, state: {}, modelMs: 0, error: { code: "E0200", message: "bad bytes" } } })));
    const a = await coded.handle(text("x", { payload_id: "c" }));
    assert.deepEqual(a.reply, { error: "bad bytes", code: "E0200", payload_id: "c" });

    const failing = session(new RecordingRunner(() => Promise.reject(new Error("worker exploded at /some/path"))));
    const b = await failing.handle(text("x", { job_details: true }));
    assert.ok(isError(b.reply));
    assert.equal(b.reply.code, "E0903");
    assert.doesNotMatch(b.reply.error, /some\/path/);
    assert.equal(b.reply.job_details?.job_id, failing.jobId);
    assert.equal(b.failure, "worker exploded at /some/path");
    assert.deepEqual(b.models, ["language"]);
  });

  test("protocol errors before any model: bad JSON, no models, a model this build lacks", async () => {
    const runner = new RecordingRunner(echoText);
    const s = session(runner, { isAvailable: (m: ModelName) => m !== "language" });
    const codes = [];
    for (const frame of ["{not json", JSON.stringify({ data: "hi", raw_text: true }), text("hi")]) {
      const { reply } = await s.handle(frame);
      assert.ok(isError(reply));
      codes.push(reply.code);
    }
    assert.deepEqual(codes, ["E0100", "E0101", "E0901"]);
    assert.equal(runner.tasks.length, 0);
  });
});
