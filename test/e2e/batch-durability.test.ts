/**
 * Durability of the embedded queue: the server process is killed (SIGKILL, no chance to clean
 * up) while a job runs; a new server on the same job store resumes the job once its lease
 * expires and completes it exactly once: one "completed" log line across both processes, and
 * one callback delivered to a loopback receiver.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CliProcess } from "../helpers/cli-process.js";
import { espeakMissing, speech, video } from "../helpers/av.js";
import { sample } from "../helpers/face.js";
import { startCallbackReceiver, type CallbackReceiver } from "../helpers/callback-receiver.js";
import { eventually } from "../helpers/server.js";

const START_TIMEOUT_MS = 180_000;

async function startServe(dir: string, env: NodeJS.ProcessEnv = {}): Promise<{ cli: CliProcess; url: string }> {
  const cli = CliProcess.start(["--port", "0", "--threads", "1", "--log-level", "info"], {
    ...env,
    OPEN_EXPRESSION_BATCH_DIR: dir,
    OPEN_EXPRESSION_BATCH_LEASE_MS: "3000",
    OPEN_EXPRESSION_ALLOW_PRIVATE_URLS: "on",
  });
  await cli.waitFor((l) => l.msg === "models loaded", 1, START_TIMEOUT_MS);
  const url = cli.lines.find((l) => typeof l.url === "string")?.url;
  assert.ok(url, "the server logs its URL");
  return { cli, url };
}

async function state(url: string, id: string): Promise<{ status: string; num_predictions?: number }> {
  const res = await fetch(`${url}/v0/batch/jobs/${id}`);
  return ((await res.json()) as { state: { status: string; num_predictions?: number } }).state;
}

describe("embedded queue: a job survives SIGKILL of its server", { skip: espeakMissing, timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "oe-batch-durable-"));
  let receiver: CallbackReceiver;
  const children: CliProcess[] = [];

  before(async () => {
    receiver = await startCallbackReceiver();
  });
  after(() => {
    for (const c of children) c.child.kill("SIGKILL");
    receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("killed mid-job, restarted: the job completes exactly once", async () => {
    const first = await startServe(dir);
    children.push(first.cli);
    // Long enough to be caught mid-run on a busy machine: 20 s of video at 3 fps and its speech.
    const clip = video("mp4", 20, { image: sample(2), sound: speech("Hello there. This recording goes on for a while, so the server has work to do.") });
    const form = new FormData();
    form.append("json", JSON.stringify({ models: { face: {}, prosody: {} }, callback_url: receiver.url }));
    form.append("file", new Blob([new Uint8Array(clip)], { type: "video/mp4" }), "clip.mp4");
    const res = await fetch(`${first.url}/v0/batch/jobs`, { method: "POST", body: form });
    assert.equal(res.status, 200);
    const { job_id: id } = (await res.json()) as { job_id: string };

    await eventually(async () => (await state(first.url, id)).status === "IN_PROGRESS", "the job to start", 60_000, 50);
    first.cli.child.kill("SIGKILL");
    await first.cli.exited;
    assert.equal(first.cli.lines.filter((l) => l.msg === "batch job completed").length, 0, "killed before it could complete");

    const second = await startServe(dir);
    children.push(second.cli);
    assert.equal((await state(second.url, id)).status, "IN_PROGRESS", "the store kept the interrupted job");
    await eventually(async () => (await state(second.url, id)).status === "COMPLETED", "the job to complete after restart", 300_000, 250);
    await second.cli.waitFor((l) => l.msg === "batch job resumed after an interrupted run" && l.job_id === id, 1, 5_000);

    const predictions = (await (await fetch(`${second.url}/v0/batch/jobs/${id}/predictions`)).json()) as { results: { predictions: { models: { face?: { grouped_predictions: { predictions: unknown[] }[] } } }[] } }[];
    const faces = predictions[0]?.results.predictions[0]?.models.face?.grouped_predictions.flatMap((g) => g.predictions) ?? [];
    assert.ok(faces.length >= 3 * 55, `faces in the 60 sampled frames, got ${faces.length}`);

    await eventually(() => receiver.bodies.length >= 1, "the callback", 20_000);
    await new Promise((r) => setTimeout(r, 2_000)); // room for a duplicate, were there one
    assert.equal(receiver.bodies.length, 1, "one callback");
    assert.equal((receiver.bodies[0] as { state: { status: string } }).state.status, "COMPLETED");
    assert.equal(second.cli.lines.filter((l) => l.msg === "batch job completed" && l.job_id === id).length, 1);
    second.cli.child.kill("SIGTERM");
    assert.equal(await second.cli.exited, 0);
  });

  test("SIGTERM mid-job: the job goes back to the queue at once and the next server runs it", async () => {
    const store = mkdtempSync(join(tmpdir(), "oe-batch-sigterm-"));
    try {
      const first = await startServe(store, { OPEN_EXPRESSION_SHUTDOWN_TIMEOUT_MS: "300" });
      children.push(first.cli);
      const clip = video("mp4", 20, { image: sample(2) });
      const form = new FormData();
      form.append("json", JSON.stringify({ models: { face: {} } }));
      form.append("file", new Blob([new Uint8Array(clip)], { type: "video/mp4" }), "clip.mp4");
      const { job_id: id } = (await (await fetch(`${first.url}/v0/batch/jobs`, { method: "POST", body: form })).json()) as { job_id: string };
      await eventually(async () => (await state(first.url, id)).status === "IN_PROGRESS", "the job to start", 60_000, 50);
      first.cli.child.kill("SIGTERM");
      assert.equal(await first.cli.exited, 0);
      assert.ok(first.cli.lines.some((l) => l.msg === "batch job returned to the queue at shutdown" && l.job_id === id));

      const second = await startServe(store);
      children.push(second.cli);
      await eventually(async () => (await state(second.url, id)).status === "COMPLETED", "the job to complete on the next server", 300_000, 250);
      // Released, not abandoned: no lease to wait out, and the interrupted run is not counted.
      assert.ok(!second.cli.lines.some((l) => l.msg === "batch job resumed after an interrupted run"));
      assert.equal(second.cli.lines.find((l) => l.msg === "batch job started" && l.job_id === id)?.attempt, 1);
      second.cli.child.kill("SIGTERM");
      await second.cli.exited;
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});
