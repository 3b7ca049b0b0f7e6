/**
 * Human's expression model (mini-Xception trained on FER2013, 64x64 greyscale input), run here
 * instead of inside Human so scores keep full precision and the eval feeds it exactly the same
 * preprocessing as the server.
 */
import { roundScore } from "../../primitives.js";
import type { GraphModel, Tensor, Tf } from "./human.js";

/** Output order of the model (checked against Human's source: 1-channel models use this order). */
export const FER_ORDER = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"] as const;
export type FerLabel = (typeof FER_ORDER)[number];

/**
 * Hume's name where the construct is the same. FER "surprise" has no valence, while Hume splits
 * Surprise (negative)/(positive), so it keeps its own name; "neutral" has no Hume counterpart.
 */
export const FER_TO_NAME: Record<FerLabel, string> = {
  angry: "Anger",
  disgust: "Disgust",
  fear: "Fear",
  happy: "Joy",
  sad: "Sadness",
  surprise: "Surprise",
  neutral: "Neutral",
};

/** Output names, alphabetical like the official service's lists. */
export const FACE_EMOTION_LABELS: readonly string[] = Object.values(FER_TO_NAME).sort();

/** Luma weights Human uses (ITU-R BT.601, as in MATLAB rgb2gray). */
const RGB_TO_GRAY = [0.2989, 0.587, 0.114];

/**
 * Human's preprocessing: RGB in 0..1 [n,h,w,3] -> bilinear 64x64 -> grey -> (x - 0.5) * 2.
 * Returns a new tensor; the caller disposes it.
 */
export function emotionInput(tf: Tf, rgb01: Tensor, size = 64): Tensor {
  return tf.tidy(() => {
    const batch = rgb01.shape.length === 3 ? tf.expandDims(rgb01, 0) : rgb01;
    const resized = tf.image.resizeBilinear(batch, [size, size], false);
    const grey = tf.sum(tf.mul(resized, tf.tensor(Float32Array.from(RGB_TO_GRAY), [3])), 3, true);
    return tf.mul(tf.sub(grey, tf.scalar(0.5)), tf.scalar(2));
  });
}

/** Class probabilities for a batch of RGB 0..1 crops, in FER_ORDER, one row per crop. */
export async function emotionProbs(tf: Tf, model: GraphModel, rgb01: Tensor): Promise<Float32Array[]> {
  const input = emotionInput(tf, rgb01);
  const out = model.execute(input);
  input.dispose();
  const tensor = Array.isArray(out) ? out[0] : out;
  if (!tensor) throw new Error("emotion model returned no output");
  const data = await tensor.data();
  for (const t of Array.isArray(out) ? out : [out]) t.dispose();
  const n = FER_ORDER.length;
  const rows: Float32Array[] = [];
  for (let i = 0; i + n <= data.length; i += n) rows.push(Float32Array.from(data.subarray(i, i + n)));
  return rows;
}

/** Named scores, alphabetical by output name. */
export function namedEmotions(probs: Float32Array): { name: string; score: number }[] {
  return FER_ORDER.map((label, i) => ({ name: FER_TO_NAME[label], score: roundScore(probs[i] ?? 0) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
