/**
 * The README's label-compatibility table is the one generated from the label sets the models
 * load, and the names it promises hold: every name a model returns is either Hume's exact name
 * or listed as its own, and Hume's example helper names (Joy, Sadness, Anger) are where the
 * README says they are.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { packageRoot } from "../../../src/package-paths.js";
import { labelRows, renderLabelTable, withLabelTable, type LabelRow } from "../../../src/docs/label-compat.js";

let rows: LabelRow[];
before(async () => {
  rows = await labelRows();
});

test("README's label table is up to date (regenerate: npm run docs:labels)", () => {
  const readme = readFileSync(join(packageRoot, "README.md"), "utf8");
  assert.equal(withLabelTable(readme, renderLabelTable(rows)), readme);
});

test("Hume's names keep Hume's exact spelling; own names never collide with a Hume name in another case", () => {
  for (const row of rows) {
    const humeLower = new Map(row.hume.map((n) => [n.toLowerCase(), n]));
    for (const name of row.returned) {
      const hume = humeLower.get(name.toLowerCase());
      if (hume) assert.equal(name, hume, `${row.model}/${row.output}: ${name} is Hume's ${hume}`);
    }
  }
});

test("Hume's print_emotions names: language, face, facemesh and prosody have Joy, Sadness and Anger; burst has Sadness only", () => {
  const emotions = (model: string) => rows.find((r) => r.model === model && r.output === "emotions")!.returned;
  for (const model of ["language", "face", "facemesh", "prosody"]) {
    for (const name of ["Joy", "Sadness", "Anger"]) assert.ok(emotions(model).includes(name), `${model} has ${name}`);
  }
  assert.ok(emotions("burst").includes("Sadness"));
  assert.ok(!emotions("burst").includes("Joy") && !emotions("burst").includes("Anger"), "no data behind Joy or Anger for bursts");
});
