/**
 * The corpus embedding cache (gitignored; rebuilt by embed-corpora.ts): per corpus, the texts
 * embedded so far (`<corpus>.texts.jsonl`, one JSON string a line) and their vectors
 * (`<corpus>.vectors.f32`, 512 float32 a row, same order).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot, weightsPath } from "../../package-paths.js";
import { EMBEDDING_DIM } from "../../models/language/encoder/encoder.js";
import { CORPORA, type CorpusName, type CorpusRow } from "./corpora.js";

export const CACHE_DIR = join(packageRoot, ".cache", "language");

export const cachePaths = (name: string) => ({
  /** Every row of the corpus as embed-corpora.ts loaded it (CorpusRow JSON, one a line). */
  rows: join(CACHE_DIR, `${name}.jsonl`),
  texts: join(CACHE_DIR, `${name}.texts.jsonl`),
  vectors: join(CACHE_DIR, `${name}.vectors.f32`),
});

/**
 * The corpora named on the command line (all when none), each with the rows embed-corpora.ts
 * wrote; a corpus it has not written yet is reported and skipped. For the scripts that derive
 * per-row inputs (TF-IDF logits, token ids) from the cached rows.
 */
export function* cachedCorpusRows(argv: readonly string[]): Generator<{ name: CorpusName; rows: CorpusRow[] }> {
  const wanted = argv as CorpusName[];
  for (const name of wanted.length ? wanted : CORPORA) {
    const path = cachePaths(name).rows;
    if (!existsSync(path)) {
      console.log(`${name}: no ${path}; skipped`);
      continue;
    }
    yield { name, rows: readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as CorpusRow) };
  }
}

/**
 * The cache is keyed by text only, so it records which encoder wrote it (sha256 of the ONNX file in
 * `encoder.sha256`): vectors of another encoder (say, before fine-tuning) must never be mixed in.
 */
const FINGERPRINT = join(CACHE_DIR, "encoder.sha256");
let current: string | undefined;
export function encoderFingerprint(): string {
  current ??= createHash("sha256").update(readFileSync(weightsPath("language", "encoder/use-lite.onnx"))).digest("hex");
  return current;
}

/** Whether the cache was written by the shipped encoder; an empty cache is claimed for it. */
export function cacheMatchesEncoder(claimIfAbsent = false): boolean {
  if (!existsSync(FINGERPRINT)) {
    if (claimIfAbsent) writeFileSync(FINGERPRINT, encoderFingerprint() + "\n");
    return claimIfAbsent;
  }
  return readFileSync(FINGERPRINT, "utf8").trim() === encoderFingerprint();
}

/** Read-only view of a corpus's cache: the texts that have a complete vector, and the vectors.
 * Empty when the cache was written by another encoder than the shipped one. */
export function readCache(name: string): { texts: string[]; vectors: Float32Array } {
  const p = cachePaths(name);
  if (!existsSync(p.texts) || !existsSync(p.vectors) || !cacheMatchesEncoder()) return { texts: [], vectors: new Float32Array(0) };
  const texts: string[] = [];
  for (const line of readFileSync(p.texts, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      texts.push(JSON.parse(line) as string);
    } catch {
      break; // a line cut short by a kill mid-write
    }
  }
  const buf = readFileSync(p.vectors);
  const n = Math.min(texts.length, Math.floor(buf.byteLength / (EMBEDDING_DIM * 4)));
  const vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + n * EMBEDDING_DIM * 4));
  return { texts: texts.slice(0, n), vectors };
}
