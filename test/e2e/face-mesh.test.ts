/**
 * The `facemesh` model end to end: meshes taken from real photos with MediaPipe's landmark model
 * (the server's own face pipeline), sent the way the
 * official clients send them, through a real server.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FacemeshPrediction } from "../../src/protocol/index.js";
import { decodeRgb } from "../../src/models/face/mediapipe/image.js";
import { toPoints } from "../../src/models/face/mediapipe/landmarks.js";
import { analyzeFaces } from "../../src/models/face/mediapipe/pipeline.js";
import { meshFeatures } from "../../src/models/facemesh/features.js";
import type { RunningServer } from "../../src/server/index.js";
import { startTestServer } from "../helpers/server.js";
import { b64, Conn, sample } from "../helpers/face.js";

let server: RunningServer;
let conn: Conn;
let meshes: number[][][] = [];

before(async () => {
  server = await startTestServer();
  conn = await Conn.open(`${server.streamUrl}?api_key=k`);
  const faces = await analyzeFaces(await decodeRgb(sample(4)), { blendshapes: false });
  meshes = faces.map((f) => toPoints(f.landmarks));
});
after(async () => {
  conn.close();
  await server.close();
});

const LABELS = ["Anger", "Disgust", "Fear", "Joy", "Neutral", "Sadness", "Surprise"];

function assertEmotions(reply: Record<string, unknown>, faces: number): void {
  assert.equal(reply["error"], undefined, JSON.stringify(reply));
  const preds = (reply["facemesh"] as { predictions: FacemeshPrediction[] }).predictions;
  assert.equal(preds.length, faces);
  for (const p of preds) {
    FacemeshPrediction.parse(p);
    assert.deepEqual(p.emotions.map((e) => e.name), LABELS);
    const sum = p.emotions.reduce((s, e) => s + e.score, 0);
    assert.ok(Math.abs(sum - 1) < 1e-3);
  }
}

describe("facemesh", () => {
  test("meshes from a real photo (478 points from Human) give emotions", async () => {
    assert.equal(meshes.length, 4);
    assert.equal(meshes[0]?.length, 478);
    // TS wrapper style: base64 JSON with raw_text true.
    assertEmotions(await conn.ask({ data: b64(Buffer.from(JSON.stringify(meshes))), raw_text: true, models: { facemesh: {} } }), 4);
    // Python 0.13 style: raw JSON with raw_text false.
    assertEmotions(await conn.ask({ data: JSON.stringify(meshes.slice(0, 2)), raw_text: false, models: { facemesh: {} } }), 2);
  });

  test("features ignore position, scale and roll", () => {
    const m = meshes[0] ?? [];
    const a = Math.PI / 7;
    const moved = m.map(([x = 0, y = 0, z = 0]) => [3 * (x * Math.cos(a) - y * Math.sin(a)) + 50, 3 * (x * Math.sin(a) + y * Math.cos(a)) - 20, z]);
    const f1 = meshFeatures(m);
    const f2 = meshFeatures(moved);
    assert.ok(f1 && f2);
    for (let i = 0; i < f1.length; i++) assert.ok(Math.abs((f1[i] ?? 0) - (f2[i] ?? 0)) < 1e-3, `feature ${i}`);
  });

  test("empty array and degenerate all-zero meshes: W0102", async () => {
    for (const faces of [[], [Array.from({ length: 478 }, () => [0, 0, 0])]]) {
      const reply = await conn.ask({ data: JSON.stringify(faces), models: { facemesh: {} } });
      assert.deepEqual(reply["facemesh"], { predictions: [], warning: "No facemeshes could be detected.", code: "W0102" });
    }
  });

  test("malformed arrays: E0101", async () => {
    const bad = [
      [Array.from({ length: 477 }, () => [0, 0, 0])],
      [Array.from({ length: 478 }, () => [0, 0])],
      [Array.from({ length: 478 }, () => [0, "x", 0])],
      Array.from({ length: 11 }, () => meshes[0]),
    ];
    for (const faces of bad) {
      const reply = await conn.ask({ data: JSON.stringify(faces), models: { facemesh: {} } });
      assert.equal(reply["code"], "E0101", JSON.stringify(reply).slice(0, 200));
    }
  });
});
