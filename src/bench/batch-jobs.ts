/**
 * What the batch benchmarks share: their inputs (a photo, a minute of speech, a minute of a
 * one-face video, made fresh on each run) and a client that submits a job as a multipart upload
 * and polls it to COMPLETED, as an application would.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ffmpegPath } from "../media/ffmpeg.js";
import { BENCH_PHOTO, ONE_FACE_CROP } from "./media.js";

const SPEECH = "I really did not expect this to happen today. Honestly, it makes me so happy, and a little nervous too.";
/** Length of the speech file and the video. */
export const MEDIA_SECONDS = 60;
/** Between status polls: short, so the poll adds little to a photo job's measured latency. */
const POLL_MS = 20;

export interface BatchMedia {
  photo: Buffer;
  wav: Buffer;
  mp4: Buffer;
}

export const FACE = { face: {} };
export const AUDIO = { prosody: {}, burst: {} };
export const VIDEO = { face: {}, prosody: {} };

/** One job of a mix: a file, its models, and the seconds of media it holds (0 for a photo). */
export type MixJob = readonly [name: string, bytes: Buffer, models: object, mediaSeconds: number];

export function makeBatchMedia(): BatchMedia {
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-batch-"));
  const ff = (args: string[]) => execFileSync(ffmpegPath, ["-hide_banner", "-loglevel", "error", "-y", ...args]);
  try {
    const raw = join(dir, "speech.wav");
    execFileSync("espeak-ng", ["-s", "150", "-w", raw, SPEECH]);
    // Sentences with a second of silence between them, for a minute: many utterances to find.
    const wav = join(dir, "speech60.wav");
    const loop = join(dir, "loop.wav");
    ff(["-i", raw, "-af", "aresample=16000,apad=pad_len=16000", "-ac", "1", loop]);
    ff(["-stream_loop", "-1", "-i", loop, "-t", String(MEDIA_SECONDS), "-c:a", "pcm_s16le", wav]);
    const mp4 = join(dir, "face60.mp4");
    ff([
      "-loop", "1", "-framerate", "25", "-i", BENCH_PHOTO, "-i", wav,
      "-vf", `crop=${ONE_FACE_CROP.width}:${ONE_FACE_CROP.height}:${ONE_FACE_CROP.left}:${ONE_FACE_CROP.top},scale=640:480`,
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", String(MEDIA_SECONDS), "-shortest", mp4,
    ]);
    return { photo: readFileSync(BENCH_PHOTO), wav: readFileSync(wav), mp4: readFileSync(mp4) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Posts a one-file job to the server at `url`; resolves with its id. */
export async function submitJob(url: string, name: string, bytes: Buffer, models: object): Promise<string> {
  const form = new FormData();
  form.append("json", JSON.stringify({ models }));
  form.append("file", new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${url}/v0/batch/jobs`, { method: "POST", body: form });
  if (!res.ok) throw new Error(`submit failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}

/** Polls until the job is COMPLETED; resolves with its own run time (started to ended, as the server states it). */
export async function waitCompleted(url: string, id: string): Promise<number> {
  for (;;) {
    const res = await fetch(`${url}/v0/batch/jobs/${id}`);
    if (!res.ok) throw new Error(`status failed: ${res.status} ${await res.text()}`);
    const d = (await res.json()) as { state: { status: string; message?: string; started_timestamp_ms?: number; ended_timestamp_ms?: number } };
    if (d.state.status === "COMPLETED") return (d.state.ended_timestamp_ms ?? 0) - (d.state.started_timestamp_ms ?? 0);
    if (d.state.status === "FAILED") throw new Error(`job failed: ${d.state.message}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
