/**
 * Splits text into the units Hume's language model reports on. Offsets are Unicode CODE POINT
 * indices (Hume's backend is Python, where str indexing is by code point), zero-based, begin
 * inclusive, end exclusive: `[...text].slice(begin, end).join("") === seg.text` always holds.
 *
 * - word: Intl.Segmenter word segments with isWordLike, plus tokens that carry expression but
 *   are not word-like: each emoji (a segment containing an Extended_Pictographic or regional
 *   indicator code point, so ZWJ sequences and flags stay whole) and ASCII emoticons such as
 *   ":)", ":-(", ";D", ":P", "<3" when they stand alone (preceded by start or whitespace, followed
 *   by end, whitespace or punctuation). An emoticon wins over a word-like piece it overlaps
 *   (the "D" of ":D").
 * - sentence: Intl.Segmenter("en", { granularity: "sentence" }), whitespace trimmed.
 * - utterance: non-empty lines (split on any line break), trimmed.
 * - passage: the whole text trimmed; whitespace-only text gives no segment.
 */

export type Granularity = "word" | "sentence" | "utterance" | "passage";

export interface Segment {
  text: string;
  begin: number;
  end: number;
}

const EMOJI_RE = /[\p{Extended_Pictographic}\p{Regional_Indicator}]/u;
const EMOTICON_RE = /(?<=^|\s)(?:[:;=8][-'^o]?[)(\]\[dDpPoO/\\|*3]+|<3+|[)(\]\[dD][-']?[:;=])(?=$|[\s.,!?;:)])/gu;
const LINE_RE = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/gu;

const wordSegmenter = new Intl.Segmenter("en", { granularity: "word" });
const sentenceSegmenter = new Intl.Segmenter("en", { granularity: "sentence" });

/** cp[i] = number of code points in text.slice(0, i), for every UTF-16 index i in 0..length. */
function codePointIndex(text: string): Int32Array {
  const cp = new Int32Array(text.length + 1);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    cp[i] = n;
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point; the low half maps to the same index.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) cp[++i] = n;
    }
    n++;
  }
  cp[text.length] = n;
  return cp;
}

/** Trims [start, end) (UTF-16) and converts to a code point segment; null if nothing is left. */
function span(text: string, start: number, end: number, cp: Int32Array): Segment | null {
  const raw = text.slice(start, end);
  const lead = raw.length - raw.trimStart().length;
  const body = raw.trim();
  if (body === "") return null;
  const s = start + lead, e = s + body.length;
  return { text: body, begin: cp[s] ?? 0, end: cp[e] ?? 0 };
}

function words(text: string, cp: Int32Array): Segment[] {
  const emoticons: [number, number][] = [];
  for (const m of text.matchAll(EMOTICON_RE)) emoticons.push([m.index, m.index + m[0].length]);
  const pieces: [number, number][] = [...emoticons];
  for (const s of wordSegmenter.segment(text)) {
    const a = s.index, b = s.index + s.segment.length;
    if (emoticons.some(([x, y]) => a < y && x < b)) continue;
    if (s.isWordLike || EMOJI_RE.test(s.segment)) pieces.push([a, b]);
  }
  pieces.sort((x, y) => x[0] - y[0]);
  return pieces.map(([a, b]) => span(text, a, b, cp)).filter((s): s is Segment => s !== null);
}

export function segment(text: string, granularity: Granularity): Segment[] {
  const cp = codePointIndex(text);
  const out: Segment[] = [];
  const push = (a: number, b: number) => {
    const s = span(text, a, b, cp);
    if (s) out.push(s);
  };
  switch (granularity) {
    case "word":
      return words(text, cp);
    case "sentence":
      for (const s of sentenceSegmenter.segment(text)) push(s.index, s.index + s.segment.length);
      return out;
    case "utterance": {
      let start = 0;
      for (const m of text.matchAll(LINE_RE)) {
        push(start, m.index);
        start = m.index + m[0].length;
      }
      push(start, text.length);
      return out;
    }
    case "passage":
      push(0, text.length);
      return out;
  }
}
