/**
 * TF-IDF featurisation shared by training and serving: word 1-2-grams and char_wb 2-5-grams,
 * each block with sublinear tf (1 + ln tf), multiplied by idf and l2-normalised on its own
 * (as scikit-learn's FeatureUnion of two TfidfVectorizers would do), then concatenated.
 * Feature indices: word block first [0, nWord), then char block [nWord, nWord + nChar).
 */
import { charNgrams, wordNgrams, wordTokens } from "./tokenize.js";

export interface FeatureSettings {
  readonly charMinN: number;
  readonly charMaxN: number;
}

export const DEFAULT_FEATURES: FeatureSettings = { charMinN: 2, charMaxN: 5 };

export interface Terms {
  word: string[];
  char: string[];
}

export function extractTerms(text: string, s: FeatureSettings): Terms {
  return { word: wordNgrams(wordTokens(text)), char: charNgrams(text, s.charMinN, s.charMaxN) };
}

export interface Vocabulary {
  readonly word: ReadonlyMap<string, number>; // term -> index in [0, nWord)
  readonly char: ReadonlyMap<string, number>; // term -> index in [nWord, nWord + nChar)
  readonly idf: Float32Array; // by feature index
  readonly size: number;
}

export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

/** Counts known terms of one block, applies sublinear tf * idf and l2-normalises the block. */
function addBlock(
  terms: readonly string[],
  map: ReadonlyMap<string, number>,
  idf: Float32Array,
  idx: number[],
  val: number[],
): void {
  const counts = new Map<number, number>();
  for (const t of terms) {
    const j = map.get(t);
    if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
  }
  const start = val.length;
  let norm = 0;
  for (const [j, c] of counts) {
    const v = (1 + Math.log(c)) * (idf[j] ?? 0);
    idx.push(j);
    val.push(v);
    norm += v * v;
  }
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let p = start; p < val.length; p++) val[p] = (val[p] ?? 0) * inv;
  }
}

export function vectorizeTerms(terms: Terms, vocab: Vocabulary): SparseVector {
  const idx: number[] = [];
  const val: number[] = [];
  addBlock(terms.word, vocab.word, vocab.idf, idx, val);
  addBlock(terms.char, vocab.char, vocab.idf, idx, val);
  return { idx: Int32Array.from(idx), val: Float32Array.from(val) };
}

export function vectorize(text: string, vocab: Vocabulary, s: FeatureSettings): SparseVector {
  return vectorizeTerms(extractTerms(text, s), vocab);
}

/** Smooth idf as in scikit-learn: ln((1 + n) / (1 + df)) + 1. */
export function smoothIdf(nDocs: number, df: number): number {
  return Math.log((1 + nDocs) / (1 + df)) + 1;
}
