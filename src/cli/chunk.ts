/**
 * Splits long text into messages the server accepts (10,000 characters each by default). Counts
 * are in code points, as the server counts them and as it reports positions, so re-basing a
 * prediction is adding the chunk's offset. Chunks cover the text exactly (whitespace included).
 */

export interface TextChunk {
  text: string;
  /** Code-point offset of the chunk in the whole text. */
  offset: number;
}

export const MAX_CHUNK_CHARS = 10_000;

const SENTENCE_END = new Set([".", "!", "?", "…", "。", "！", "？"]);
const CLOSERS = new Set(['"', "'", ")", "]", "}", "»", "”", "’"]);
const isSpace = (c: string | undefined) => c !== undefined && /\s/u.test(c);

export function chunkText(text: string, maxChars: number = MAX_CHUNK_CHARS): TextChunk[] {
  const cps = Array.from(text);
  if (cps.length <= maxChars) return [{ text, offset: 0 }];
  const chunks: TextChunk[] = [];
  let start = 0;
  while (start < cps.length) {
    let end = Math.min(start + maxChars, cps.length);
    if (end < cps.length) end = findBreak(cps, start, end);
    chunks.push({ text: cps.slice(start, end).join(""), offset: start });
    start = end;
  }
  return chunks;
}

/**
 * Best place to end a chunk in (start, end]: after a paragraph break, else after a sentence,
 * else after any whitespace, else a hard cut. Breaks in the first half are not taken, so a
 * stray early paragraph break does not produce a tiny chunk.
 */
function findBreak(cps: string[], start: number, end: number): number {
  const min = start + Math.floor((end - start) / 2);
  const levels: ((b: number) => boolean)[] = [
    (b) => newlinesBefore(cps, b) >= 2,
    (b) => isSpace(cps[b - 1]) && endsSentence(cps, b),
    (b) => isSpace(cps[b - 1]),
  ];
  for (const accepts of levels) {
    for (let b = end; b > min; b--) if (accepts(b)) return b;
  }
  return end;
}

/** Newlines in the whitespace run that ends right before `b`. */
function newlinesBefore(cps: string[], b: number): number {
  let n = 0;
  for (let i = b - 1; i >= 0 && isSpace(cps[i]); i--) if (cps[i] === "\n") n++;
  return n;
}

/** True when the text before the whitespace run ending at `b` ends a sentence. */
function endsSentence(cps: string[], b: number): boolean {
  let i = b - 1;
  while (i >= 0 && isSpace(cps[i])) i--;
  while (i >= 0 && CLOSERS.has(cps[i] ?? "")) i--;
  return i >= 0 && SENTENCE_END.has(cps[i] ?? "");
}
