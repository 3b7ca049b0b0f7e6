/**
 * Evaluates the shipped language weights (loaded through the runtime loader, so what is measured
 * is what serves) on a GoEmotions split: 28-label macro/micro F1 with the dev-tuned thresholds,
 * per-label P/R/F1, the 7-class Ekman view, the sentiment measure against GoEmotions' sentiment
 * groups, and single-thread latency. Usage: npm run eval -- language [--split test|dev]
 * Writes artifacts/eval/language.json (test) or artifacts/eval/language.dev.json (dev).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../package-paths.js";
import { loadLanguageClassifier } from "../models/language/classifier.js";
import { expectedLevel, sentimentDistribution } from "../models/language/sentiment.js";
import { readLabels, readMapping, readSplit, type Split } from "../training/language/data.js";
import { applyThresholds, coarsen, multilabelReport, oneHot } from "../training/language/metrics.js";

const pct = (x: number) => (100 * x).toFixed(1).padStart(5);

/** Fine label index -> coarse class index, for a coarse -> fine-names mapping file. */
function coarseIndex(mapping: Record<string, string[]>, fine: readonly string[]): { names: string[]; map: number[] } {
  const names = Object.keys(mapping).sort();
  const map = fine.map((f) => {
    const c = names.findIndex((n) => mapping[n]?.includes(f));
    if (c < 0) throw new Error(`label ${f} missing from mapping`);
    return c;
  });
  return { names, map };
}

/** 3-way sentiment check: expected level > 5.2 positive, < 4.8 negative, else neutral
 * (0.2 levels = VADER's customary +-0.05 compound cut-off under level = 5 + 4 * compound). */
function sentimentEval(texts: string[], labels: number[][], fine: string[]) {
  const { names, map } = coarseIndex(readMapping("group_mapping.json"), fine);
  const classes = ["negative", "neutral", "positive"] as const;
  const conf = classes.map(() => classes.map(() => 0));
  const levelSum = classes.map(() => 0);
  texts.forEach((t, i) => {
    const groups = new Set((labels[i] ?? []).map((k) => names[map[k] ?? 0]));
    if (groups.size !== 1) return; // mixed or ambiguous-plus-something: no single gold group
    const g = classes.indexOf([...groups][0] as (typeof classes)[number]);
    if (g < 0) return; // "ambiguous" (surprise/confusion/...) has no sentiment direction
    const e = expectedLevel(sentimentDistribution(t));
    const p = e > 5.2 ? 2 : e < 4.8 ? 0 : 1;
    conf[g]![p]!++;
    levelSum[g]! += e;
  });
  const f1 = classes.map((_, c) => {
    const tp = conf[c]![c]!, sumP = conf.reduce((a, r) => a + r[c]!, 0), sumG = conf[c]!.reduce((a, b) => a + b, 0);
    return tp > 0 ? (2 * tp) / (sumP + sumG) : 0;
  });
  const n = conf.flat().reduce((a, b) => a + b, 0);
  return {
    n,
    accuracy: classes.reduce((a, _, c) => a + conf[c]![c]!, 0) / n,
    macroF1: f1.reduce((a, b) => a + b, 0) / 3,
    perClassF1: Object.fromEntries(classes.map((c, i) => [c, f1[i]!])),
    meanExpectedLevel: Object.fromEntries(classes.map((c, i) => [c, levelSum[i]! / conf[i]!.reduce((a, b) => a + b, 0)])),
    confusion: { rows: "gold negative/neutral/positive", cols: "pred negative/neutral/positive", counts: conf },
  };
}

export async function evalLanguage(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { split: { type: "string", default: "test" } } });
  const split = values.split as Split;
  if (split !== "test" && split !== "dev") throw new Error("--split must be test or dev");
  const fine = readLabels();
  const L = fine.length;
  const data = readSplit(split);
  const clf = await loadLanguageClassifier();
  if (clf.labels.length !== L) throw new Error("weights and labels.txt disagree on the label count");

  for (let i = 0; i < 300; i++) clf.scores(data[i % data.length]!.text); // JIT warm-up
  const probs = new Float32Array(data.length * L);
  const t0 = performance.now();
  data.forEach((e, i) => probs.set(clf.scores(e.text), i * L));
  const msPerSentence = (performance.now() - t0) / data.length;

  const gold = oneHot(data.map((e) => e.labels), L);
  const pred = applyThresholds(probs, clf.thresholds, L);
  const r = multilabelReport(pred, gold, L);
  const ek = coarseIndex(readMapping("ekman_mapping.json"), fine);
  const C = ek.names.length;
  const ekR = multilabelReport(coarsen(pred, L, ek.map, C), coarsen(gold, L, ek.map, C), C);
  const sent = sentimentEval(data.map((e) => e.text), data.map((e) => e.labels), fine);

  console.log(`GoEmotions ${split} (${data.length} texts), thresholds tuned on dev`);
  console.log(`${"label".padEnd(16)} ${"P".padStart(5)} ${"R".padStart(5)} ${"F1".padStart(5)} support`);
  r.perLabel.forEach((m, k) =>
    console.log(`${(clf.labels[k] ?? "").padEnd(16)} ${pct(m.precision)} ${pct(m.recall)} ${pct(m.f1)} ${m.support}`));
  console.log(`28-label macro-F1 ${r.macroF1.toFixed(4)}  micro-F1 ${r.micro.f1.toFixed(4)}`);
  console.log(`Ekman 7-class macro-F1 ${ekR.macroF1.toFixed(4)}  (${ek.names.map((n, c) => `${n} ${ekR.perLabel[c]!.f1.toFixed(3)}`).join(", ")})`);
  console.log(`sentiment (VADER, 9 levels) vs GoEmotions groups, ${sent.n} single-group texts: 3-way macro-F1 ${sent.macroF1.toFixed(4)}, accuracy ${sent.accuracy.toFixed(4)}`);
  console.log(`mean inference ${msPerSentence.toFixed(4)} ms/sentence (single thread, features + scores)`);

  const out = {
    split, n: data.length, macroF1: r.macroF1, microF1: r.micro.f1, microPrecision: r.micro.precision, microRecall: r.micro.recall,
    perLabel: Object.fromEntries(clf.labels.map((l, k) => [l, r.perLabel[k]])),
    ekman: { macroF1: ekR.macroF1, perClass: Object.fromEntries(ek.names.map((n, c) => [n, ekR.perLabel[c]])) },
    sentiment: sent, msPerSentence, thresholds: Array.from(clf.thresholds),
  };
  const dir = join(packageRoot, "artifacts", "eval");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, split === "test" ? "language.json" : "language.dev.json");
  writeFileSync(file, JSON.stringify(out, null, 1) + "\n");
  console.log(`wrote ${join("artifacts", "eval", split === "test" ? "language.json" : "language.dev.json")}`);
}
