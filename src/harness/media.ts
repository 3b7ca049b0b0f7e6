/**
 * Inputs for the harnesses' mixed traffic: sentences, face photos (the demo photos shipped in
 * the @vladmandic/face-api package), and speech from espeak-ng when it is installed. Without
 * espeak-ng the audio is a synthetic voiced signal: real audio bytes that exercise decoding and
 * the audio models, though not speech.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { ffmpegPath } from "../media/ffmpeg.js";
import { encodeWav } from "../media/wav.js";
import { packageRoot } from "../package-paths.js";


export const KINDS = ["text", "image", "audio"] as const;
export type Kind = (typeof KINDS)[number];

export interface Media {
  sentences: string[];
  /** JPEG photos with faces, base64. */
  images: string[];
  /** 16 kHz mono WAVs, base64. */
  audio: string[];
  audioSource: "espeak-ng" | "synthetic";
}

const SENTENCES = [
  "Thank you so much, this made my day!",
  "I can't believe they cancelled the concert again, this is so frustrating.",
  "Honestly I'm a bit nervous about tomorrow's interview.",
  "That was the funniest thing I've heard all week.",
  "The traffic on the way home was awful and I'm exhausted.",
  "Wow, I did not expect that at all.",
  "I'm sorry for your loss; let me know if you need anything.",
  "We finally finished the project and everyone is thrilled.",
];

const SPOKEN = [
  "I really did not expect this to happen today.",
  "Honestly, it makes me so happy and a little nervous too.",
  "Why would anyone do that? It is completely unacceptable.",
];

export const FACE_PHOTOS = join(packageRoot, "node_modules/@vladmandic/face-api/demo");

export async function loadMedia(): Promise<Media> {
  const images: string[] = [];
  for (const n of [1, 2, 3]) {
    const file = join(FACE_PHOTOS, `sample${n}.jpg`);
    if (!existsSync(file)) throw new Error(`face photo missing: ${file} (npm install provides it)`);
    // Webcam-sized frames, as a browser client would send them.
    images.push((await sharp(readFileSync(file)).resize({ width: 640, withoutEnlargement: true }).jpeg({ quality: 85 }).toBuffer()).toString("base64"));
  }
  const espeak = spawnSync("espeak-ng", ["--version"], { stdio: "ignore" }).status === 0;
  const audio = espeak ? SPOKEN.map((t) => speechWav(t, 3)) : [0, 1, 2].map((i) => syntheticWav(3, 110 + 40 * i));
  return { sentences: SENTENCES, images, audio: audio.map((b) => b.toString("base64")), audioSource: espeak ? "espeak-ng" : "synthetic" };
}

/** espeak-ng speech, padded or cut to `seconds`, as 16 kHz mono 16-bit WAV. */
function speechWav(text: string, seconds: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "oe-harness-"));
  try {
    const raw = join(dir, "raw.wav");
    const out = join(dir, "out.wav");
    execFileSync("espeak-ng", ["-s", "160", "-w", raw, text]);
    execFileSync(ffmpegPath, ["-hide_banner", "-loglevel", "error", "-y", "-i", raw, "-ar", "16000", "-ac", "1", "-af", "apad", "-t", String(seconds), "-c:a", "pcm_s16le", out]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A voiced, syllable-paced harmonic signal (not speech), 16 kHz mono 16-bit WAV. */
export function syntheticWav(seconds: number, f0: number): Buffer {
  const rate = 16_000;
  const samples = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) {
    const t = i / rate;
    const pitch = f0 * (1 + 0.1 * Math.sin(2 * Math.PI * 0.7 * t));
    let s = 0;
    for (let h = 1; h <= 8; h++) s += Math.sin(2 * Math.PI * pitch * h * t) / h;
    const envelope = Math.max(0, Math.sin(2 * Math.PI * 4 * t)); // ~4 syllables a second
    samples[i] = 0.3 * s * envelope;
  }
  return Buffer.from(encodeWav(samples, rate));
}

/** The message for one request of a kind; `i` picks among the inputs. */
export function requestFor(media: Media, kind: Kind, i: number, payloadId: string): string {
  const pick = <T>(xs: T[]): T => xs[i % xs.length] as T;
  switch (kind) {
    case "text":
      return JSON.stringify({ models: { language: { granularity: "sentence" } }, raw_text: true, data: pick(media.sentences), payload_id: payloadId });
    case "image":
      return JSON.stringify({ models: { face: {} }, data: pick(media.images), payload_id: payloadId });
    case "audio":
      return JSON.stringify({ models: { prosody: {}, burst: {} }, data: pick(media.audio), payload_id: payloadId });
  }
}

export type Mix = Record<Kind, number>;

/** "text=8,image=1,audio=1" as weights (normalised). */
export function parseMix(spec: string): Mix {
  const mix: Mix = { text: 0, image: 0, audio: 0 };
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, weight] = part.split("=");
    if (!KINDS.includes(name as Kind)) throw new Error(`--mix: unknown kind "${name}" (use ${KINDS.join(", ")})`);
    const w = Number(weight ?? "1");
    if (!(w >= 0)) throw new Error(`--mix: bad weight in "${part}"`);
    mix[name as Kind] = w;
  }
  const total = KINDS.reduce((s, k) => s + mix[k], 0);
  if (total <= 0) throw new Error("--mix: all weights are zero");
  for (const k of KINDS) mix[k] /= total;
  return mix;
}
