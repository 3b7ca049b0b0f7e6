/**
 * Reads the FER2013 splits packed as raw 48x48 uint8 rows (`{split}.bin`) plus one label per
 * line (`{split}.labels.txt`), from `$OPEN_EXPRESSION_DATASETS/fer2013` or, by default, from
 * `../shared/datasets/fer2013` next to the package root.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { packageRoot } from "../../package-paths.js";
import { FER_ORDER, type FerLabel } from "../../models/facemesh/labels.js";

export const FER_SIDE = 48;
export type FerSplit = "train" | "publictest" | "privatetest";

export interface FerData {
  split: FerSplit;
  /** N x 2304 grey pixels, row-major. */
  pixels: Uint8Array;
  /** Index into FER_ORDER per image. */
  labels: Uint8Array;
  count: number;
}

export function ferDir(): string {
  const base = process.env["OPEN_EXPRESSION_DATASETS"] ?? resolve(packageRoot, "..", "shared", "datasets");
  return join(base, "fer2013");
}

export function loadFer(split: FerSplit): FerData {
  const dir = ferDir();
  const raw = readFileSync(join(dir, `${split}.bin`));
  const pixels = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const names = readFileSync(join(dir, `${split}.labels.txt`), "utf8").split("\n").filter((l) => l.length > 0);
  const count = pixels.length / (FER_SIDE * FER_SIDE);
  if (names.length !== count) throw new Error(`${split}: ${count} images but ${names.length} labels`);
  const labels = Uint8Array.from(names, (n) => {
    const i = FER_ORDER.indexOf(n as FerLabel);
    if (i < 0) throw new Error(`${split}: unknown label ${n}`);
    return i;
  });
  return { split, pixels, labels, count };
}

export function ferImage(data: FerData, i: number): Uint8Array {
  const n = FER_SIDE * FER_SIDE;
  return data.pixels.subarray(i * n, (i + 1) * n);
}

/**
 * Rows of `split` whose exact pixels also occur in train (manifest.csv `dup_group`), so results
 * can be reported without images a FER2013-trained model may have seen.
 */
export function trainDuplicates(split: FerSplit): Set<number> {
  const rows = readFileSync(join(ferDir(), "manifest.csv"), "utf8").split("\n").slice(1);
  const inTrain = new Set<string>();
  const candidates: [number, string][] = [];
  for (const row of rows) {
    const [s, index, , , , group] = row.split(",");
    if (!group) continue;
    if (s === "train") inTrain.add(group);
    else if (s === split) candidates.push([Number(index), group]);
  }
  return new Set(candidates.filter(([, g]) => inTrain.has(g)).map(([i]) => i));
}
