/**
 * Burst training data: the 16 nonverbal call types (speaker-grouped folds from the manifest) plus
 * a 17th "none" class of things a burst candidate must not be mistaken for: short crops of RAVDESS
 * speech (words the VAD missed) and synthetic noise bursts (white, pink-ish and brown-ish noise
 * under random envelopes). "none" rows get folds too (by actor / by index) so they are tested
 * on unseen speakers like the call types.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageRoot } from "../../package-paths.js";
import { FEATURE_VERSION, featurise, SAMPLE_RATE } from "../../audio-analysis/features/index.js";
import { BURST_CALL_TYPES, NONE_LABEL } from "../../models/burst/labels.js";
import { clipVectors, loadClip, readManifest, trimRegion } from "../prosody/data.js";
import type { LabelledSet } from "../prosody/dataset.js";
import { prng } from "../prosody/mlp.js";

export const BURST_CLASSES = [...BURST_CALL_TYPES, NONE_LABEL];
const SPEECH_CROPS_EVERY = 4; // every 4th RAVDESS clip: 360 speech crops
const NOISE_ITEMS = 150;

function noiseItem(i: number): Float32Array {
  const r = prng(1000 + i);
  const len = Math.round((0.3 + 1.7 * r()) * SAMPLE_RATE);
  const kind = i % 3, amp = 0.01 + 0.3 * r();
  const x = new Float32Array(len + SAMPLE_RATE / 2);
  let b = 0, p = 0;
  const onset = Math.round(0.25 * SAMPLE_RATE);
  for (let n = 0; n < len; n++) {
    const w = 2 * r() - 1;
    b = 0.98 * b + 0.02 * w * 5; // brown-ish
    p = 0.7 * p + 0.3 * w; // pink-ish (gentle low-pass)
    const env = Math.min(1, n / 400, (len - n) / 800);
    x[onset + n] = amp * env * (kind === 0 ? w : kind === 1 ? p : b);
  }
  return x;
}

async function negatives(log: (...a: unknown[]) => void): Promise<{ X: Float64Array[]; fold: number[]; kind: string[] }> {
  const cacheFile = join(packageRoot, "artifacts", "cache", `burst-negatives-v${FEATURE_VERSION}.json`);
  if (existsSync(cacheFile)) {
    const c = JSON.parse(readFileSync(cacheFile, "utf8")) as { X: number[][]; fold: number[]; kind: string[] };
    return { X: c.X.map((v) => Float64Array.from(v)), fold: c.fold, kind: c.kind };
  }
  const X: Float64Array[] = [], fold: number[] = [], kind: string[] = [];
  const rows = readManifest("ravdess").filter((_, i) => i % SPEECH_CROPS_EVERY === 0);
  const r = prng(7);
  for (const row of rows) {
    const s = await loadClip("ravdess", row.path ?? "");
    const t = trimRegion(s);
    const dur = 0.3 + 1.2 * r(); // a word to a short phrase
    const start = t.begin + Math.max(0, t.end - t.begin - dur) * r();
    X.push(featurise(s, start, Math.min(t.end, start + dur)).vector);
    fold.push((Number(row.actor) % 5) + 1);
    kind.push("speech");
  }
  log(`featurised ${rows.length} speech crops`);
  for (let i = 0; i < NOISE_ITEMS; i++) {
    const s = noiseItem(i);
    X.push(featurise(s, 0.2, s.length / SAMPLE_RATE - 0.2).vector);
    fold.push((i % 5) + 1);
    kind.push("noise");
  }
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify({ X: X.map((v) => Array.from(v)), fold, kind }));
  return { X, fold, kind };
}

export async function loadBurstSet(log: (...a: unknown[]) => void): Promise<LabelledSet> {
  const rows = readManifest("nonverbal");
  const paths = rows.map((r) => r.path ?? "");
  const X = await clipVectors("nonverbal", paths, log);
  const y = rows.map((r) => Number(r.class_id));
  const fold = rows.map((r) => Number(r.fold));
  const neg = await negatives(log);
  return {
    X: [...X, ...neg.X],
    y: [...y, ...neg.X.map(() => BURST_CALL_TYPES.length)],
    fold: [...fold, ...neg.fold],
    paths: [...paths, ...neg.kind.map((k, i) => `none-${k}#${i}`)],
  };
}
