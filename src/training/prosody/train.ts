/**
 * Trains the prosody classifier on all six RAVDESS folds and writes weights/prosody/classifier.json.
 * Deterministic (fixed seeds, full-batch L-BFGS). The L2 strength in PROSODY_SETTINGS is the
 * winner of `selectL2` (six-fold speaker-independent CV over L2_GRID); --select reruns that
 * choice instead of using the stored value. `npm run eval -- prosody --nested` checks the choice
 * without peeking at the test actors.
 *   npm run train -- prosody [--select] [--hidden 0] [--l2 0.1] [--max-iter 300] [--seeds 1]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot, weightsPath } from "../../package-paths.js";
import { VOICE_FEATURE_VERSION } from "../../audio-analysis/features/voice.js";
import { augmentedRows } from "./augmented.js";
import { loadRavdess, RAVDESS_EMOTIONS, type LabelledSet } from "./dataset.js";
import { trainClassifier, type MlpSettings } from "./mlp.js";
import { L2_GRID, selectL2 } from "./select.js";

export const PROSODY_SETTINGS: MlpSettings = { hidden: 0, l2: 0.01, maxIter: 300, seeds: [1] };
/** Augmented copies of each clip added to training (augment.ts); 0 trains on the clean clips only. */
export const PROSODY_COPIES = 3;

/**
 * RAVDESS as the prosody model is trained: the clean clips (folds 1-6, the only rows ever tested)
 * followed by PROSODY_COPIES augmented copies of each (fold -k, training-only; copy j of clip i is
 * row clips + i * copies + j).
 */
export async function loadProsodySet(log: (...a: unknown[]) => void, copies = PROSODY_COPIES): Promise<LabelledSet & { clips: number; copies: number }> {
  const d = await loadRavdess(log);
  if (copies === 0) return { ...d, clips: d.X.length, copies };
  const a = await augmentedRows("ravdess", d, copies, log);
  return { X: [...d.X, ...a.X], y: [...d.y, ...a.y], fold: [...d.fold, ...a.fold], paths: [...d.paths, ...a.paths], clips: d.X.length, copies };
}

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
  if (argv[0] === "sequences") return (await import("./sequences.js")).dumpSequences(log);
  const select = argv.includes("--select");
  const s = settingsFromArgs(argv.filter((a) => a !== "--select"), PROSODY_SETTINGS);
  const d = await loadProsodySet(log);
  const labels = [...RAVDESS_EMOTIONS];
  let selection: Record<string, number> | undefined;
  if (select) {
    const sel = selectL2(d.X, d.y, d.fold, labels, s, VOICE_FEATURE_VERSION);
    selection = Object.fromEntries(L2_GRID.map((l2, k) => [String(l2), sel.uas[k]!]));
    log(`six-fold UA by L2: ${L2_GRID.map((l2, k) => `${l2}=${(100 * sel.uas[k]!).toFixed(1)}%`).join(" ")} -> ${sel.l2}`);
    s.l2 = sel.l2;
  }
  log(`training on ${d.X.length} clips, ${JSON.stringify(s)}`);
  const w = trainClassifier(d.X, d.y, labels, s, VOICE_FEATURE_VERSION);
  w.meta = { data: `RAVDESS speech, all 24 actors (1440 clips) + ${d.copies} augmented copies each`, features: "audio-analysis/features/voice.ts", settings: s, ...(selection ? { sixFoldUaByL2: selection } : {}) };
  const file = weightsPath("prosody", "classifier.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(w));
  log(`wrote ${relative(packageRoot, file)}`);
}
