/**
 * The `prosody` model: for every VAD speech region that overlaps this message's new audio, the
 * region (clipped to the audio the window holds) is featurised and classified into the eight
 * RAVDESS emotions (see MODEL_CARD.md). A region still being spoken is scored on what has arrived
 * and re-scored, with a later end time, when the next message extends it.
 */
import { WarningCode, type EmptyConfig, type TimedPrediction } from "../../protocol/index.js";
import { weightsPath } from "../assets.js";
import {
  asWindow, energyRegions, FEATURE_VERSION, featurise, frameEnergies, loadClassifier, predictProba, roundScore, roundTime,
  spansTouchingNewAudio, type AudioWindowInput, type ClassifierWeights, type TimeSpan,
} from "../audio-features/index.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { PROSODY_LABELS, PROSODY_NAME } from "./labels.js";

/** Regions shorter than this carry too few frames for stable statistics (about 2 syllables). */
export const MIN_SEGMENT_SEC = 0.25;

let weights: ClassifierWeights | undefined;

export function scoreProsody(samples: Float32Array, begin: number, end: number): { name: string; score: number }[] {
  if (!weights) throw new Error("prosody model used before load()");
  const p = predictProba(weights, featurise(samples, begin, end).vector);
  const byName = new Map(weights.labels.map((l, k) => [PROSODY_NAME[l] ?? l, p[k] ?? 0]));
  return PROSODY_LABELS.map((name) => ({ name, score: roundScore(byName.get(name) ?? 0) }));
}

export const prosodyModel: Model<EmptyConfig, TimedPrediction> = {
  name: "prosody",
  accepts: ["audio"],
  labels: PROSODY_LABELS,
  async load() {
    weights ??= loadClassifier(weightsPath("prosody", "classifier.json"), FEATURE_VERSION);
  },
  async predict(input: ModelInput | AudioWindowInput): Promise<ModelResult<TimedPrediction>> {
    const w = asWindow(input, "prosody");
    // Without a VAD result (older callers), energy regions stand in for speech.
    const speech: TimeSpan[] = w.speech ?? energyRegions(frameEnergies(w.samples)).map((r) => ({ begin: r.begin + w.startSec, end: r.end + w.startSec }));
    const predictions = spansTouchingNewAudio(speech, w)
      .filter((s) => s.end - s.begin >= MIN_SEGMENT_SEC)
      .map((s): TimedPrediction => ({
        time: { begin: roundTime(s.begin), end: roundTime(s.end) },
        emotions: scoreProsody(w.samples, s.begin - w.startSec, s.end - w.startSec),
      }));
    if (predictions.length === 0) return { predictions, warning: { code: WarningCode.NoSpeech, message: "No speech could be detected." } };
    return { predictions };
  },
};
