/**
 * Level normalisation of a segment before any feature is computed: the segment is scaled so its
 * speech level (the 95th percentile of 10 ms block RMS, i.e. the loud vowels, robust to a single
 * click) sits at REFERENCE_DB. Microphone gain, distance and the user's loudness then cancel out
 * of every feature, and the absolute thresholds inside the featuriser (the -50 dBFS pitch floor,
 * the -100 dB energy floor) act relative to the speech instead of to full scale. What remains of
 * loudness is its shape over time (contours, peaks, pauses), which carries emotion; the absolute
 * level, which mostly carries the recording set-up, is gone by design. Used by the voice segment
 * vector (voice.ts) that `prosody` and `burst` read; `raiseQuiet` does the same for the detectors
 * (the VAD and burst candidates), whose thresholds are absolute.
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

/**
 * `samples` raised until its speech level (as `speechLevelDb`) is `targetDb`, never lowered and by
 * at most `maxGainDb`; digital silence and windows already that loud are returned as they are.
 * Detectors with absolute thresholds (Silero VAD, the burst candidates' -55 dBFS floor) miss quiet
 * recordings otherwise; steady noise raised this way stays below their floor-relative thresholds.
 */
export function raiseQuiet(samples: Float32Array, targetDb = REFERENCE_DB, maxGainDb = 50): Float32Array {
  const level = speechLevelDb(samples);
  if (!Number.isFinite(level) || level >= targetDb) return samples;
  const g = 10 ** (Math.min(maxGainDb, targetDb - level) / 20);
  return samples.map((x) => x * g);
}

/**
 * A copy of level-normalised samples with seeded white noise added `dbBelow` dB under
 * REFERENCE_DB. A recording's own floor differs by microphone and gain: a phone in a quiet room
 * sits 60 dB or more below the voice, the same sound recorded 30 dB quieter has 16-bit rounding
 * noise only 45 dB below it. Features of the quiet frames (high bands between syllables, the
 * low percentiles) read that floor; a fixed floor above all of those makes them read the same.
 * The seed is fixed, so the same samples always give the same features.
 */
export function withNoiseFloor(samples: Float32Array, dbBelow: number): Float32Array {
  // White noise uniform in [-a, a] has RMS a / sqrt(3).
  const a = Math.sqrt(3) * 10 ** ((REFERENCE_DB - dbBelow) / 20);
  let s = 0x2545f491;
  const out = new Float32Array(samples.length);
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5; // xorshift32: cheap and deterministic
    out[i] = samples[i]! + a * (((s >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}
