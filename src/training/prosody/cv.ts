/** Grouped cross-validation and the metrics reported for both audio models. */
import { predictProba } from "../../audio-analysis/features/classifier.js";
import { trainClassifier, type MlpSettings } from "./mlp.js";

export interface FoldResult {
  fold: number;
  n: number;
  ua: number;
  accuracy: number;
}

export interface CvReport {
  folds: FoldResult[];
  meanUa: number;
  /** Recall per class over all folds' test predictions pooled. */
  recall: Record<string, number>;
  /** confusion[true][pred], counts pooled over folds. */
  confusion: number[][];
  /** Out-of-fold probabilities, row per example (for threshold tuning). */
  oof: Float64Array[];
}

export function unweightedRecall(conf: number[][]): { ua: number; recall: number[] } {
  const recall = conf.map((row, k) => {
    const tot = row.reduce((a, b) => a + b, 0);
    return tot ? row[k]! / tot : Number.NaN;
  });
  const present = recall.filter((r) => !Number.isNaN(r));
  return { ua: present.reduce((a, b) => a + b, 0) / present.length, recall };
}

export function argmax(p: ArrayLike<number>, upTo = p.length): number {
  let best = 0;
  for (let k = 1; k < upTo; k++) if (p[k]! > p[best]!) best = k;
  return best;
}

/**
 * Trains on all folds but one and tests on it, for each fold in `folds` (values of `fold`).
 * Rows with fold -k are training-only (e.g. augmented copies of fold k): left out when fold k is
 * tested, never tested themselves. `scoreClasses`
 * limits the argmax and the metric to the first classes (extra "none" classes are ignored).
 */
export function crossValidate(
  X: Float64Array[], y: number[], fold: number[], labels: string[], s: MlpSettings, featureVersion: number,
  log: (...a: unknown[]) => void, scoreClasses = labels.length,
): CvReport {
  const K = scoreClasses;
  const total = labels.map(() => labels.map(() => 0)).slice(0, K).map((r) => r.slice(0, K));
  const folds = [...new Set(fold.filter((f) => f > 0))].sort((a, b) => a - b);
  const oof: Float64Array[] = X.map(() => new Float64Array(labels.length));
  const results: FoldResult[] = [];
  for (const f of folds) {
    const tr = X.map((_, i) => i).filter((i) => fold[i] !== f && fold[i] !== -f);
    const te = X.map((_, i) => i).filter((i) => fold[i] === f);
    const w = trainClassifier(tr.map((i) => X[i]!), tr.map((i) => y[i]!), labels, s, featureVersion);
    const conf = total.map((r) => r.map(() => 0));
    let correct = 0;
    for (const i of te) {
      const p = predictProba(w, X[i]!);
      oof[i] = p;
      if (y[i]! >= K) continue; // a "none" row: only the caller's rejection metrics use it
      const k = argmax(p, K);
      conf[y[i]!]![k]!++;
      total[y[i]!]![k]!++;
      if (k === y[i]) correct++;
    }
    const { ua } = unweightedRecall(conf);
    const nScored = te.filter((i) => y[i]! < K).length;
    results.push({ fold: f, n: nScored, ua, accuracy: correct / nScored });
    log(`fold ${f}: UA ${(100 * ua).toFixed(1)}%  acc ${((100 * correct) / nScored).toFixed(1)}%  (n=${nScored})`);
  }
  const { recall } = unweightedRecall(total);
  return {
    folds: results,
    meanUa: results.reduce((a, r) => a + r.ua, 0) / results.length,
    recall: Object.fromEntries(labels.slice(0, K).map((l, k) => [l, recall[k]!])),
    confusion: total,
    oof,
  };
}
