/**
 * Cross-condition generalisation of the prosody feature classifier on RAVDESS, always on unseen
 * actors as well: for each of the six folds, train on the other five folds' clips of one
 * condition and test on the held-out fold's clips of another. Conditions: emotional intensity
 * (normal -> strong and strong -> normal; RAVDESS neutral has only normal intensity, so those two
 * are scored on the other seven emotions) and sentence ("kids are
 * talking by the door" -> "dogs are sitting by the door" and the reverse). Shipped settings,
 * including the augmented copies of the training clips.
 *   npm run eval -- prosody --cross
 */
import { predictProba } from "../audio-analysis/features/index.js";
import { VOICE_FEATURE_VERSION } from "../audio-analysis/features/voice.js";
import { argmax, unweightedRecall } from "../training/prosody/cv.js";
import { readManifest } from "../training/prosody/data.js";
import { RAVDESS_EMOTIONS } from "../training/prosody/dataset.js";
import { trainClassifier } from "../training/prosody/mlp.js";
import { loadProsodySet, log, PROSODY_SETTINGS } from "../training/prosody/train.js";
import { writeEval } from "./prosody.js";

const SPLITS: [string, "intensity" | "statement", string, string][] = [
  ["normal -> strong intensity", "intensity", "normal", "strong"],
  ["strong -> normal intensity", "intensity", "strong", "normal"],
  ["sentence kids -> dogs", "statement", "kids", "dogs"],
  ["sentence dogs -> kids", "statement", "dogs", "kids"],
];

export async function evalProsodyCross(): Promise<void> {
  const d = await loadProsodySet(log);
  const manifest = readManifest("ravdess");
  // Augmented copies (training-only) carry their clip's condition.
  const rows = d.X.map((_, i) => manifest[i < d.clips ? i : Math.floor((i - d.clips) / d.copies)]!);
  const labels = [...RAVDESS_EMOTIONS];
  const folds = [...new Set(d.fold.filter((g) => g > 0))].sort((a, b) => a - b);
  const results: Record<string, { foldUa: number[]; pooledUa: number; recall: Record<string, number> }> = {};
  for (const [name, key, from, to] of SPLITS) {
    const pooled = labels.map(() => labels.map(() => 0));
    const foldUa: number[] = [];
    for (const f of folds) {
      const tr = d.X.map((_, i) => i).filter((i) => Math.abs(d.fold[i]!) !== f && rows[i]![key] === from);
      // Train on the classes present (neutral has no strong clips) and score only those, so a
      // class the model never saw does not count as a miss; labels stay in full order.
      const present = [...new Set(tr.map((i) => d.y[i]!))].sort((a, b) => a - b);
      const te = d.X.map((_, i) => i).filter((i) => d.fold[i] === f && rows[i]![key] === to && present.includes(d.y[i]!));
      const w = trainClassifier(tr.map((i) => d.X[i]!), tr.map((i) => present.indexOf(d.y[i]!)), present.map((k) => labels[k]!), PROSODY_SETTINGS, VOICE_FEATURE_VERSION);
      const conf = labels.map(() => labels.map(() => 0));
      for (const i of te) {
        const k = present[argmax(predictProba(w, d.X[i]!))]!;
        conf[d.y[i]!]![k]!++;
        pooled[d.y[i]!]![k]!++;
      }
      foldUa.push(unweightedRecall(conf).ua);
    }
    const { ua, recall } = unweightedRecall(pooled);
    results[name] = { foldUa, pooledUa: ua, recall: Object.fromEntries(labels.map((l, k) => [l, recall[k]!]).filter(([, r]) => !Number.isNaN(r))) };
    const mean = foldUa.reduce((a, b) => a + b, 0) / foldUa.length;
    console.log(`${name.padEnd(28)} mean UA ${(100 * mean).toFixed(1)}%  (folds ${foldUa.map((u) => (100 * u).toFixed(1)).join(" ")})`);
  }
  writeEval("prosody-cross", { dataset: "RAVDESS speech (EmoBox 6 folds)", settings: PROSODY_SETTINGS, featureVersion: VOICE_FEATURE_VERSION, results });
}
