/** Multi-label metrics and dev-set threshold tuning, shared by training and eval. */

export interface Prf {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

function prf(tp: number, fp: number, fn: number): Prf {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, support: tp + fn };
}

/** `pred` and `gold` are row-major n x L 0/1 matrices. */
export function multilabelReport(pred: Uint8Array, gold: Uint8Array, L: number) {
  const n = gold.length / L;
  const tp = new Float64Array(L), fp = new Float64Array(L), fn = new Float64Array(L);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < L; k++) {
      const p = pred[i * L + k] === 1, g = gold[i * L + k] === 1;
      if (p && g) tp[k]!++;
      else if (p) fp[k]!++;
      else if (g) fn[k]!++;
    }
  }
  const perLabel: Prf[] = [];
  let sTp = 0, sFp = 0, sFn = 0;
  for (let k = 0; k < L; k++) {
    perLabel.push(prf(tp[k]!, fp[k]!, fn[k]!));
    sTp += tp[k]!; sFp += fp[k]!; sFn += fn[k]!;
  }
  const macroF1 = perLabel.reduce((a, r) => a + r.f1, 0) / L;
  return { macroF1, micro: prf(sTp, sFp, sFn), perLabel };
}

export function applyThresholds(probs: Float32Array, thresholds: ArrayLike<number>, L: number): Uint8Array {
  const out = new Uint8Array(probs.length);
  for (let i = 0; i < probs.length; i++) out[i] = (probs[i] ?? 0) >= (thresholds[i % L] ?? 1) ? 1 : 0;
  return out;
}

/**
 * Per-label threshold maximising that label's F1 on the given (dev) split, searched on a fixed
 * grid 0.02..0.98 so the choice is stable and does not lock onto single dev examples.
 */
export function tuneThresholds(probs: Float32Array, gold: Uint8Array, L: number): Float32Array {
  const n = gold.length / L;
  const th = new Float32Array(L);
  for (let k = 0; k < L; k++) {
    let best = -1, bestT = 0.5;
    for (let t = 0.02; t < 0.985; t += 0.01) {
      let tp = 0, fp = 0, fn = 0;
      for (let i = 0; i < n; i++) {
        const p = (probs[i * L + k] ?? 0) >= t, g = gold[i * L + k] === 1;
        if (p && g) tp++;
        else if (p) fp++;
        else if (g) fn++;
      }
      const f1 = tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0;
      if (f1 > best + 1e-12) { best = f1; bestT = t; }
    }
    th[k] = Math.round(bestT * 100) / 100;
  }
  return th;
}

/** Maps fine 0/1 rows to coarse 0/1 rows: a coarse class is on if any of its fine labels is. */
export function coarsen(fine: Uint8Array, L: number, fineToCoarse: readonly number[], C: number): Uint8Array {
  const n = fine.length / L;
  const out = new Uint8Array(n * C);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < L; k++) if (fine[i * L + k] === 1) out[i * C + (fineToCoarse[k] ?? 0)] = 1;
  }
  return out;
}

export function oneHot(rows: readonly (readonly number[])[], L: number): Uint8Array {
  const out = new Uint8Array(rows.length * L);
  rows.forEach((r, i) => r.forEach((k) => (out[i * L + k] = 1)));
  return out;
}
