/** Human-readable output of `measure`: one table per model, rows gathered across all chunks. */
import Table from "cli-table3";
import type { StreamReply } from "../client/index.js";
import {
  MODEL_NAMES,
  type EmotionScore,
  type FacemeshPrediction,
  type FacePrediction,
  type LanguagePrediction,
  type ModelName,
  type TimedPrediction,
} from "../protocol/wire.js";
import { sentimentLabel, sentimentMean } from "../protocol/labels.js";

export interface RenderOptions {
  top: number;
  /** Longest segment text shown before it is cut with "…". */
  textWidth: number;
  color: boolean;
}

export interface ReplyWarning {
  model: string;
  code: string;
  message: string;
  /** 1-based chunk number, for multi-chunk inputs. */
  chunk?: number;
}

/** Model warnings (`reply.<model>.warning`) and top-level ones, in reply order. */
export function collectWarnings(replies: readonly StreamReply[]): ReplyWarning[] {
  const out: ReplyWarning[] = [];
  replies.forEach((reply, i) => {
    const chunk = replies.length > 1 ? i + 1 : undefined;
    if (reply.warning) out.push({ model: "-", code: reply.code ?? "", message: reply.warning, chunk });
    for (const model of MODEL_NAMES) {
      const block = reply[model];
      if (block?.warning) out.push({ model, code: block.code ?? "", message: block.warning, chunk });
    }
  });
  return out;
}

export function renderTables(replies: readonly StreamReply[], options: RenderOptions): string {
  const sections: string[] = [];
  for (const model of MODEL_NAMES) {
    if (!replies.some((r) => r[model])) continue;
    const rows = tableFor(model, replies, options);
    sections.push(`${model}: ${rows.count} prediction${rows.count === 1 ? "" : "s"}\n${rows.count ? rows.table : ""}`);
  }
  return sections.join("\n");
}

function tableFor(model: ModelName, replies: readonly StreamReply[], o: RenderOptions): { table: string; count: number } {
  const top = (emotions: EmotionScore[]) => topScores(emotions, o.top);
  const make = (head: string[]) =>
    new Table({ head, style: o.color ? { head: ["cyan"] } : { head: [], border: [] } });
  const emotionsHead = `top ${o.top} emotions`;
  switch (model) {
    case "language": {
      const preds: LanguagePrediction[] = replies.flatMap((r) => r.language?.predictions ?? []);
      const withSentiment = preds.some((p) => p.sentiment);
      const withToxicity = preds.some((p) => p.toxicity);
      const t = make(["#", "position", "text", emotionsHead, ...(withSentiment ? ["sentiment"] : []), ...(withToxicity ? ["toxicity"] : [])]);
      preds.forEach((p, i) => {
        const row = [String(i + 1), `${p.position.begin}-${p.position.end}`, truncate(p.text, o.textWidth), top(p.emotions)];
        if (withSentiment) row.push(p.sentiment ? sentimentSummary(p.sentiment) : "");
        if (withToxicity) row.push(p.toxicity ? topScores(p.toxicity, 1) : "");
        t.push(row);
      });
      return { table: t.toString(), count: preds.length };
    }
    case "face": {
      const preds: FacePrediction[] = replies.flatMap((r) => r.face?.predictions ?? []);
      const t = make(["#", "frame", "face", "box (x,y,w,h)", "prob", emotionsHead]);
      preds.forEach((p, i) => {
        const box = [p.bbox.x, p.bbox.y, p.bbox.w, p.bbox.h].map((v) => Math.round(v)).join(",");
        t.push([String(i + 1), String(p.frame), p.face_id, box, p.prob.toFixed(3), top(p.emotions)]);
      });
      return { table: t.toString(), count: preds.length };
    }
    case "prosody":
    case "burst": {
      const preds: TimedPrediction[] = replies.flatMap((r) => r[model]?.predictions ?? []);
      const t = make(["#", "time (s)", emotionsHead]);
      preds.forEach((p, i) => t.push([String(i + 1), `${p.time.begin.toFixed(2)}-${p.time.end.toFixed(2)}`, top(p.emotions)]));
      return { table: t.toString(), count: preds.length };
    }
    case "facemesh": {
      const preds: FacemeshPrediction[] = replies.flatMap((r) => r.facemesh?.predictions ?? []);
      const t = make(["#", emotionsHead]);
      preds.forEach((p, i) => t.push([String(i + 1), top(p.emotions)]));
      return { table: t.toString(), count: preds.length };
    }
  }
}

/** The N highest scores, one per line: "Joy 0.823". */
export function topScores(scores: readonly EmotionScore[], n: number): string {
  return [...scores]
    .sort((a, b) => b.score - a.score)
    .slice(0, n)
    .map((s) => `${s.name} ${s.score.toFixed(3)}`)
    .join("\n");
}

/** Sentiment levels "1"-"9" as a score-weighted mean level, e.g. "6.8 (positive)". */
export function sentimentSummary(levels: readonly EmotionScore[]): string {
  const mean = sentimentMean(levels);
  return mean === undefined ? "-" : `${mean.toFixed(1)} (${sentimentLabel(mean)})`;
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const cps = Array.from(flat);
  return cps.length <= width ? flat : `${cps.slice(0, width - 1).join("")}…`;
}
