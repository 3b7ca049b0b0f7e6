/**
 * Multinomial (softmax) logistic regression over the 28 labels, the second head of the ensemble.
 * GoEmotions is mostly single-label, so a model in which labels compete for probability mass
 * ranks differently from the one-vs-rest head; averaging the two helps. Multi-label rows use a
 * soft target spread evenly over their gold labels. Objective: 0.5*|W|^2 + C * sum_i CE_i.
 */
import { lbfgs } from "./lbfgs.js";
import { linearObjective } from "./objective.js";
import type { Csr } from "./ovr.js";

export function trainSoftmax(
  X: Csr, Y: Uint8Array, L: number, C: number, maxIter: number,
  log?: (iter: number, f: number, gnorm: number, x: Float64Array) => void,
): { w: Float64Array; bias: Float64Array } {
  const nW = X.nFeatures * L;
  const objective = linearObjective(X, L, (r, z, loss) => {
    let max = -Infinity, nPos = 0;
    for (let k = 0; k < L; k++) { if (z[k]! > max) max = z[k]!; nPos += Y[r * L + k]!; }
    let sum = 0;
    for (let k = 0; k < L; k++) sum += Math.exp(z[k]! - max);
    const lse = max + Math.log(sum);
    for (let k = 0; k < L; k++) {
      const t = Y[r * L + k]! / nPos;
      loss -= C * t * (z[k]! - lse);
      z[k] = C * (Math.exp(z[k]! - lse) - t); // per-label gradient of this row
    }
    return loss;
  });
  const x = new Float64Array(nW + L);
  lbfgs(objective, x, { maxIter, memory: 10, relTol: 1e-7, ...(log ? { log } : {}) });
  return { w: x.subarray(0, nW), bias: x.subarray(nW) };
}
