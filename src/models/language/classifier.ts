/**
 * Runtime text-emotion classifier: TF-IDF features (features.ts) -> int8 linear heads (linear.ts):
 * one-vs-rest logistic regression, optionally mixed with a softmax regression's log-probabilities
 * -> per-label Platt calibration fitted on dev. Pure TypeScript, no
 * network, no native code. Weights and their layout are described by weights/language/meta.json.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { weightsPath } from "../../package-paths.js";
import { extractTerms, vectorizeTerms, type FeatureSettings, type SparseVector, type Vocabulary } from "./features.js";
import { linearLogits, sigmoid, type QuantizedLinear } from "./linear.js";
import { FEATURE_VERSION } from "./tokenize.js";

export interface LanguageClassifier {
  /** Output dimension names in order (Hume's name where the construct is the same). */
  readonly labels: readonly string[];
  /** Calibrated probabilities in 0..1, one per label, for one piece of text. */
  scores(text: string): Float32Array;
  /** The ensemble logits before calibration (what language v2 fuses with the encoder head). */
  logits(text: string): Float64Array;
  /** Per-label decision thresholds tuned on dev. */
  readonly thresholds: Float32Array;
}

const num = z.number();
/** Only the fields the runtime needs are validated; meta.json also carries training records. */
export const LanguageMetaSchema = z.object({
  format: z.literal("open-expression/language-tfidf-linear-v1"),
  featureVersion: z.number().int(),
  labels: z.array(z.string()),
  sourceLabels: z.array(z.string()),
  thresholds: z.array(num),
  features: z.object({ charMinN: num, charMaxN: num, nWord: num, nChar: num }),
  /** Combined logit z_k = sum_h weight_h * t_h(z_h)_k, t = identity (ovr) or log-softmax (softmax). */
  heads: z.array(z.object({
    kind: z.enum(["ovr", "softmax"]),
    file: z.string(),
    weight: num,
    scales: z.array(num),
    bias: z.array(num),
  })).min(1),
  calibration: z.object({ a: z.array(num), b: z.array(num) }),
  vocabFile: z.string(),
  idfFile: z.string(),
  idfScale: num,
  sha256: z.record(z.string(), z.string()),
});
export type LanguageMeta = z.infer<typeof LanguageMetaSchema>;

export interface Head {
  kind: "ovr" | "softmax";
  weight: number;
  linear: QuantizedLinear;
}

/** Ensemble logit (before calibration). Shared with training so dev tuning sees the same numbers. */
export function combinedLogits(heads: readonly Head[], x: SparseVector, out: Float64Array, tmp: Float64Array): Float64Array {
  out.fill(0);
  for (const h of heads) {
    linearLogits(h.linear, x, tmp);
    if (h.kind === "softmax") logSoftmaxInPlace(tmp);
    for (let k = 0; k < out.length; k++) out[k] = out[k]! + h.weight * tmp[k]!;
  }
  return out;
}

function logSoftmaxInPlace(z: Float64Array): void {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (const v of z) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  for (let k = 0; k < z.length; k++) z[k] = z[k]! - lse;
}

export function defaultLanguageDir(): string {
  return dirname(weightsPath("language", "meta.json"));
}

async function readChecked(dir: string, file: string, sha: Record<string, string>): Promise<Buffer> {
  const buf = await readFile(join(dir, file));
  const want = sha[file];
  const got = createHash("sha256").update(buf).digest("hex");
  // A mismatch usually means a Git LFS pointer or a half-copied file; fail loudly, not with noise.
  if (want !== got) throw new Error(`weights/language/${file}: sha256 ${got} does not match meta.json`);
  return buf;
}

export async function loadLanguageClassifier(dir: string = defaultLanguageDir()): Promise<LanguageClassifier> {
  const meta = LanguageMetaSchema.parse(JSON.parse(await readFile(join(dir, "meta.json"), "utf8")));
  if (meta.featureVersion !== FEATURE_VERSION) {
    throw new Error(`language weights use feature version ${meta.featureVersion}, code has ${FEATURE_VERSION}; retrain`);
  }
  const L = meta.labels.length;
  const { nWord, nChar } = meta.features;
  const nFeatures = nWord + nChar;

  const vocabLines = (await readChecked(dir, meta.vocabFile, meta.sha256)).toString("utf8").split("\n");
  const word = new Map<string, number>();
  const char = new Map<string, number>();
  for (let j = 0; j < nFeatures; j++) (j < nWord ? word : char).set(vocabLines[j] ?? "", j);

  const idfBuf = await readChecked(dir, meta.idfFile, meta.sha256);
  const idf = new Float32Array(nFeatures);
  for (let j = 0; j < nFeatures; j++) idf[j] = idfBuf.readUInt16LE(2 * j) / meta.idfScale;

  const heads: Head[] = [];
  for (const h of meta.heads) {
    const wBuf = await readChecked(dir, h.file, meta.sha256);
    if (wBuf.length !== nFeatures * L) throw new Error(`weights/language/${h.file}: unexpected size`);
    heads.push({
      kind: h.kind,
      weight: h.weight,
      linear: {
        nLabels: L,
        weights: new Int8Array(wBuf.buffer, wBuf.byteOffset, wBuf.length),
        scales: Float32Array.from(h.scales),
        bias: Float32Array.from(h.bias),
      },
    });
  }
  const vocab: Vocabulary = { word, char, idf, size: nFeatures };
  const settings: FeatureSettings = { charMinN: meta.features.charMinN, charMaxN: meta.features.charMaxN };
  const a = Float64Array.from(meta.calibration.a);
  const b = Float64Array.from(meta.calibration.b);
  const logits = new Float64Array(L), tmp = new Float64Array(L);

  return {
    labels: Object.freeze(meta.labels.slice()),
    thresholds: Float32Array.from(meta.thresholds),
    logits(text: string): Float64Array {
      return combinedLogits(heads, vectorizeTerms(extractTerms(text, settings), vocab), new Float64Array(L), new Float64Array(L));
    },
    scores(text: string): Float32Array {
      combinedLogits(heads, vectorizeTerms(extractTerms(text, settings), vocab), logits, tmp);
      const out = new Float32Array(L);
      for (let k = 0; k < L; k++) out[k] = sigmoid(a[k]! * logits[k]! + b[k]!);
      return out;
    },
  };
}
