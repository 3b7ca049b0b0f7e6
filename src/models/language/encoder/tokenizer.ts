/**
 * SentencePiece (unigram) tokenizer of the Universal Sentence Encoder lite: Viterbi segmentation
 * over the vocabulary's log-probabilities. Ported from `@energetic-ai/embeddings` 0.2.0, itself
 * from Google's tfjs-models `universal-sentence-encoder` (both Apache-2.0, Copyright 2019 Google
 * LLC), so that the encoder needs neither the wrapper's bundled tfjs nor its loader. Same algorithm
 * and output ids; only the data structures are typed.
 */

const SEPARATOR = "\u2581";
/** Ids 0..5 are <unk>, <s>, </s> and three unused tokens; they are never matched as pieces. */
const RESERVED_SYMBOLS = 6;

export type Vocabulary = readonly (readonly [string, number])[];

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Set on the node that ends a piece. */
  piece?: { length: number; score: number; id: number };
}

function newNode(): TrieNode {
  return { children: new Map() };
}

export class UseTokenizer {
  private readonly root = newNode();
  private readonly pieceLength: Int32Array;

  constructor(vocabulary: Vocabulary) {
    this.pieceLength = new Int32Array(vocabulary.length);
    for (let id = 0; id < vocabulary.length; id++) {
      const [text, score] = vocabulary[id]!;
      const symbols = [...text];
      this.pieceLength[id] = symbols.length;
      if (id < RESERVED_SYMBOLS) continue;
      let node = this.root;
      for (const s of symbols) {
        let next = node.children.get(s);
        if (!next) node.children.set(s, (next = newNode()));
        node = next;
      }
      node.piece = { length: symbols.length, score, id };
    }
  }

  /** Token ids for one text (NFKC, spaces become the SentencePiece separator). */
  encode(input: string): number[] {
    const normalized = input.normalize("NFKC");
    if (normalized.length === 0) return [];
    const symbols = [...(SEPARATOR + normalized.replace(/ /g, SEPARATOR))];
    const n = symbols.length;
    // best[e]: best score of a segmentation of symbols[0..e); 0 means "none yet", as upstream.
    const best = new Float64Array(n + 1);
    const word = new Int32Array(n + 1);
    // Pieces ending at each position, grouped by start, in start order (upstream iterates an
    // object keyed by start position, i.e. ascending starts; ties resolve to the later start).
    const ending: { start: number; score: number; id: number }[][] = Array.from({ length: n + 1 }, () => []);
    for (let i = 0; i < n; i++) {
      let node = this.root.children.get(symbols[i]!);
      let matched = false;
      for (let j = i; j < n && node; j++) {
        if (node.piece) {
          ending[j + 1]!.push({ start: i, score: node.piece.score, id: node.piece.id });
          matched = true;
        }
        node = j + 1 < n ? node.children.get(symbols[j + 1]!) : undefined;
      }
      // No piece starts here: the single symbol becomes <unk> (id 0, score 0).
      if (!matched) ending[i + 1]!.push({ start: i, score: 0, id: 0 });
    }
    for (let end = 0; end <= n; end++) {
      const cands = ending[end]!.sort((a, b) => a.start - b.start);
      for (const c of cands) {
        const score = c.score + best[c.start]!;
        if (best[end] === 0 || score >= best[end]!) {
          best[end] = score;
          word[end] = c.id;
        }
      }
    }
    const reversed: number[] = [];
    let at = n;
    while (at > 0) {
      const id = word[at]!;
      reversed.push(id);
      // <unk> covers one symbol; a piece covers its own length.
      at -= id === 0 ? 1 : this.pieceLength[id]!;
    }
    const out: number[] = [];
    let previousUnk = false;
    for (let i = reversed.length - 1; i >= 0; i--) {
      const id = reversed[i]!;
      if (!(previousUnk && id === 0)) out.push(id);
      previousUnk = id === 0;
    }
    return out;
  }
}
