/**
 * Per-speaker normalisation of the prosody features, evaluated (the served model does not do it):
 * six speaker-independent RAVDESS folds, nested choice of the hyper-parameters inside each outer
 * fold (leave-one-fold-out over its five training folds), as `--nested` does for the L2 strength.
 *
 * - baseline: the shipped features, L2 chosen nested (the `--nested` protocol).
 * - offline: each actor's mean vector over all of that actor's clean clips is subtracted from
 *   that actor's rows, training and test actors alike (an upper bound: a server never has a
 *   speaker's whole recording before scoring it). Augmented copies get their actor's clean mean.
 * - online: what a stream could do. Each actor's clips are put in a random (seeded) order; a clip
 *   at position n + 1 has the features of the n clips before it subtracted, as a mean shrunk
 *   towards the training clips' global mean: ref = (sum of history + k * global) / (n + k).
 *   Training actors get the same scheme (copy j of a clip takes another order of its actor).
 *   The shrinkage k is chosen nested together with L2. UA is also reported by the test clip's
 *   position in its stream.
 * - skewed: the online models, but the history each held-out clip sees is drawn (with
 *   replacement, from the same actor's other clips) so that about SKEW_CALM of it is neutral or
 *   calm: a user who is mostly calm.
 *   npm run eval -- prosody --speaker [--copies N] [--k-grid 1,3,10,30] [--l2-grid 0.003,0.01,0.03,0.1]
 *                                     [--modes baseline,offline,online] [--seed 1] [--max-iter N]
 */
import { parseArgs } from "node:util";
import { predictProba } from "../audio-analysis/features/index.js";
import { VOICE_FEATURE_VERSION } from "../audio-analysis/features/voice.js";
import { argmax, unweightedRecall } from "../training/prosody/cv.js";
import { readManifest } from "../training/prosody/data.js";
import { RAVDESS_EMOTIONS } from "../training/prosody/dataset.js";
import { prng, trainClassifier, type MlpSettings } from "../training/prosody/mlp.js";
import { L2_GRID, nestedCrossValidate } from "../training/prosody/select.js";
import { loadProsodySet, log, PROSODY_COPIES, PROSODY_SETTINGS } from "../training/prosody/train.js";
import { printReport, writeEval } from "./prosody.js";

export const K_GRID = [1, 3, 10, 30] as const;
/** Share of neutral or calm clips in a skewed history. */
export const SKEW_CALM = 0.6;
/** Stream positions (1-based, inclusive) the online UA is broken down by. */
export const POSITION_BUCKETS: [number, number][] = [[1, 5], [6, 20], [21, 60]];

/**
 * The reference an online normaliser subtracts from a clip after n earlier clips of the same
 * stream whose features sum to `historySum`: their mean shrunk towards `globalMean` with weight
 * k, i.e. mean * n / (n + k) + global * k / (n + k); the global mean alone when n = 0.
 */
export function shrunkReference(historySum: ArrayLike<number>, n: number, globalMean: ArrayLike<number>, k: number): Float64Array {
  const ref = new Float64Array(globalMean.length);
  for (let i = 0; i < ref.length; i++) ref[i] = (historySum[i]! + k * globalMean[i]!) / (n + k);
  return ref;
}

/** A seeded Fisher-Yates shuffle. */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs], rand = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function sub(a: Float64Array, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

function meanOf(rows: Float64Array[]): Float64Array {
  const m = new Float64Array(rows[0]?.length ?? 0);
  for (const x of rows) for (let i = 0; i < m.length; i++) m[i] = m[i]! + x[i]! / rows.length;
  return m;
}

/** A clip's stream history: how many clips came before it and the sum of their features. */
interface History { n: number; sum: Float64Array }

const emptyConf = (K: number) => Array.from({ length: K }, () => new Array<number>(K).fill(0));

export async function evalProsodySpeaker(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== "--speaker"),
    options: {
      copies: { type: "string" }, "k-grid": { type: "string" }, "l2-grid": { type: "string" },
      modes: { type: "string" }, seed: { type: "string" }, "max-iter": { type: "string" },
    },
  });
  const copies = values.copies !== undefined ? Number(values.copies) : PROSODY_COPIES;
  const kGrid = values["k-grid"] ? values["k-grid"].split(",").map(Number) : [...K_GRID];
  const l2Grid = values["l2-grid"] ? values["l2-grid"].split(",").map(Number) : [...L2_GRID];
  const modes = new Set((values.modes ?? "baseline,offline,online").split(","));
  const seed = values.seed !== undefined ? Number(values.seed) : 1;
  const base: MlpSettings = { ...PROSODY_SETTINGS, ...(values["max-iter"] !== undefined ? { maxIter: Number(values["max-iter"]) } : {}) };
  const t0 = performance.now();

  const d = await loadProsodySet(log, copies);
  const labels = [...RAVDESS_EMOTIONS];
  const K = labels.length;
  const manifest = readManifest("ravdess");
  // Row -> its clean clip (a copy j of clip i is row clips + i * copies + j) and that clip's actor.
  const clipOf = d.X.map((_, r) => (r < d.clips ? r : Math.floor((r - d.clips) / d.copies)));
  const copyOf = d.X.map((_, r) => (r < d.clips ? -1 : (r - d.clips) % d.copies));
  const actorOf = clipOf.map((c) => Number(manifest[c]!.actor));
  const actors = [...new Set(actorOf)].sort((a, b) => a - b);
  const clipsOfActor = new Map(actors.map((a) => [a, d.X.slice(0, d.clips).map((_, c) => c).filter((c) => actorOf[c] === a)]));
  const folds = [...new Set(d.fold.filter((g) => g > 0))].sort((a, b) => a - b);
  const dim = d.X[0]!.length;
  const rows = d.X.map((_, r) => r);
  const cleanOf = (fs: number[]) => rows.filter((r) => r < d.clips && fs.includes(d.fold[r]!));
  const trainOf = (fs: number[]) => rows.filter((r) => fs.includes(Math.abs(d.fold[r]!)));
  const result: Record<string, unknown> = {};
  const summary: Record<string, number> = {};
  const recallOf = (conf: number[][]) => {
    const { ua, recall } = unweightedRecall(conf);
    return { ua, recall: Object.fromEntries(labels.map((l, k) => [l, recall[k]!])) };
  };
  // Written after every mode, so a long run keeps what it has finished.
  const write = () => writeEval("prosody-speaker", {
    dataset: "RAVDESS speech (EmoBox 6 folds)", augmentedCopies: d.copies, settings: base, featureVersion: VOICE_FEATURE_VERSION,
    protocol: "nested: L2 (and for online the shrinkage k) chosen per outer fold by inner leave-one-fold-out",
    l2Grid, kGrid, seed, labels, summary, ...result, seconds: (performance.now() - t0) / 1000,
  });

  /** Nested L2 choice on one version of the features, printed, recorded under `mode` and written. */
  const nestedOn = (mode: "baseline" | "offline", X: Float64Array[], metric: string) => {
    const r = nestedCrossValidate(X, d.y, d.fold, labels, base, VOICE_FEATURE_VERSION, log, l2Grid);
    const rec = recallOf(r.confusion);
    printReport({ ...r, recall: rec.recall }, labels, metric);
    result[mode] = { ...r, recall: rec.recall };
    summary[mode] = r.meanUa;
    write();
  };

  if (modes.has("baseline")) {
    log("baseline: shipped features, L2 chosen nested");
    nestedOn("baseline", d.X, "baseline nested UA");
  }

  if (modes.has("offline")) {
    log("offline: each actor's mean over all of its clean clips subtracted (upper bound)");
    const actorMean = new Map(actors.map((a) => [a, meanOf(clipsOfActor.get(a)!.map((c) => d.X[c]!))]));
    const X = d.X.map((x, r) => sub(x, actorMean.get(actorOf[r]!)!));
    nestedOn("offline", X, "offline per-actor nested UA");
  }

  if (modes.has("online")) {
    // Orders: order 0 of each actor for its clean clips (train or test), order j + 1 for copy j.
    const orders = 1 + d.copies;
    const history: History[][] = Array.from({ length: orders }, () => new Array<History>(d.clips));
    const position = new Array<number>(d.clips);
    for (const a of actors) {
      for (let o = 0; o < orders; o++) {
        const order = shuffled(clipsOfActor.get(a)!, seed * 100_003 + a * 101 + o);
        const sum = new Float64Array(dim);
        order.forEach((c, n) => {
          history[o]![c] = { n, sum: Float64Array.from(sum) };
          if (o === 0) position[c] = n + 1;
          for (let i = 0; i < dim; i++) sum[i] = sum[i]! + d.X[c]![i]!;
        });
      }
    }
    // Skewed histories of the held-out clips: as many earlier clips as in order 0, drawn with
    // replacement from the actor's other clips, a share SKEW_CALM of them neutral or calm.
    const calm = new Set([labels.indexOf("neutral"), labels.indexOf("calm")]);
    const skewed: History[] = new Array<History>(d.clips);
    for (let c = 0; c < d.clips; c++) {
      const others = clipsOfActor.get(actorOf[c]!)!.filter((o) => o !== c);
      const pools = [others.filter((o) => calm.has(d.y[o]!)), others.filter((o) => !calm.has(d.y[o]!))];
      const rand = prng(seed * 7919 + c + 1);
      const n = history[0]![c]!.n, sum = new Float64Array(dim);
      for (let h = 0; h < n; h++) {
        const pool = rand() < SKEW_CALM ? pools[0]! : pools[1]!;
        const o = pool[Math.floor(rand() * pool.length)]!;
        for (let i = 0; i < dim; i++) sum[i] = sum[i]! + d.X[o]![i]!;
      }
      skewed[c] = { n, sum };
    }
    const rowHistory = (r: number) => history[copyOf[r]! + 1]![clipOf[r]!]!;
    const normalised = (r: number, h: History, g: Float64Array, k: number) => sub(d.X[r]!, shrunkReference(h.sum, h.n, g, k));

    /** Trains on `trainFolds` (copies included) with online-normalised rows, predicts `test`. */
    const split = (trainFolds: number[], test: number[], k: number, l2: number, testHistories: History[][]) => {
      const tr = trainOf(trainFolds);
      const g = meanOf(cleanOf(trainFolds).map((r) => d.X[r]!));
      const w = trainClassifier(tr.map((r) => normalised(r, rowHistory(r), g, k)), tr.map((r) => d.y[r]!), labels, { ...base, l2 }, VOICE_FEATURE_VERSION);
      return testHistories.map((hs) => test.map((r) => argmax(predictProba(w, normalised(r, hs[r]!, g, k)))));
    };

    const combos = kGrid.flatMap((k) => l2Grid.map((l2) => ({ k, l2 })));
    const tally = () => ({ folds: [] as { fold: number; k: number; l2: number; ua: number }[], confusion: emptyConf(K), byPosition: POSITION_BUCKETS.map(() => emptyConf(K)) });
    const out = { online: tally(), skewed: tally() };
    const innerTable: Record<number, Record<string, number>> = {};
    for (const f of folds) {
      const inner = folds.filter((g) => g !== f);
      const uas = combos.map(({ k, l2 }) => {
        let s = 0;
        for (const h of inner) {
          const te = cleanOf([h]);
          const [pred] = split(inner.filter((g) => g !== h), te, k, l2, [history[0]!]);
          const conf = emptyConf(K);
          te.forEach((r, j) => conf[d.y[r]!]![pred![j]!]!++);
          s += unweightedRecall(conf).ua / inner.length;
        }
        return s;
      });
      const { k, l2 } = combos[argmax(uas)]!;
      innerTable[f] = Object.fromEntries(combos.map((c, j) => [`k=${c.k} l2=${c.l2}`, uas[j]!]));
      const te = cleanOf([f]);
      const preds = split(inner, te, k, l2, [history[0]!, skewed]);
      for (const [m, name] of (["online", "skewed"] as const).entries()) {
        const conf = emptyConf(K);
        te.forEach((r, j) => {
          const p = preds[m]![j]!;
          conf[d.y[r]!]![p]!++;
          out[name].confusion[d.y[r]!]![p]!++;
          const b = POSITION_BUCKETS.findIndex(([lo, hi]) => position[r]! >= lo && position[r]! <= hi);
          if (b >= 0) out[name].byPosition[b]![d.y[r]!]![p]!++;
        });
        out[name].folds.push({ fold: f, k, l2, ua: unweightedRecall(conf).ua });
      }
      const ua = (m: "online" | "skewed") => (100 * out[m].folds[out[m].folds.length - 1]!.ua).toFixed(1);
      log(`outer fold ${f}: inner UA by (k, L2) ${combos.map((c, j) => `${c.k}/${c.l2}=${(100 * uas[j]!).toFixed(1)}%`).join(" ")} -> k ${k}, L2 ${l2}; test UA online ${ua("online")}%, skewed ${ua("skewed")}%`);
    }
    for (const name of ["online", "skewed"] as const) {
      const o = out[name];
      const meanUa = o.folds.reduce((a, r) => a + r.ua, 0) / o.folds.length;
      const rec = recallOf(o.confusion);
      printReport({ folds: o.folds, meanUa, confusion: o.confusion, recall: rec.recall }, labels, `${name} nested UA`);
      const byPosition = Object.fromEntries(POSITION_BUCKETS.map(([lo, hi], b) => [`${lo}-${hi}`, unweightedRecall(o.byPosition[b]!).ua]));
      console.log(`${name} pooled UA by stream position: ${Object.entries(byPosition).map(([p, u]) => `${p}: ${(100 * u).toFixed(1)}%`).join("  ")}`);
      result[name] = { folds: o.folds, meanUa, recall: rec.recall, confusion: o.confusion, uaByPosition: byPosition, ...(name === "online" ? { innerUaByKL2: innerTable } : { calmShare: SKEW_CALM }) };
      summary[name] = meanUa;
    }
  }

  if (result.baseline && result.online) {
    const b = (result.baseline as { recall: Record<string, number> }).recall, o = (result.online as { recall: Record<string, number> }).recall;
    console.log("recall per class, baseline -> online:");
    for (const l of labels) console.log(`  ${l.padEnd(18)} ${(100 * b[l]!).toFixed(1).padStart(5)}% -> ${(100 * o[l]!).toFixed(1).padStart(5)}%`);
  }
  console.log(`summary (nested mean UA): ${Object.entries(summary).map(([m, u]) => `${m} ${(100 * u).toFixed(1)}%`).join("  ")}`);
  write();
}
