/**
 * Full-batch training of the small MLP (or, with hidden = 0, multinomial logistic regression)
 * with L-BFGS. Deterministic: a seeded PRNG for the initial weights and a fixed sample order, so
 * the same data and seed give the same weights. Objective: class-weighted mean cross-entropy +
 * 0.5 * l2 * |W|^2 (biases unpenalised). Class weights are inverse frequency, because the metric
 * is unweighted (per-class) recall.
 */
import { standardise, type ClassifierWeights, type Layer } from "../../audio-analysis/features/classifier.js";
import { lbfgs } from "../language/lbfgs.js";

export interface MlpSettings {
  hidden: number;
  l2: number;
  maxIter: number;
  seeds: number[];
}

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fitScaler(X: Float64Array[]): { mean: number[]; scale: number[] } {
  const d = X[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0), scale = new Array<number>(d).fill(0);
  for (const x of X) for (let i = 0; i < d; i++) mean[i]! += x[i]! / X.length;
  for (const x of X) for (let i = 0; i < d; i++) scale[i]! += (x[i]! - mean[i]!) ** 2 / X.length;
  return { mean, scale: scale.map((v) => (v > 1e-12 ? Math.sqrt(v) : 1)) };
}

function trainNet(Z: Float64Array[], y: number[], K: number, s: MlpSettings, seed: number): Layer[] {
  const d = Z[0]?.length ?? 0, H = s.hidden, n = Z.length;
  const counts = new Array<number>(K).fill(0);
  for (const c of y) counts[c]!++;
  const cw = counts.map((c) => (c > 0 ? n / (K * c) : 0));
  const shapes: [number, number][] = H > 0 ? [[H, d], [K, H]] : [[K, d]];
  const sizes = shapes.map(([o, i]) => o * i + o);
  const x = new Float64Array(sizes.reduce((a, b) => a + b, 0));
  const rand = prng(seed);
  let off = 0;
  for (const [o, i] of shapes) {
    const r = H > 0 ? Math.sqrt(6 / (o + i)) : 0; // Glorot for the MLP; zeros for plain LR
    for (let k = 0; k < o * i; k++) x[off + k] = (2 * rand() - 1) * r;
    off += o * i + o;
  }
  const h = new Float64Array(H), dh = new Float64Array(H), z = new Float64Array(K);
  const objective = (p: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let loss = 0, o2 = 0;
    for (const [o, i] of shapes) {
      for (let k = 0; k < o * i; k++) { loss += 0.5 * s.l2 * p[o2 + k]! ** 2; g[o2 + k] = s.l2 * p[o2 + k]!; }
      o2 += o * i + o;
    }
    const outOff = H > 0 ? H * d + H : 0, inDim = H > 0 ? H : d;
    for (let r = 0; r < n; r++) {
      const zr = Z[r]!;
      let inp: Float64Array = zr;
      if (H > 0) {
        for (let j = 0; j < H; j++) {
          let a = p[H * d + j]!;
          for (let i = 0; i < d; i++) a += p[j * d + i]! * zr[i]!;
          h[j] = Math.tanh(a);
        }
        inp = h;
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        let a = p[outOff + K * inDim + k]!;
        for (let i = 0; i < inDim; i++) a += p[outOff + k * inDim + i]! * inp[i]!;
        z[k] = a; if (a > max) max = a;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(z[k]! - max);
      const lse = max + Math.log(sum), wr = cw[y[r]!]! / n;
      loss -= wr * (z[y[r]!]! - lse);
      dh.fill(0);
      for (let k = 0; k < K; k++) {
        const gk = wr * (Math.exp(z[k]! - lse) - (k === y[r] ? 1 : 0));
        g[outOff + K * inDim + k] = g[outOff + K * inDim + k]! + gk;
        for (let i = 0; i < inDim; i++) {
          g[outOff + k * inDim + i] = g[outOff + k * inDim + i]! + gk * inp[i]!;
          if (H > 0) dh[i] = dh[i]! + gk * p[outOff + k * inDim + i]!;
        }
      }
      if (H > 0) {
        for (let j = 0; j < H; j++) {
          const ga = dh[j]! * (1 - h[j]! * h[j]!);
          g[H * d + j] = g[H * d + j]! + ga;
          for (let i = 0; i < d; i++) g[j * d + i] = g[j * d + i]! + ga * zr[i]!;
        }
      }
    }
    return loss;
  };
  lbfgs(objective, x, { maxIter: s.maxIter, memory: 10, relTol: 1e-9 });
  const layers: Layer[] = [];
  off = 0;
  for (const [o, i] of shapes) {
    layers.push({ in: i, out: o, w: Array.from(x.subarray(off, off + o * i)), b: Array.from(x.subarray(off + o * i, off + o * i + o)) });
    off += o * i + o;
  }
  return layers;
}

export function trainClassifier(
  X: Float64Array[], y: number[], labels: string[], s: MlpSettings, featureVersion: number,
): ClassifierWeights {
  const { mean, scale } = fitScaler(X);
  const Z = X.map((x) => standardise({ mean, scale }, x));
  const nets = s.seeds.map((seed) => trainNet(Z, y, labels.length, s, seed));
  return { featureVersion, labels, mean, scale, nets };
}
