/**
 * Segment-level statistics over frame features: the fixed-length vector both classifiers read.
 * Spectral tracks are summarised over "active" frames only (within 35 dB of the segment's loudest
 * frame) so that a segment boundary a little early or late, which differs between the training
 * trimmer and the VAD at serving time, moves the statistics as little as possible.
 */
import { BANDS, HOP, SAMPLE_RATE, type FrameFeatures } from "./frames.js";

const N_MFCC = 13;
/** Frames within this many dB of the segment's loudest are summarised. */
export const ACTIVE_DB = 35;
const TRACKS = ["logE", "zcr", "centroid", "flatness", "rolloff", ...Array.from({ length: N_MFCC }, (_, k) => `mfcc${k}`),
  "clarity", ...BANDS.map(([lo, hi]) => `band${lo}-${hi}`)];
const TRACK_STATS = ["mean", "std", "p10", "p50", "p90", "slope"];
const DELTA_TRACKS = ["logE", ...Array.from({ length: N_MFCC }, (_, k) => `mfcc${k}`)];
const F0_STATS = ["mean", "std", "p10", "p50", "p90", "range", "slope", "absDelta"];

/** Names of the vector's dimensions, in order (documented in the model cards). */
export const SEGMENT_FEATURE_NAMES: readonly string[] = [
  ...TRACKS.flatMap((t) => TRACK_STATS.map((s) => `${t}.${s}`)),
  ...DELTA_TRACKS.map((t) => `d_${t}.std`),
  ...F0_STATS.map((s) => `f0.${s}`),
  "voicedRatio", "peakRate",
];
export const SEGMENT_FEATURE_DIM = SEGMENT_FEATURE_NAMES.length;
/** Bump when the featurisation changes, so cached training features are recomputed. */
export const FEATURE_VERSION = 2;

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** mean, std, p10, p50, p90, slope (per second) of values at frame times `t`. */
function summary(v: number[], t: number[]): number[] {
  const n = v.length;
  if (n === 0) return [0, 0, 0, 0, 0, 0];
  let m = 0, mt = 0;
  for (let i = 0; i < n; i++) { m += v[i]!; mt += t[i]!; }
  m /= n; mt /= n;
  let vv = 0, tt = 0, tv = 0;
  for (let i = 0; i < n; i++) {
    const dv = v[i]! - m, dt = t[i]! - mt;
    vv += dv * dv; tt += dt * dt; tv += dt * dv;
  }
  const s = [...v].sort((a, b) => a - b);
  return [m, Math.sqrt(vv / n), quantile(s, 0.1), quantile(s, 0.5), quantile(s, 0.9), tt > 0 ? tv / tt : 0];
}

/** The loudest frame energy in [a, b) and the frames within ACTIVE_DB of it. */
export function activeFrames(f: Pick<FrameFeatures, "logE">, a: number, b: number): { maxE: number; active: number[] } {
  let maxE = -Infinity;
  for (let i = a; i < b; i++) maxE = Math.max(maxE, f.logE[i]!);
  const active: number[] = [];
  for (let i = a; i < b; i++) if (f.logE[i]! >= maxE - ACTIVE_DB) active.push(i);
  return { maxE, active };
}

/** Statistics of frames [a, b) of `f`; returns SEGMENT_FEATURE_DIM numbers. */
export function segmentStats(f: FrameFeatures, a = 0, b = f.n): Float64Array {
  a = Math.max(0, a); b = Math.min(f.n, b);
  const { maxE, active } = activeFrames(f, a, b);
  const t = active.map((i) => ((i - a) * HOP) / SAMPLE_RATE);
  const track = (k: number, i: number): number => {
    switch (k) {
      case 0: return f.logE[i]!;
      case 1: return f.zcr[i]!;
      case 2: return f.centroid[i]! / 1000;
      case 3: return f.flatness[i]!;
      case 4: return f.rolloff[i]! / 1000;
      default:
        if (k < 5 + N_MFCC) return f.mfcc[i * N_MFCC + (k - 5)]!;
        if (k === 5 + N_MFCC) return f.clarity[i]!;
        return f.bands[i * BANDS.length + (k - 6 - N_MFCC)]!;
    }
  };
  const out: number[] = [];
  for (let k = 0; k < TRACKS.length; k++) out.push(...summary(active.map((i) => track(k, i)), t));
  // Deltas over consecutive frames of the whole segment (a 2-frame difference, 20 ms apart).
  for (let d = 0; d < DELTA_TRACKS.length; d++) {
    const k = d === 0 ? 0 : 4 + d;
    const v: number[] = [];
    for (let i = a + 2; i < b; i++) if (f.logE[i]! >= maxE - ACTIVE_DB) v.push(track(k, i) - track(k, i - 2));
    out.push(summary(v, v.map(() => 0))[1]!);
  }
  const vi = active.filter((i) => Number.isFinite(f.f0[i]!));
  const f0 = vi.map((i) => f.f0[i]!);
  const fs = summary(f0, vi.map((i) => ((i - a) * HOP) / SAMPLE_RATE));
  let absDelta = 0, nd = 0;
  for (let j = 1; j < vi.length; j++) if (vi[j]! - vi[j - 1]! <= 2) { absDelta += Math.abs(f0[j]! - f0[j - 1]!); nd++; }
  out.push(fs[0]!, fs[1]!, fs[2]!, fs[3]!, fs[4]!, fs[4]! - fs[2]!, fs[5]!, nd ? absDelta / nd : 0);
  out.push(active.length ? vi.length / active.length : 0, peakRate(f, a, b, maxE));
  return Float64Array.from(out, (x) => (Number.isFinite(x) ? x : 0));
}

/** Loudness peaks per second (a syllable-rate proxy): maxima of 50 ms-smoothed energy at least
 * 100 ms apart and within 25 dB of the loudest frame. */
function peakRate(f: FrameFeatures, a: number, b: number, maxE: number): number {
  const n = b - a;
  if (n < 3) return 0;
  const sm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0, c = 0;
    for (let j = Math.max(0, i - 2); j <= Math.min(n - 1, i + 2); j++) { s += f.logE[a + j]!; c++; }
    sm[i] = s / c;
  }
  let peaks = 0;
  for (let i = 0; i < n; i++) {
    if (sm[i]! < maxE - 25) continue;
    let isMax = true;
    for (let j = Math.max(0, i - 5); j <= Math.min(n - 1, i + 5) && isMax; j++) if (sm[j]! > sm[i]! || (sm[j] === sm[i] && j < i)) isMax = false;
    if (isMax) peaks++;
  }
  return peaks / ((n * HOP) / SAMPLE_RATE);
}
