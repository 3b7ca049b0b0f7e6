/**
 * The level-normalised segment vector both voice models read (`prosody` and `burst`): the shared
 * audio statistics (stats.ts) plus a log-mel spectrum summary, spectral tilt and flux, and rhythm /
 * contour statistics, all computed after the segment is scaled to a reference speech level
 * (level.ts), so microphone gain cancels out. One pass: the mel bands are read off the same FFT as
 * the shared frame features, so the extra cost is a few ms per 5 s of audio. Training and serving
 * both call `voiceFeatures`, so a classifier always sees the numbers it was trained on. With
 * `floorDb`, a fixed noise floor that many dB below the speech level is added after levelling
 * (level.ts `withNoiseFloor`), so whatever a recording has below it (a silent room, or the 16-bit
 * rounding noise of a quiet one) reads the same.
 */
import { frameFeatures, FRAME, HOP, SAMPLE_RATE, type FrameFeatures } from "./frames.js";
import { normaliseLevel, withNoiseFloor } from "./level.js";
import { ACTIVE_DB, activeFrames, FEATURE_VERSION, quantile, segmentStats } from "./stats.js";

/** Bump when anything here changes; includes the shared features' version so either invalidates. */
export const VOICE_FEATURE_VERSION = FEATURE_VERSION * 100 + 4;

const N_MEL = 40;
const MEL_LO = 100;
const MEL_HI = 8000;
/** A frame this far below the loudest counts as a pause (for rhythm statistics). */
const PAUSE_DB = 30;
const MEL_STATS = ["mean", "std", "p10", "p50", "p90"];

const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

/** Triangular mel filters (HTK scale) over the FRAME / 2 power bins, as (first bin, weights). */
const melFilters: { lo: number; w: Float64Array }[] = (() => {
  const binHz = SAMPLE_RATE / FRAME;
  const edges = Array.from({ length: N_MEL + 2 }, (_, i) => melToHz(hzToMel(MEL_LO) + ((hzToMel(MEL_HI) - hzToMel(MEL_LO)) * i) / (N_MEL + 1)));
  return Array.from({ length: N_MEL }, (_, j) => {
    const [a, c, b] = [edges[j]!, edges[j + 1]!, edges[j + 2]!];
    const lo = Math.ceil(a / binHz), hi = Math.min(FRAME / 2 - 1, Math.floor(b / binHz));
    const w = new Float64Array(Math.max(0, hi - lo + 1));
    for (let k = lo; k <= hi; k++) {
      const f = k * binHz;
      w[k - lo] = f <= c ? (f - a) / (c - a) : (b - f) / (b - c);
    }
    return { lo, w };
  });
})();

export const VOICE_EXTRA_NAMES: readonly string[] = [
  ...Array.from({ length: N_MEL }, (_, j) => MEL_STATS.map((s) => `mel${j}.${s}`)).flat(),
  ...Array.from({ length: N_MEL }, (_, j) => `d_mel${j}.std`),
  "tilt.mean", "tilt.std", "tilt.p10", "tilt.p90", "flux.mean", "flux.std",
  "duration", "loudRatio", "pauseRate", "pauseRatio", "voicedRunRate", "voicedRunMean",
  "f0.third1", "f0.third2", "f0.third3", "logE.third1", "logE.third2", "logE.third3",
  "f0.rise", "f0.fall", "shimmer",
  ...Array.from({ length: N_MEL }, (_, j) => `shape${j}.std`),
];

function meanStd(v: ArrayLike<number>): [number, number] {
  const n = v.length;
  if (!n) return [0, 0];
  let m = 0, s = 0;
  for (let i = 0; i < n; i++) m += v[i]!;
  m /= n;
  for (let i = 0; i < n; i++) s += (v[i]! - m) ** 2;
  return [m, Math.sqrt(s / n)];
}

/** Mean of values whose positions fall in each third of [0, len). */
function thirds(idx: number[], val: number[], len: number, centre: number): number[] {
  const sum = [0, 0, 0], cnt = [0, 0, 0];
  idx.forEach((i, j) => { const t = Math.min(2, Math.floor((3 * i) / len)); sum[t]! += val[j]!; cnt[t]!++; });
  return sum.map((s, t) => (cnt[t] ? s / cnt[t]! - centre : 0));
}

function extraStats(f: FrameFeatures, mel: Float32Array): number[] {
  const n = f.n;
  const { maxE, active } = activeFrames(f, 0, n);
  const out: number[] = [];
  const col = new Float64Array(active.length);
  for (let j = 0; j < N_MEL; j++) {
    active.forEach((i, r) => { col[r] = mel[i * N_MEL + j]!; });
    const [m, s] = meanStd(col);
    const sorted = Float64Array.from(col).sort();
    out.push(m, s, quantile(sorted, 0.1), quantile(sorted, 0.5), quantile(sorted, 0.9));
  }
  // Band dynamics: 2-frame (20 ms) differences within active stretches.
  for (let j = 0; j < N_MEL; j++) {
    const d: number[] = [];
    for (const i of active) if (i >= 2 && f.logE[i - 2]! >= maxE - ACTIVE_DB) d.push(mel[i * N_MEL + j]! - mel[(i - 2) * N_MEL + j]!);
    out.push(meanStd(d)[1]);
  }
  // Spectral tilt (dB per band, least squares over the mel bands) and flux of the level-free shape.
  const xm = (N_MEL - 1) / 2;
  let xx = 0;
  for (let j = 0; j < N_MEL; j++) xx += (j - xm) ** 2;
  const tilt: number[] = [], flux: number[] = [];
  const shapeSum = new Float64Array(N_MEL), shapeSq = new Float64Array(N_MEL);
  let prev: Float64Array | undefined;
  for (const i of active) {
    let m = 0, xy = 0;
    for (let j = 0; j < N_MEL; j++) m += mel[i * N_MEL + j]! / N_MEL;
    const shape = new Float64Array(N_MEL);
    for (let j = 0; j < N_MEL; j++) { shape[j] = mel[i * N_MEL + j]! - m; xy += (j - xm) * shape[j]!; }
    tilt.push(xy / xx);
    for (let j = 0; j < N_MEL; j++) { shapeSum[j] = shapeSum[j]! + shape[j]!; shapeSq[j] = shapeSq[j]! + shape[j]! ** 2; }
    if (prev) { let s = 0; for (let j = 0; j < N_MEL; j++) s += (shape[j]! - prev[j]!) ** 2; flux.push(Math.sqrt(s / N_MEL)); }
    prev = shape;
  }
  const ts = [...tilt].sort((a, b) => a - b);
  out.push(...meanStd(tilt), quantile(ts, 0.1), quantile(ts, 0.9), ...meanStd(flux));
  // Rhythm: duration, pauses (runs of >= 50 ms well below the peak level) and voiced runs.
  const sec = (n * HOP) / SAMPLE_RATE;
  let loud = 0, pauses = 0, pauseFrames = 0, run = 0, vRuns = 0, vFrames = 0;
  for (let i = 0; i <= n; i++) {
    const quiet = i < n && f.logE[i]! < maxE - PAUSE_DB;
    if (i < n && f.logE[i]! >= maxE - 20) loud++;
    if (quiet) run++;
    else { if (run >= 5) { pauses++; pauseFrames += run; } run = 0; }
  }
  for (let i = 0; i < n; i++) {
    const v = Number.isFinite(f.f0[i]!);
    if (v) vFrames++;
    if (v && (i === 0 || !Number.isFinite(f.f0[i - 1]!))) vRuns++;
  }
  out.push(sec, n ? loud / n : 0, sec ? pauses / sec : 0, n ? pauseFrames / n : 0, sec ? vRuns / sec : 0, vRuns ? (vFrames * HOP) / SAMPLE_RATE / vRuns : 0);
  // Contour shape: F0 and loudness in each third of the segment, relative to their means.
  const vi = active.filter((i) => Number.isFinite(f.f0[i]!));
  const f0 = vi.map((i) => f.f0[i]!), e = active.map((i) => f.logE[i]!);
  out.push(...thirds(vi, f0, n, meanStd(f0)[0]), ...thirds(active, e, n, meanStd(e)[0]));
  // Pitch movement up and down, and frame-to-frame loudness change while voiced (a shimmer proxy).
  let rise = 0, fall = 0, nd = 0, shim = 0, ns = 0;
  // F0 is re-estimated every second frame (frames.ts), so compare frames two apart.
  for (const i of vi) {
    if (i % 2 !== 0 || i < 2 || !Number.isFinite(f.f0[i - 2]!)) continue;
    const d = f.f0[i]! - f.f0[i - 2]!;
    if (d > 0) rise += d; else fall -= d;
    nd++;
  }
  for (let j = 1; j < vi.length; j++) if (vi[j]! - vi[j - 1]! === 1) { shim += Math.abs(f.logE[vi[j]!]! - f.logE[vi[j - 1]!]!); ns++; }
  out.push(nd ? rise / nd : 0, nd ? fall / nd : 0, ns ? shim / ns : 0);
  // Spread of the level-free spectral shape per band (how much articulation moves each band).
  const na = Math.max(1, active.length);
  for (let j = 0; j < N_MEL; j++) out.push(Math.sqrt(Math.max(0, shapeSq[j]! / na - (shapeSum[j]! / na) ** 2)));
  return out;
}

/** Frame features and the 40-band log-mel spectrum (n x N_MEL, row-major) of a segment. */
export interface VoiceFrames {
  f: FrameFeatures;
  mel: Float32Array;
}

/**
 * One pass over samples between `begin` and `end` (seconds from samples[0]), level-normalised
 * first (audio-analysis/features/level.ts): the shared frame features plus the log-mel bands read off the
 * same FFT. Both the segment vector and the sequence model's input are derived from this.
 */
export function voiceFrames(samples: Float32Array, begin = 0, end = samples.length / SAMPLE_RATE, floorDb?: number): VoiceFrames {
  const a = Math.max(0, Math.round(begin * SAMPLE_RATE));
  const b = Math.min(samples.length, Math.round(end * SAMPLE_RATE));
  const level = normaliseLevel(samples.subarray(a, Math.max(a, b)));
  const seg = floorDb === undefined ? level : withNoiseFloor(level, floorDb);
  let mel = new Float32Array(0);
  const f = frameFeatures(seg, (i, ps) => {
    if (i === 0) mel = new Float32Array(Math.max(1, Math.ceil(seg.length / HOP)) * N_MEL);
    for (let j = 0; j < N_MEL; j++) {
      const { lo, w } = melFilters[j]!;
      let s = 1e-10;
      for (let k = 0; k < w.length; k++) s += w[k]! * ps[lo + k]!;
      mel[i * N_MEL + j] = 10 * Math.log10(s);
    }
  });
  return { f, mel };
}

/** Prosody segment vector of already computed frames. */
export function segmentVector({ f, mel }: VoiceFrames): Float64Array {
  const base = segmentStats(f);
  const extra = f.n ? extraStats(f, mel) : new Array<number>(VOICE_EXTRA_NAMES.length).fill(0);
  const v = new Float64Array(base.length + extra.length);
  v.set(base);
  extra.forEach((x, k) => { v[base.length + k] = Number.isFinite(x) ? x : 0; });
  return v;
}

/** Prosody segment vector of samples between `begin` and `end` (seconds from samples[0]). */
export function voiceFeatures(samples: Float32Array, begin = 0, end = samples.length / SAMPLE_RATE, floorDb?: number): Float64Array {
  return segmentVector(voiceFrames(samples, begin, end, floorDb));
}

/** Channels per frame of the sequence model's input: the mel bands, then F0, voicing, clarity. */
export const SEQUENCE_CHANNELS = N_MEL + 3;

/**
 * The sequence model's input, n x SEQUENCE_CHANNELS row-major: per 10 ms frame the level-normalised
 * log-mel bands (dB), F0 in octaves re 100 Hz (0 when unvoiced), a voiced flag and the pitch
 * clarity. Raw units; the model standardises them itself (the statistics are in the ONNX graph).
 */
export function sequenceInput({ f, mel }: VoiceFrames): Float32Array {
  const x = new Float32Array(f.n * SEQUENCE_CHANNELS);
  for (let i = 0; i < f.n; i++) {
    const row = i * SEQUENCE_CHANNELS;
    x.set(mel.subarray(i * N_MEL, (i + 1) * N_MEL), row);
    const voiced = Number.isFinite(f.f0[i]!);
    x[row + N_MEL] = voiced ? f.f0[i]! / 12 : 0;
    x[row + N_MEL + 1] = voiced ? 1 : 0;
    x[row + N_MEL + 2] = f.clarity[i]!;
  }
  return x;
}
