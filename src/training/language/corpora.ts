/**
 * The labelled text corpora of language v2, each mapped onto the model's outputs (the mapping
 * table is in src/models/language/MODEL_CARD.md). A corpus sets only what it measures; every
 * other output is unknown for its rows and is masked out of the loss, never read as "absent".
 *
 * - emotions: GoEmotions label name -> 0/1, for the labels this corpus can say yes or no to;
 * - sentiment: negative / neutral / positive (MELD, GoEmotions sentiment groups);
 * - valence: 1..5 rating (EmoBank);
 * - toxicity: share of raters who found the text offensive-or-hateful, and hateful (Davidson).
 *
 * Datasets are read from ../shared/datasets (or $OPEN_EXPRESSION_DATASETS), never copied here.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { packageRoot } from "../../package-paths.js";
import { csvRecords } from "./csv.js";
import { readMapping, readSplit, readLabels } from "./data.js";

export type CorpusName = "goemotions" | "emobank" | "meld" | "xed" | "davidson" | "dailydialog";
export const CORPORA: readonly CorpusName[] = ["goemotions", "emobank", "meld", "xed", "davidson", "dailydialog"];
export type CorpusSplit = "train" | "dev" | "test";
export type Sentiment3 = "negative" | "neutral" | "positive";

export interface CorpusRow {
  split: CorpusSplit;
  text: string;
  emotions?: Record<string, 0 | 1>;
  sentiment?: Sentiment3;
  valence?: number;
  /** [offensive or hateful, hateful], each the share of raters (0..1). */
  toxicity?: [number, number];
}


export function datasetsDir(): string {
  return process.env["OPEN_EXPRESSION_DATASETS"] ?? resolve(packageRoot, "..", "shared", "datasets");
}

function read(...parts: string[]): string {
  return readFileSync(join(datasetsDir(), ...parts), "utf8");
}

/** Seeded, stable split for corpora without one: 80 / 10 / 10 by a hash of the key. */
export function hashSplit(key: string): CorpusSplit {
  const h = createHash("sha256").update("open-expression/language-v2/" + key).digest().readUInt32BE(0) / 2 ** 32;
  return h < 0.8 ? "train" : h < 0.9 ? "dev" : "test";
}

/** The seven classes MELD, DailyDialog and (mapped) XED share, as GoEmotions label names. */
export const BASIC7 = ["anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"] as const;
export type Basic7 = (typeof BASIC7)[number];

function oneOfBasic7(label: Basic7): Record<string, 0 | 1> {
  return Object.fromEntries(BASIC7.map((b) => [b, b === label ? 1 : 0])) as Record<string, 0 | 1>;
}

function goemotions(): CorpusRow[] {
  const names = readLabels();
  const groups = readMapping("group_mapping.json");
  const groupOf = new Map<string, string>();
  for (const [g, ls] of Object.entries(groups)) for (const l of ls) groupOf.set(l, g);
  const out: CorpusRow[] = [];
  for (const split of ["train", "dev", "test"] as const) {
    for (const ex of readSplit(split)) {
      const on = new Set(ex.labels);
      const emotions = Object.fromEntries(names.map((n, i) => [n, on.has(i) ? 1 : 0])) as Record<string, 0 | 1>;
      const gs = new Set(ex.labels.map((i) => groupOf.get(names[i] ?? "")));
      const g = gs.size === 1 ? [...gs][0] : undefined;
      const row: CorpusRow = { split, text: ex.text, emotions };
      if (g === "negative" || g === "neutral" || g === "positive") row.sentiment = g;
      out.push(row);
    }
  }
  return out;
}

function emobank(): CorpusRow[] {
  return csvRecords(read("emobank", "emobank.csv")).map((r) => ({
    split: r["split"] as CorpusSplit,
    text: r["text"] ?? "",
    valence: Number(r["V"]),
  }));
}

function meld(): CorpusRow[] {
  const out: CorpusRow[] = [];
  for (const split of ["train", "dev", "test"] as const) {
    for (const r of csvRecords(read("meld", `${split}_sent_emo.csv`))) {
      out.push({
        split,
        text: r["Utterance"] ?? "",
        emotions: oneOfBasic7(r["Emotion"] as Basic7),
        sentiment: r["Sentiment"] as Sentiment3,
      });
    }
  }
  return out;
}

const XED_EMOTIONS: Record<number, Basic7 | undefined> = {
  1: "anger", 2: undefined /* anticipation */, 3: "disgust", 4: "fear", 5: "joy", 6: "sadness", 7: "surprise", 8: undefined /* trust */,
};

/**
 * XED: a line is yes to each Plutchik label it carries and no to the other mapped ones; neutral
 * lines are no to all six and yes to neutral. Anticipation and trust have no counterpart: lines
 * carrying either are left out (they would be unknown for almost every output, and embedding
 * time is the bottleneck). Duplicated texts keep their first labels; the split is a seeded hash
 * of the text. Rows come dev, test, then train, so a partly embedded cache already covers the
 * lines the cross-corpus evaluation reads.
 */
function xed(): CorpusRow[] {
  const seen = new Set<string>();
  const out: CorpusRow[] = [];
  for (const line of read("xed", "en-annotated.tsv").split(/\r?\n/)) {
    const [text, labs] = line.split("\t");
    if (!text || !labs || seen.has(text)) continue;
    seen.add(text);
    const mapped = labs.split(",").map((s) => XED_EMOTIONS[Number(s.trim())]);
    if (mapped.some((m) => m === undefined)) continue;
    const emotions = oneOfBasic7("neutral");
    emotions["neutral"] = 0;
    for (const m of mapped) if (m) emotions[m] = 1;
    out.push({ split: hashSplit("xed:" + text), text, emotions });
  }
  for (const line of read("xed", "neu_en.txt").split("\n")) {
    const [, text] = line.split("\t");
    if (!text?.trim() || seen.has(text)) continue;
    seen.add(text);
    out.push({ split: hashSplit("xed:" + text), text, emotions: oneOfBasic7("neutral") });
  }
  const order: Record<CorpusSplit, number> = { dev: 0, test: 1, train: 2 };
  return out.sort((a, b) => order[a.split] - order[b.split]);
}

/** HTML entities as in the tweets (&amp;, &#128514;). */
function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/**
 * Davidson: a seeded 80/10/10 split by row id. Three quarters of tweets are "offensive"; seven in
 * eight of those are dropped from train only (seeded), to cut embedding time; dev and test stay
 * whole (thresholds are tuned on dev, at the natural class balance).
 */
function davidson(): CorpusRow[] {
  const out: CorpusRow[] = [];
  for (const r of csvRecords(read("davidson_hate_offensive", "labeled_data.csv"))) {
    const id = r[""] ?? "";
    const split = hashSplit("davidson:" + id);
    if (split === "train" && r["class"] === "1" && createHash("sha256").update("davidson-half:" + id).digest()[0]! >= 32) continue;
    const count = Number(r["count"]);
    const hate = Number(r["hate_speech"]) / count;
    const offensive = Number(r["offensive_language"]) / count;
    out.push({ split, text: decodeEntities(r["tweet"] ?? ""), toxicity: [hate + offensive, hate] });
  }
  return out;
}

const DD_EMOTIONS: Basic7[] = ["neutral", "anger", "disgust", "fear", "joy", "sadness", "surprise"];

/** Undoes DailyDialog's tokenisation ("Say , Jim ?" -> "Say, Jim?"), so text looks typed. */
function detokenize(s: string): string {
  return s.replace(/\s+([,.!?;:%)])/g, "$1").replace(/([($])\s+/g, "$1").replace(/\s+'\s*/g, "'").replace(/\s+’\s*/g, "’").trim();
}

/**
 * DailyDialog train only (training data; its test split is not evaluated). 83% of utterances are
 * "no emotion"; every emotional utterance is kept and a seeded tenth of the others, to keep
 * embedding time in bounds.
 * Dialogues that duplicate an earlier one (manifest `first_copy`) are skipped.
 */
function dailydialog(): CorpusRow[] {
  const dup = new Set<string>();
  for (const r of csvRecords(read("dailydialog", "manifest.csv"))) if (r["first_copy"]) dup.add(`${r["split"]}:${r["line"]}`);
  const out: CorpusRow[] = [];
  for (const [dir, split] of [["train", "train"]] as const) {
    const T = read("dailydialog", dir, `dialogues_${dir}.txt`).split("\n");
    const E = read("dailydialog", dir, `dialogues_emotion_${dir}.txt`).split("\n");
    T.forEach((t, k) => {
      if (!t.trim() || dup.has(`${dir}:${k + 1}`)) return;
      const utts = t.split("__eou__").map((u) => u.trim()).slice(0, -1);
      const labs = (E[k] ?? "").trim().split(/\s+/).map(Number);
      if (utts.length !== labs.length) return;
      utts.forEach((u, j) => {
        const label = DD_EMOTIONS[labs[j] ?? -1];
        if (!label || !u) return;
        if (label === "neutral" && hashSplit(`dd:${k}:${j}`) !== "dev") return;
        out.push({ split, text: detokenize(u), emotions: oneOfBasic7(label) });
      });
    });
  }
  return out;
}

export function loadCorpus(name: CorpusName): CorpusRow[] {
  switch (name) {
    case "goemotions": return goemotions();
    case "emobank": return emobank();
    case "meld": return meld();
    case "xed": return xed();
    case "davidson": return davidson();
    case "dailydialog": return dailydialog();
  }
}
