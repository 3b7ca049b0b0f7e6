/**
 * The shared segment statistics alone, from plain frames. Serving and training call
 * `voiceFeatures` (voice.ts), which computes the same statistics in its own pass beside the mel
 * spectrum; this plain path is the reference a test holds that block to, bit for bit.
 */
import { frameFeatures, SAMPLE_RATE } from "./frames.js";
import { segmentStats } from "./stats.js";

export interface Featurised {
  vector: Float64Array;
  /** Frames in the segment. */
  frames: number;
}

/** Featurises samples between `begin` and `end` (seconds from samples[0]). */
export function featurise(samples: Float32Array, begin = 0, end = samples.length / SAMPLE_RATE): Featurised {
  const a = Math.max(0, Math.round(begin * SAMPLE_RATE));
  const b = Math.min(samples.length, Math.round(end * SAMPLE_RATE));
  const f = frameFeatures(samples.subarray(a, Math.max(a, b)));
  return { vector: segmentStats(f), frames: f.n };
}
