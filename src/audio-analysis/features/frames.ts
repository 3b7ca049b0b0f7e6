/**
 * Frame-level acoustic features at 16 kHz, shared verbatim by training and serving so the
 * classifiers see exactly the numbers they were trained on. Spectral features are meyda's
 * (512-sample frames, the power of two nearest 25 ms, 10 ms hop), computed by spectrum.ts, a
 * bit-exact and much faster re-implementation of the meyda extractors used here; F0 comes from
 * pitchy (McLeod pitch method) on a 20 ms hop, which halves the cost and is still finer than
 * syllable rate.
 */
import { PitchDetector } from "pitchy";
import { AUDIO_SAMPLE_RATE } from "../../primitives.js";
import { SpectralFrame } from "./spectrum.js";

export const SAMPLE_RATE = AUDIO_SAMPLE_RATE;
export const FRAME = 512;
export const HOP = 160;
/** Pitch is estimated every PITCH_EVERY frames (20 ms) and held in between. */
const PITCH_EVERY = 2;
const PITCH_WINDOW = 640; // 40 ms: two periods of a 50 Hz voice
/** McLeod "clarity" needed to call a frame voiced; 0.8 is a common choice for speech. */
const MIN_CLARITY = 0.8;
const MIN_F0 = 60;
const MAX_F0 = 700;
const N_MFCC = 13;

/** Per-frame values; arrays all have length `n`. */
export interface FrameFeatures {
  n: number;
  /** dB re full scale of the frame RMS (floored at -100 dB). */
  logE: Float32Array;
  zcr: Float32Array;
  /** Hz. */
  centroid: Float32Array;
  flatness: Float32Array;
  /** Hz. */
  rolloff: Float32Array;
  /** n x 13, row-major. */
  mfcc: Float32Array;
  /** F0 in semitones re 100 Hz, NaN when unvoiced. */
  f0: Float32Array;
  /** McLeod clarity of the pitch estimate (0..1), a harmonicity / voice-quality cue. */
  clarity: Float32Array;
  /** n x BANDS.length: band power in dB relative to the frame's total power (level-invariant
   * spectral balance, like eGeMAPS' alpha ratio and Hammarberg index). */
  bands: Float32Array;
}

/** Band edges in Hz for `bands`. */
export const BANDS: readonly [number, number][] = [[0, 500], [500, 1000], [1000, 2000], [2000, 4000], [4000, 8000]];

let pitch: PitchDetector<Float32Array> | undefined;
/** meyda's features, computed from one FFT per frame (see spectrum.ts). */
let spectral: SpectralFrame | undefined;
const frameBuf = new Float32Array(FRAME);
const pitchBuf = new Float32Array(PITCH_WINDOW);

/** FFT bin range [bandLo, bandHi) of each band (bins of SAMPLE_RATE / FRAME Hz, FRAME / 2 of them). */
const binHz = SAMPLE_RATE / FRAME;
const bandLo = BANDS.map(([lo]) => Math.ceil(lo / binHz));
const bandHi = BANDS.map(([, hi]) => Math.max(0, Math.ceil(Math.min(FRAME / 2, hi / binHz))));

/** Number of frames for `len` samples (a partial last frame is zero-padded). */
export function frameCount(len: number): number {
  return len <= 0 ? 0 : Math.max(1, Math.floor((len - 1) / HOP) + 1);
}

/** Frame energy in dB re full scale, floored at -100 dB. */
function frameDb(rms: number): number {
  return rms > 1e-5 ? 20 * Math.log10(rms) : -100;
}

/** Copies frame `i` of `samples` into frameBuf, zero-padding past the end. */
function loadFrame(samples: Float32Array, i: number): Float32Array {
  const s = i * HOP;
  frameBuf.fill(0);
  frameBuf.set(samples.subarray(s, Math.min(s + FRAME, samples.length)));
  return frameBuf;
}

/** Only the `logE` track of `frameFeatures` (the same numbers), for callers that need nothing
 * else, such as `energyRegions` over a whole window: it skips the FFT and the pitch search. */
export function frameEnergies(samples: Float32Array): Pick<FrameFeatures, "n" | "logE"> {
  spectral ??= new SpectralFrame(FRAME, SAMPLE_RATE, N_MFCC);
  const n = frameCount(samples.length);
  const logE = new Float32Array(n);
  for (let i = 0; i < n; i++) logE[i] = frameDb(spectral.rms(loadFrame(samples, i)));
  return { n, logE };
}

/**
 * `onPower`, if given, sees each frame's power spectrum (FRAME / 2 bins, reused buffer: copy what
 * you keep) so a caller can derive more spectral features without a second FFT; it does not
 * change any returned value.
 */
export function frameFeatures(samples: Float32Array, onPower?: (frame: number, power: Float32Array) => void): FrameFeatures {
  spectral ??= new SpectralFrame(FRAME, SAMPLE_RATE, N_MFCC);
  pitch ??= PitchDetector.forFloat32Array(PITCH_WINDOW);
  pitch.minVolumeDecibels = -50;
  const n = frameCount(samples.length);
  const out: FrameFeatures = {
    n, logE: new Float32Array(n), zcr: new Float32Array(n), centroid: new Float32Array(n), flatness: new Float32Array(n),
    rolloff: new Float32Array(n), mfcc: new Float32Array(n * N_MFCC), f0: new Float32Array(n),
    clarity: new Float32Array(n), bands: new Float32Array(n * BANDS.length),
  };
  let lastF0 = Number.NaN, lastClarity = 0;
  for (let i = 0; i < n; i++) {
    const s = i * HOP;
    const m = spectral.analyse(loadFrame(samples, i));
    out.logE[i] = frameDb(m.rms);
    out.zcr[i] = m.zcr / FRAME;
    // Silent frames give NaN spectral shape in meyda; use neutral values so stats stay finite.
    out.centroid[i] = Number.isFinite(m.spectralCentroid) ? (m.spectralCentroid * SAMPLE_RATE) / FRAME : 0;
    out.flatness[i] = Number.isFinite(m.spectralFlatness) ? m.spectralFlatness : 1;
    out.rolloff[i] = Number.isFinite(m.spectralRolloff) ? m.spectralRolloff : 0;
    for (let k = 0; k < N_MFCC; k++) {
      const v = m.mfcc[k] ?? 0;
      out.mfcc[i * N_MFCC + k] = Number.isFinite(v) ? v : 0;
    }
    let total = 1e-12;
    const ps = m.powerSpectrum;
    onPower?.(i, ps);
    for (let k = 0; k < ps.length; k++) total += ps[k]!;
    for (let j = 0; j < BANDS.length; j++) {
      let e = 1e-12;
      for (let k = bandLo[j]!; k < bandHi[j]!; k++) e += ps[k]!;
      out.bands[i * BANDS.length + j] = 10 * Math.log10(e / total);
    }
    if (i % PITCH_EVERY === 0) {
      lastF0 = Number.NaN;
      lastClarity = 0;
      if (out.logE[i]! > -50) {
        pitchBuf.fill(0);
        pitchBuf.set(samples.subarray(s, Math.min(s + PITCH_WINDOW, samples.length)));
        const [hz, clarity] = pitch.findPitch(pitchBuf, SAMPLE_RATE);
        lastClarity = Number.isFinite(clarity) ? clarity : 0;
        if (clarity >= MIN_CLARITY && hz >= MIN_F0 && hz <= MAX_F0) lastF0 = 12 * Math.log2(hz / 100);
      }
    }
    out.f0[i] = lastF0;
    out.clarity[i] = lastClarity;
  }
  return out;
}
