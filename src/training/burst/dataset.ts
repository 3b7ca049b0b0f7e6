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
import { SAMPLE_RATE, voiceFeatures } from "../../audio-analysis/features/index.js";
import { BURST_CALL_TYPES, NONE_LABEL } from "../../models/burst/labels.js";
import { BURST_FLOOR_DB, burstCandidates, MIN_SEC } from "../../models/burst/index.js";
import { augmentedRows } from "../prosody/augmented.js";
import { clipVectors, loadClip, readManifest, trimRegion, voiceCacheTag } from "../prosody/data.js";
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
  const cacheFile = join(packageRoot, "artifacts", "cache", `burst-negatives-${voiceCacheTag(BURST_FLOOR_DB)}.json`);
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
    X.push(Float64Array.from(voiceFeatures(s, start, Math.min(t.end, start + dur), BURST_FLOOR_DB)));
    fold.push((Number(row.actor) % 5) + 1);
    kind.push("speech");
  }
  log(`featurised ${rows.length} speech crops`);
  for (let i = 0; i < NOISE_ITEMS; i++) {
    const s = noiseItem(i);
    X.push(Float64Array.from(voiceFeatures(s, 0.2, s.length / SAMPLE_RATE - 0.2, BURST_FLOOR_DB)));
    fold.push((i % 5) + 1);
    kind.push("noise");
  }
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify({ X: X.map((v) => Array.from(v)), fold, kind }));
  return { X, fold, kind };
}

/**
 * Copies of each whole call under drawn recording conditions (training/prosody/augment.ts: level
 * and its 16-bit rounding noise, colouring, noise, rate), training-only like the pieces.
 */
export const BURST_COPIES = 2;

/** Prefixes cut from each region: a stream's message boundary can fall anywhere in a call. */
const PREFIXES_PER_REGION = 2;

/**
 * The pieces the server scores in each clip besides the whole call: its burst candidates
 * (burstCandidates, with no VAD speech) that differ from the whole trimmed clip, e.g. the two
 * halves of a laugh with a breath between them, and prefixes of each region (PREFIXES_PER_REGION,
 * 30-90 % of it, at least MIN_SEC), which is what a region cut by a message boundary is scored on
 * (window.ts). Without them the classifier sees only whole calls and takes a half laugh for a
 * speech crop ("none"), so a chunked stream would report a burst later than a whole send.
 * Keyed by clip; seeded; cached.
 */
async function candidatePieces(paths: string[], log: (...a: unknown[]) => void): Promise<Record<string, number[][]>> {
  const cacheFile = join(packageRoot, "artifacts", "cache", `nonverbal-pieces-${voiceCacheTag(BURST_FLOOR_DB)}.${PREFIXES_PER_REGION}.json`);
  if (existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, number[][]>;
  const out: Record<string, number[][]> = {};
  const r = prng(11);
  for (const [i, p] of paths.entries()) {
    const s = await loadClip("nonverbal", p);
    const t = trimRegion(s);
    const candidates = burstCandidates(s, 0, []);
    const spans = candidates.filter((c) => Math.abs(c.begin - t.begin) + Math.abs(c.end - t.end) > 0.05);
    for (const c of candidates.length ? candidates : [t]) {
      for (let k = 0; k < PREFIXES_PER_REGION; k++) {
        const len = Math.max(MIN_SEC, (0.3 + 0.6 * r()) * (c.end - c.begin));
        if (len < c.end - c.begin) spans.push({ begin: c.begin, end: c.begin + len });
      }
    }
    out[p] = spans.map((c) => Array.from(voiceFeatures(s, c.begin, c.end, BURST_FLOOR_DB)));
    if ((i + 1) % 100 === 0) log(`candidate pieces: ${i + 1}/${paths.length} clips`);
  }
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify(out));
  return out;
}

/**
 * Whole clips (tested and trained on) and the "none" rows, plus each clip's candidate pieces and
 * augmented copies as training-only rows (fold -k for a clip of fold k: never tested, left out
 * with their clip).
 */
export async function loadBurstSet(log: (...a: unknown[]) => void): Promise<LabelledSet> {
  const rows = readManifest("nonverbal");
  const paths = rows.map((r) => r.path ?? "");
  const X = await clipVectors("nonverbal", paths, log, BURST_FLOOR_DB);
  const y = rows.map((r) => Number(r.class_id));
  const fold = rows.map((r) => Number(r.fold));
  const neg = await negatives(log);
  const pieces = await candidatePieces(paths, log);
  const px: Float64Array[] = [], py: number[] = [], pf: number[] = [], pp: string[] = [];
  paths.forEach((p, i) => (pieces[p] ?? []).forEach((v, j) => { px.push(Float64Array.from(v)); py.push(y[i]!); pf.push(-fold[i]!); pp.push(`${p}#piece${j}`); }));
  const aug = await augmentedRows("nonverbal", { X, y, fold, paths }, BURST_COPIES, log, BURST_FLOOR_DB);
  return {
    X: [...X, ...neg.X, ...px, ...aug.X],
    y: [...y, ...neg.X.map(() => BURST_CALL_TYPES.length), ...py, ...aug.y],
    fold: [...fold, ...neg.fold, ...pf, ...aug.fold],
    paths: [...paths, ...neg.kind.map((k, i) => `none-${k}#${i}`), ...pp, ...aug.paths],
  };
}
