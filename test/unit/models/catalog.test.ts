/**
 * The model catalogue and its descriptors: browser-safe (the SDK and the playground bundle them),
 * in reply order, and declaring the label sets the loaded models really output.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { build } from "esbuild";
import { MODEL_ACCEPTS, MODEL_NAMES, MODELS } from "../../../src/models/catalog.js";
import { loadFacemeshClassifier } from "../../../src/models/facemesh/classifier.js";
import { loadLanguageClassifier } from "../../../src/models/language/classifier.js";
import { ModelsConfig, PredictionsReply } from "../../../src/protocol/index.js";

test("the protocol and every descriptor bundle for a browser (no Node-only imports)", async () => {
  const out = await build({
    entryPoints: [new URL("../../../src/protocol/index.ts", import.meta.url).pathname],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  assert.equal(out.errors.length, 0);
  assert.doesNotMatch(out.outputFiles[0]?.text ?? "", /from "node:|require\("node:/);
});

test("catalogue order is reply order; wire schemas and the media table are derived from it", () => {
  // The protocol's own models keep the official reply order (models added later follow them).
  const official = ["face", "language", "prosody", "burst", "facemesh"];
  assert.deepEqual(MODEL_NAMES.filter((m) => official.includes(m)), official);
  for (const name of MODEL_NAMES) {
    assert.equal(MODELS[name].name, name);
    assert.deepEqual(MODEL_ACCEPTS[name], MODELS[name].accepts);
  }
  assert.deepEqual(Object.keys(ModelsConfig.shape), MODEL_NAMES);
  assert.deepEqual(Object.keys(PredictionsReply.shape).filter((k) => k !== "payload_id" && k !== "job_details"), MODEL_NAMES);
  // A model's own config schema validates under its name (unknown fields stripped, as the service did).
  assert.deepEqual(ModelsConfig.parse({ face: { fps_pred: 2, unknown: 1 } }), { face: { fps_pred: 2 } });
  assert.equal(ModelsConfig.safeParse({ face: { fps_pred: 99 } }).success, false);
});

test("declared label sets are what the loaded models output", async () => {
  // Language scores come out in the classifier's order.
  const language = await loadLanguageClassifier();
  assert.deepEqual([...language.labels], [...MODELS.language.labels]);
  // The facemesh model sorts its scores by name, as the official lists are.
  const facemesh = await loadFacemeshClassifier();
  assert.deepEqual([...facemesh.labels].sort(), [...MODELS.facemesh.labels]);
  for (const name of MODEL_NAMES) {
    const labels = MODELS[name].labels;
    assert.ok(labels.length > 0, name);
    assert.equal(new Set(labels).size, labels.length, `${name} labels are distinct`);
    if (name !== "language") assert.deepEqual([...labels], [...labels].sort(), `${name} labels are alphabetical, like the official lists`);
  }
});
