/**
 * GoEmotions reader. The TSV uses CSV-style quoting: a text containing a double quote is wrapped
 * in quotes with inner quotes doubled. No field spans lines. Datasets are never copied into the
 * repository; they are read from `../shared/datasets` next to the package root, or from
 * $OPEN_EXPRESSION_DATASETS.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { packageRoot } from "../../package-paths.js";

export type Split = "train" | "dev" | "test";

export interface Example {
  text: string;
  labels: number[];
  id: string;
}

export function goEmotionsDir(): string {
  const base = process.env["OPEN_EXPRESSION_DATASETS"] ?? resolve(packageRoot, "..", "shared", "datasets");
  return join(base, "goemotions");
}

/** Splits one line on tabs, honouring CSV double-quote quoting. */
export function parseTsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let s = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quote in: ${line.slice(0, 80)}`);
        s += line.slice(i, q);
        if (line[q + 1] === '"') {
          s += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(s);
      i++; // skip the tab (or step past the end)
    } else {
      const t = line.indexOf("\t", i);
      const end = t < 0 ? line.length : t;
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return fields;
}

export function readLabels(file = "labels.txt"): string[] {
  return readFileSync(join(goEmotionsDir(), file), "utf8").split("\n").map((s) => s.trim()).filter((s) => s !== "");
}

export function readSplit(split: Split): Example[] {
  const text = readFileSync(join(goEmotionsDir(), `${split}.tsv`), "utf8");
  const out: Example[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const f = parseTsvLine(line);
    if (f.length !== 3) throw new Error(`${split}: expected 3 fields, got ${f.length}: ${line.slice(0, 80)}`);
    out.push({ text: f[0] ?? "", labels: (f[1] ?? "").split(",").map(Number), id: f[2] ?? "" });
  }
  return out;
}

/** Coarse taxonomy (Ekman or sentiment group): coarse name -> fine label names. */
export function readMapping(file: "ekman_mapping.json" | "group_mapping.json"): Record<string, string[]> {
  return JSON.parse(readFileSync(join(goEmotionsDir(), file), "utf8")) as Record<string, string[]>;
}
