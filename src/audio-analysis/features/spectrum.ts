/**
 * A fixed-size, allocation-free re-implementation of the meyda 5.x features frames.ts reads
 * (rms, zcr, spectralCentroid, spectralFlatness, spectralRolloff, mfcc, powerSpectrum).
 *
 * Why not call meyda: `Meyda.extract` spends most of its time allocating (object-per-butterfly
 * FFT, a fresh window copy, 26 x 256 Float32Arrays per frame for the mel bands, closures in the
 * DCT). The trained classifiers depend on meyda's exact numbers, so this file reproduces its
 * arithmetic operation for operation, including where it rounds to float32 (amplitude and power
 * spectra, mel band sums) and where it stays in float64 (windowed signal, FFT, DCT). Results are
 * bit-identical to meyda; change nothing here without re-checking that against `Meyda.extract`.
 */
import MeydaModule from "meyda";

/** The part of meyda's singleton we use; its bundled typings describe the default export wrongly under NodeNext. */
interface MeydaApi {
  sampleRate: number;
  bufferSize: number;
  numberOfMFCCCoefficients: number;
  melFilterBank?: number[][];
  extract(features: string[], signal: Float32Array): unknown;
}
const Meyda = MeydaModule as unknown as MeydaApi;

/** Results of `SpectralFrame.analyse`, overwritten by each call. */
export interface SpectralValues {
  rms: number;
  zcr: number;
  /** In FFT bins, as meyda reports it. */
  spectralCentroid: number;
  spectralFlatness: number;
  /** Hz. */
  spectralRolloff: number;
  mfcc: Float64Array;
  /** size/2 bins, float32 like meyda's. */
  powerSpectrum: Float32Array;
}

export class SpectralFrame {
  readonly size: number;
  private readonly half: number;
  private readonly sampleRate: number;
  private readonly nMfcc: number;
  private readonly window: Float32Array;
  private readonly bitRev: Uint32Array;
  /** Twiddles of every stage, stage after stage: for currN = 2, 4, ..., size, currN/2 values. */
  private readonly twRe: Float64Array;
  private readonly twIm: Float64Array;
  private readonly windowed: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly amp: Float32Array;
  /** Mel filters as (first bin, weights) over each filter's non-zero span. */
  private readonly melLo: Int32Array;
  private readonly melW: Float64Array[];
  private readonly melLog: Float64Array;
  private readonly dctCos: Float64Array;
  readonly out: SpectralValues;

  constructor(size: number, sampleRate: number, nMfcc: number) {
    this.size = size;
    this.half = size / 2;
    this.sampleRate = sampleRate;
    this.nMfcc = nMfcc;
    // meyda's hanning(): float32 coefficients.
    this.window = new Float32Array(size);
    for (let i = 0; i < size; i++) this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (size - 1));
    const bits = Math.log2(size);
    if (!Number.isInteger(bits)) throw new Error("SpectralFrame size must be a power of 2");
    this.bitRev = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.bitRev[i] = r;
    }
    this.twRe = new Float64Array(size - 1);
    this.twIm = new Float64Array(size - 1);
    for (let currN = 2, o = 0; currN <= size; o += currN / 2, currN *= 2) {
      for (let k = 0; k < currN / 2; k++) {
        // fftjs' euler(k, currN), same expression so the same rounding.
        const x = (-2 * Math.PI * k) / currN;
        this.twRe[o + k] = Math.cos(x);
        this.twIm[o + k] = Math.sin(x);
      }
    }
    this.windowed = new Float64Array(size);
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
    this.amp = new Float32Array(this.half);

    // meyda builds its mel filter bank lazily from its global settings on the first extract; take
    // exactly that bank rather than re-deriving it.
    Meyda.sampleRate = sampleRate;
    Meyda.bufferSize = size;
    Meyda.numberOfMFCCCoefficients = nMfcc;
    Meyda.extract(["mfcc"], new Float32Array(size));
    const bank = Meyda.melFilterBank;
    if (!bank) throw new Error("meyda did not build a mel filter bank");
    this.melLo = new Int32Array(bank.length);
    this.melW = bank.map((row, i) => {
      // Zero weights add exactly nothing to meyda's float32 sum, so only the non-zero span is kept.
      let lo = 0, hi = this.half;
      while (lo < hi && row[lo] === 0) lo++;
      while (hi > lo && row[hi - 1] === 0) hi--;
      this.melLo[i] = lo;
      return Float64Array.from(row.slice(lo, hi));
    });
    this.melLog = new Float64Array(bank.length);
    // The DCT-II table of meyda's dct dependency (memoizeCosines).
    const L = bank.length, PI_N = Math.PI / L;
    this.dctCos = new Float64Array(nMfcc * L);
    for (let k = 0; k < nMfcc; k++) for (let n = 0; n < L; n++) this.dctCos[n + k * L] = Math.cos(PI_N * (n + 0.5) * k);
    this.out = {
      rms: 0, zcr: 0, spectralCentroid: 0, spectralFlatness: 0, spectralRolloff: 0,
      mfcc: new Float64Array(nMfcc), powerSpectrum: new Float32Array(this.half),
    };
  }

  /** meyda's rms alone (of the windowed frame), without the FFT: same operations as in `analyse`. */
  rms(frame: Float32Array): number {
    const { size, window } = this;
    let sq = 0;
    for (let i = 0; i < size; i++) sq += Math.pow(frame[i]! * window[i]!, 2);
    return Math.sqrt(sq / size);
  }

  /** Features of one `size`-sample frame; returns `this.out`, reused by the next call. */
  analyse(frame: Float32Array): SpectralValues {
    const { size, half, window, windowed, re, im, amp, bitRev, twRe, twIm, out } = this;
    for (let i = 0; i < size; i++) windowed[i] = frame[i]! * window[i]!;

    // fftjs' radix-2 FFT: bit-reversed copy, then in-place butterflies stage by stage.
    for (let i = 0; i < size; i++) { re[i] = windowed[bitRev[i]!]!; im[i] = 0; }
    for (let currN = 2, o = 0; currN <= size; o += currN / 2, currN *= 2) {
      const h = currN / 2;
      for (let k = 0; k < h; k++) {
        const wr = twRe[o + k]!, wi = twIm[o + k]!;
        for (let e = k; e < size; e += currN) {
          const d = e + h;
          const xr = re[d]!, xi = im[d]!;
          const oddR = wr * xr - wi * xi, oddI = wr * xi + wi * xr;
          const er = re[e]!, ei = im[e]!;
          re[d] = er - oddR; im[d] = ei - oddI;
          re[e] = oddR + er; im[e] = oddI + ei;
        }
      }
    }
    for (let i = 0; i < half; i++) amp[i] = Math.sqrt(Math.pow(re[i]!, 2) + Math.pow(im[i]!, 2));

    // Time-domain features read the windowed signal, as in meyda.
    let sq = 0, zc = 0;
    for (let i = 0; i < size; i++) sq += Math.pow(windowed[i]!, 2);
    for (let i = 1; i < size; i++) {
      const a = windowed[i - 1]!, b = windowed[i]!;
      if ((a >= 0 && b < 0) || (a < 0 && b >= 0)) zc++;
    }
    out.rms = Math.sqrt(sq / size);
    out.zcr = zc;

    let num = 0, sum = 0, logSum = 0;
    for (let k = 0; k < half; k++) {
      const a = amp[k]!;
      num += k * Math.abs(a);
      sum += a;
      logSum += Math.log(a);
    }
    out.spectralCentroid = num / sum;
    out.spectralFlatness = (Math.exp(logSum / half) * half) / sum;
    // spectralRolloff: its own running sum (same order as the loop above, so the same value).
    const nyqBin = this.sampleRate / (2 * (half - 1));
    let ec = sum;
    const threshold = 0.99 * ec;
    let n = half - 1;
    while (ec > threshold && n >= 0) { ec -= amp[n]!; --n; }
    out.spectralRolloff = (n + 1) * nyqBin;

    const ps = out.powerSpectrum;
    for (let k = 0; k < half; k++) ps[k] = Math.pow(amp[k]!, 2);
    const { melLo, melW, melLog, dctCos, nMfcc } = this;
    for (let i = 0; i < melW.length; i++) {
      const w = melW[i]!, lo = melLo[i]!;
      let acc = 0;
      for (let j = 0; j < w.length; j++) acc = Math.fround(acc + Math.fround(w[j]! * ps[lo + j]!));
      melLog[i] = Math.fround(Math.log(acc + 1));
    }
    const L = melW.length;
    for (let k = 0; k < nMfcc; k++) {
      let s = 0;
      for (let j = 0; j < L; j++) s = s + melLog[j]! * dctCos[j + k * L]!;
      out.mfcc[k] = 2 * s;
    }
    return out;
  }
}
