/**
 * Language v2 scoring: the sentence encoder reads a unit's text, the TF-IDF classifier reads its
 * sparse text, and the encoder head fuses the two (head.ts). All units of one message are embedded
 * in one batch. Recent embeddings are memoised by text, so a sentence scored again (its words at
 * word granularity, a client resending it) costs no encoder pass.
 */
import { loadLanguageClassifier, defaultLanguageDir, type LanguageClassifier } from "./classifier.js";
import { coalescing } from "./encoder/coalesce.js";
import { EMBEDDING_DIM, loadSentenceEncoder, type SentenceEncoder } from "./encoder/encoder.js";
import { loadEncoderHead, type EncoderHead, type HeadLabels, type HeadScores } from "./head.js";

export interface ScoringUnit {
  /** What the sentence encoder reads (a sentence, or the sentence around a word). */
  embedText: string;
  /** What the TF-IDF classifier reads (the unit itself, or a word in its window). */
  sparseText: string;
}

export interface LanguageAnalyzer extends HeadLabels {
  analyze(units: readonly ScoringUnit[]): Promise<HeadScores[]>;
  /** Scores with an embedding computed elsewhere (the evaluation reads cached corpus embeddings). */
  scoreEmbedded(embeddings: Float32Array, row: number, sparseText: string): HeadScores;
  /** The GoEmotions-only TF-IDF classifier inside (the previous language model). */
  readonly sparse: LanguageClassifier;
}

/** Embeddings kept by text; 2 KB each, so 512 entries is 1 MB per worker. */
const CACHE_ENTRIES = 512;

class EmbeddingCache {
  private readonly map = new Map<string, Float32Array>();
  get(text: string): Float32Array | undefined {
    const v = this.map.get(text);
    if (v) {
      this.map.delete(text);
      this.map.set(text, v);
    }
    return v;
  }
  set(text: string, v: Float32Array): void {
    this.map.set(text, v);
    if (this.map.size > CACHE_ENTRIES) this.map.delete(this.map.keys().next().value as string);
  }
}

export async function loadLanguageAnalyzer(dir: string = defaultLanguageDir(), headDir: string = dir): Promise<LanguageAnalyzer> {
  const [encoder, sparse, head]: [SentenceEncoder, LanguageClassifier, EncoderHead] = await Promise.all([
    loadSentenceEncoder(),
    loadLanguageClassifier(dir),
    loadEncoderHead(headDir),
  ]);
  if (head.labels.join() !== sparse.labels.join()) throw new Error("encoder head and TF-IDF classifier disagree on labels");
  // The first encoder pass sets up onnxruntime's kernels and buffers (slower than later ones); pay
  // it at load, not on the first message.
  await encoder.embed(["Warm-up sentence."]);
  const cache = new EmbeddingCache();
  // Messages of one batch (run concurrently by the worker) share one encoder call.
  const embed = coalescing((texts) => encoder.embed(texts));

  function scoreEmbedded(embeddings: Float32Array, row: number, sparseText: string): HeadScores {
    return head.score(embeddings, row, sparse.logits(sparseText));
  }

  return {
    labels: head.labels,
    thresholds: head.thresholds,
    toxicityLabels: head.toxicityLabels,
    toxicityThresholds: head.toxicityThresholds,
    sparse,
    scoreEmbedded,
    async analyze(units) {
      // This call's embeddings, kept apart from the cache so a big message cannot evict its own rows.
      const local = new Map<string, Float32Array>();
      const missing = new Set<string>();
      for (const { embedText } of units) {
        if (local.has(embedText) || missing.has(embedText)) continue;
        const hit = cache.get(embedText);
        if (hit) local.set(embedText, hit);
        else missing.add(embedText);
      }
      if (missing.size > 0) {
        const texts = [...missing];
        const rows = await embed(texts);
        texts.forEach((t, i) => {
          const row = rows.slice(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM);
          local.set(t, row);
          cache.set(t, row);
        });
      }
      return units.map((u) => scoreEmbedded(local.get(u.embedText)!, 0, u.sparseText));
    },
  };
}
