/**
 * GoEmotions label -> output dimension name. Rule: use Hume's language label when the construct
 * is the same; otherwise keep the model's own name, Title-cased. `hume` marks which is which
 * (the model card carries the same table).
 */
export const GOEMOTIONS_TO_OUTPUT: Readonly<Record<string, { name: string; hume: boolean }>> = {
  admiration: { name: "Admiration", hume: true },
  amusement: { name: "Amusement", hume: true },
  anger: { name: "Anger", hume: true },
  annoyance: { name: "Annoyance", hume: true },
  approval: { name: "Approval", hume: false },
  caring: { name: "Caring", hume: false },
  confusion: { name: "Confusion", hume: true },
  curiosity: { name: "Curiosity", hume: false },
  desire: { name: "Desire", hume: true },
  disappointment: { name: "Disappointment", hume: true },
  disapproval: { name: "Disapproval", hume: true },
  disgust: { name: "Disgust", hume: true },
  embarrassment: { name: "Embarrassment", hume: true },
  excitement: { name: "Excitement", hume: true },
  fear: { name: "Fear", hume: true },
  gratitude: { name: "Gratitude", hume: true },
  grief: { name: "Grief", hume: false },
  joy: { name: "Joy", hume: true },
  love: { name: "Love", hume: true },
  nervousness: { name: "Nervousness", hume: false },
  optimism: { name: "Optimism", hume: false },
  pride: { name: "Pride", hume: true },
  realization: { name: "Realization", hume: true },
  relief: { name: "Relief", hume: true },
  remorse: { name: "Remorse", hume: false },
  sadness: { name: "Sadness", hume: true },
  // Hume splits surprise by valence; GoEmotions does not, so we keep the unsplit name.
  surprise: { name: "Surprise", hume: false },
  neutral: { name: "Neutral", hume: false },
};

export function outputName(goEmotionsLabel: string): string {
  const m = GOEMOTIONS_TO_OUTPUT[goEmotionsLabel];
  if (!m) throw new Error(`unknown GoEmotions label: ${goEmotionsLabel}`);
  return m.name;
}

/**
 * Hume's toxicity labels the Davidson et al. votes support, in output order: `toxic` (rated hate
 * or offensive) and `identity_hate` (rated hate speech). The others have no data and are never scored.
 */
export const TOXICITY_OUTPUT = ["toxic", "identity_hate"] as const;
