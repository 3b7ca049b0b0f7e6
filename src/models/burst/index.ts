/**
 * The `burst` model: finds short vocalisations in this message's new audio, classifies each into
 * the 16 nonverbal call types (plus an internal "none"), and reports the call-type probabilities
 * as `descriptions` and the mapped expressions as `emotions` (see MODEL_CARD.md).
 *
 * Candidate rule: energy regions of the window (frames >= 15 dB above the window's noise floor and
 * above -55 dBFS, gaps < 150 ms bridged, 150 ms .. 5 s long) that either overlap VAD speech for
 * less than half their length, or are themselves a VAD speech region shorter than 1 s (the VAD
 * often calls a laugh or a scream speech). A candidate is reported only when "none" is not the
 * classifier's top class and the top call type has probability >= MIN_CALL_PROB.
 */
import type { TimedPrediction } from "../../protocol/shapes.js";
import { weightsPath } from "../../package-paths.js";
import {
  asWindow, energyRegions, frameEnergies, loadClassifier, predictProba, raiseQuiet, roundScore, roundTime,
  piecesInNewAudio, VOICE_FEATURE_VERSION, voiceFeatures, type ClassifierWeights, type TimeSpan,
} from "../../audio-analysis/features/index.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { burst } from "./descriptor.js";
import { BURST_CALL_TYPES, BURST_EMOTIONS, CALL_TO_EMOTION } from "./labels.js";

/** Minimum top call-type probability to report a burst (chosen on out-of-fold results). */
export const MIN_CALL_PROB = 0.4;
export const MIN_SEC = 0.15;
/**
 * Noise floor added under every candidate before its features (voice.ts), in dB below the
 * candidate's level: bursts are short sounds between silences, and without it the features of
 * those silences read the recording's own floor (a quiet phone, or the 16-bit rounding noise of
 * a quiet recording), which moved a cough's scores by 0.3 between two gains 30 dB apart.
 */
export const BURST_FLOOR_DB = 40;
const MAX_SEC = 5;
const SHORT_SPEECH_SEC = 1;

let weights: ClassifierWeights | undefined;

function overlap(a: TimeSpan, b: TimeSpan): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.begin, b.begin));
}

/** Candidate regions in stream time (before restricting to the new audio). */
export function burstCandidates(samples: Float32Array, startSec: number, speech: readonly TimeSpan[]): TimeSpan[] {
  // A quiet window is raised first, so the -55 dBFS floor acts relative to the loudest sounds in it
  // and a burst recorded at low microphone gain is still a candidate.
  const energy = energyRegions(frameEnergies(raiseQuiet(samples)), { maxGap: 0.15, minDur: MIN_SEC })
    .map((r) => ({ begin: r.begin + startSec, end: r.end + startSec }));
  const out: TimeSpan[] = [];
  for (const r of energy) {
    const inSpeech = speech.reduce((a, s) => a + overlap(r, s), 0);
    const dur = r.end - r.begin;
    if (dur > MAX_SEC) continue;
    if (inSpeech < 0.5 * dur) { out.push(r); continue; }
    // Mostly speech: keep it only if the VAD region it falls in is itself short.
    const host = speech.find((s) => overlap(r, s) > 0.5 * dur);
    if (host && host.end - host.begin < SHORT_SPEECH_SEC) out.push({ begin: Math.max(r.begin, host.begin), end: Math.min(r.end, host.end) });
  }
  return out;
}

/**
 * The reporting rule, on the classifier's output (16 call types, then "none"): "none" is not the
 * top class and the top call type is at least `minProb`. The eval applies the same function.
 */
export function acceptsBurst(p: ArrayLike<number>, minProb = MIN_CALL_PROB): boolean {
  const K = BURST_CALL_TYPES.length;
  let top = 0;
  for (let k = 0; k < K; k++) top = Math.max(top, p[k] ?? 0);
  return (p[K] ?? 0) < top && top >= minProb;
}

/** Call-type probabilities (renormalised without "none") and the raw "none"-aware decision. */
export function classifyBurst(samples: Float32Array, begin: number, end: number): { calls: number[]; accepted: boolean } {
  if (!weights) throw new Error("burst model used before load()");
  const p = predictProba(weights, voiceFeatures(samples, begin, end, BURST_FLOOR_DB));
  const K = BURST_CALL_TYPES.length;
  const none = p[K] ?? 0;
  const calls = Array.from(p.subarray(0, K), (x) => x / Math.max(1e-12, 1 - none));
  return { calls, accepted: acceptsBurst(p) };
}

export function emotionsFromCalls(calls: readonly number[]): { name: string; score: number }[] {
  const sum = new Map<string, number>(BURST_EMOTIONS.map((e) => [e, 0]));
  BURST_CALL_TYPES.forEach((c, k) => {
    for (const [e, share] of CALL_TO_EMOTION[c] ?? []) sum.set(e, (sum.get(e) ?? 0) + share * (calls[k] ?? 0));
  });
  return BURST_EMOTIONS.map((name) => ({ name, score: roundScore(sum.get(name) ?? 0) }));
}

export const burstModel: Model<typeof burst> = {
  descriptor: burst,
  async load() {
    weights ??= loadClassifier(weightsPath("burst", "classifier.json"), VOICE_FEATURE_VERSION);
  },
  async predict(input: ModelInput): Promise<ModelResult<TimedPrediction>> {
    const w = asWindow(input, "burst");
    const predictions: TimedPrediction[] = [];
    for (const { scored, reported } of piecesInNewAudio(burstCandidates(w.samples, w.startSec, w.speech), w, MIN_SEC)) {
      if (scored.end - scored.begin < MIN_SEC) continue;
      const { calls, accepted } = classifyBurst(w.samples, scored.begin - w.startSec, scored.end - w.startSec);
      if (!accepted) continue;
      predictions.push({
        time: { begin: roundTime(reported.begin), end: roundTime(reported.end) },
        emotions: emotionsFromCalls(calls),
        descriptions: BURST_CALL_TYPES.map((name, k) => ({ name, score: roundScore(calls[k] ?? 0) })),
      });
    }
    if (predictions.length === 0) return { predictions, warning: burst.nothingFound };
    return { predictions };
  },
};
