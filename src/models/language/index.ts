/**
 * The `language` model: segments the text at the requested granularity and scores each segment
 * with the GoEmotions-trained classifier (see MODEL_CARD.md). Word-level scores read the word in
 * a small window of its neighbours, because a word alone rarely carries its emotion ("not happy").
 */
import { warnings } from "../../protocol/errors.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { language, type LanguageConfig, type LanguagePrediction } from "./descriptor.js";
import { loadLanguageClassifier, type LanguageClassifier } from "./classifier.js";
import { segment, type Segment } from "./segment.js";
import { sentimentDistribution } from "./sentiment.js";

/** Words on each side that give a word its context at word granularity. */
export const WORD_CONTEXT = 3;

let classifier: LanguageClassifier | undefined;

function scoreText(text: string): { name: string; score: number }[] {
  if (!classifier) throw new Error("language model used before load()");
  const scores = classifier.scores(text);
  return classifier.labels.map((name, i) => ({ name, score: round(scores[i] ?? 0) }));
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** For word granularity: the text of the words around each word, by code point offsets. */
function contextOf(words: Segment[], i: number, codePoints: string[]): string {
  const from = words[Math.max(0, i - WORD_CONTEXT)];
  const to = words[Math.min(words.length - 1, i + WORD_CONTEXT)];
  if (!from || !to) return words[i]?.text ?? "";
  return codePoints.slice(from.begin, to.end).join("");
}

export const languageModel: Model<typeof language> = {
  descriptor: language,
  async load() {
    classifier ??= await loadLanguageClassifier();
  },
  async predict(input: ModelInput, config: LanguageConfig): Promise<ModelResult<LanguagePrediction>> {
    if (input.kind !== "text") throw new Error(`language model got ${input.kind} input`);
    const granularity = config.granularity ?? "word";
    const segments = segment(input.text, granularity);
    if (segments.length === 0) {
      return { predictions: [], warning: language.nothingFound };
    }
    const codePoints = granularity === "word" ? [...input.text] : [];
    const predictions = segments.map((seg, i): LanguagePrediction => {
      const scored = granularity === "word" ? contextOf(segments, i, codePoints) : seg.text;
      const prediction: LanguagePrediction = {
        text: seg.text,
        position: { begin: seg.begin, end: seg.end },
        emotions: scoreText(scored),
      };
      if (config.sentiment) prediction.sentiment = sentimentDistribution(scored);
      return prediction;
    });
    if (config.toxicity) {
      return { predictions, warning: warnings.toxicityUnavailable };
    }
    return { predictions };
  },
};
