/** Pure functions of the face model: the expression crop, identities, boxes, metrics. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expressionRegion } from "../../../src/models/face/expression.js";
import { assignDeferredIdentities, assignIdentities, cosine, emptyIdentityState, identityStateOf } from "../../../src/models/face/identity.js";
import { clampBox } from "../../../src/models/face/index.js";
import { metrics } from "../../../src/training/facemesh/metrics.js";

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

describe("expression crop", () => {
  /** A detection with eyes 100 px apart and the mouth 100 px below their midpoint, turned by `angle`. */
  function detection(angle: number, cx = 300, cy = 200) {
    const at = (x: number, y: number) => ({ x: cx + x * Math.cos(angle) - y * Math.sin(angle), y: cy + x * Math.sin(angle) + y * Math.cos(angle) });
    return { x: 0, y: 0, w: 1, h: 1, score: 1, keypoints: [at(-50, 0), at(50, 0), at(0, 50), at(0, 100), at(-90, 10), at(90, 10)] };
  }

  test("the crop is levelled by the eyes and framed from the face's own size", () => {
    const level = expressionRegion(detection(0));
    assert.equal(level.rotation, 0);
    assert.ok(Math.abs(level.size - 2.74 * 100) < 1e-9, String(level.size));
    assert.ok(Math.abs(level.cx - 300) < 1e-9 && Math.abs(level.cy - (200 + 27.5)) < 1e-9);
    const turned = expressionRegion(detection(0.3));
    assert.ok(Math.abs(turned.rotation - 0.3) < 1e-9);
    assert.ok(Math.abs(turned.size - level.size) < 1e-9);
    // The centre moves with the face: 27.5 px "down" the turned face from the eye midpoint.
    assert.ok(Math.abs(turned.cx - (300 - 27.5 * Math.sin(0.3))) < 1e-9 && Math.abs(turned.cy - (200 + 27.5 * Math.cos(0.3))) < 1e-9);
  });
});

describe("boxes and metrics", () => {
  test("boxes are clamped into the image", () => {
    assert.deepEqual(clampBox({ x: -10, y: -5, w: 50, h: 40 }, 30, 30), { x: 0, y: 0, w: 30, h: 30 });
    assert.deepEqual(clampBox({ x: 10.4, y: 5.6, w: 5, h: 5 }, 100, 100), { x: 10, y: 6, w: 5, h: 5 });
  });

  test("accuracy and macro-F1", () => {
    const m = metrics([0, 0, 1, 1], [0, 1, 1, 1], 2);
    assert.equal(m.accuracy, 0.75);
    assert.ok(Math.abs(m.macroF1 - (2 / 3 + 0.8) / 2) < 1e-12);
  });
});
