/**
 * Label sets of the v0 protocol, exact strings and order as the official service returned them.
 * Our models name their dimensions with these labels where the construct is the same and keep
 * their own names otherwise; each model card documents its mapping.
 */

/** Face, prosody and (by best assumption) burst: 48 names, alphabetical. */
export const EXPRESSION_48 = [
  "Admiration", "Adoration", "Aesthetic Appreciation", "Amusement", "Anger", "Anxiety", "Awe",
  "Awkwardness", "Boredom", "Calmness", "Concentration", "Confusion", "Contemplation", "Contempt",
  "Contentment", "Craving", "Desire", "Determination", "Disappointment", "Disgust", "Distress",
  "Doubt", "Ecstasy", "Embarrassment", "Empathic Pain", "Entrancement", "Envy", "Excitement", "Fear",
  "Guilt", "Horror", "Interest", "Joy", "Love", "Nostalgia", "Pain", "Pride", "Realization", "Relief",
  "Romance", "Sadness", "Satisfaction", "Shame", "Surprise (negative)", "Surprise (positive)",
  "Sympathy", "Tiredness", "Triumph",
] as const;

/** Language: the 48 plus five text-only dimensions. */
export const LANGUAGE_53 = [
  ...EXPRESSION_48,
  "Annoyance", "Disapproval", "Enthusiasm", "Gratitude", "Sarcasm",
].sort();

/** Sentiment levels, 1 = most negative, 9 = most positive. */
export const SENTIMENT_LEVELS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

/**
 * A prediction's sentiment scores as one score-weighted mean level (1-9), the way the CLI and the
 * playground show it; undefined when no numeric level has any weight.
 */
export function sentimentMean(levels: readonly { name: string; score: number }[]): number | undefined {
  let total = 0;
  let weighted = 0;
  for (const { name, score } of levels) {
    const level = Number(name);
    if (!Number.isFinite(level)) continue;
    total += score;
    weighted += level * score;
  }
  return total > 0 ? weighted / total : undefined;
}

export function sentimentLabel(mean: number): "negative" | "neutral" | "positive" {
  return mean < 4 ? "negative" : mean > 6 ? "positive" : "neutral";
}

export const TOXICITY_LABELS = [
  "toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate",
] as const;

export const FACS_36 = [
  "AU1 Inner Brow Raise", "AU2 Outer Brow Raise", "AU4 Brow Lowerer", "AU5 Upper Lid Raise",
  "AU6 Cheek Raise", "AU7 Lids Tight", "AU9 Nose Wrinkle", "AU10 Upper Lip Raiser",
  "AU11 Nasolabial Furrow Deepener", "AU12 Lip Corner Puller", "AU14 Dimpler",
  "AU15 Lip Corner Depressor", "AU16 Lower Lip Depress", "AU17 Chin Raiser", "AU18 Lip Pucker",
  "AU19 Tongue Show", "AU20 Lip Stretch", "AU22 Lip Funneler", "AU23 Lip Tightener",
  "AU24 Lip Presser", "AU25 Lips Part", "AU26 Jaw Drop", "AU27 Mouth Stretch", "AU28 Lips Suck",
  "AU32 Bite", "AU34 Puff", "AU37 Lip Wipe", "AU38 Nostril Dilate", "AU43 Eye Closure",
  "AU53 Head Up", "AU54 Head Down", "Hand over Mouth", "Hand over Eyes", "Hand over Forehead",
  "Hand over Face", "Hand touching Face / Head",
] as const;

export const DESCRIPTIONS_27 = [
  "Beaming", "Biting lip", "Cheering", "Cringe", "Cry", "Eyes closed", "Face in hands", "Frown",
  "Gasp", "Glare", "Glaring", "Grimace", "Grin", "Jaw drop", "Laugh", "Licking lip", "Pout", "Scowl",
  "Smile", "Smirk", "Snarl", "Squint", "Sulking", "Tongue out", "Wide-eyed", "Wince", "Wrinkled nose",
] as const;
