/**
 * Honest choice of the L2 strength: leave-one-fold-out over the folds of the data it is given
 * (speaker-independent, since folds never share an actor), so that when it runs inside an outer
 * fold's training set the outer test actors never influence the choice (nested cross-validation).
 */
import { crossValidate } from "./cv.js";
import type { MlpSettings } from "./mlp.js";

/** The L2 values tried; the shipped value is whichever wins on all six folds. */
export const L2_GRID = [0.003, 0.01, 0.03, 0.1] as const;

export interface Selection {
  l2: number;
  /** Mean UA of each grid value, in grid order. */
  uas: number[];
}

export function selectL2(
  X: Float64Array[], y: number[], fold: number[], labels: string[], base: MlpSettings, featureVersion: number,
  grid: readonly number[] = L2_GRID,
): Selection {
  const uas = grid.map((l2) => crossValidate(X, y, fold, labels, { ...base, l2 }, featureVersion, () => {}).meanUa);
  let best = 0;
  for (let k = 1; k < grid.length; k++) if (uas[k]! > uas[best]!) best = k;
  return { l2: grid[best]!, uas };
}

/**
 * Nested cross-validation: for each outer fold, the L2 strength is chosen by `selectL2` on the
 * other folds alone, then a model with it is trained on them and tested on the outer fold.
 * Returns the per-fold UA, the choice per fold and the out-of-fold confusion (rows true).
 */
export function nestedCrossValidate(
  X: Float64Array[], y: number[], fold: number[], labels: string[], base: MlpSettings, featureVersion: number,
  log: (...a: unknown[]) => void, grid: readonly number[] = L2_GRID,
): { folds: { fold: number; l2: number; ua: number }[]; meanUa: number; confusion: number[][] } {
  // Rows with a negative fold are training-only copies (augmented.ts): never an outer test fold.
  const outer = [...new Set(fold.filter((g) => g > 0))].sort((a, b) => a - b);
  const confusion = labels.map(() => labels.map(() => 0));
  const folds: { fold: number; l2: number; ua: number }[] = [];
  for (const f of outer) {
    // The outer fold's clips and their copies are out of the inner selection entirely.
    const inner = X.map((_, i) => i).filter((i) => Math.abs(fold[i]!) !== f);
    const sel = selectL2(inner.map((i) => X[i]!), inner.map((i) => y[i]!), inner.map((i) => fold[i]!), labels, base, featureVersion, grid);
    // Train on every fold but f with the chosen value and test on f: one more CV pass would
    // retrain the other folds too, so mark them all as training-only (-1000) except f itself;
    // f's own copies (-f) stay -f, which crossValidate leaves out when f is tested.
    const r = crossValidate(X, y, fold.map((g) => (g === f || g === -f ? g : -1000)), labels, { ...base, l2: sel.l2 }, featureVersion, () => {});
    const res = r.folds[0]!;
    r.confusion.forEach((row, t) => row.forEach((c, p) => { confusion[t]![p]! += c; }));
    folds.push({ fold: f, l2: sel.l2, ua: res.ua });
    log(`outer fold ${f}: inner UA by L2 ${sel.uas.map((u, k) => `${grid[k]}=${(100 * u).toFixed(1)}%`).join(" ")} -> L2 ${sel.l2}, test UA ${(100 * res.ua).toFixed(1)}%`);
  }
  return { folds, meanUa: folds.reduce((a, r) => a + r.ua, 0) / folds.length, confusion };
}
