/**
 * Writes the sentence encoder's token ids for every cached corpus row, so the encoder can be
 * fine-tuned in PyTorch (finetune_encoder.py) on exactly the ids the server feeds it:
 *   .cache/language/<corpus>.ids.jsonl   one JSON array of ids per line of <corpus>.jsonl
 * Run embed-corpora.ts first (it writes <corpus>.jsonl). Texts longer than MAX_TOKENS keep their
 * first MAX_TOKENS ids (the server reads such texts in chunks; training reads the first one).
 *   npx tsx src/training/language/token-ids.ts [corpus ...]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadTokenizer, MAX_TOKENS } from "../../models/language/encoder/encoder.js";
import { CACHE_DIR, cachedCorpusRows } from "./cache.js";

const tokenizer = await loadTokenizer();
for (const { name, rows } of cachedCorpusRows(process.argv.slice(2))) {
  let cut = 0;
  const lines = rows.map((r) => {
    const ids = tokenizer.encode(r.text);
    if (ids.length === 0) ids.push(0); // as the encoder reads an empty text
    if (ids.length > MAX_TOKENS) cut++;
    return JSON.stringify(ids.slice(0, MAX_TOKENS)) + "\n";
  });
  writeFileSync(join(CACHE_DIR, `${name}.ids.jsonl`), lines.join(""));
  console.log(`${name}: ${rows.length} rows (${cut} cut to ${MAX_TOKENS} tokens)`);
}
