/**
 * Writes the sparse (TF-IDF) classifier's pre-calibration logits for every cached corpus row, so
 * the head training can choose how to fuse them with the encoder head on dev data:
 *   .cache/language/<corpus>.tfidf.f32   28 float32 per jsonl line (run embed-corpora.ts first)
 *   npx tsx src/training/language/tfidf-logits.ts [corpus ...]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadLanguageClassifier } from "../../models/language/classifier.js";
import { CACHE_DIR, cachedCorpusRows } from "./cache.js";

const clf = await loadLanguageClassifier();
for (const { name, rows } of cachedCorpusRows(process.argv.slice(2))) {
  const L = clf.labels.length;
  const out = new Float32Array(rows.length * L);
  rows.forEach((r, i) => out.set(clf.logits(r.text), i * L));
  writeFileSync(join(CACHE_DIR, `${name}.tfidf.f32`), Buffer.from(out.buffer));
  console.log(`${name}: ${rows.length} rows`);
}
