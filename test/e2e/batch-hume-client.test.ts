/**
 * Hume's official `hume@0.15.17` batch client against the real server: a job from local files
 * (a photo, a speech WAV longer than 5 s, a short video, a text file) and a job from `text`,
 * awaited with the client's own `awaitCompletion`, read back with `getJobDetails`,
 * `getJobPredictions` (parsed strictly with the client's serializers) and `getJobArtifacts`
 * (a zip). Plus the endpoints' coded errors, straight over HTTP.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { unzipSync, strFromU8 } from "fflate";
import { HumeClient } from "hume";
import * as serialization from "hume/serialization";
import type { RunningServer } from "../../src/server/index.js";
import { concatWav, espeakMissing, silence, speech, video } from "../helpers/av.js";
import { sample } from "../helpers/face.js";
import { startTestServer } from "../helpers/server.js";

const API_KEY = "batch-key";
const TEXT = "I am so happy and grateful today. This is the worst news I have ever heard.";

/** Strict parse with the client's own schema: unknown keys and wrong types fail. */
function parseStrict(schema: { parse: (raw: unknown, opts: object) => { ok: boolean; errors?: unknown } }, raw: unknown, what: string): void {
  const result = schema.parse(raw, { unrecognizedObjectKeys: "fail", allowUnrecognizedUnionMembers: false, allowUnrecognizedEnumValues: false, skipValidation: false });
  assert.ok(result.ok, `${what} does not match the client's schema: ${JSON.stringify(result.errors)}`);
}

describe("batch jobs through Hume's official TypeScript client", { skip: espeakMissing, timeout: 600_000 }, () => {
  let server: RunningServer;
  let client: HumeClient;
  const dir = mkdtempSync(join(tmpdir(), "oe-batch-client-"));
  const files: Record<string, Buffer> = {};

  before(async () => {
    server = await startTestServer({ apiKeys: [API_KEY] });
    client = new HumeClient({ apiKey: API_KEY, environment: server.url });
    const words = speech("The quick brown fox jumps over the lazy dog, and then it runs far away into the forest.");
    files["photo.jpg"] = sample(1);
    files["speech.wav"] = concatWav([words, silence(1), words]);
    files["clip.mp4"] = video("mp4", 3, { image: sample(2), sound: speech("Hello there, how are you?") });
    files["note.txt"] = Buffer.from(TEXT);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a job from local files: whole recordings, details, predictions, artifacts", async () => {
    const batch = client.expressionMeasurement.batch;
    const job = await batch.startInferenceJobFromLocalFile({
      json: { models: { face: { identifyFaces: true }, prosody: {}, burst: {}, language: {} } },
      file: Object.keys(files).map((name) => ({ path: join(dir, name) })),
    });
    assert.match(job.jobId, /^[0-9a-f-]{36}$/);
    await job.awaitCompletion(480);

    const details = await batch.getJobDetails(job.jobId);
    assert.equal(details.state.status, "COMPLETED");
    const raw = await (await fetch(`${server.url}/v0/batch/jobs/${job.jobId}`, { headers: { "X-Hume-Api-Key": API_KEY } })).json();
    parseStrict(serialization.expressionMeasurement.batch.UnionJob, raw, "job details");
    assert.equal(details.type, "INFERENCE");
    const state = details.state as { numPredictions: number; numErrors: number; startedTimestampMs: number; endedTimestampMs: number };
    assert.equal(state.numPredictions, 4);
    assert.ok(state.endedTimestampMs >= state.startedTimestampMs);
    assert.deepEqual(
      details.request.files.map((f) => [f.filename, f.md5Sum]).sort(),
      Object.entries(files).map(([n, b]) => [n, createHash("md5").update(b).digest("hex")]).sort(),
    );

    const rawPredictions = await (await fetch(`${server.url}/v0/batch/jobs/${job.jobId}/predictions`, { headers: { "X-Hume-Api-Key": API_KEY } })).json();
    parseStrict(serialization.expressionMeasurement.batch.getJobPredictions.Response, rawPredictions, "predictions");
    const predictions = await batch.getJobPredictions(job.jobId);
    const byFile = new Map(predictions.flatMap((s) => s.results?.predictions.map((p) => [p.file, p.models] as const) ?? []));
    const errors = predictions.flatMap((s) => s.results?.errors ?? []);

    // The photo: three faces, batch boxes under `box`.
    const photo = byFile.get("photo.jpg")?.face?.groupedPredictions ?? [];
    assert.equal(photo.flatMap((g) => g.predictions).length, 3);
    for (const p of photo.flatMap((g) => g.predictions)) {
      assert.ok(p.box.w > 0 && p.prob > 0.5 && p.emotions.length > 0, JSON.stringify({ box: p.box, prob: p.prob, emotions: p.emotions.length }));
    }
    // The WAV is longer than the streaming limit of 5 s, and is measured to its end.
    const wavSeconds = (files["speech.wav"]!.length - 44) / 32_000;
    assert.ok(wavSeconds > 5, `the speech file is ${wavSeconds} s`);
    const prosody = byFile.get("speech.wav")?.prosody?.groupedPredictions.flatMap((g) => g.predictions) ?? [];
    assert.ok(prosody.length >= 2, `two sentences give at least two utterances, got ${prosody.length}`);
    const lastEnd = Math.max(...prosody.map((p) => p.time.end));
    assert.ok(lastEnd > 5 && lastEnd <= wavSeconds + 0.01, `prosody reaches past 5 s to the end (${lastEnd} of ${wavSeconds})`);
    // The video: faces over every sampled frame, identified across the video (three people).
    const clip = byFile.get("clip.mp4")?.face?.groupedPredictions ?? [];
    assert.equal(clip.length, 3, `three identities across the video, got ${clip.map((g) => g.id).join(", ")}`);
    assert.ok(clip.every((g) => g.id !== "unknown" && g.predictions.length >= 8), "each face in (nearly) every one of 9 sampled frames");
    assert.ok(Math.max(...clip.flatMap((g) => g.predictions.map((p) => p.time))) >= 2);
    assert.ok((byFile.get("clip.mp4")?.prosody?.groupedPredictions.length ?? 0) > 0, "the video's speech measured");
    // The text file: language.
    const language = byFile.get("note.txt")?.language?.groupedPredictions.flatMap((g) => g.predictions) ?? [];
    assert.ok(language.length >= 1 && language[0]!.emotions.length > 0);
    // Language on audio needs a transcript: a coded error per audio/video file, nothing invented.
    assert.deepEqual(errors.map((e) => e.file).sort(), ["clip.mp4", "speech.wav"]);
    assert.ok(errors.every((e) => e.message.startsWith("B0301:")));
    assert.equal(state.numErrors, 2);

    // Artifacts: a zip with the predictions and one CSV per model.
    const stream = await batch.getJobArtifacts(job.jobId);
    const zip = Buffer.from(await new Response(stream.stream()).arrayBuffer());
    const entries = unzipSync(new Uint8Array(zip));
    assert.deepEqual(Object.keys(entries).sort(), ["burst.csv", "face.csv", "language.csv", "predictions.json", "prosody.csv"].filter((n) => n !== "burst.csv" || entries[n]).sort());
    assert.deepEqual(JSON.parse(strFromU8(entries["predictions.json"]!)), rawPredictions);
    const faceCsv = strFromU8(entries["face.csv"]!).trim().split("\r\n");
    assert.match(faceCsv[0]!, /^file,id,frame,time,prob,box_x,box_y,box_w,box_h,/);
    assert.equal(faceCsv.length - 1, 3 + clip.flatMap((g) => g.predictions).length);
  });

  test("a job from text, and listing jobs with filters", async () => {
    const batch = client.expressionMeasurement.batch;
    const job = await batch.startInferenceJob({ text: [TEXT, "Thank you so much!"], models: { language: { granularity: "sentence" } } });
    await job.awaitCompletion(120);
    const predictions = await batch.getJobPredictions(job.jobId);
    assert.equal(predictions.length, 2);
    assert.equal(predictions[0]!.source.type, "text");
    const sentences = predictions[0]!.results!.predictions[0]!.models.language!.groupedPredictions[0]!.predictions;
    assert.equal(sentences.length, 2, "two sentences");
    assert.equal(sentences[0]!.text, "I am so happy and grateful today.");

    const all = await batch.listJobs();
    assert.ok(all.length >= 2);
    const one = await batch.listJobs({ limit: 1, sortBy: "created", direction: "desc" });
    assert.equal(one.length, 1);
    assert.equal(one[0]!.jobId, job.jobId);
    const before = await batch.listJobs({ when: "created_before", timestampMs: all.at(-1)!.state.createdTimestampMs });
    assert.equal(before.length, 0);
    const queued = await batch.listJobs({ status: "QUEUED" });
    assert.equal(queued.length, 0);

    // Metrics: jobs by state, queue depth, durations, files by kind; no ids, names or text.
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { "X-Hume-Api-Key": API_KEY } })).text();
    assert.match(metrics, /^open_expression_batch_jobs\{state="COMPLETED"\} 2$/m);
    assert.match(metrics, /^open_expression_batch_queue_depth 0$/m);
    assert.match(metrics, /^open_expression_batch_job_duration_seconds_count\{status="COMPLETED"\} 2$/m);
    assert.match(metrics, /^open_expression_batch_files_total\{kind="text",outcome="ok"\} 2$/m);
    assert.match(metrics, /^open_expression_batch_errors_total\{code="B0301"\} 2$/m);
    assert.ok(!metrics.includes(job.jobId) && !metrics.includes("grateful"), "no job ids or payloads in metrics");
  });

  test("coded errors: auth, unknown job, transcript features, limits, bad JSON", async () => {
    const post = (body: string, key = API_KEY, type = "application/json") =>
      fetch(`${server.url}/v0/batch/jobs`, { method: "POST", headers: { "X-Hume-Api-Key": key, "content-type": type }, body });
    const expect = async (res: Response, status: number, code: string) => {
      assert.equal(res.status, status);
      assert.equal(((await res.json()) as { code: string }).code, code);
    };
    await expect(await post(JSON.stringify({ text: ["hi"] }), "wrong"), 401, "unauthorized");
    await expect(await fetch(`${server.url}/v0/batch/jobs/nope`, { headers: { "X-Hume-Api-Key": API_KEY } }), 404, "job_not_found");
    await expect(await post(JSON.stringify({ text: ["hi"], models: { ner: {} } })), 400, "transcription_unavailable");
    await expect(await post(JSON.stringify({ text: ["hi"], models: { prosody: { granularity: "word" } } })), 400, "transcription_unavailable");
    await expect(await post(JSON.stringify({ models: { language: {} } })), 400, "no_inputs");
    await expect(await post("{nope"), 400, "invalid_json");
    await expect(await post(JSON.stringify({ urls: ["ftp://example.com/a.wav"] })), 400, "invalid_request");
    await expect(await post(JSON.stringify({ text: Array.from({ length: 101 }, () => "x") })), 413, "too_many_files");
    await expect(await post("x", API_KEY, "text/plain"), 415, "unsupported_media_type");
  });
});
