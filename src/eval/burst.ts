/**
 * Five-fold speaker-grouped cross-validation of the burst classifier on the nonverbal set, with
 * the shipped settings. Reports UAR over the 16 call types (argmax over call types only, so the
 * number is comparable with other 16-way results) per fold and mean, per-class recall, the
 * confusion matrix, and the "none" decision at the shipped threshold: how many true bursts it
 * rejects and how many speech crops / noise items it lets through. Writes artifacts/eval/burst.json.
 *   npm run eval -- burst [--hidden N] [--l2 X] [--max-iter N] [--seeds 1,2]
 */
import { VOICE_FEATURE_VERSION } from "../audio-analysis/features/index.js";
import { acceptsBurst, MIN_CALL_PROB } from "../models/burst/index.js";
import { BURST_CALL_TYPES } from "../models/burst/labels.js";
import { BURST_CLASSES, loadBurstSet } from "../training/burst/dataset.js";
import { BURST_SETTINGS } from "../training/burst/train.js";
import { crossValidate } from "../training/prosody/cv.js";
import { log, settingsFromArgs } from "../training/prosody/train.js";
import { printReport, writeEval } from "./prosody.js";

export async function evalBurst(argv: string[]): Promise<void> {
  const s = settingsFromArgs(argv, BURST_SETTINGS);
  const d = await loadBurstSet(log);
  const t = performance.now();
  const K = BURST_CALL_TYPES.length;
  const r = crossValidate(d.X, d.y, d.fold, BURST_CLASSES, s, VOICE_FEATURE_VERSION, log, K);
  printReport(r, BURST_CALL_TYPES, "UAR");
  const rejection = [0.2, 0.3, MIN_CALL_PROB, 0.5].filter((v, i, a) => a.indexOf(v) === i).sort().map((minProb) => {
    let burstKept = 0, bursts = 0, speechIn = 0, speech = 0, noiseIn = 0, noise = 0;
    d.X.forEach((_, i) => {
      if (d.fold[i]! < 0) return; // a clip's candidate pieces are training-only, never tested
      const ok = acceptsBurst(r.oof[i]!, minProb);
      if (d.y[i]! < K) { bursts++; if (ok) burstKept++; }
      else if (d.paths[i]!.startsWith("none-speech")) { speech++; if (ok) speechIn++; }
      else { noise++; if (ok) noiseIn++; }
    });
    return { minProb, burstsKept: burstKept / bursts, speechAccepted: speechIn / speech, noiseAccepted: noiseIn / noise };
  });
  console.log("none decision (out-of-fold):");
  for (const x of rejection) {
    console.log(`  min call prob ${x.minProb.toFixed(2)}: bursts kept ${(100 * x.burstsKept).toFixed(1)}%, speech crops accepted ${(100 * x.speechAccepted).toFixed(1)}%, noise accepted ${(100 * x.noiseAccepted).toFixed(1)}%`);
  }
  const { oof: _oof, ...rest } = r;
  writeEval("burst", { dataset: "Deeply Nonverbal Vocalization sample (5 speaker-grouped folds)", settings: s, featureVersion: VOICE_FEATURE_VERSION, labels: BURST_CALL_TYPES, ...rest, rejection, seconds: (performance.now() - t) / 1000 });
}
