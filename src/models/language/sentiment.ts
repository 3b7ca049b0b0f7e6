/**
 * The previous sentiment measure, no longer served: language v2 learns its 9-level sentiment from
 * rated text (head.ts). Kept as the baseline the evaluation reports beside the learned one.
 *
 * Sentiment as a distribution over 9 levels ("1" most negative .. "9" most positive), from VADER
 * (Hutto & Gilbert 2014; lexicon + rules, package `vader-sentiment`, Apache-2.0).
 *
 * Measure: the VADER compound score c in [-1, 1] is mapped linearly to a level mu = 5 + 4c, and
 * spread over the 9 integer levels with a discretised Gaussian kernel exp(-(l - mu)^2 / 2s^2),
 * normalised to sum to 1. The width s says how sure the lexicon is:
 *   s = SIGMA_MIN + (SIGMA_MAX - SIGMA_MIN) * neu
 * where neu is VADER's share of the text that carries no lexicon valence. Text full of sentiment
 * words gets a narrow peak (s = 0.75 levels); text with no sentiment words peaks at "5" with a
 * broad spread (s = 2 levels), because "no lexicon hit" is weak evidence of neutrality.
 * Empty text has compound 0 and neu 0 in VADER, so it is treated as fully uncertain (neu = 1).
 */
import vader from "vader-sentiment";

export const SENTIMENT_SIGMA_MIN = 0.75;
export const SENTIMENT_SIGMA_MAX = 2;

export function sentimentDistribution(text: string): { name: string; score: number }[] {
  const t = text.trim();
  const { compound, neu } = t === "" ? { compound: 0, neu: 1 } : vader.SentimentIntensityAnalyzer.polarity_scores(t);
  const c = Number.isFinite(compound) ? Math.max(-1, Math.min(1, compound)) : 0;
  const n = Number.isFinite(neu) ? Math.max(0, Math.min(1, neu)) : 1;
  const mu = 5 + 4 * c;
  const sigma = SENTIMENT_SIGMA_MIN + (SENTIMENT_SIGMA_MAX - SENTIMENT_SIGMA_MIN) * n;
  const w: number[] = [];
  for (let level = 1; level <= 9; level++) w.push(Math.exp(-((level - mu) ** 2) / (2 * sigma * sigma)));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x, i) => ({ name: String(i + 1), score: x / sum }));
}

/** Expected level (1..9) of a distribution returned by sentimentDistribution. */
export function expectedLevel(dist: readonly { name: string; score: number }[]): number {
  return dist.reduce((a, d) => a + Number(d.name) * d.score, 0);
}
