/** Accuracy, macro-F1 and a confusion matrix for single-label classification. */
export interface Metrics {
  accuracy: number;
  macroF1: number;
  perClassF1: number[];
  /** confusion[truth][pred] */
  confusion: number[][];
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if ((v[i] ?? -Infinity) > (v[best] ?? -Infinity)) best = i;
  return best;
}

export function metrics(truth: readonly number[], pred: readonly number[], classes: number): Metrics {
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  truth.forEach((t, i) => {
    const p = pred[i] ?? 0;
    const row = confusion[t];
    if (row) row[p] = (row[p] ?? 0) + 1;
    if (t === p) correct++;
  });
  const perClassF1 = confusion.map((row, c) => {
    const tp = row[c] ?? 0;
    const fn = row.reduce((s, x) => s + x, 0) - tp;
    const fp = confusion.reduce((s, r) => s + (r[c] ?? 0), 0) - tp;
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  });
  return {
    accuracy: truth.length ? correct / truth.length : 0,
    macroF1: perClassF1.reduce((s, x) => s + x, 0) / classes,
    perClassF1,
    confusion,
  };
}
