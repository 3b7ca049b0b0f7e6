/** Pure functions of the face models: geometry (FACS, descriptions), identities, metrics. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DESCRIPTIONS_27, FACS_36 } from "../../../src/protocol/index.js";
import { descriptionScores, facsScores, LM, measure, ramp } from "../../../src/models/face/geometry.js";
import { assignDeferredIdentities, assignIdentities, cosine, emptyIdentityState, identityStateOf } from "../../../src/models/face/identity.js";
import { clampBox } from "../../../src/models/face/index.js";
import { metrics } from "../../../src/training/facemesh/metrics.js";

/** A schematic face (IOD = 100 px, eyes level at y = 100) with adjustable features. */
function face(o: { eyeOpen?: number; brow?: number; corner?: number; lipGap?: number; pitchZ?: number } = {}): number[][] {
  const mesh = Array.from({ length: 478 }, () => [150, 150, 0]);
  const set = (i: number, x: number, y: number, z = 0) => (mesh[i] = [x, y, z]);
  const eyeW = 30;
  const open = (o.eyeOpen ?? 0.36) * eyeW;
  for (const [outer, inner, top, bottom, cx, dir] of [
    [LM.rightEyeOuter, LM.rightEyeInner, LM.rightEyeTop, LM.rightEyeBottom, 100, 1],
    [LM.leftEyeOuter, LM.leftEyeInner, LM.leftEyeTop, LM.leftEyeBottom, 200, -1],
  ] as const) {
    set(outer, cx - (dir * eyeW) / 2, 100);
    set(inner, cx + (dir * eyeW) / 2, 100);
    set(top, cx, 100 - open / 2);
    set(bottom, cx, 100 + open / 2);
  }
  const brow = (o.brow ?? 0.34) * 100;
  set(LM.rightBrowInner, 130, 100 - brow);
  set(LM.leftBrowInner, 170, 100 - brow);
  set(LM.rightBrowOuter, 75, 100 - 25);
  set(LM.leftBrowOuter, 225, 100 - 25);
  const gap = (o.lipGap ?? 0.02) * 100;
  set(LM.lipInnerTop, 150, 200 - gap / 2);
  set(LM.lipInnerBottom, 150, 200 + gap / 2);
  const lift = (o.corner ?? 0.01) * 100;
  set(LM.mouthRight, 110, 200 - lift);
  set(LM.mouthLeft, 190, 200 - lift);
  const dz = Math.tan(o.pitchZ ?? -0.08) * 200;
  set(LM.forehead, 150, 0, dz);
  set(LM.chin, 150, 200, 0);
  return mesh;
}

const score = (list: { name: string; score: number }[], name: string) => list.find((s) => s.name === name)?.score ?? NaN;

describe("geometry", () => {
  test("measurements of the schematic face", () => {
    const m = measure(face({ eyeOpen: 0.3, brow: 0.4, corner: 0.05, lipGap: 0.2 }));
    assert.ok(Math.abs(m.eyeOpen - 0.3) < 1e-9);
    assert.ok(Math.abs(m.browInner - 0.4) < 1e-9);
    assert.ok(Math.abs(m.cornerLift - 0.05) < 1e-9);
    assert.ok(Math.abs(m.lipGap - 0.2) < 1e-9);
  });

  test("measurements ignore position, scale and roll", () => {
    const a = 0.4;
    const base = face({ corner: 0.1, lipGap: 0.2 });
    const moved = base.map(([x = 0, y = 0, z = 0]) => [2.5 * (x * Math.cos(a) - y * Math.sin(a)) + 40, 2.5 * (x * Math.sin(a) + y * Math.cos(a)) + 7, 2.5 * z]);
    const m1 = measure(base);
    const m2 = measure(moved);
    for (const k of Object.keys(m1) as (keyof typeof m1)[]) if (k !== "pitch") assert.ok(Math.abs(m1[k] - m2[k]) < 1e-9, k);
  });

  test("a neutral face scores 0 everywhere", () => {
    const m = measure(face());
    for (const s of [...facsScores(m), ...descriptionScores(m)]) assert.equal(s.score, 0, s.name);
  });

  test("each expression moves the right units", () => {
    assert.equal(score(facsScores(measure(face({ corner: 0.15 }))), "AU12 Lip Corner Puller"), 1);
    assert.equal(score(descriptionScores(measure(face({ corner: 0.15 }))), "Smile"), 1);
    assert.equal(score(facsScores(measure(face({ corner: -0.1 }))), "AU15 Lip Corner Depressor"), 1);
    assert.equal(score(facsScores(measure(face({ eyeOpen: 0.05 }))), "AU43 Eye Closure"), 1);
    assert.equal(score(descriptionScores(measure(face({ eyeOpen: 0.05 }))), "Eyes closed"), 1);
    assert.equal(score(facsScores(measure(face({ eyeOpen: 0.6 }))), "AU5 Upper Lid Raise"), 1);
    assert.equal(score(facsScores(measure(face({ brow: 0.55 }))), "AU1 Inner Brow Raise"), 1);
    assert.equal(score(facsScores(measure(face({ brow: 0.15 }))), "AU4 Brow Lowerer"), 1);
    const open = facsScores(measure(face({ lipGap: 0.4 })));
    assert.equal(score(open, "AU25 Lips Part"), 1);
    assert.equal(score(open, "AU26 Jaw Drop"), 1);
    assert.equal(score(facsScores(measure(face({ pitchZ: 0.4 }))), "AU53 Head Up"), 1);
    assert.equal(score(facsScores(measure(face({ pitchZ: -0.6 }))), "AU54 Head Down"), 1);
  });

  test("names come from the official lists", () => {
    const m = measure(face());
    for (const s of facsScores(m)) assert.ok((FACS_36 as readonly string[]).includes(s.name), s.name);
    for (const s of descriptionScores(m)) assert.ok((DESCRIPTIONS_27 as readonly string[]).includes(s.name), s.name);
  });

  test("ramp clamps and works in both directions", () => {
    assert.equal(ramp(0.5, 0, 1), 0.5);
    assert.equal(ramp(2, 0, 1), 1);
    assert.equal(ramp(-1, 0, 1), 0);
    assert.equal(ramp(0.25, 0.5, 0), 0.5);
  });
});

describe("identities", () => {
  /** Pseudo-random descriptor (LCG), near-orthogonal for different seeds. */
  const vec = (seed: number) => {
    let s = seed * 7919 + 17;
    return Array.from({ length: 1024 }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
  };
  const noisy = (v: number[], amount: number) => v.map((x, i) => x + amount * Math.sin(i * 3.7));

  test("same descriptor keeps its id; different ones get new ids", () => {
    const s = emptyIdentityState();
    const [a, b] = assignIdentities(s, [vec(1), vec(2)]);
    assert.deepEqual([a, b], ["face_0", "face_1"]);
    assert.deepEqual(assignIdentities(s, [noisy(vec(2), 0.2), noisy(vec(1), 0.2)]), ["face_1", "face_0"]);
    assert.deepEqual(assignIdentities(s, [vec(3)]), ["face_2"]);
  });

  test("two faces in one frame never share an id", () => {
    const s = emptyIdentityState();
    assignIdentities(s, [vec(1)]);
    const ids = assignIdentities(s, [vec(1), noisy(vec(1), 0.05)]);
    assert.equal(new Set(ids).size, 2);
  });

  test("the number of identities is capped, least recently seen forgotten, ids never reused", () => {
    const s = emptyIdentityState();
    for (let i = 0; i < 5; i++) assignIdentities(s, [vec(i + 1)], 0.72, 3);
    assert.equal(s.identities.length, 3);
    assert.deepEqual(s.identities.map((x) => x.id), ["face_2", "face_3", "face_4"]);
    assert.deepEqual(assignIdentities(s, [vec(1)], 0.72, 3), ["face_5"]);
  });

  test("ids given after a video's frames ran in parallel match frame-by-frame assignment", () => {
    const frames = [[vec(1), vec(2)], [], [noisy(vec(2), 0.2), noisy(vec(1), 0.2), vec(3)], [vec(3)]];
    const sequential = emptyIdentityState();
    assignIdentities(sequential, [vec(9)]);
    const before = structuredClone(sequential);
    const expected = frames.map((d) => (d.length ? assignIdentities(sequential, d) : []));
    const deferred = assignDeferredIdentities(before, frames.map((d, f) => d.map((descriptor, i) => ({ face_id: "unknown", descriptor, frame: f, i }))));
    assert.deepEqual(deferred.frames.map((faces) => faces.map((p) => p.face_id)), expected);
    assert.deepEqual(deferred.frames[2]?.[1], { face_id: "face_1", frame: 2, i: 1 }, "descriptors are dropped, the rest kept");
    assert.deepEqual(deferred.state, sequential);
  });

  test("state survives structured cloning (the worker boundary) and rejects junk", () => {
    const s = emptyIdentityState();
    assignIdentities(s, [vec(1)]);
    const back = identityStateOf(structuredClone(s));
    assert.deepEqual(assignIdentities(back, [vec(1)]), ["face_0"]);
    assert.deepEqual(identityStateOf({ identities: "x" }), emptyIdentityState());
    assert.ok(Math.abs(cosine([1, 0], [2, 0]) - 1) < 1e-12);
  });
});

describe("boxes and metrics", () => {
  test("boxes are clamped into the image", () => {
    assert.deepEqual(clampBox([-10, -5, 50, 40], 30, 30), { x: 0, y: 0, w: 30, h: 30 });
    assert.deepEqual(clampBox([10.4, 5.6, 5, 5], 100, 100), { x: 10, y: 6, w: 5, h: 5 });
  });

  test("accuracy and macro-F1", () => {
    const m = metrics([0, 0, 1, 1], [0, 1, 1, 1], 2);
    assert.equal(m.accuracy, 0.75);
    assert.ok(Math.abs(m.macroF1 - (2 / 3 + 0.8) / 2) < 1e-12);
  });
});
