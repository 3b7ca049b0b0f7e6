/**
 * Training copies of a clip under what the model should ignore: a random microphone colouring
 * (high-pass and / or low-pass), background noise at 10-35 dB SNR, a speaking-rate and pitch
 * shift of up to ±8 % (resampling), and a recording level anywhere from -60 to -14 dBFS rounded to
 * 16-bit PCM (the rounding noise of quiet recordings). The ranges are wider than the fixed
 * 200 Hz / 4 kHz colouring the evaluation and the gain test use, and were fixed before any
 * result: the model is taught a family of conditions, not the test's one filter.
 */
import { SAMPLE_RATE, speechLevelDb } from "../../audio-analysis/features/index.js";
import { colour, pcm16, withGain, type Colouring } from "./conditions.js";
import { prng } from "./mlp.js";

export interface Augmentation {
  colouring: Colouring;
  /** Noise level below the speech level (dB), or none. */
  snrDb?: number;
  noise: "white" | "pink";
  /** Playback-rate factor (>1 faster and higher). */
  rate: number;
  /** Speech level the copy is recorded at (dBFS), before 16-bit rounding. */
  levelDb: number;
}

const uniform = (rand: () => number, lo: number, hi: number) => lo + (hi - lo) * rand();

/** The augmentation drawn for copy `copy` of clip `key`: a pure function of both and the seed. */
export function drawAugmentation(key: string, copy: number, seed = 1): Augmentation {
  let h = seed * 2654435761;
  for (const c of `${key}#${copy}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  const rand = prng(h >>> 0);
  const colouring: Colouring = {};
  if (rand() < 0.6) colouring.highPassHz = Math.round(uniform(rand, 60, 400));
  if (rand() < 0.6) colouring.lowPassHz = Math.round(uniform(rand, 2500, 7000));
  const snrDb = rand() < 0.5 ? uniform(rand, 10, 35) : undefined;
  const noise = rand() < 0.5 ? "white" : "pink";
  const rate = rand() < 0.5 ? uniform(rand, 0.92, 1.08) : 1;
  const levelDb = uniform(rand, -60, -14);
  return { colouring, ...(snrDb !== undefined ? { snrDb } : {}), noise, rate, levelDb };
}

/** Linear-interpolation resampling: `rate` > 1 plays faster (shorter, higher). */
function resample(x: Float32Array, rate: number): Float32Array {
  if (rate === 1) return x;
  const n = Math.floor((x.length - 1) / rate);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * rate, k = Math.floor(t), a = t - k;
    y[i] = x[k]! * (1 - a) + x[Math.min(x.length - 1, k + 1)]! * a;
  }
  return y;
}

/** Unit-RMS white or pink (Paul Kellet's economy filter) noise, seeded. */
function noise(n: number, kind: "white" | "pink", rand: () => number): Float32Array {
  const y = new Float32Array(n);
  let b0 = 0, b1 = 0, b2 = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const w = 2 * rand() - 1;
    if (kind === "white") y[i] = w;
    else {
      b0 = 0.99765 * b0 + w * 0.099046;
      b1 = 0.963 * b1 + w * 0.2965164;
      b2 = 0.57 * b2 + w * 1.0526913;
      y[i] = b0 + b1 + b2 + w * 0.1848;
    }
    ss += y[i]! * y[i]!;
  }
  const g = ss > 0 ? 1 / Math.sqrt(ss / n) : 0;
  for (let i = 0; i < n; i++) y[i] = y[i]! * g;
  return y;
}

/**
 * The copy of `samples` under `a`, with its speech span [begin, end] (seconds) moved by the rate
 * change. `speech` is the span the speech level is measured on.
 */
export function augment(
  samples: Float32Array, span: { begin: number; end: number }, a: Augmentation, noiseSeed: number,
): { samples: Float32Array; begin: number; end: number } {
  let y = colour(resample(samples, a.rate), a.colouring);
  const begin = span.begin / a.rate, end = Math.min(y.length / SAMPLE_RATE, span.end / a.rate);
  const speech = () => y.subarray(Math.round(begin * SAMPLE_RATE), Math.round(end * SAMPLE_RATE));
  if (a.snrDb !== undefined) {
    const level = speechLevelDb(speech());
    if (Number.isFinite(level)) {
      // speechLevelDb reads the loud 10 ms blocks; unit-RMS noise sits at 0 dB on that scale.
      const g = 10 ** ((level - a.snrDb) / 20);
      const nz = noise(y.length, a.noise, prng(noiseSeed));
      y = y.map((v, i) => v + g * nz[i]!);
    }
  }
  const level = speechLevelDb(speech());
  if (Number.isFinite(level)) y = withGain(y, a.levelDb - level);
  return { samples: pcm16(y), begin, end };
}
