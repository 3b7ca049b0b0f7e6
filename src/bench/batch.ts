/**
 * `npm run bench -- batch`: batch jobs against a server process with the embedded queue.
 * Measures the queue's overhead (submit to COMPLETED for a one-photo job, polled every 20 ms),
 * whole-recording speed (a 60 s speech file, a 60 s one-face video, as media-seconds per
 * second), and the throughput of a mix of jobs submitted at once (jobs per minute).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ffmpegPath } from "../media/ffmpeg.js";
import { BENCH_PHOTO, ONE_FACE_CROP } from "./media.js";
import { spawnServer } from "./server-process.js";
import { summarize, type Summary } from "./stats.js";

const SPEECH = "I really did not expect this to happen today. Honestly, it makes me so happy, and a little nervous too.";
const SECONDS = 60;

export interface BatchBench {
  photoSubmitToCompletedMs: Summary;
  /** Submit to COMPLETED minus the job's own run: upload, store, claim, polling (20 ms). */
  photoQueueOverheadMs: Summary;
  speech60s: { seconds: number; mediaSecondsPerSecond: number };
  video60sOneFace: { seconds: number; mediaSecondsPerSecond: number };
  mix: { jobs: number; seconds: number; jobsPerMinute: number; mediaSeconds: number; mediaSecondsPerSecond: number };
}

interface Media {
  photo: Buffer;
  wav: Buffer;
  mp4: Buffer;
}

function makeMedia(): Media {
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-batch-"));
  const ff = (args: string[]) => execFileSync(ffmpegPath, ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  try {
    const raw = join(dir, "speech.wav");
    execFileSync("espeak-ng", ["-s", "150", "-w", raw, SPEECH]);
    // Sentences with a second of silence between them, for a minute: many utterances to find.
    const wav = join(dir, "speech60.wav");
    const loop = join(dir, "loop.wav");
    ff(["-i", raw, "-af", "aresample=16000,apad=pad_len=16000", "-ac", "1", loop]);
    ff(["-stream_loop", "-1", "-i", loop, "-t", String(SECONDS), "-c:a", "pcm_s16le", wav]);
    const mp4 = join(dir, "face60.mp4");
    ff([
      "-loop", "1", "-framerate", "25", "-i", BENCH_PHOTO, "-i", wav,
      "-vf", `crop=${ONE_FACE_CROP.width}:${ONE_FACE_CROP.height}:${ONE_FACE_CROP.left}:${ONE_FACE_CROP.top},scale=640:480`,
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", String(SECONDS), "-shortest", mp4,
    ]);
    return { photo: readFileSync(BENCH_PHOTO), wav: readFileSync(wav), mp4: readFileSync(mp4) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchBatch({ quick }: { quick: boolean }): Promise<BatchBench> {
  const media = makeMedia();
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-batch-store-"));
  const server = await spawnServer({ env: { OPEN_EXPRESSION_BATCH_DIR: dir, OPEN_EXPRESSION_LOG_LEVEL: "info" } });
  try {
    const submit = async (name: string, bytes: Buffer, models: object): Promise<string> => {
      const form = new FormData();
      form.append("json", JSON.stringify({ models }));
      form.append("file", new Blob([new Uint8Array(bytes)]), name);
      const res = await fetch(`${server.url}/v0/batch/jobs`, { method: "POST", body: form });
      if (!res.ok) throw new Error(`submit failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { job_id: string }).job_id;
    };
    /** Resolves with the job's own run time (started to ended, as the server states it). */
    const completed = async (id: string): Promise<number> => {
      for (;;) {
        const d = (await (await fetch(`${server.url}/v0/batch/jobs/${id}`)).json()) as { state: { status: string; message?: string; started_timestamp_ms?: number; ended_timestamp_ms?: number } };
        if (d.state.status === "COMPLETED") return (d.state.ended_timestamp_ms ?? 0) - (d.state.started_timestamp_ms ?? 0);
        if (d.state.status === "FAILED") throw new Error(`job failed: ${d.state.message}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    /** Submit to COMPLETED, and the part of it that was not the job's own run (the queue's overhead). */
    const timedWithOverhead = async (name: string, bytes: Buffer, models: object): Promise<{ total: number; overhead: number }> => {
      const start = performance.now();
      const run = await completed(await submit(name, bytes, models));
      const total = performance.now() - start;
      return { total, overhead: total - run };
    };
    const timed = async (name: string, bytes: Buffer, models: object) => (await timedWithOverhead(name, bytes, models)).total;
    const face = { face: {} };
    const audio = { prosody: {}, burst: {} };
    await timed("warm.jpg", media.photo, face); // first use of each worker
    const photo: number[] = [];
    const overhead: number[] = [];
    for (let i = 0; i < (quick ? 5 : 20); i++) {
      const t = await timedWithOverhead("photo.jpg", media.photo, face);
      photo.push(t.total);
      overhead.push(t.overhead);
    }
    const speechMs = await timed("speech60.wav", media.wav, audio);
    const videoMs = await timed("face60.mp4", media.mp4, { face: {}, prosody: {} });
    // The mix: photos, minute-long speech files and a minute-long video, all submitted at once.
    const mix = [
      ...Array.from({ length: 6 }, () => ["photo.jpg", media.photo, face, 0] as const),
      ...Array.from({ length: quick ? 1 : 2 }, () => ["speech60.wav", media.wav, audio, SECONDS] as const),
      ["face60.mp4", media.mp4, { face: {}, prosody: {} }, SECONDS] as const,
    ];
    const start = performance.now();
    const ids = await Promise.all(mix.map(([name, bytes, models]) => submit(name, bytes, models)));
    await Promise.all(ids.map(completed));
    const mixSeconds = (performance.now() - start) / 1000;
    const mixMedia = mix.reduce((n, m) => n + m[3], 0);
    const round = (x: number) => Math.round(x * 100) / 100;
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
