/**
 * Language model parts: the TF-IDF classifier (the previous model, now the sparse half of language
 * v2, which its head fuses) ranks obvious emotions correctly on its own; segmentation offsets are
 * exact code point offsets; the VADER baseline the evaluation reports is a proper 9-level
 * distribution; the sentence encoder's tokenizer and embeddings behave as the model expects.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, it } from "node:test";
import { loadLanguageClassifier, type LanguageClassifier } from "../../../src/models/language/classifier.js";
import { segment, type Granularity } from "../../../src/models/language/segment.js";
import { sentimentDistribution } from "../../../src/models/language/sentiment.js";
import { EMBEDDING_DIM, loadSentenceEncoder, loadTokenizer } from "../../../src/models/language/encoder/encoder.js";
import { EncoderHeadMetaSchema } from "../../../src/models/language/head.js";
import { z } from "zod";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures");

let clf: LanguageClassifier;
before(async () => {
  clf = await loadLanguageClassifier();
});

function top3(text: string): string[] {
  const s = clf.scores(text);
  return [...clf.labels].map((name, i) => ({ name, p: s[i] ?? 0 })).sort((a, b) => b.p - a.p).slice(0, 3).map((x) => x.name);
}

describe("language classifier (shipped weights)", () => {
  it("has 28 labels named by the Hume mapping rule, with thresholds in (0, 1)", () => {
    assert.equal(clf.labels.length, 28);
    assert.equal(clf.thresholds.length, 28);
    for (const name of ["Admiration", "Gratitude", "Anger", "Approval", "Curiosity", "Surprise", "Neutral"]) {
      assert.ok(clf.labels.includes(name), name);
    }
    for (const t of clf.thresholds) assert.ok(t > 0 && t < 1);
  });

  const cases: [string, string][] = [
    ["Thank you so much for helping me, I really appreciate it.", "Gratitude"],
    ["I am so angry right now, this is absolutely infuriating!", "Anger"],
    ["I'm so sad, I miss her every day and I can't stop crying.", "Sadness"],
    ["Hahaha that's hilarious, I can't stop laughing lol", "Amusement"],
    ["I'm terrified, I'm scared something bad is going to happen.", "Fear"],
    ["I love you so much, you mean the world to me.", "Love"],
    ["Wow, what an amazing performance, you are so talented!", "Admiration"],
    ["Why did they do that? What does this mean?", "Curiosity"],
    ["Sorry, I really regret what I did, it was my fault.", "Remorse"],
  ];
  for (const [text, label] of cases) {
    it(`ranks ${label} in the top 3 for "${text}"`, () => {
      assert.ok(top3(text).includes(label), `${label} not in ${top3(text).join(", ")}`);
    });
  }

  it("returns probabilities in [0, 1], deterministically, also for empty text", () => {
    for (const text of ["", "   ", "ok", "😡😡😡", "Thank you!"]) {
      const a = clf.scores(text), b = clf.scores(text);
      assert.equal(a.length, 28);
      assert.deepEqual(a, b);
      for (const p of a) assert.ok(p >= 0 && p <= 1 && Number.isFinite(p));
    }
  });
});

describe("segment", () => {
  const texts = [
    "Héllo wörld 😡 :) I'm so happy :D!! 👨‍👩‍👧 🇫🇷 e\u0301te\u0301 你好世界。 It's 3:30.\nSecond line.  \n\n  third <3",
    "Ça va? Très bien! Naïve café… 日本語のテキストです。 Done.",
    "  leading and trailing spaces  ",
    "Zalgo t\u0336\u0321e\u0337x\u0338t with 🧑🏽‍💻 and 👍🏿.",
  ];
  const all: Granularity[] = ["word", "sentence", "utterance", "passage"];
  for (const text of texts) {
    for (const g of all) {
      it(`${g} offsets are exact code points for ${JSON.stringify(text.slice(0, 24))}`, () => {
        const cps = [...text];
        const segs = segment(text, g);
        assert.ok(segs.length > 0);
        let last = 0;
        for (const s of segs) {
          assert.equal(cps.slice(s.begin, s.end).join(""), s.text);
          assert.equal(s.text, s.text.trim());
          assert.ok(s.text.length > 0 && s.begin >= last && s.end > s.begin);
          last = s.end;
        }
      });
    }
  }

  it("word keeps emoji, emoticons and accented / CJK words", () => {
    const w = segment(texts[0]!, "word").map((s) => s.text);
    for (const t of ["Héllo", "😡", ":)", ":D", "👨‍👩‍👧", "🇫🇷", "e\u0301te\u0301", "I'm", "<3"]) assert.ok(w.includes(t), t);
    assert.ok(!w.includes("D"));
  });

  it("word offsets count code points, not UTF-16 units", () => {
    assert.deepEqual(segment("😡 angry", "word"), [
      { text: "😡", begin: 0, end: 1 },
      { text: "angry", begin: 2, end: 7 },
    ]);
  });

  it("sentence, utterance and passage split as documented", () => {
    assert.deepEqual(segment("Hi there. How are you?  ", "sentence").map((s) => s.text), ["Hi there.", "How are you?"]);
    assert.deepEqual(segment(" one \r\n\n two\n", "utterance"), [
      { text: "one", begin: 1, end: 4 },
      { text: "two", begin: 9, end: 12 },
    ]);
    assert.deepEqual(segment("  whole text \n here ", "passage"), [{ text: "whole text \n here", begin: 2, end: 19 }]);
  });

  it("empty and whitespace-only text give no segments", () => {
    for (const text of ["", " ", "\n\t \r\n"]) for (const g of all) assert.deepEqual(segment(text, g), []);
  });
});

describe("sentimentDistribution", () => {
  const levelOf = (text: string) => sentimentDistribution(text).reduce((a, d) => a + Number(d.name) * d.score, 0);

  it("returns levels 1..9 summing to 1", () => {
    for (const text of ["", "I love it", "I hate it", "The bus leaves at nine."]) {
      const d = sentimentDistribution(text);
      assert.deepEqual(d.map((x) => x.name), ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
      assert.ok(Math.abs(d.reduce((a, x) => a + x.score, 0) - 1) < 1e-9);
      for (const x of d) assert.ok(x.score >= 0);
    }
  });

  it("peaks at 5 for empty or neutral text, above 5 for positive, below 5 for negative", () => {
    const peak = (text: string) => {
      const d = sentimentDistribution(text);
      return Number(d.reduce((a, b) => (b.score > a.score ? b : a)).name);
    };
    assert.equal(peak(""), 5);
    assert.equal(peak("   "), 5);
    assert.equal(peak("The bus leaves at nine."), 5);
    assert.ok(peak("This is wonderful, I love it so much!") > 5);
    assert.ok(peak("This is awful, I hate it and feel miserable.") < 5);
    assert.ok(levelOf("great") > levelOf("okay") && levelOf("okay") >= levelOf("terrible"));
  });
});

describe("sentence encoder (Universal Sentence Encoder lite, ONNX)", () => {
  it("tokenizes as at export and gives the vectors the PyTorch model gave for those ids", async () => {
    // export_encoder.py writes the vectors; the port itself is checked against the tfjs model by
    // src/training/language/check_port.py (test/fixtures/use-lite-tfjs-reference.json).
    const Reference = z.object({ texts: z.array(z.string()), ids: z.array(z.array(z.number().int())), vectors: z.string() });
    const ref = Reference.parse(JSON.parse(readFileSync(join(fixtures, "use-lite-reference.json"), "utf8")));
    const tokenizer = await loadTokenizer();
    assert.deepEqual(ref.texts.map((t) => (t === "" ? [0] : tokenizer.encode(t))), ref.ids);
    const buf = Buffer.from(ref.vectors, "base64");
    const expected = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const rows = await (await loadSentenceEncoder()).embed(ref.texts);
    assert.equal(rows.length, expected.length);
    let worst = 0;
    for (let i = 0; i < rows.length; i++) worst = Math.max(worst, Math.abs(rows[i]! - expected[i]!));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
  });

  it("is the encoder the shipped head was trained on", () => {
    const weights = join(fixtures, "..", "..", "weights", "language");
    const meta = EncoderHeadMetaSchema.parse(JSON.parse(readFileSync(join(weights, "head.json"), "utf8")));
    const onnx = createHash("sha256").update(readFileSync(join(weights, "encoder", "use-lite.onnx"))).digest("hex");
    // Heads trained before the ONNX port carry no hash: they fit the original weights' export.
    assert.equal(onnx, meta.encoderSha256 ?? "d97afa44c39bd8da4748c5151397bbd669d89a2017577036f5fea7799bcdb837");
  });

  it("embeds a batch into unit-length 512-d rows; paraphrases are closer than unrelated text", async () => {
    const enc = await loadSentenceEncoder();
    const texts = ["I am absolutely furious with you.", "I'm really angry at you!", "The train leaves at nine.", ""];
    const rows = await enc.embed(texts);
    assert.equal(rows.length, texts.length * EMBEDDING_DIM);
    const row = (i: number) => rows.subarray(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    for (let i = 0; i < texts.length; i++) assert.ok(Math.abs(dot(row(i), row(i)) - 1) < 1e-3, `row ${i} norm`);
    assert.ok(dot(row(0), row(1)) > dot(row(0), row(2)) + 0.2);
    // One text alone gives the same vector as inside a batch.
    const alone = await enc.embed([texts[1]!]);
    assert.ok(dot(alone, row(1)) > 0.9999);
  });

  it("embeds a text longer than one chunk as the unit mean of its chunks, next to short texts", async () => {
    const enc = await loadSentenceEncoder();
    const rows = await enc.embed(["so glad ".repeat(400), "so glad", "The train leaves at nine."]);
    const row = (i: number) => rows.subarray(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    assert.equal(rows.length, 3 * EMBEDDING_DIM);
    assert.ok(Math.abs(dot(row(0), row(0)) - 1) < 1e-3);
    assert.ok(dot(row(0), row(1)) > dot(row(0), row(2)) + 0.1, `${dot(row(0), row(1))} vs ${dot(row(0), row(2))}`);
  });
});
