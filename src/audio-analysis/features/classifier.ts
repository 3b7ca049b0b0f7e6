/**
 * The classifier both audio models ship: z-scored segment statistics into an average of small
 * tanh MLPs (an ensemble over seeds; zero hidden units = multinomial logistic regression).
 * Weights are plain JSON numbers so training, evaluation and serving share one forward pass.
 */
import { readFileSync } from "node:fs";

export interface Layer {
  in: number;
  out: number;
  /** out x in, row-major. */
  w: number[];
  b: number[];
}

export interface ClassifierWeights {
  featureVersion: number;
  labels: string[];
  mean: number[];
  scale: number[];
  /** Each net is a list of layers; hidden layers use tanh, the last is softmax. */
  nets: Layer[][];
  /** Free-form training provenance (settings, data) recorded by the trainer. */
  meta?: Record<string, unknown>;
}

export function standardise(w: Pick<ClassifierWeights, "mean" | "scale">, x: ArrayLike<number>): Float64Array {
  const z = new Float64Array(w.mean.length);
  for (let i = 0; i < z.length; i++) z[i] = ((x[i] ?? 0) - w.mean[i]!) / w.scale[i]!;
  return z;
}

/** Logits of one net for a standardised input. */
export function netLogits(net: Layer[], z: Float64Array): Float64Array {
  let h = z;
  net.forEach((L, li) => {
    const o = new Float64Array(L.out);
    for (let j = 0; j < L.out; j++) {
      let s = L.b[j]!;
      const row = j * L.in;
      for (let i = 0; i < L.in; i++) s += L.w[row + i]! * h[i]!;
      o[j] = li < net.length - 1 ? Math.tanh(s) : s;
    }
    h = o;
  });
  return h;
}

export function softmaxInPlace(v: Float64Array): Float64Array {
  let max = -Infinity, sum = 0;
  for (const x of v) max = Math.max(max, x);
  for (let i = 0; i < v.length; i++) { v[i] = Math.exp(v[i]! - max); sum += v[i]!; }
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / sum;
  return v;
}

/** Class probabilities: the mean of the nets' softmax outputs. */
export function predictProba(w: ClassifierWeights, x: ArrayLike<number>): Float64Array {
  const z = standardise(w, x);
  const p = new Float64Array(w.labels.length);
  for (const net of w.nets) {
    const q = softmaxInPlace(netLogits(net, z));
    for (let k = 0; k < p.length; k++) p[k] = p[k]! + q[k]! / w.nets.length;
  }
  return p;
}

export function loadClassifier(file: string, expectedFeatureVersion: number): ClassifierWeights {
  const w = JSON.parse(readFileSync(file, "utf8")) as ClassifierWeights;
  if (w.featureVersion !== expectedFeatureVersion) {
    throw new Error(`${file}: trained on feature version ${w.featureVersion}, runtime has ${expectedFeatureVersion}; retrain`);
  }
  return w;
}
