/**
 * `npm run bench -- batch`: batch jobs against a server process with the embedded queue.
 * Measures the queue's overhead (submit to COMPLETED for a one-photo job, polled every 20 ms),
 * whole-recording speed (a 60 s speech file, a 60 s one-face video, as media-seconds per
 * second), and the throughput of a mix of jobs submitted at once (jobs per minute).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AUDIO, FACE, MEDIA_SECONDS as SECONDS, VIDEO, makeBatchMedia, round2 as round, submitJob, waitCompleted, type MixJob } from "./batch-jobs.js";
import { spawnServer } from "./server-process.js";
import { summarize, type Summary } from "./stats.js";

export interface BatchBench {
  photoSubmitToCompletedMs: Summary;
  /** Submit to COMPLETED minus the job's own run: upload, store, claim, polling (20 ms). */
  photoQueueOverheadMs: Summary;
  speech60s: { seconds: number; mediaSecondsPerSecond: number };
  video60sOneFace: { seconds: number; mediaSecondsPerSecond: number };
  mix: { jobs: number; seconds: number; jobsPerMinute: number; mediaSeconds: number; mediaSecondsPerSecond: number };
}

export async function benchBatch({ quick }: { quick: boolean }): Promise<BatchBench> {
  const media = makeBatchMedia();
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-batch-store-"));
  const server = await spawnServer({ env: { OPEN_EXPRESSION_BATCH_DIR: dir, OPEN_EXPRESSION_LOG_LEVEL: "info" } });
  try {
    const submit = (name: string, bytes: Buffer, models: object) => submitJob(server.url, name, bytes, models);
    const completed = (id: string) => waitCompleted(server.url, id);
    /** Submit to COMPLETED, and the part of it that was not the job's own run (the queue's overhead). */
    const timedWithOverhead = async (name: string, bytes: Buffer, models: object): Promise<{ total: number; overhead: number }> => {
      const start = performance.now();
      const run = await completed(await submit(name, bytes, models));
      const total = performance.now() - start;
      return { total, overhead: total - run };
    };
    const timed = async (name: string, bytes: Buffer, models: object) => (await timedWithOverhead(name, bytes, models)).total;
    await timed("warm.jpg", media.photo, FACE); // first use of each worker
    const photo: number[] = [];
    const overhead: number[] = [];
    for (let i = 0; i < (quick ? 5 : 20); i++) {
      const t = await timedWithOverhead("photo.jpg", media.photo, FACE);
      photo.push(t.total);
      overhead.push(t.overhead);
    }
    const speechMs = await timed("speech60.wav", media.wav, AUDIO);
    const videoMs = await timed("face60.mp4", media.mp4, VIDEO);
    // The mix: photos, minute-long speech files and a minute-long video, all submitted at once.
    const mix: MixJob[] = [
      ...Array.from({ length: 6 }, (): MixJob => ["photo.jpg", media.photo, FACE, 0]),
      ...Array.from({ length: quick ? 1 : 2 }, (): MixJob => ["speech60.wav", media.wav, AUDIO, SECONDS]),
      ["face60.mp4", media.mp4, VIDEO, SECONDS],
    ];
    const start = performance.now();
    const ids = await Promise.all(mix.map(([name, bytes, models]) => submit(name, bytes, models)));
    await Promise.all(ids.map(completed));
    const mixSeconds = (performance.now() - start) / 1000;
    const mixMedia = mix.reduce((n, m) => n + m[3], 0);
    return {
      photoSubmitToCompletedMs: summarize(photo),
      photoQueueOverheadMs: summarize(overhead),
      speech60s: { seconds: round(speechMs / 1000), mediaSecondsPerSecond: round(SECONDS / (speechMs / 1000)) },
      video60sOneFace: { seconds: round(videoMs / 1000), mediaSecondsPerSecond: round(SECONDS / (videoMs / 1000)) },
      mix: { jobs: mix.length, seconds: round(mixSeconds), jobsPerMinute: round((mix.length / mixSeconds) * 60), mediaSeconds: mixMedia, mediaSecondsPerSecond: round(mixMedia / mixSeconds) },
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
