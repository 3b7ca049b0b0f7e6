/**
 * Learned action units and descriptions from MediaPipe's blendshapes
 * (src/models/face/mediapipe/actionUnits.ts): the mapping itself, and its behaviour on real
 * FER2013 crops run through the MediaPipe pipeline.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FACS_36, DESCRIPTIONS_27 } from "../../../src/protocol/labels.js";
import { FER_ORDER, type FerLabel } from "../../../src/models/facemesh/labels.js";
import { BLENDSHAPE_NAMES, type Blendshapes } from "../../../src/models/face/mediapipe/blendshapes.js";
import {
  actionUnits, descriptions, MEASURED_DESCRIPTIONS, MEASURED_UNITS, UNMEASURED_UNITS, type Descriptions, type Units,
} from "../../../src/models/face/mediapipe/actionUnits.js";
import { decodeRgb } from "../../../src/models/face/mediapipe/image.js";
import { analyzeFaces } from "../../../src/models/face/mediapipe/pipeline.js";
import { loadFer } from "../../../src/training/facemesh/fer.js";
import { ferPng } from "../../helpers/face.js";

const neutralShapes = (): Blendshapes => Object.fromEntries(BLENDSHAPE_NAMES.map((n) => [n, 0])) as Blendshapes;

describe("action units from blendshapes", () => {
  it("names at least 15 of Hume's FACS units and 10 descriptions, exactly as Hume spells them", () => {
    assert.ok(MEASURED_UNITS.length >= 15, `${MEASURED_UNITS.length} units`);
    assert.ok(MEASURED_DESCRIPTIONS.length >= 10, `${MEASURED_DESCRIPTIONS.length} descriptions`);
    for (const u of MEASURED_UNITS) assert.ok((FACS_36 as readonly string[]).includes(u), u);
    for (const d of MEASURED_DESCRIPTIONS) assert.ok((DESCRIPTIONS_27 as readonly string[]).includes(d), d);
    // Every Hume unit is either measured or listed with the reason it is not.
    assert.equal(MEASURED_UNITS.length + Object.keys(UNMEASURED_UNITS).length, FACS_36.length);
    for (const u of ["AU6 Cheek Raise", "AU9 Nose Wrinkle", "AU34 Puff"]) assert.ok(!(MEASURED_UNITS as string[]).includes(u), u);
  });

  it("reads each unit from its blendshapes, averaging the two sides", () => {
    const b = neutralShapes();
    assert.ok(Object.values(actionUnits(b)).every((v) => v === 0));
    b.mouthSmileLeft = 0.8;
    b.mouthSmileRight = 0.4;
    b.jawOpen = 0.5;
    const u = actionUnits(b);
    assert.ok(Math.abs(u["AU12 Lip Corner Puller"] - 0.6) < 1e-9);
    assert.equal(u["AU26 Jaw Drop"], 0.5);
    assert.equal(u["AU25 Lips Part"], 0.5);
    const d = descriptions(b, u);
    assert.ok(Math.abs(d.Smile - 0.6) < 1e-9);
    assert.equal(d.Laugh, 0.5); // min(smile 0.6, jaw drop 0.5)
    assert.ok(Math.abs(d.Smirk - 0.4) < 1e-9); // one-sided pull
    assert.equal(d.Frown, 0);
  });
});

/** The first `n` PrivateTest crops of a class that the pipeline finds a face in, as units and descriptions. */
async function ferClass(label: FerLabel, n: number): Promise<Array<{ u: Units; d: Descriptions }>> {
  const data = loadFer("privatetest");
  const want = FER_ORDER.indexOf(label);
  const out: Array<{ u: Units; d: Descriptions }> = [];
  for (let i = 0; i < data.count && out.length < n; i++) {
    if (data.labels[i] !== want) continue;
    const [face] = await analyzeFaces(await decodeRgb(await ferPng(i)));
    if (!face?.blendshapes) continue;
    const u = actionUnits(face.blendshapes);
    out.push({ u, d: descriptions(face.blendshapes, u) });
  }
  return out;
}

const meanOf = <T>(rows: T[], f: (r: T) => number): number => rows.reduce((s, r) => s + f(r), 0) / rows.length;

describe("action units on FER2013 crops through the MediaPipe pipeline", () => {
  const N = 12;
  let neutral: Array<{ u: Units; d: Descriptions }> = [];

  it("a smiling face gives AU12 and Smile above a neutral one", async () => {
    neutral = await ferClass("neutral", N);
    const happy = await ferClass("happy", N);
    assert.equal(neutral.length, N);
    assert.equal(happy.length, N);
    const au12 = [meanOf(happy, (r) => r.u["AU12 Lip Corner Puller"]), meanOf(neutral, (r) => r.u["AU12 Lip Corner Puller"])];
    const smile = [meanOf(happy, (r) => r.d.Smile), meanOf(neutral, (r) => r.d.Smile)];
    assert.ok(au12[0]! > au12[1]! + 0.2, `AU12 happy ${au12[0]} vs neutral ${au12[1]}`);
    assert.ok(smile[0]! > smile[1]! + 0.2, `Smile happy ${smile[0]} vs neutral ${smile[1]}`);
  });

  it("a surprised face gives AU26, AU1 and AU2 above a neutral one", async () => {
    const surprise = await ferClass("surprise", N);
    assert.equal(surprise.length, N);
    for (const unit of ["AU26 Jaw Drop", "AU1 Inner Brow Raise", "AU2 Outer Brow Raise"] as const) {
      const s = meanOf(surprise, (r) => r.u[unit]);
      const n = meanOf(neutral, (r) => r.u[unit]);
      assert.ok(s > n + 0.1, `${unit}: surprise ${s} vs neutral ${n}`);
    }
  });
});
