/**
 * Embeds the training corpora with the sentence encoder, once, into a cache outside git:
 *   .cache/language/<corpus>.jsonl        the corpus rows (text, split, mapped labels)
 *   .cache/language/<corpus>.texts.jsonl  the texts embedded so far, one JSON string a line
 *   .cache/language/<corpus>.vectors.f32  one 512-d float32 row per line of texts.jsonl
 * The cache is append-only and keyed by text, so it is its own checkpoint: a rerun (or a change
 * to a corpus's rows) only embeds texts not yet there. Texts go in priority order, so a run
 * stopped early still has what the evaluation and the dev-set choices need: every corpus's test
 * rows and the dev rows that training reads (GoEmotions, Davidson) first, then the train rows
 * corpus by corpus. Other dev rows are never read. One thread (the encoder's session has one).
 *
 *   npx tsx src/training/language/embed-corpora.ts [corpus ...]
 */
import { appendFileSync, existsSync, mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { EMBEDDING_DIM, loadSentenceEncoder } from "../../models/language/encoder/encoder.js";
import { CACHE_DIR, cacheMatchesEncoder, cachePaths, readCache } from "./cache.js";
import { CORPORA, loadCorpus, type CorpusName, type CorpusRow } from "./corpora.js";

const BATCH = 64;
/** Corpora whose dev split training reads (thresholds, fusion, calibration). */
const DEV_READ: readonly CorpusName[] = ["goemotions", "davidson"];
/** Train rows by how much an output depends on the corpus: toxicity has only Davidson, sentiment
 * has EmoBank besides GoEmotions' groups. */
const TRAIN_ORDER: readonly CorpusName[] = ["davidson", "emobank", "goemotions", "meld", "xed", "dailydialog"];
const ROW_BYTES = EMBEDDING_DIM * 4;

/** Texts already cached; first trims a torn last row or text line left by a kill. */
function cachedTexts(name: string): string[] {
  const { texts } = readCache(name);
  const p = cachePaths(name);
  if (existsSync(p.vectors)) truncateSync(p.vectors, texts.length * ROW_BYTES);
  if (existsSync(p.texts)) writeFileSync(p.texts, texts.map((t) => JSON.stringify(t) + "\n").join(""));
  return texts;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2) as CorpusName[];
  for (const c of wanted) if (!CORPORA.includes(c)) throw new Error(`unknown corpus ${c}; one of ${CORPORA.join(", ")}`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const hasVectors = CORPORA.some((c) => existsSync(cachePaths(c).vectors));
  if (!cacheMatchesEncoder(!hasVectors)) {
    throw new Error(`${CACHE_DIR} holds vectors of another encoder (encoder.sha256 differs or is missing); move it away and rerun`);
  }
  const names = wanted.length ? wanted : CORPORA;
  const queue: { name: CorpusName; texts: string[] }[] = [];
  const pending = (rows: CorpusRow[], splits: string[], done: Set<string>) =>
    [...new Set(rows.filter((r) => splits.includes(r.split)).map((r) => r.text))].filter((t) => !done.has(t));
  const rowsOf = new Map<CorpusName, CorpusRow[]>();
  const doneOf = new Map<CorpusName, Set<string>>();
  for (const name of names) {
    const rows = loadCorpus(name);
    rowsOf.set(name, rows);
    writeFileSync(cachePaths(name).rows, rows.map((r) => JSON.stringify(r) + "\n").join(""));
    doneOf.set(name, new Set(cachedTexts(name)));
  }
  for (const name of names) {
    const splits = DEV_READ.includes(name) ? ["dev", "test"] : ["test"];
    queue.push({ name, texts: pending(rowsOf.get(name)!, splits, doneOf.get(name)!) });
  }
  for (const name of TRAIN_ORDER) {
    if (names.includes(name)) queue.push({ name, texts: pending(rowsOf.get(name)!, ["train"], doneOf.get(name)!) });
  }

  const encoder = await loadSentenceEncoder();
  const t0 = performance.now();
  let total = 0;
  for (const { name, texts } of queue) {
    for (let s = 0; s < texts.length; s += BATCH) {
      const batch = texts.slice(s, s + BATCH);
      const emb = await encoder.embed(batch);
      if (emb.length !== batch.length * EMBEDDING_DIM) throw new Error(`${name}: got ${emb.length / EMBEDDING_DIM} rows for ${batch.length}`);
      // Vectors first: a kill between the two writes leaves a row without a text, which is trimmed.
      appendFileSync(cachePaths(name).vectors, Buffer.from(emb.buffer, emb.byteOffset, emb.byteLength));
      appendFileSync(cachePaths(name).texts, batch.map((t) => JSON.stringify(t) + "\n").join(""));
      total += batch.length;
      if ((s / BATCH) % 20 === 19 || s + BATCH >= texts.length) {
        console.log(`${name}: ${Math.min(s + BATCH, texts.length)}/${texts.length} (${(total / ((performance.now() - t0) / 1000)).toFixed(0)} texts/s overall)`);
      }
    }
  }
}

await main();
