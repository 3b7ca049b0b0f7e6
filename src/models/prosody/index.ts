/**
 * The `prosody` model: for every VAD speech region that overlaps this message's new audio, the
 * region (clipped to the audio the window holds) is level-normalised, featurised and classified
 * into the eight RAVDESS emotions (see MODEL_CARD.md), and reported with the part of it that lies
 * in the new audio as its `time` (window.ts `piecesInNewAudio`).
 */
import type { TimedPrediction } from "../../protocol/shapes.js";
import { weightsPath } from "../../package-paths.js";
import {
  asWindow, loadClassifier, predictProba, roundScore, roundTime,
  piecesInNewAudio, type ClassifierWeights,
} from "../../audio-analysis/features/index.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { VOICE_FEATURE_VERSION, voiceFeatures } from "../../audio-analysis/features/voice.js";
import { prosody } from "./descriptor.js";
import { PROSODY_LABELS, PROSODY_NAME } from "./labels.js";

/** Regions shorter than this carry too few frames for stable statistics (about 2 syllables). */
export const MIN_SEGMENT_SEC = 0.25;

let weights: ClassifierWeights | undefined;

export function scoreProsody(samples: Float32Array, begin: number, end: number): { name: string; score: number }[] {
  if (!weights) throw new Error("prosody model used before load()");
  const p = predictProba(weights, voiceFeatures(samples, begin, end));
  const byName = new Map(weights.labels.map((l, k) => [PROSODY_NAME[l] ?? l, p[k] ?? 0]));
  return PROSODY_LABELS.map((name) => ({ name, score: roundScore(byName.get(name) ?? 0) }));
}

export const prosodyModel: Model<typeof prosody> = {
  descriptor: prosody,
  async load() {
    weights ??= loadClassifier(weightsPath("prosody", "classifier.json"), VOICE_FEATURE_VERSION);
  },
  async predict(input: ModelInput): Promise<ModelResult<TimedPrediction>> {
    const w = asWindow(input, "prosody");
    const predictions = piecesInNewAudio(w.speech, w, MIN_SEGMENT_SEC)
      .filter(({ scored }) => scored.end - scored.begin >= MIN_SEGMENT_SEC)
      .map(({ scored, reported }): TimedPrediction => ({
        time: { begin: roundTime(reported.begin), end: roundTime(reported.end) },
        emotions: scoreProsody(w.samples, scored.begin - w.startSec, scored.end - w.startSec),
      }));
    if (predictions.length === 0) return { predictions, warning: prosody.nothingFound };
    return { predictions };
  },
};
