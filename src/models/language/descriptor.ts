/** The `language` model's declaration: options, prediction shape, labels and CLI table. */
import { z } from "zod";
import { EmotionScore, TimeSpan } from "../../primitives.js";
import { warnings } from "../../protocol/errors.js";
import { sentimentLabel, sentimentMean } from "../../protocol/labels.js";
import { Toggle } from "../../protocol/shapes.js";
import { defineModel } from "../descriptor.js";
import { GOEMOTIONS_TO_OUTPUT } from "./labels.js";

export const Granularity = z.enum(["word", "sentence", "utterance", "passage"]);
export type Granularity = z.infer<typeof Granularity>;

export const LanguageConfig = z.object({
  granularity: Granularity.nullish(),
  sentiment: Toggle,
  toxicity: Toggle,
  identify_speakers: z.boolean().nullish(),
});
export type LanguageConfig = z.infer<typeof LanguageConfig>;

export const LanguagePrediction = z.object({
  text: z.string(),
  /** Code point offsets into the message's text. */
  position: TimeSpan,
  emotions: z.array(EmotionScore),
  sentiment: z.array(EmotionScore).optional(),
  toxicity: z.array(EmotionScore).optional(),
});
export type LanguagePrediction = z.infer<typeof LanguagePrediction>;

/** Sentiment levels "1"-"9" as a score-weighted mean level, e.g. "6.8 (positive)". */
export function sentimentSummary(levels: readonly EmotionScore[]): string {
  const mean = sentimentMean(levels);
  return mean === undefined ? "-" : `${mean.toFixed(1)} (${sentimentLabel(mean)})`;
}

export const language = defineModel({
  name: "language",
  config: LanguageConfig,
  prediction: LanguagePrediction,
  accepts: ["text"],
  // The classifier's output order: GoEmotions' labels alphabetically, then neutral.
  labels: Object.values(GOEMOTIONS_TO_OUTPUT).map((m) => m.name),
  nothingFound: warnings.noText,
  table: (predictions, cells) => {
    const withSentiment = predictions.some((p) => p.sentiment);
    const withToxicity = predictions.some((p) => p.toxicity);
    return {
      head: ["#", "position", "text", cells.topHead, ...(withSentiment ? ["sentiment"] : []), ...(withToxicity ? ["toxicity"] : [])],
      rows: predictions.map((p, i) => {
        const row = [String(i + 1), `${p.position.begin}-${p.position.end}`, cells.text(p.text), cells.top(p.emotions)];
        if (withSentiment) row.push(p.sentiment ? sentimentSummary(p.sentiment) : "");
        if (withToxicity) row.push(p.toxicity ? cells.top(p.toxicity, 1) : "");
        return row;
      }),
    };
  },
});
