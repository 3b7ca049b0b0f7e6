/**
 * FER2013's seven classes, which the facemesh classifier is trained on, and their output names:
 * Hume's name where the construct is the same. FER "surprise" has no valence while Hume splits
 * Surprise (negative)/(positive), so it keeps its own name; "neutral" has no Hume counterpart.
 */
export const FER_ORDER = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"] as const;
export type FerLabel = (typeof FER_ORDER)[number];

export const FER_TO_NAME: Record<FerLabel, string> = {
  angry: "Anger",
  disgust: "Disgust",
  fear: "Fear",
  happy: "Joy",
  sad: "Sadness",
  surprise: "Surprise",
  neutral: "Neutral",
};

/** Output names, alphabetical like the official service's lists. */
export const FACEMESH_EMOTION_LABELS: readonly string[] = Object.values(FER_TO_NAME).sort();
