/**
 * Level normalisation of a segment before any feature is computed: the segment is scaled so its
 * speech level (the 95th percentile of 10 ms block RMS, i.e. the loud vowels, robust to a single
 * click) sits at REFERENCE_DB. Microphone gain, distance and the user's loudness then cancel out
 * of every feature, and the absolute thresholds inside the featuriser (the -50 dBFS pitch floor,
 * the -100 dB energy floor) act relative to the speech instead of to full scale. What remains of
 * loudness is its shape over time (contours, peaks, pauses), which carries emotion; the absolute
 * level, which mostly carries the recording set-up, is gone by design. Used by `prosody`
 * (prosody/features.ts); `featurise`, which `burst` reads, does not normalise (see its model card).
 */
import { quantile } from "./stats.js";

/** Level the loud part of every segment is scaled to (dBFS): the RAVDESS studio level, roughly. */
export const REFERENCE_DB = -20;
const BLOCK = 160;
/** Below this the segment is treated as digital silence and left alone (nothing to normalise). */
const SILENCE_DB = -110;

/** 95th-percentile 10 ms block level of `samples` in dBFS (-Infinity for empty or silent input). */
export function speechLevelDb(samples: Float32Array): number {
  const n = Math.floor(samples.length / BLOCK);
  if (n === 0) return -Infinity;
  const db = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) s += samples[i]! * samples[i]!;
    db[b] = s > 0 ? 10 * Math.log10(s / BLOCK) : -Infinity;
  }
  return quantile(db.sort(), 0.95);
}

/** A copy of `samples` scaled so that `speechLevelDb` of it is REFERENCE_DB (silence unchanged). */
export function normaliseLevel(samples: Float32Array): Float32Array {
  const level = speechLevelDb(samples);
  if (!(level > SILENCE_DB)) return samples.slice();
  const db = REFERENCE_DB - level;
  const g = 10 ** (db / 20);
  const out = new Float32Array(samples.length);
  for (let i = 0; i < out.length; i++) out[i] = samples[i]! * g;
  return out;
}
