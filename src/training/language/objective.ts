/**
 * The part both linear heads share: 0.5 * |W|^2 (bias not regularised) plus a per-row loss on
 * the logits of sparse rows. Weights are feature-major (w[j * L + k]), bias after them. The
 * head supplies only its row loss; this keeps the two heads' sparse loops from drifting apart.
 */
import type { Csr } from "./ovr.js";

/**
 * `rowLoss(r, z, loss)` gets row r's logits in `z` and the running loss, returns the running
 * loss with the row's terms added (one by one, so the sum is the same to the last bit as a
 * single loop's), and must overwrite `z` with the gradient of the row's loss in the logits.
 */
export type RowLoss = (r: number, z: Float64Array, loss: number) => number;

export function linearObjective(X: Csr, L: number, rowLoss: RowLoss): (x: Float64Array, grad: Float64Array) => number {
  const n = X.offsets.length - 1;
  const nW = X.nFeatures * L;
  const z = new Float64Array(L);
  return (x, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < nW; i++) { loss += 0.5 * x[i]! * x[i]!; grad[i] = x[i]!; }
    for (let r = 0; r < n; r++) {
      const a = X.offsets[r]!, b = X.offsets[r + 1]!;
      for (let k = 0; k < L; k++) z[k] = x[nW + k]!;
      for (let p = a; p < b; p++) {
        const base = X.idx[p]! * L, v = X.val[p]!;
        for (let k = 0; k < L; k++) z[k] = z[k]! + v * x[base + k]!;
      }
      loss = rowLoss(r, z, loss);
      for (let p = a; p < b; p++) {
        const base = X.idx[p]! * L, v = X.val[p]!;
        for (let k = 0; k < L; k++) grad[base + k] = grad[base + k]! + v * z[k]!;
      }
      for (let k = 0; k < L; k++) grad[nW + k] = grad[nW + k]! + z[k]!;
    }
    return loss;
  };
}
