/**
 * One-vs-rest L2-regularised logistic regression on sparse rows, all labels optimised jointly
 * (the objective is a sum of independent per-label problems, so the optimum is the same as
 * training 28 separate models). Weights are feature-major: w[j * L + k].
 * Objective per label k: 0.5 * |w_k|^2 + C * sum_i c_ik * logloss(z_ik, y_ik); the bias is not
 * regularised; c_ik = posWeight_k for positives, 1 otherwise.
 */
import { lbfgs } from "./lbfgs.js";
import { linearObjective } from "./objective.js";

export interface Csr {
  offsets: Int32Array; // n + 1
  idx: Int32Array;
  val: Float32Array;
  nFeatures: number;
}

export interface OvrOptions {
  C: number;
  posWeight: Float64Array; // per label
  maxIter: number;
  log?: (iter: number, f: number, gnorm: number, x: Float64Array) => void;
}

export function trainOvr(X: Csr, Y: Uint8Array, L: number, o: OvrOptions): { w: Float64Array; bias: Float64Array } {
  const nW = X.nFeatures * L;
  const objective = linearObjective(X, L, (r, z, loss) => {
    for (let k = 0; k < L; k++) {
      const zk = z[k]!, y = Y[r * L + k]!;
      const c = o.C * (y === 1 ? o.posWeight[k]! : 1);
      // log(1 + e^{-m}) with m = +-z, computed stably.
      const m = y === 1 ? zk : -zk;
      loss += c * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
      const pk = zk >= 0 ? 1 / (1 + Math.exp(-zk)) : Math.exp(zk) / (1 + Math.exp(zk));
      z[k] = c * (pk - y); // per-label gradient of this row
    }
    return loss;
  });
  const x = new Float64Array(nW + L);
  lbfgs(objective, x, { maxIter: o.maxIter, memory: 10, relTol: 1e-7, ...(o.log ? { log: o.log } : {}) });
  return { w: x.subarray(0, nW), bias: x.subarray(nW) };
}
