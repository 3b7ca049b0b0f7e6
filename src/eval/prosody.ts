/**
 * Six-fold speaker-independent cross-validation of the prosody classifier on RAVDESS (EmoBox
 * folds: train on five, test on the sixth), with the shipped training settings. Reports UA
 * (unweighted accuracy = mean per-class recall) per fold and their mean, pooled per-class recall
 * and the confusion matrix, and writes artifacts/eval/prosody.json.
 * With --nested, the L2 strength is instead chosen inside each outer fold by leave-one-fold-out
 * over its five training folds (nested CV; slower), and each fold's choice is printed.
 * With --conditions: held-out folds under gain and microphone colouring (prosody-conditions.ts);
 * with --cross: train on one intensity or sentence, test on the other (prosody-cross.ts);
 * with --speaker: per-speaker and per-stream feature normalisation, evaluated (prosody-speaker.ts).
 *   npm run eval -- prosody [--nested | --conditions | --cross | --speaker] [--hidden N] [--l2 X] [--max-iter N] [--seeds 1,2]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-paths.js";
import { VOICE_FEATURE_VERSION } from "../audio-analysis/features/voice.js";
import { crossValidate, unweightedRecall, type CvReport } from "../training/prosody/cv.js";
import { RAVDESS_EMOTIONS } from "../training/prosody/dataset.js";
import { nestedCrossValidate } from "../training/prosody/select.js";
import { loadProsodySet, log, PROSODY_SETTINGS, settingsFromArgs } from "../training/prosody/train.js";

const pct = (x: number) => (100 * x).toFixed(1).padStart(5);

/** What the report reads of a cross-validation: per-fold and mean UA, pooled recall, confusion. */
type Report = Pick<CvReport, "meanUa" | "recall" | "confusion"> & { folds: { fold: number; ua: number }[] };

export function printReport(r: Report, labels: readonly string[], metric: string): void {
  console.log(`${metric} per fold: ${r.folds.map((f) => `${f.fold}:${pct(f.ua)}%`).join("  ")}`);
  console.log(`mean ${metric}: ${pct(r.meanUa)}%`);
  console.log("recall per class (pooled over folds):");
  for (const l of labels) console.log(`  ${l.padEnd(18)} ${pct(r.recall[l] ?? 0)}%`);
  console.log(`confusion (rows true, cols predicted; order ${labels.join(", ")}):`);
  for (const [k, row] of r.confusion.entries()) console.log(`  ${(labels[k] ?? "").padEnd(18)} ${row.map((c) => String(c).padStart(4)).join("")}`);
}

export function writeEval(name: string, body: unknown): void {
  const dir = join(packageRoot, "artifacts", "eval");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(body, null, 2));
  log(`wrote artifacts/eval/${name}.json`);
}

export async function evalProsody(argv: string[]): Promise<void> {
  if (argv.includes("--conditions")) return (await import("./prosody-conditions.js")).evalProsodyConditions(argv);
  if (argv.includes("--cross")) return (await import("./prosody-cross.js")).evalProsodyCross();
  if (argv.includes("--speaker")) return (await import("./prosody-speaker.js")).evalProsodySpeaker(argv);
  const nested = argv.includes("--nested");
  const s = settingsFromArgs(argv.filter((a) => a !== "--nested"), PROSODY_SETTINGS);
  const d = await loadProsodySet(log);
  const t = performance.now();
  const labels = [...RAVDESS_EMOTIONS];
  if (nested) {
    const r = nestedCrossValidate(d.X, d.y, d.fold, labels, s, VOICE_FEATURE_VERSION, log);
    const { recall } = unweightedRecall(r.confusion);
    printReport({ ...r, recall: Object.fromEntries(labels.map((l, k) => [l, recall[k]!])) }, labels, "nested UA");
    writeEval("prosody-nested", { dataset: "RAVDESS speech (EmoBox 6 folds)", augmentedCopies: d.copies, protocol: "nested: L2 chosen per outer fold by inner leave-one-fold-out", settings: s, featureVersion: VOICE_FEATURE_VERSION, labels, ...r, seconds: (performance.now() - t) / 1000 });
    return;
  }
  const r = crossValidate(d.X, d.y, d.fold, labels, s, VOICE_FEATURE_VERSION, log);
  printReport(r, RAVDESS_EMOTIONS, "UA");
  const { oof: _oof, ...rest } = r;
  writeEval("prosody", { dataset: "RAVDESS speech (EmoBox 6 folds)", augmentedCopies: d.copies, settings: s, featureVersion: VOICE_FEATURE_VERSION, labels: RAVDESS_EMOTIONS, ...rest, seconds: (performance.now() - t) / 1000 });
}
