/**
 * Audio and video made on the fly for the media tests: speech from espeak-ng, every other
 * format converted from it with the same ffmpeg the server uses. Nothing binary is checked in.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ffmpegPath } from "../../src/media/ffmpeg.js";


/** Why the speech tests cannot run here, or undefined when espeak-ng is installed. */
export const espeakMissing: string | undefined =
  spawnSync("espeak-ng", ["--version"], { stdio: "ignore" }).status === 0
    ? undefined
    : "espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it in CI)";

const dir = mkdtempSync(join(tmpdir(), "oe-av-test-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const tmp = (ext: string) => join(dir, `f${++n}.${ext}`);

/** Runs ffmpeg on the given inputs (written to files) and returns the output file's bytes. */
export function ffmpeg(inputs: Buffer[], args: string[], ext: string): Buffer {
  const files = inputs.map((b) => {
    const f = tmp("in");
    writeFileSync(f, b);
    return f;
  });
  const out = tmp(ext);
  // IN0, IN1 ... name the inputs in `args`.
  const resolved = args.map((a) => (/^IN\d$/.test(a) ? (files[Number(a.slice(2))] ?? a) : a));
  execFileSync(ffmpegPath, ["-hide_banner", "-loglevel", "error", "-y", ...resolved, out]);
  return readFileSync(out);
}

/** espeak-ng speech as a WAV (22.05 kHz mono, as espeak writes it). */
export function speech(text: string): Buffer {
  const out = tmp("wav");
  execFileSync("espeak-ng", ["-w", out, text]);
  return readFileSync(out);
}

/** `seconds` of digital silence, 16 kHz mono WAV. */
export function silence(seconds: number): Buffer {
  return ffmpeg([], ["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", String(seconds), "-c:a", "pcm_s16le"], "wav");
}

/** Concatenates WAVs (any rate) into one 16 kHz mono WAV. */
export function concatWav(parts: Buffer[]): Buffer {
  const inputs = parts.flatMap((_, i) => ["-i", `IN${i}`]);
  const filter = `${parts.map((_, i) => `[${i}:a]aresample=16000,aformat=channel_layouts=mono[a${i}]`).join(";")};${parts.map((_, i) => `[a${i}]`).join("")}concat=n=${parts.length}:v=0:a=1[out]`;
  return ffmpeg(parts, [...inputs, "-filter_complex", filter, "-map", "[out]", "-c:a", "pcm_s16le"], "wav");
}

/** Audio-only encodings of a WAV, each as a client would send it. */
export const AUDIO_FORMATS: Record<string, { ext: string; args: string[] }> = {
  wav: { ext: "wav", args: ["-c:a", "pcm_s16le"] },
  mp3: { ext: "mp3", args: ["-c:a", "libmp3lame", "-b:a", "64k"] },
  m4a: { ext: "m4a", args: ["-c:a", "aac", "-b:a", "64k"] },
  aac: { ext: "aac", args: ["-c:a", "aac", "-b:a", "64k", "-f", "adts"] },
  ogg: { ext: "ogg", args: ["-c:a", "libopus", "-b:a", "32k"] },
  // What MediaRecorder in Chrome produces: Opus in WebM, no video track.
  webm: { ext: "webm", args: ["-c:a", "libopus", "-b:a", "32k", "-f", "webm"] },
  flac: { ext: "flac", args: ["-c:a", "flac"] },
  // AAC in a plain MP4: sniffed as video/mp4, audio by its streams.
  mp4: { ext: "mp4", args: ["-c:a", "aac", "-b:a", "64k", "-f", "mp4"] },
};

export function encodeAudio(wav: Buffer, format: keyof typeof AUDIO_FORMATS): Buffer {
  const f = AUDIO_FORMATS[format];
  if (!f) throw new Error(`unknown format ${format}`);
  return ffmpeg([wav], ["-i", "IN0", ...f.args], f.ext);
}

/** Video containers with a video and (optionally) a sound track. */
export const VIDEO_FORMATS: Record<string, { ext: string; args: string[] }> = {
  mp4: { ext: "mp4", args: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"] },
  mov: { ext: "mov", args: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mov"] },
  webm: { ext: "webm", args: ["-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus"] },
};

/**
 * A video of `seconds` from a still image (or a test pattern), with `sound` as its track or none.
 * `rate` is the video frame rate.
 */
export function video(format: keyof typeof VIDEO_FORMATS, seconds: number, opts: { image?: Buffer; sound?: Buffer; rate?: number } = {}): Buffer {
  const f = VIDEO_FORMATS[format];
  if (!f) throw new Error(`unknown format ${format}`);
  const rate = String(opts.rate ?? 10);
  const inputs: Buffer[] = [];
  const args: string[] = [];
  if (opts.image) {
    inputs.push(opts.image);
    args.push("-loop", "1", "-framerate", rate, "-i", "IN0");
  } else {
    args.push("-f", "lavfi", "-i", `testsrc=size=320x240:rate=${rate}`);
  }
  if (opts.sound) {
    args.push("-i", `IN${inputs.length}`);
    inputs.push(opts.sound);
  }
  // Even dimensions for yuv420p; the sound, when shorter, is padded with silence.
  args.push("-t", String(seconds), "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2");
  if (opts.sound) args.push("-af", "apad");
  else args.push("-an");
  return ffmpeg(inputs, [...args, ...f.args.filter((a, i, all) => opts.sound || !(all[i - 1] === "-c:a" || a === "-c:a"))], f.ext);
}
