/** One call from samples to a segment vector; training and serving both go through here. */
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
