/** The expression network's classes and output names (browser-safe: the descriptor reads them). */
/** Output order of the network (train_expression.py `EMOTIONS`). */
export const FERPLUS_ORDER = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"] as const;
export type FerPlusLabel = (typeof FERPLUS_ORDER)[number];

/**
 * Hume's name where the construct is the same. FER+ "surprise" has no valence while Hume splits
 * Surprise (negative)/(positive), so it keeps its own name, as does "neutral".
 */
export const FERPLUS_TO_NAME: Record<FerPlusLabel, string> = {
  neutral: "Neutral",
  happiness: "Joy",
  surprise: "Surprise",
  sadness: "Sadness",
  anger: "Anger",
  disgust: "Disgust",
  fear: "Fear",
  contempt: "Contempt",
};

/** Output names, alphabetical like the official service's lists. */
export const FACE_EMOTION_LABELS: readonly string[] = Object.values(FERPLUS_TO_NAME).sort();
