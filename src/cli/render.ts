/**
 * Human-readable output of `measure`: one table per model, rows gathered across all chunks. Each
 * model's columns come from its descriptor (`table`), or the generic table when it has none.
 */
import Table from "cli-table3";
import type { StreamReply } from "../client/index.js";
import { descriptorOf } from "../models/catalog.js";
import type { TableCells } from "../models/descriptor.js";
import { MODEL_NAMES, type EmotionScore, type ModelName, type PredictionOf } from "../protocol/wire.js";

export { sentimentSummary } from "../models/language/descriptor.js";

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

function tableFor<K extends ModelName>(model: K, replies: readonly StreamReply[], o: RenderOptions): { table: string; count: number } {
  const predictions: PredictionOf<K>[] = replies.flatMap((r) => blockOf(r, model)?.predictions ?? []);
  const cells: TableCells = {
    top: (scores, n = o.top) => topScores(scores, n),
    text: (text) => truncate(text, o.textWidth),
    topHead: `top ${o.top} emotions`,
  };
  const descriptor = descriptorOf(model);
  const { head, rows } = descriptor.table ? descriptor.table(predictions, cells) : genericTable(predictions, cells);
  const t = new Table({ head, style: o.color ? { head: ["cyan"] } : { head: [], border: [] } });
  for (const row of rows) t.push(row);
  return { table: t.toString(), count: predictions.length };
}

function blockOf<K extends ModelName>(reply: StreamReply, model: K): { predictions: PredictionOf<K>[] } | undefined {
  const blocks: { [M in ModelName]?: { predictions: PredictionOf<M>[] } } = reply;
  return blocks[model];
}

/** For a model without its own table: the row number and the top scores. */
function genericTable(predictions: readonly { emotions: EmotionScore[] }[], cells: TableCells): { head: string[]; rows: string[][] } {
  return { head: ["#", cells.topHead], rows: predictions.map((p, i) => [String(i + 1), cells.top(p.emotions)]) };
}

/** The N highest scores, one per line: "Joy 0.823". */
export function topScores(scores: readonly EmotionScore[], n: number): string {
  return [...scores]
    .sort((a, b) => b.score - a.score)
    .slice(0, n)
    .map((s) => `${s.name} ${s.score.toFixed(3)}`)
    .join("\n");
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const cps = Array.from(flat);
  return cps.length <= width ? flat : `${cps.slice(0, width - 1).join("")}…`;
}
