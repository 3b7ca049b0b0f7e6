/**
 * The shipped linear head: int8 weights, feature-major ([feature][label]) so one sparse
 * feature touches one contiguous run of `nLabels` bytes, with a float scale per label.
 * Training evaluates dev through these same functions after quantisation, so the tuned
 * thresholds and calibration belong to exactly the weights that ship.
 */
import type { SparseVector } from "./features.js";

export interface QuantizedLinear {
  readonly nLabels: number;
  readonly weights: Int8Array; // nFeatures * nLabels
  readonly scales: Float32Array; // per label: real weight = int8 * scale
  readonly bias: Float32Array; // per label
}

/** Symmetric per-label int8 quantisation of a feature-major float matrix. */
export function quantize(w: Float64Array, bias: ArrayLike<number>, nLabels: number): QuantizedLinear {
  const nFeatures = w.length / nLabels;
  const maxAbs = new Float64Array(nLabels);
  for (let j = 0; j < nFeatures; j++) {
    for (let k = 0; k < nLabels; k++) {
      const a = Math.abs(w[j * nLabels + k] ?? 0);
      if (a > (maxAbs[k] ?? 0)) maxAbs[k] = a;
    }
  }
  const scales = new Float32Array(nLabels);
  for (let k = 0; k < nLabels; k++) scales[k] = (maxAbs[k] ?? 0) > 0 ? (maxAbs[k] ?? 0) / 127 : 1;
  const weights = new Int8Array(w.length);
  for (let j = 0; j < nFeatures; j++) {
    for (let k = 0; k < nLabels; k++) {
      const q = Math.round((w[j * nLabels + k] ?? 0) / (scales[k] ?? 1));
      weights[j * nLabels + k] = Math.max(-127, Math.min(127, q));
    }
  }
  return { nLabels, weights, scales, bias: Float32Array.from(bias) };
}

/** Raw (uncalibrated) logits of one feature vector; writes into `out` and returns it. */
export function linearLogits(head: QuantizedLinear, x: SparseVector, out: Float64Array): Float64Array {
  const L = head.nLabels;
  const w = head.weights;
  out.fill(0);
  for (let p = 0; p < x.idx.length; p++) {
    const base = (x.idx[p] ?? 0) * L;
    const v = x.val[p] ?? 0;
    for (let k = 0; k < L; k++) out[k] = (out[k] ?? 0) + v * (w[base + k] ?? 0);
  }
  for (let k = 0; k < L; k++) out[k] = (out[k] ?? 0) * (head.scales[k] ?? 0) + (head.bias[k] ?? 0);
  return out;
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
