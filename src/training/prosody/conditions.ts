/**
 * Recording conditions a user's microphone differs by, applied to 16 kHz samples: a gain in dB
 * and a "colouring" (second-order Butterworth high-pass and / or low-pass, RBJ biquads), as a
 * cheap headset or laptop microphone would add. Used for training augmentation of the feature
 * model and for the gain / colouring sweep of the evaluation.
 */
import { SAMPLE_RATE } from "../../audio-analysis/features/index.js";

export interface Colouring {
  /** High-pass corner in Hz (none when absent). */
  highPassHz?: number;
  /** Low-pass corner in Hz (none when absent). */
  lowPassHz?: number;
}

/** The fixed colouring the gain test and the evaluation use: 200 Hz high-pass, 4 kHz low-pass. */
export const MIC_COLOURING: Colouring = { highPassHz: 200, lowPassHz: 4000 };

/**
 * Rounded to 16-bit PCM as a microphone delivers it (beyond full scale clips); counts the clipped
 * samples into `clipped` when given. The rounding noise is what a quiet recording carries.
 */
export function pcm16(x: Float32Array, clipped?: { n: number }): Float32Array {
  return x.map((v) => {
    if (clipped && Math.abs(v) > 32767 / 32768) clipped.n++;
    return Math.round(Math.max(-1, Math.min(32767 / 32768, v)) * 32768) / 32768;
  });
}

export function withGain(samples: Float32Array, db: number): Float32Array {
  const g = 10 ** (db / 20);
  return samples.map((x) => x * g);
}

function biquad(x: Float32Array, kind: "hp" | "lp", hz: number): Float32Array {
  const w0 = (2 * Math.PI * hz) / SAMPLE_RATE, q = Math.SQRT1_2;
  const cos = Math.cos(w0), alpha = Math.sin(w0) / (2 * q);
  const b1 = kind === "lp" ? 1 - cos : -(1 + cos);
  const b0 = kind === "lp" ? b1 / 2 : -b1 / 2;
  const a0 = 1 + alpha, a1 = -2 * cos, a2 = 1 - alpha;
  const y = new Float32Array(x.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let n = 0; n < x.length; n++) {
    const v = (b0 * x[n]! + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2) / a0;
    x2 = x1; x1 = x[n]!; y2 = y1; y1 = v; y[n] = v;
  }
  return y;
}

export function colour(samples: Float32Array, c: Colouring): Float32Array {
  let y = samples;
  if (c.highPassHz) y = biquad(y, "hp", c.highPassHz);
  if (c.lowPassHz) y = biquad(y, "lp", c.lowPassHz);
  return y === samples ? samples.slice() : y;
}
