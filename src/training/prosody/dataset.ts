/** RAVDESS as vectors, labels and speaker-independent folds. */
import { clipVectors, readManifest } from "./data.js";

/** RAVDESS emotion names in output-index order. */
export const RAVDESS_EMOTIONS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"] as const;

export interface LabelledSet {
  X: Float64Array[];
  y: number[];
  fold: number[];
  paths: string[];
}

export async function loadRavdess(log: (...a: unknown[]) => void): Promise<LabelledSet> {
  const rows = readManifest("ravdess");
  const paths = rows.map((r) => r.path ?? "");
  const X = await clipVectors("ravdess", paths, log);
  const y = rows.map((r) => RAVDESS_EMOTIONS.indexOf(r.emotion as (typeof RAVDESS_EMOTIONS)[number]));
  if (y.some((k) => k < 0)) throw new Error("unknown emotion in ravdess manifest");
  return { X, y, fold: rows.map((r) => Number(r.fold)), paths };
}
