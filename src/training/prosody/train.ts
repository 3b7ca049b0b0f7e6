/**
 * Trains the prosody classifier on all six RAVDESS folds and writes weights/prosody/classifier.json.
 * Deterministic (fixed seeds, full-batch L-BFGS). Settings were chosen by the six-fold
 * speaker-independent cross-validation that `npm run eval -- prosody` reports.
 *   npm run train -- prosody [--hidden 0] [--l2 0.01] [--max-iter 300] [--seeds 1]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot, weightsPath } from "../../models/assets.js";
import { FEATURE_VERSION } from "../../models/audio-features/index.js";
import { loadRavdess, RAVDESS_EMOTIONS } from "./dataset.js";
import { trainClassifier, type MlpSettings } from "./mlp.js";

export const PROSODY_SETTINGS: MlpSettings = { hidden: 0, l2: 0.01, maxIter: 300, seeds: [1] };

export function settingsFromArgs(argv: string[], defaults: MlpSettings): MlpSettings {
  const { values } = parseArgs({
    args: argv,
    options: { hidden: { type: "string" }, l2: { type: "string" }, "max-iter": { type: "string" }, seeds: { type: "string" } },
  });
  return {
    hidden: values.hidden !== undefined ? Number(values.hidden) : defaults.hidden,
    l2: values.l2 !== undefined ? Number(values.l2) : defaults.l2,
    maxIter: values["max-iter"] !== undefined ? Number(values["max-iter"]) : defaults.maxIter,
    seeds: values.seeds !== undefined ? values.seeds.split(",").map(Number) : defaults.seeds,
  };
}

export const log = (...a: unknown[]) => console.error(`[${(performance.now() / 1000).toFixed(1)}s]`, ...a);

export async function trainProsody(argv: string[]): Promise<void> {
  const s = settingsFromArgs(argv, PROSODY_SETTINGS);
  const d = await loadRavdess(log);
  log(`training on ${d.X.length} clips, ${JSON.stringify(s)}`);
  const w = trainClassifier(d.X, d.y, [...RAVDESS_EMOTIONS], s, FEATURE_VERSION);
  w.meta = { data: "RAVDESS speech, all 24 actors (1440 clips)", settings: s };
  const file = weightsPath("prosody", "classifier.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(w));
  log(`wrote ${relative(packageRoot, file)}`);
}
