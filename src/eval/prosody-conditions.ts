/**
 * The prosody classifier under recording conditions, on held-out actors: for each of the six
 * speaker-independent RAVDESS folds, the classifier trained with the shipped settings on the other
 * five folds (their clean clips plus, as shipped, their augmented copies) scores the held-out
 * clips under each condition, through the serving featuriser:
 *   - gain: every clip is first brought to a reference speech level of -26 dBFS (RAVDESS actors
 *     were recorded anywhere from about -14 to -56 dBFS), then scaled by -30, -20, -10, 0, +6 dB and
 *     rounded to 16-bit PCM, as a microphone would deliver it (samples beyond full scale clip);
 *   - colouring: 200 Hz high-pass and 4 kHz low-pass together ("mic"), and each alone.
 * Segment boundaries are the energy trim of the clean clip in every condition, so this measures
 * the model; the VAD's own behaviour at low level is covered by test/e2e/prosody-gain.test.ts.
 * The condition vectors are cached (artifacts/cache/), so comparing models costs only training.
 *   npm run eval -- prosody --conditions [--copies N]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { packageRoot } from "../package-paths.js";
import { predictProba, speechLevelDb } from "../audio-analysis/features/index.js";
import { VOICE_FEATURE_VERSION, voiceFeatures } from "../audio-analysis/features/voice.js";
import { colour, MIC_COLOURING, pcm16, withGain, type Colouring } from "../training/prosody/conditions.js";
import { argmax, unweightedRecall } from "../training/prosody/cv.js";
import { loadClip, trimRegion } from "../training/prosody/data.js";
import { RAVDESS_EMOTIONS } from "../training/prosody/dataset.js";
import { trainClassifier } from "../training/prosody/mlp.js";
import { loadProsodySet, log, PROSODY_SETTINGS, PROSODY_COPIES } from "../training/prosody/train.js";
import { writeEval } from "./prosody.js";

const REFERENCE_DBFS = -26;
const GAINS = [-30, -20, -10, 0, 6];
const gainName = (g: number) => `${g > 0 ? "+" : ""}${g} dB`;

const COLOURINGS: Record<string, Colouring> = {
  "mic (hp 200 Hz + lp 4 kHz)": MIC_COLOURING,
  "hp 200 Hz": { highPassHz: MIC_COLOURING.highPassHz! },
  "lp 4 kHz": { lowPassHz: MIC_COLOURING.lowPassHz! },
};

export async function evalProsodyConditions(argv: string[] = []): Promise<void> {
  const at = argv.indexOf("--copies");
  const copies = at >= 0 ? Number(argv[at + 1]) : PROSODY_COPIES;
  const set = await loadProsodySet(log, copies);
  const d = { X: set.X.slice(0, set.clips), y: set.y.slice(0, set.clips), fold: set.fold.slice(0, set.clips), paths: set.paths.slice(0, set.clips) };
  const labels = [...RAVDESS_EMOTIONS];
  const conditions: Record<string, (s: Float32Array, clipped: { n: number }) => Float32Array> = {};
  for (const g of GAINS) conditions[gainName(g)] = (s, c) => pcm16(withGain(s, g), c);
  for (const [name, c] of Object.entries(COLOURINGS)) conditions[name] = (s, cl) => pcm16(colour(s, c), cl);
  const names = Object.keys(conditions);

  const cacheFile = join(packageRoot, "artifacts", "cache", `ravdess-prosody-conditions-v${VOICE_FEATURE_VERSION}.json`);
  const cache = (existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, "utf8")) : { vectors: {}, clipped: {} }) as
    { vectors: Record<string, number[]>; clipped: Record<string, number> };
  let added = 0;
  for (const path of d.paths) {
    if (names.every((c) => cache.vectors[`${path}@${c}`])) continue;
    const raw = await loadClip("ravdess", path);
    const t = trimRegion(raw);
    const ref = withGain(raw, REFERENCE_DBFS - speechLevelDb(raw.subarray(Math.round(t.begin * 16_000), Math.round(t.end * 16_000))));
    for (const c of names) {
      const clipped = { n: 0 };
      cache.vectors[`${path}@${c}`] = Array.from(voiceFeatures(conditions[c]!(ref, clipped), t.begin, t.end));
      cache.clipped[c] = (cache.clipped[c] ?? 0) + clipped.n;
    }
    if (++added % 100 === 0) log(`conditions: ${added} clips`);
  }
  if (added) { mkdirSync(dirname(cacheFile), { recursive: true }); writeFileSync(cacheFile, JSON.stringify(cache)); }

  const conf = Object.fromEntries(names.map((c) => [c, labels.map(() => labels.map(() => 0))]));
  const foldUa: Record<string, number[]> = Object.fromEntries(names.map((c) => [c, [] as number[]]));
  const folds = [...new Set(d.fold)].sort((a, b) => a - b);
  for (const f of folds) {
    const { X, y, fold } = set;
    const tr = X.map((_, i) => i).filter((i) => Math.abs(fold[i]!) !== f);
    const w = trainClassifier(tr.map((i) => X[i]!), tr.map((i) => y[i]!), labels, PROSODY_SETTINGS, VOICE_FEATURE_VERSION);
    for (const c of names) {
      const fc = labels.map(() => labels.map(() => 0));
      d.paths.forEach((p, i) => {
        if (d.fold[i] !== f) return;
        const k = argmax(predictProba(w, Float64Array.from(cache.vectors[`${p}@${c}`]!)));
        fc[d.y[i]!]![k]!++;
        conf[c]![d.y[i]!]![k]!++;
      });
      foldUa[c]!.push(unweightedRecall(fc).ua);
    }
    log(`fold ${f}: ${names.map((c) => `${c} ${(100 * foldUa[c]!.at(-1)!).toFixed(1)}%`).join(", ")}`);
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`training: clean clips${copies ? ` + ${copies} augmented copies each` : ""}`);
  console.log("pooled UA by condition (mean of folds in brackets):");
  const table: Record<string, number> = {};
  for (const c of names) {
    table[c] = unweightedRecall(conf[c]!).ua;
    const n = cache.clipped[c] ?? 0;
    console.log(`  ${c.padEnd(28)} ${pct(table[c]!).padStart(6)}  (${pct(foldUa[c]!.reduce((a, b) => a + b, 0) / folds.length)})${n ? `  (${n} samples clipped)` : ""}`);
  }
  const gainUas = GAINS.map((g) => table[gainName(g)]!), all = Object.values(table);
  console.log(`spread (max - min): gains ${pct(Math.max(...gainUas) - Math.min(...gainUas))}, gains + colourings ${pct(Math.max(...all) - Math.min(...all))}`);
  writeEval("prosody-conditions", { dataset: "RAVDESS speech (EmoBox 6 folds)", referenceDbfs: REFERENCE_DBFS, settings: PROSODY_SETTINGS, copies, foldUa, table, confusion: conf, clipped: cache.clipped });
}
