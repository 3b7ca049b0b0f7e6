/**
 * `GET /v0/batch/jobs/{id}/artifacts`: a zip (fflate) holding `predictions.json` (exactly what
 * `/predictions` answers) and one CSV per model, one row per prediction: where the prediction
 * came from, where in the file it lies, then one column per label with its score.
 */
import { strToU8, zipSync } from "fflate";
import type { SourceResult } from "./predictions.js";

interface Row {
  cells: Record<string, string | number>;
  scores: Record<string, number>;
}

/** Location columns per model, before the score columns. */
const LOCATION: Record<string, string[]> = {
  face: ["frame", "time", "prob", "box_x", "box_y", "box_w", "box_h"],
  prosody: ["begin", "end"],
  burst: ["begin", "end"],
  language: ["text", "begin", "end"],
  facemesh: [],
};

export function artifactsZip(predictionsJson: string): Uint8Array {
  const results = JSON.parse(predictionsJson) as SourceResult[];
  const rows = new Map<string, Row[]>();
  for (const source of results) {
    for (const { file, models } of source.results.predictions) {
      for (const [model, output] of Object.entries(models)) {
        for (const group of output?.grouped_predictions ?? []) {
          for (const p of group.predictions as Record<string, unknown>[]) {
            const list = rows.get(model) ?? [];
            list.push({ cells: { file, id: group.id, ...location(model, p) }, scores: scores(p) });
            rows.set(model, list);
          }
        }
      }
    }
  }
  const files: Record<string, Uint8Array> = { "predictions.json": strToU8(predictionsJson) };
  for (const [model, list] of rows) files[`${model}.csv`] = strToU8(csv(model, list));
  return zipSync(files, { level: 6 });
}

function location(model: string, p: Record<string, unknown>): Record<string, string | number> {
  const time = p.time as { begin: number; end: number } | number | undefined;
  switch (model) {
    case "face": {
      const box = p.box as { x: number; y: number; w: number; h: number };
      return { frame: p.frame as number, time: time as number, prob: p.prob as number, box_x: box.x, box_y: box.y, box_w: box.w, box_h: box.h };
    }
    case "prosody":
    case "burst":
      return typeof time === "object" && time ? { begin: time.begin, end: time.end } : {};
    case "language": {
      const pos = p.position as { begin: number; end: number };
      return { text: p.text as string, begin: pos.begin, end: pos.end };
    }
    default:
      return {};
  }
}

function scores(p: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const list of ["emotions", "descriptions", "facs", "sentiment", "toxicity"]) {
    const items = p[list] as { name: string; score: number }[] | undefined;
    for (const s of items ?? []) out[list === "emotions" ? s.name : `${list}:${s.name}`] = s.score;
  }
  return out;
}

function csv(model: string, rows: Row[]): string {
  const labels = [...new Set(rows.flatMap((r) => Object.keys(r.scores)))];
  const header = ["file", "id", ...(LOCATION[model] ?? []), ...labels];
  const lines = [header.map(quote).join(",")];
  for (const r of rows) {
    lines.push(header.map((h) => quote(h in r.cells ? r.cells[h] : r.scores[h])).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

/** RFC 4180 quoting; numbers as they are. */
function quote(value: string | number | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "number") return String(value);
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
