/**
 * RAVDESS emotion -> output name. Hume's name is used where the construct is the same; RAVDESS's
 * neutral and surprised keep their own names ("Surprise" has no valence in RAVDESS, whereas Hume
 * splits "Surprise (positive)" / "Surprise (negative)", so neither Hume name would be honest).
 */
export const PROSODY_NAME: Record<string, string> = {
  neutral: "Neutral",
  calm: "Calmness",
  happy: "Joy",
  sad: "Sadness",
  angry: "Anger",
  fearful: "Fear",
  disgust: "Disgust",
  surprised: "Surprise",
};

/** Output order: alphabetical, like Hume's lists. */
export const PROSODY_LABELS: readonly string[] = Object.values(PROSODY_NAME).sort();
