/**
 * Trains the burst classifier (16 call types + "none") on all five nonverbal folds plus the
 * rejection examples, and writes weights/burst/classifier.json. Deterministic (fixed seeds,
 * full-batch L-BFGS); settings chosen by the speaker-grouped cross-validation of
 * `npm run eval -- burst`.
 *   npm run train -- burst [--hidden 0] [--l2 0.01] [--max-iter 300] [--seeds 1]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { packageRoot, weightsPath } from "../../package-paths.js";
import { VOICE_FEATURE_VERSION } from "../../audio-analysis/features/index.js";
import { trainClassifier, type MlpSettings } from "../prosody/mlp.js";
import { log, settingsFromArgs } from "../prosody/train.js";
import { BURST_CLASSES, loadBurstSet } from "./dataset.js";

export const BURST_SETTINGS: MlpSettings = { hidden: 0, l2: 0.01, maxIter: 300, seeds: [1] };

export async function trainBurst(argv: string[]): Promise<void> {
  const s = settingsFromArgs(argv, BURST_SETTINGS);
  const d = await loadBurstSet(log);
  log(`training on ${d.X.length} items, ${JSON.stringify(s)}`);
  const w = trainClassifier(d.X, d.y, BURST_CLASSES, s, VOICE_FEATURE_VERSION);
  w.meta = { data: "Deeply Nonverbal Vocalization sample (727 clips) + none: RAVDESS speech crops and synthetic noise", settings: s };
  const file = weightsPath("burst", "classifier.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(w));
  log(`wrote ${relative(packageRoot, file)}`);
}
