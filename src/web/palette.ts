/**
 * One colour per emotion family, shared by every mode so "Joy" looks the same on a face, in a
 * voice and in text. Families follow valence and arousal loosely; hues are picked to stay apart
 * for common colour-vision deficiencies (blue/orange rather than red/green as the main split).
 */
import type { EmotionScore } from "../client/index.js";

const FAMILIES: readonly { hue: number; sat: number; names: readonly string[] }[] = [
  { hue: 38, sat: 95, names: ["Joy", "Amusement", "Excitement", "Ecstasy", "Triumph", "Enthusiasm", "Optimism", "Surprise (positive)", "Approval"] },
  { hue: 330, sat: 75, names: ["Love", "Adoration", "Romance", "Desire", "Admiration", "Gratitude", "Aesthetic Appreciation", "Awe", "Entrancement", "Caring", "Craving"] },
  { hue: 150, sat: 55, names: ["Calmness", "Contentment", "Relief", "Satisfaction", "Pride", "Nostalgia", "Sympathy"] },
  { hue: 190, sat: 70, names: ["Interest", "Concentration", "Contemplation", "Realization", "Curiosity", "Surprise", "Determination"] },
  { hue: 2, sat: 80, names: ["Anger", "Annoyance", "Contempt", "Disgust", "Disapproval", "Envy", "Sarcasm"] },
  { hue: 275, sat: 55, names: ["Fear", "Anxiety", "Horror", "Distress", "Surprise (negative)", "Awkwardness", "Embarrassment", "Nervousness", "Confusion", "Doubt"] },
  { hue: 220, sat: 65, names: ["Sadness", "Disappointment", "Empathic Pain", "Pain", "Guilt", "Shame", "Tiredness", "Boredom", "Grief", "Remorse"] },
];

// Members of a family get hues a few degrees apart, so Love and Gratitude side by side in a
// sentence stay distinguishable while still reading as one family.
const BY_NAME = new Map<string, { hue: number; sat: number }>();
for (const f of FAMILIES) f.names.forEach((n, i) => BY_NAME.set(n, { hue: (f.hue + ((i % 5) - 2) * 8 + 360) % 360, sat: f.sat }));

function tone(name: string): { hue: number; sat: number } {
  return BY_NAME.get(name) ?? { hue: 0, sat: 0 }; // Neutral and anything unknown: grey
}

/** Strong colour for strokes, bars and chart marks (contrast >= 3:1 on white). */
export function strong(name: string): string {
  const t = tone(name);
  return `hsl(${t.hue} ${t.sat}% 36%)`;
}

/** Dark enough for text on white or on a tint (>= 4.5:1), same hue as `strong`. */
export function ink(name: string): string {
  const t = tone(name);
  return `hsl(${t.hue} ${t.sat}% 27%)`;
}

/** Pale tint for backgrounds behind dark text (text contrast stays above 7:1). */
export function tint(name: string, strength = 1): string {
  const t = tone(name);
  const light = 94 - 14 * Math.max(0, Math.min(1, strength));
  return `hsl(${t.hue} ${t.sat}% ${light}%)`;
}

/**
 * The highest score's name when it is clearly there (>= 0.1): a sneeze has no mapped emotion,
 * and the crumbs of probability it leaves on "Sadness" should not colour it.
 */
export function topName(emotions: readonly EmotionScore[]): string | undefined {
  const best = top(emotions, 1)[0];
  return best && best.score >= 0.1 ? best.name : undefined;
}

/** The `n` highest scores, best first. */
export function top(emotions: readonly EmotionScore[], n: number): EmotionScore[] {
  return [...emotions].sort((a, b) => b.score - a.score).slice(0, n);
}
