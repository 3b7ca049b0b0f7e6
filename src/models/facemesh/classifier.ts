/**
 * The facemesh expression classifier: standardised mesh features -> one hidden ReLU layer ->
 * softmax over the 7 FER2013 classes. Weights are Float32 little-endian in weights/facemesh/,
 * described by meta.json (written by `npm run train -- facemesh`).
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { weightsPath } from "../../package-paths.js";

export const FacemeshMeta = z.object({
  format: z.literal("open-expression/facemesh-mlp-v1"),
  labels: z.array(z.string()),
  inputs: z.number().int(),
  hidden: z.number().int(),
  mean: z.array(z.number()),
  std: z.array(z.number()),
  weightsFile: z.string(),
  training: z.record(z.string(), z.unknown()).optional(),
});
export type FacemeshMeta = z.infer<typeof FacemeshMeta>;

/** Parameters of the MLP; layout of the weights file is W1, b1, W2, b2 (row-major, out x in). */
export interface Mlp {
  inputs: number;
  hidden: number;
  outputs: number;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

export function mlpSize(inputs: number, hidden: number, outputs: number): number {
  return hidden * inputs + hidden + outputs * hidden + outputs;
}

export function mlpFromFlat(flat: Float32Array, inputs: number, hidden: number, outputs: number): Mlp {
  let o = 0;
  const take = (n: number) => flat.subarray(o, (o += n));
  return { inputs, hidden, outputs, w1: take(hidden * inputs), b1: take(hidden), w2: take(outputs * hidden), b2: take(outputs) };
}

/** Forward pass; fills `h` (hidden activations) when given, for training. */
export function mlpForward(m: Mlp, x: Float32Array, h = new Float32Array(m.hidden)): Float32Array {
  for (let j = 0; j < m.hidden; j++) {
    let s = m.b1[j] ?? 0;
    const row = j * m.inputs;
    for (let i = 0; i < m.inputs; i++) s += (m.w1[row + i] ?? 0) * (x[i] ?? 0);
    h[j] = s > 0 ? s : 0;
  }
  const out = new Float32Array(m.outputs);
  let max = -Infinity;
  for (let k = 0; k < m.outputs; k++) {
    let s = m.b2[k] ?? 0;
    const row = k * m.hidden;
    for (let j = 0; j < m.hidden; j++) s += (m.w2[row + j] ?? 0) * (h[j] ?? 0);
    out[k] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let k = 0; k < m.outputs; k++) sum += out[k] = Math.exp((out[k] ?? 0) - max);
  for (let k = 0; k < m.outputs; k++) out[k] = (out[k] ?? 0) / sum;
  return out;
}

export interface FacemeshClassifier {
  labels: readonly string[];
  /** Class probabilities for raw (unstandardised) features. */
  probs(features: Float32Array): Float32Array;
}

export async function loadFacemeshClassifier(): Promise<FacemeshClassifier> {
  const meta = FacemeshMeta.parse(JSON.parse(await readFile(weightsPath("facemesh", "meta.json"), "utf8")));
  const buf = await readFile(weightsPath("facemesh", meta.weightsFile));
  const flat = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const outputs = meta.labels.length;
  if (flat.length !== mlpSize(meta.inputs, meta.hidden, outputs)) throw new Error("facemesh weights do not match meta.json");
  const mlp = mlpFromFlat(flat, meta.inputs, meta.hidden, outputs);
  return {
    labels: meta.labels,
    probs(features) {
      const x = Float32Array.from(features, (v, i) => (v - (meta.mean[i] ?? 0)) / (meta.std[i] || 1));
      return mlpForward(mlp, x);
    },
  };
}
