/**
 * The prosody models under recording conditions, on held-out actors: for each of the six
 * speaker-independent RAVDESS folds, the feature classifier (the shipped settings: L2 0.1, carried
 * over from the previous feature version and not re-tuned on these features) and, when they have been trained (`net/train.py cv`), the sequence CNN trained on
 * the same five folds (artifacts/prosody-net/fold<k>.onnx; hyper-parameters fixed a priori; not
 * served) and the even average of both, are scored on the held-out clips under each condition,
 * through the serving featuriser:
 *   - gain: every clip is first brought to a reference speech level of -26 dBFS (RAVDESS actors
 *     were recorded anywhere from about -14 to -56 dBFS), then scaled by -30, -20, -10, 0, +6 dB and
 *     rounded to 16-bit PCM, as a microphone would deliver it (samples beyond full scale clip);
 *   - colouring: 200 Hz high-pass and 4 kHz low-pass together ("mic").
 * Segment boundaries are the energy trim of the clean clip in every condition, so this measures
 * the models; the VAD's own behaviour at low level is covered by test/prosody-gain.test.ts.
 *   npm run eval -- prosody --conditions
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../package-paths.js";
import { predictProba } from "../audio-analysis/features/index.js";
import { PROSODY_FEATURE_VERSION, prosodyFrames, segmentVector, sequenceInput } from "../models/prosody/features.js";
import { SequenceNet } from "../models/prosody/net.js";
import { colour, MIC_COLOURING, withGain } from "../training/prosody/conditions.js";
import { argmax, unweightedRecall } from "../training/prosody/cv.js";
import { loadClip, trimRegion } from "../training/prosody/data.js";
import { loadRavdess, RAVDESS_EMOTIONS } from "../training/prosody/dataset.js";
import { trainClassifier } from "../training/prosody/mlp.js";
import { log, PROSODY_SETTINGS } from "../training/prosody/train.js";
import { speechLevelDb } from "../audio-analysis/features/index.js";
import { writeEval } from "./prosody.js";

const REFERENCE_DBFS = -26;
/** Share of the net in the ensemble column, fixed at an even split before evaluation. */
const NET_SHARE = 0.5;
const netFile = (fold: number) => join(packageRoot, "artifacts", "prosody-net", `fold${fold}.onnx`);
const GAINS = [-30, -20, -10, 0, 6];

/** 16-bit PCM rounding with clipping; counts clipped samples into `clipped`. */
function pcm16(x: Float32Array, clipped: { n: number }): Float32Array {
  return x.map((v) => {
    if (Math.abs(v) > 32767 / 32768) clipped.n++;
    return Math.round(Math.max(-1, Math.min(32767 / 32768, v)) * 32768) / 32768;
  });
}

export async function evalProsodyConditions(): Promise<void> {
  const d = await loadRavdess(log);
  const labels = [...RAVDESS_EMOTIONS], K = labels.length;
  const conditions: Record<string, (s: Float32Array, clipped: { n: number }) => Float32Array> = {};
  for (const g of GAINS) conditions[`${g > 0 ? "+" : ""}${g} dB`] = (s, c) => pcm16(withGain(s, g), c);
  conditions["mic (hp 200 Hz + lp 4 kHz)"] = (s, c) => pcm16(colour(s, MIC_COLOURING), c);
  const folds = [...new Set(d.fold)].sort((a, b) => a - b);
  const withNet = folds.every((f) => existsSync(netFile(f)));
  if (!withNet) log("fold nets missing (src/training/prosody/net/train.py cv): scoring the feature classifier only");
  const models = withNet ? (["features", "net", "ensemble"] as const) : (["features"] as const);
  const conf = Object.fromEntries(Object.keys(conditions).map((c) => [c, Object.fromEntries(models.map((m) => [m, labels.map(() => labels.map(() => 0))]))]));
  const clipped = Object.fromEntries(Object.keys(conditions).map((c) => [c, { n: 0 }]));
  const foldUa: Record<string, number[]> = Object.fromEntries(models.map((m) => [m, [] as number[]]));
  for (const f of folds) {
    const net = withNet ? await SequenceNet.load(netFile(f)) : undefined;
    const tr = d.X.map((_, i) => i).filter((i) => d.fold[i] !== f);
    const w = trainClassifier(tr.map((i) => d.X[i]!), tr.map((i) => d.y[i]!), labels, PROSODY_SETTINGS, PROSODY_FEATURE_VERSION);
    const foldConf = Object.fromEntries(models.map((m) => [m, labels.map(() => labels.map(() => 0))]));
    for (const i of d.X.map((_, i) => i).filter((i) => d.fold[i] === f)) {
      const raw = await loadClip("ravdess", d.paths[i]!);
      const t = trimRegion(raw);
      const ref = withGain(raw, REFERENCE_DBFS - speechLevelDb(raw.subarray(Math.round(t.begin * 16_000), Math.round(t.end * 16_000))));
      for (const [name, apply] of Object.entries(conditions)) {
        const frames = prosodyFrames(apply(ref, clipped[name]!), t.begin, t.end);
        const p = predictProba(w, segmentVector(frames));
        // Without the fold nets only the feature classifier is scored (the net columns stay empty).
        const q = net ? await net.proba(sequenceInput(frames)) : p;
        const e = p.map((x, k) => (1 - NET_SHARE) * x + NET_SHARE * q[k]!);
        const probs: Record<string, Float64Array> = { features: p, net: q, ensemble: e };
        for (const m of models) {
          const k = argmax(probs[m]!, K);
          conf[name]![m]![d.y[i]!]![k]!++;
          if (name === "0 dB") foldConf[m]![d.y[i]!]![k]!++;
        }
      }
    }
    for (const m of models) foldUa[m]!.push(unweightedRecall(foldConf[m]!).ua);
    log(`fold ${f}: clean UA ${models.map((m) => `${m} ${(100 * foldUa[m]!.at(-1)!).toFixed(1)}%`).join(", ")}`);
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`UA per fold (0 dB): ${models.map((m) => `${m}: ${foldUa[m]!.map(pct).join(" ")}, mean ${pct(foldUa[m]!.reduce((a, b) => a + b, 0) / foldUa[m]!.length)}`).join("\n                    ")}`);
  console.log(`pooled UA by condition (${models.join(" / ")}):`);
  const table: Record<string, Record<string, number>> = {};
  for (const c of Object.keys(conditions)) {
    table[c] = Object.fromEntries(models.map((m) => [m, unweightedRecall(conf[c]![m]!).ua]));
    console.log(`  ${c.padEnd(28)} ${models.map((m) => pct(table[c]![m]!).padStart(6)).join("  ")}${clipped[c]!.n ? `  (${clipped[c]!.n} samples clipped)` : ""}`);
  }
  for (const m of models) {
    const gainUas = GAINS.map((g) => table[`${g > 0 ? "+" : ""}${g} dB`]![m]!);
    const all = Object.values(table).map((r) => r[m]!);
    console.log(`spread (max - min) ${m}: gains ${pct(Math.max(...gainUas) - Math.min(...gainUas))}, gains + colourings ${pct(Math.max(...all) - Math.min(...all))}`);
  }
  // Per-class detail for the last column: the ensemble when the nets are there, else the features.
  const shown = models[models.length - 1]!;
  const { recall } = unweightedRecall(conf["0 dB"]![shown]!);
  console.log(`${shown} recall per class (0 dB, pooled): ${labels.map((l, k) => `${l} ${pct(recall[k]!)}`).join("  ")}`);
  console.log(`${shown} confusion (0 dB; rows true, cols predicted; order ${labels.join(", ")}):`);
  conf["0 dB"]![shown]!.forEach((row, k) => console.log(`  ${labels[k]!.padEnd(10)} ${row.map((c) => String(c).padStart(4)).join("")}`));
  writeEval("prosody-conditions", { dataset: "RAVDESS speech (EmoBox 6 folds)", referenceDbfs: REFERENCE_DBFS, netShare: NET_SHARE, settings: PROSODY_SETTINGS, foldUa, table, confusion: conf, clipped: Object.fromEntries(Object.entries(clipped).map(([k, v]) => [k, v.n])) });
}
