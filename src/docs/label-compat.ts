/**
 * Which of Hume's dimension names each model returns, which it never returns and why, and the
 * names of its own that have no Hume counterpart: the README's "Label compatibility" table is
 * generated here from the label sets the models declare in their descriptors (a unit test checks
 * those are the ones the loaded models output), so it cannot drift from them.
 *
 *   npx tsx src/docs/label-compat.ts           prints the table
 *   npm run docs:labels                        rewrites it in README.md
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DESCRIPTIONS_27, EXPRESSION_48, FACS_36, LANGUAGE_53, TOXICITY_LABELS, type ModelName } from "../protocol/index.js";
import { packageRoot } from "../package-paths.js";
import { MEASURED_DESCRIPTIONS, MEASURED_UNITS } from "../models/face/mediapipe/actionUnits.js";
import { TOXICITY_OUTPUT } from "../models/language/labels.js";
import { MODELS } from "../models/catalog.js";
import { AVAILABLE_MODELS } from "../models/registry.js";

export interface LabelRow {
  model: ModelName;
  /** The reply field the names appear in. */
  output: string;
  /** Hume's names for this output, from the protocol reference. */
  hume: readonly string[];
  /** The names the model returns, in output order. */
  returned: readonly string[];
  /** Why the rest of Hume's names are never returned. */
  why: string;
}

const WHY: Record<string, string> = {
  "face/emotions": "the expression network is trained on FER+'s 8 classes; no data behind the other names",
  "face/facs": "read from MediaPipe's blendshapes; the others have no blendshape, or one that MediaPipe leaves at 0 (AU6, AU9, AU34), or need a hand detector or head pose",
  "face/descriptions": "documented combinations of the measured units; the others need units we do not measure",
  "facemesh/emotions": "the mesh classifier is trained on the 7 FER2013 classes",
  "prosody/emotions": "trained on the 8 acted RAVDESS emotions; no data behind the other names",
  "burst/emotions": "read from the call type (laughing, crying, screaming, sighing, yawning, moaning) by a fixed mapping; no other emotion has a call type behind it",
  "language/emotions": "trained on GoEmotions' 27 emotions + neutral; the other Hume names have no labelled text",
  "language/toxicity": "learned from the Davidson et al. tweets (hate speech / offensive votes); the other labels have no labelled data, and `toxicity: {}` names them in warning W0901",
};

/** The face model's FACS units (FACS number order) and descriptions (alphabetical), as it outputs them. */
function faceExtras(): { facs: string[]; descriptions: string[] } {
  return { facs: [...MEASURED_UNITS], descriptions: [...MEASURED_DESCRIPTIONS].sort((a, b) => a.localeCompare(b)) };
}

export async function labelRows(): Promise<LabelRow[]> {
  const rows: LabelRow[] = [];
  for (const model of AVAILABLE_MODELS) {
    const { labels } = MODELS[model];
    const hume = model === "language" ? LANGUAGE_53 : EXPRESSION_48;
    rows.push({ model, output: "emotions", hume, returned: labels, why: WHY[`${model}/emotions`] ?? "" });
    if (model === "face") {
      const { facs, descriptions } = faceExtras();
      rows.push({ model, output: "facs", hume: FACS_36, returned: facs, why: WHY["face/facs"]! });
      rows.push({ model, output: "descriptions", hume: DESCRIPTIONS_27, returned: descriptions, why: WHY["face/descriptions"]! });
    }
    if (model === "language") rows.push({ model, output: "toxicity", hume: TOXICITY_LABELS, returned: TOXICITY_OUTPUT, why: WHY["language/toxicity"]! });
  }
  return rows;
}

const list = (names: readonly string[]) => (names.length === 0 ? "none" : names.join(", "));

export function renderLabelTable(rows: readonly LabelRow[]): string {
  const lines = [
    "| model | output | Hume's names returned | own names (no Hume counterpart) | Hume's names never returned | why |",
    "|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const hume = new Set(row.hume);
    const returned = row.returned.filter((n) => hume.has(n));
    const own = row.returned.filter((n) => !hume.has(n));
    const never = row.hume.filter((n) => !row.returned.includes(n));
    lines.push(
      `| \`${row.model}\` | \`${row.output}\` | ${returned.length}/${row.hume.length}: ${list(returned)} | ${list(own)} | ${never.length}: ${list(never)} | ${row.why} |`,
    );
  }
  return lines.join("\n");
}

const START = "<!-- label-table:start -->";
const END = "<!-- label-table:end -->";

/** README text with the generated table between the markers. */
export function withLabelTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} section`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const table = renderLabelTable(await labelRows());
  if (process.argv.includes("--write")) {
    const path = join(packageRoot, "README.md");
    writeFileSync(path, withLabelTable(readFileSync(path, "utf8"), table));
  } else {
    console.log(table);
  }
  process.exit(0); // model runtimes (tfjs, onnxruntime) keep handles open
}
