/**
 * FER+ crowd majorities for the staged FER2013 images (`../shared/datasets/ferplus/manifest.csv`,
 * one row per FER2013 image in the same order): the label set the expression network learns and
 * the evaluations group by.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FERPLUS_ORDER, type FerPlusLabel } from "../../models/face/labels.js";
import type { FerLabel } from "../../models/facemesh/labels.js";
import { ferDir, type FerSplit } from "../facemesh/fer.js";

/** FER2013's labels as FER+ classes (FER+ adds contempt, which FER2013 has no label for). */
export const FER_TO_FERPLUS: Record<FerLabel, FerPlusLabel> = {
  angry: "anger",
  disgust: "disgust",
  fear: "fear",
  happy: "happiness",
  sad: "sadness",
  surprise: "surprise",
  neutral: "neutral",
};

export interface FerPlusLabels {
  /** Per image: its FER+ majority as a FERPLUS_ORDER index, or -1 (unknown, not a face, or no FER+ row). */
  majority: Int8Array;
  /** Per image, FERPLUS_ORDER.length crowd vote counts (all 0 without a FER+ row). */
  votes: Uint8Array;
}

export function loadFerPlus(split: FerSplit, count: number): FerPlusLabels {
  const lines = readFileSync(join(ferDir(), "..", "ferplus", "manifest.csv"), "utf8").split("\n");
  const head = (lines[0] ?? "").split(",");
  const col = (name: string): number => head.indexOf(name);
  const k = FERPLUS_ORDER.length;
  const majority = new Int8Array(count).fill(-1);
  const votes = new Uint8Array(count * k);
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    if (cells[col("split")] !== split || !cells[col("fer_row")]) continue;
    const i = Number(cells[col("index")]);
    majority[i] = FERPLUS_ORDER.indexOf((cells[col("majority")] ?? "") as FerPlusLabel);
    FERPLUS_ORDER.forEach((label, c) => (votes[i * k + c] = Number(cells[col(label)] ?? 0)));
  }
  return { majority, votes };
}
