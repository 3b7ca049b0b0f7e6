/**
 * The encoder head of language v2 (trained by src/training/language/train_head.py): a one-hidden-
 * layer MLP over the 512-d sentence embedding with three output blocks (28 emotion logits, 9
 * sentiment-level logits, 2 toxicity logits). Per label, the head's emotion logit and the TF-IDF
 * classifier's logit are weighed and calibrated together, p = sigmoid(a z_head + c z_tfidf + b),
 * a 3-parameter logistic regression fitted on GoEmotions dev. Files: weights/language/head.json (+ head.f32, float32 little-endian,
 * row-major [in][out]: W1, b1, W2, b2); sha256-checked at load.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { outputName } from "./labels.js";
import { sigmoid } from "./linear.js";

const num = z.number();
const range = z.tuple([z.number().int(), z.number().int()]);
export const EncoderHeadMetaSchema = z.object({
  format: z.literal("open-expression/language-encoder-head-v1"),
  inputDim: z.number().int().positive(),
  hidden: z.number().int().nonnegative(),
  activation: z.literal("relu"),
  sourceLabels: z.array(z.string()),
  outputs: z.object({ emotions: range, sentiment: range, toxicity: range }),
  toxicityLabels: z.array(z.string()),
  calibration: z.object({ a: z.array(num), c: z.array(num), b: z.array(num) }),
  thresholds: z.array(num),
  toxicityThresholds: z.array(num),
  weightsFile: z.string(),
  sha256: z.record(z.string(), z.string()),
  /** sha256 of the encoder ONNX file the head was trained on (heads before the ONNX port lack it). */
  encoderSha256: z.string().optional(),
});
export type EncoderHeadMeta = z.infer<typeof EncoderHeadMetaSchema>;

export interface HeadScores {
  /** Calibrated emotion probabilities, one per label. */
  emotions: Float32Array;
  /** Distribution over sentiment levels 1..9 (sums to 1). */
  sentiment: Float64Array;
  /** Probability per toxicity label (toxicityLabels order). */
  toxicity: Float64Array;
}

/** The output names and decision thresholds the head carries, and the analyzer passes on. */
export interface HeadLabels {
  /** Output dimension names (Hume's where the construct is the same), in sourceLabels order. */
  readonly labels: readonly string[];
  readonly thresholds: Float32Array;
  readonly toxicityLabels: readonly string[];
  readonly toxicityThresholds: Float32Array;
}

export interface EncoderHead extends HeadLabels {
  /**
   * Scores one embedding (row `row` of a row-major batch) fused with the TF-IDF logits. The
   * batch is treated as immutable: scoring the same array and row again reuses the forward pass.
   */
  score(embeddings: Float32Array, row: number, tfidfLogits: Float64Array): HeadScores;
}

export async function loadEncoderHead(dir: string): Promise<EncoderHead> {
  const meta = EncoderHeadMetaSchema.parse(JSON.parse(await readFile(join(dir, "head.json"), "utf8")));
  const buf = await readFile(join(dir, meta.weightsFile));
  const sha = createHash("sha256").update(buf).digest("hex");
  if (sha !== meta.sha256[meta.weightsFile]) throw new Error(`${meta.weightsFile}: sha256 ${sha} does not match head.json`);
  const D = meta.inputDim, H = meta.hidden, N = meta.outputs.toxicity[1];
  const want = (H > 0 ? D * H + H + H * N : D * N) + N;
  if (buf.length !== want * 4) throw new Error(`${meta.weightsFile}: ${buf.length} bytes, expected ${want * 4}`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let at = 0;
  const take = (n: number) => all.subarray(at, (at += n));
  const W1 = H > 0 ? take(D * H) : undefined, b1 = H > 0 ? take(H) : undefined;
  const inner = H > 0 ? H : D;
  const W2 = take(inner * N), b2 = take(N);
  const L = meta.sourceLabels.length;
  const [e0, e1] = meta.outputs.emotions, [s0, s1] = meta.outputs.sentiment, [t0, t1] = meta.outputs.toxicity;
  if (e1 - e0 !== L || s1 - s0 !== 9) throw new Error("head.json: output blocks do not match the labels");
  const a = Float64Array.from(meta.calibration.a), c = Float64Array.from(meta.calibration.c), b = Float64Array.from(meta.calibration.b);
  const hidden = new Float64Array(inner);
  const out = new Float64Array(N);
  // The words of a sentence share its embedding (the same array), so at word granularity the
  // forward pass runs once per sentence, not once per word; `out` still holds its result.
  let lastInput: Float32Array | undefined;
  let lastOffset = -1;

  function forward(x: Float32Array, offset: number): void {
    if (x === lastInput && offset === lastOffset) return;
    lastInput = x;
    lastOffset = offset;
    if (W1 && b1) {
      for (let j = 0; j < H; j++) hidden[j] = b1[j]!;
      for (let i = 0; i < D; i++) {
        const xi = x[offset + i]!;
        if (xi === 0) continue;
        const r = i * H;
        for (let j = 0; j < H; j++) hidden[j] = hidden[j]! + xi * W1[r + j]!;
      }
      for (let j = 0; j < H; j++) if (hidden[j]! < 0) hidden[j] = 0;
    } else {
      for (let i = 0; i < D; i++) hidden[i] = x[offset + i]!;
    }
    for (let k = 0; k < N; k++) out[k] = b2[k]!;
    for (let j = 0; j < inner; j++) {
      const hj = hidden[j]!;
      if (hj === 0) continue;
      const r = j * N;
      for (let k = 0; k < N; k++) out[k] = out[k]! + hj * W2[r + k]!;
    }
  }

  return {
    labels: Object.freeze(meta.sourceLabels.map(outputName)),
    thresholds: Float32Array.from(meta.thresholds),
    toxicityLabels: Object.freeze(meta.toxicityLabels.slice()),
    toxicityThresholds: Float32Array.from(meta.toxicityThresholds),
    score(embeddings, row, tfidfLogits) {
      forward(embeddings, row * D);
      const emotions = new Float32Array(L);
      for (let k = 0; k < L; k++) emotions[k] = sigmoid(a[k]! * out[e0 + k]! + c[k]! * (tfidfLogits[k] ?? 0) + b[k]!);
      const sentiment = new Float64Array(9);
      let max = -Infinity;
      for (let l = 0; l < 9; l++) max = Math.max(max, out[s0 + l]!);
      let sum = 0;
      for (let l = 0; l < 9; l++) sum += sentiment[l] = Math.exp(out[s0 + l]! - max);
      for (let l = 0; l < 9; l++) sentiment[l] = sentiment[l]! / sum;
      const toxicity = new Float64Array(t1 - t0);
      for (let k = 0; k < toxicity.length; k++) toxicity[k] = sigmoid(out[t0 + k]!);
      return { emotions, sentiment, toxicity };
    },
  };
}
