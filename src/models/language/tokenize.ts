/**
 * Text normalisation and tokenisation shared by training and serving. Anything that changes
 * here changes the features, so the weights' meta.json records `FEATURE_VERSION` and the
 * loader refuses weights built with a different version (no silent train/serve skew).
 */

export const FEATURE_VERSION = 1;

/**
 * Word-level tokens, lower-cased. Besides words (letters/digits with inner apostrophes) we keep
 * tokens that carry expression in Reddit text and that a plain `\w+` tokenizer throws away:
 * runs of ! and ?, each emoji, ASCII emoticons such as :) or :D, and an "ALLCAPS" marker for
 * shouted words. Emoticons are matched on the original casing (":D" vs ":d").
 */
const TOKEN_RE =
  /(?:[:;=8][-'^o]?[)(\]\[dDpPoO/\\|*3]+(?![\p{L}\p{N}]))|(?:<3+)|[\p{L}\p{N}_]+(?:['’][\p{L}\p{N}]+)*|[!?]+|\p{Extended_Pictographic}/gu;

/** Marker token appended once per shouted word (>= 3 letters, all upper case). */
export const ALLCAPS_TOKEN = "__allcaps__";

export function normalize(text: string): string {
  // NFKC folds full-width forms and ligatures; curly apostrophes become straight ones so that
  // "don’t" and "don't" share features.
  return text.normalize("NFKC").replace(/[‘’´`]/g, "'");
}

export function wordTokens(text: string): string[] {
  const out: string[] = [];
  for (const m of normalize(text).matchAll(TOKEN_RE)) {
    const tok = m[0];
    if (tok.length >= 3 && /^\p{Lu}+$/u.test(tok)) out.push(ALLCAPS_TOKEN);
    // "!!!!" and "!!" mean the same thing here; cap runs at 3 so they share features.
    out.push(/^[!?]+$/.test(tok) ? tok.slice(0, 3) : tok.toLowerCase());
  }
  return out;
}

/** Word unigrams and bigrams (bigrams joined by one space; tokens never contain spaces). */
export function wordNgrams(tokens: readonly string[]): string[] {
  const out: string[] = tokens.slice();
  for (let i = 0; i + 1 < tokens.length; i++) out.push(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}

/**
 * Character n-grams inside word boundaries (scikit-learn's "char_wb"): each whitespace-separated
 * chunk of the lower-cased text is padded with one space on both sides and cut into n-grams of
 * code points. Chunks shorter than n contribute nothing for that n.
 */
export function charNgrams(text: string, minN: number, maxN: number): string[] {
  const out: string[] = [];
  for (const chunk of normalize(text).toLowerCase().split(/\s+/u)) {
    if (chunk === "") continue;
    const cps = [" ", ...chunk, " "];
    for (let n = minN; n <= maxN; n++) {
      for (let i = 0; i + n <= cps.length; i++) out.push(cps.slice(i, i + n).join(""));
    }
  }
  return out;
}
