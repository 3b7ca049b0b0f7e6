/**
 * Augmented training rows for the voice models: `copies` copies of every clip of a staged audio
 * dataset under drawn recording conditions (augment.ts), featurised by the serving featuriser
 * (voice.ts). Each copy carries fold -k for a clip of fold k, so cross-validation trains on the
 * copies of the training speakers only and never tests a copy (cv.ts). Cached in
 * artifacts/cache/ like the clean vectors.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageRoot } from "../../package-paths.js";
import { voiceFeatures } from "../../audio-analysis/features/index.js";
import { augment, drawAugmentation } from "./augment.js";
import { loadClip, trimRegion, voiceCacheTag } from "./data.js";
import type { LabelledSet } from "./dataset.js";

/** Bump when augment.ts changes what a copy is. */
export const AUGMENT_VERSION = 1;

export async function augmentedRows(
  dataset: string, clean: LabelledSet, copies: number, log: (...a: unknown[]) => void, floorDb?: number,
): Promise<LabelledSet> {
  const tag = `${voiceCacheTag(floorDb).replace("voice-", "voice-aug-")}.${AUGMENT_VERSION}`;
  const cacheFile = join(packageRoot, "artifacts", "cache", `${dataset}-${tag}.json`);
  const cache: Record<string, number[]> = existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, number[]>) : {};
  const out: LabelledSet = { X: [], y: [], fold: [], paths: [] };
  let added = 0;
  const save = () => { mkdirSync(dirname(cacheFile), { recursive: true }); writeFileSync(cacheFile, JSON.stringify(cache)); };
  for (const [i, path] of clean.paths.entries()) {
    const keys = Array.from({ length: copies }, (_, j) => `${path}#${j}`);
    if (keys.some((k) => !cache[k])) {
      const raw = await loadClip(dataset, path);
      const span = trimRegion(raw);
      keys.forEach((k, j) => {
        if (cache[k]) return;
        const a = augment(raw, span, drawAugmentation(path, j), i * 1000 + j);
        cache[k] = Array.from(voiceFeatures(a.samples, a.begin, a.end, floorDb));
        if (++added % 200 === 0) { log(`augmented ${added} copies`); save(); }
      });
    }
    for (const k of keys) {
      out.X.push(Float64Array.from(cache[k]!));
      out.y.push(clean.y[i]!);
      out.fold.push(-clean.fold[i]!);
      out.paths.push(k);
    }
  }
  if (added) save();
  return out;
}
