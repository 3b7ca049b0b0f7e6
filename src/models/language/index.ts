/**
 * The `language` model (v2, see MODEL_CARD.md): segments the text at the requested granularity,
 * embeds the sentences of the message in one batch with the Universal Sentence Encoder lite, and
 * scores each segment with the encoder head fused with the TF-IDF classifier. Word granularity
 * reads each word through the embedding of its sentence plus the TF-IDF features of a window of
 * neighbouring words ("not happy"), so it costs no extra encoder pass per word.
 */
import { warnings } from "../../protocol/errors.js";
import { TOXICITY_LABELS } from "../../protocol/labels.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { language, type LanguageConfig, type LanguagePrediction } from "./descriptor.js";
import { loadLanguageAnalyzer, type LanguageAnalyzer, type ScoringUnit } from "./analyzer.js";
import { TOXICITY_OUTPUT } from "./labels.js";
import { segment, type Segment } from "./segment.js";

/** Words on each side that give a word its TF-IDF context at word granularity. */
export const WORD_CONTEXT = 3;

let analyzer: LanguageAnalyzer | undefined;

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

/** What each segment is scored on: itself, or for a word its sentence and its word window. */
function scoringUnits(text: string, segments: Segment[], granularity: string): ScoringUnit[] {
  if (granularity !== "word") return segments.map((s) => ({ embedText: s.text, sparseText: s.text }));
  const codePoints = [...text];
  const sentences = segment(text, "sentence");
  let at = 0;
  return segments.map((word, i) => {
    while (at < sentences.length - 1 && sentences[at]!.end <= word.begin) at++;
    return { embedText: sentences[at]?.text ?? word.text, sparseText: contextOf(segments, i, codePoints) };
  });
}

export const languageModel: Model<typeof language> = {
  descriptor: language,
  async load() {
    if (analyzer) return;
    const loaded = await loadLanguageAnalyzer();
    const unknown = loaded.toxicityLabels.filter((l) => !(TOXICITY_LABELS as readonly string[]).includes(l));
    if (unknown.length > 0) throw new Error(`language weights score toxicity labels Hume does not have: ${unknown.join(", ")}`);
    if (loaded.labels.join() !== language.labels.join()) throw new Error("language weights' labels differ from the descriptor's");
    if (loaded.toxicityLabels.join() !== TOXICITY_OUTPUT.join()) throw new Error("language weights' toxicity labels differ from TOXICITY_OUTPUT");
    analyzer = loaded;
  },
  async predict(input: ModelInput, config: LanguageConfig): Promise<ModelResult<LanguagePrediction>> {
    if (input.kind !== "text") throw new Error(`language model got ${input.kind} input`);
    if (!analyzer) throw new Error("language model used before load()");
    const a = analyzer;
    const granularity = config.granularity ?? "word";
    const segments = segment(input.text, granularity);
    if (segments.length === 0) {
      return { predictions: [], warning: language.nothingFound };
    }
    const scores = await a.analyze(scoringUnits(input.text, segments, granularity));
    const predictions = segments.map((seg, i): LanguagePrediction => {
      const s = scores[i]!;
      const prediction: LanguagePrediction = {
        text: seg.text,
        position: { begin: seg.begin, end: seg.end },
        emotions: a.labels.map((name, k) => ({ name, score: round(s.emotions[k] ?? 0) })),
      };
      if (config.sentiment) prediction.sentiment = Array.from(s.sentiment, (p, l) => ({ name: String(l + 1), score: round(p) }));
      if (config.toxicity) prediction.toxicity = a.toxicityLabels.map((name, k) => ({ name, score: round(s.toxicity[k] ?? 0) }));
      return prediction;
    });
    if (config.toxicity) {
      // Hume's labels without training data behind them: never scored, named in the warning.
      const unsupported = TOXICITY_LABELS.filter((l) => !a.toxicityLabels.includes(l));
      return { predictions, warning: warnings.toxicityPartial(a.toxicityLabels, unsupported) };
    }
    return { predictions };
  },
};
