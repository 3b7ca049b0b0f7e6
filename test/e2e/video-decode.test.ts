/**
 * Video messages end to end: frames sampled at `fps_pred` go to the face model with their frame
 * number and time, the sound track goes to the audio models, and the video limits and decoding
 * failures answer with coded errors on a connection that keeps working.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { after, before, describe, test } from "node:test";
import { DEFAULT_LIMITS } from "../../src/media/limits.js";
import { extractFrames, splitJpegs, type VideoFrame } from "../../src/media/video.js";
import { packageRoot } from "../../src/package-paths.js";
import { isAvailable } from "../../src/models/registry.js";
import type { RunningServer } from "../../src/server/index.js";
import { espeakMissing, speech, video, VIDEO_FORMATS } from "../helpers/av.js";
import { Conn, type Reply } from "../helpers/conn.js";
import { startTestServer } from "../helpers/server.js";
import { b64 } from "../fixtures/media.js";

const MAX_VIDEO_MS = 4000;
/** A real photo with three frontal faces, shipped in a dev dependency. */
const facePhoto = () => readFileSync(join(packageRoot, "node_modules/@vladmandic/face-api/demo/sample1.jpg"));

async function assertUsable(conn: Conn): Promise<void> {
  const reply = await conn.ask({ models: { language: { granularity: "passage" } }, raw_text: true, data: "Still here, thank you!" });
  assert.equal(reply.error, undefined, JSON.stringify(reply).slice(0, 300));
}

async function expectCode(conn: Conn, message: Reply, code: string, match?: RegExp): Promise<Reply> {
  const reply = await conn.ask(message, 30_000);
  assert.equal(reply.code, code, JSON.stringify(reply).slice(0, 300));
  if (match) assert.match(reply.error, match);
  await assertUsable(conn);
  return reply;
}

describe("frame sampling (unit)", () => {
  test("fps_pred 3 samples a frame every 1/3 s; 0 takes every frame; the frame cap holds", async () => {
    const clip = video("mp4", 2, { rate: 10 });
    const three = await extractFrames(clip, 3, DEFAULT_LIMITS);
    assert.deepEqual(three.map((f) => f.frame), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(three.map((f) => f.time), [0, 0.333, 0.667, 1, 1.333, 1.667]);
    const every = await extractFrames(clip, 0, DEFAULT_LIMITS);
    assert.equal(every.length, 20);
    assert.equal(every[19]?.time, 1.9);
    assert.equal((await extractFrames(clip, 0, { ...DEFAULT_LIMITS, maxVideoFrames: 7 })).length, 7);
    // Asking for more than the video has gives every frame once, not duplicates.
    assert.deepEqual((await extractFrames(clip, 30, DEFAULT_LIMITS)).map((f) => f.time), every.map((f) => f.time));
    // Each frame is one complete JPEG of the video's size.
    for (const f of three) {
      assert.equal(splitJpegs(Buffer.from(f.bytes)).length, 1);
      const meta = await sharp(f.bytes).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 320, 240]);
    }
  });

  test("frames handed over during decoding are the frames returned, in order, up to the frame cap", async () => {
    // A larger, busier picture than the test pattern, so JPEGs straddle the pipe's chunks.
    const clip = video("mp4", 2, { image: facePhoto(), rate: 10 });
    const early: VideoFrame[] = [];
    const frames = await extractFrames(clip, 0, DEFAULT_LIMITS, undefined, (f) => early.push(f));
    assert.equal(frames.length, 20);
    assert.deepEqual(early, frames);
    const capped: VideoFrame[] = [];
    const seven = await extractFrames(clip, 0, { ...DEFAULT_LIMITS, maxVideoFrames: 7 }, undefined, (f) => capped.push(f));
    assert.deepEqual(capped, seven);
    assert.equal(capped.length, 7);
  });

  test("splits a JPEG stream at image ends, not at FF D9 bytes inside other segments, and drops a truncated tail", async () => {
    const jpeg = (hue: number) => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: hue, g: 255 - hue, b: 128 } } }).jpeg({ quality: 90 }).toBuffer();
    const a = await jpeg(10), b = await jpeg(200);
    // A comment segment holding FF D9: a naive search for the end marker would cut there.
    const comment = Buffer.from([0xff, 0xfe, 0x00, 0x06, 0xff, 0xd9, 0xff, 0xd9]);
    const withComment = Buffer.concat([a.subarray(0, 2), comment, a.subarray(2)]);
    const parts = splitJpegs(Buffer.concat([withComment, b, b.subarray(0, b.length - 10)]));
    assert.equal(parts.length, 2);
    assert.deepEqual(Buffer.from(parts[0]!), withComment);
    assert.deepEqual(Buffer.from(parts[1]!), b);
    // An image ending exactly at the end of the stream is complete.
    assert.equal(splitJpegs(b).length, 1);
  });
});

describe("video messages on the server", () => {
  let server: RunningServer;
  let conn: Conn;
  before(async () => {
    server = await startTestServer({ limits: { maxVideoMs: MAX_VIDEO_MS } });
    conn = await Conn.open(server.streamUrl);
  });
  after(async () => {
    conn?.close();
    await server?.close();
  });

  test("MP4, MOV and WebM with face only: faces per sampled frame, with frame and time", async (t) => {
    if (!isAvailable("face")) return t.skip("face model not in this build");
    for (const format of Object.keys(VIDEO_FORMATS)) {
      const clip = video(format, 1, { image: facePhoto(), rate: 6 });
      const reply = await conn.ask({ models: { face: { fps_pred: 3 } }, data: b64(clip), payload_id: format }, 60_000);
      assert.equal(reply.error, undefined, `${format}: ${JSON.stringify(reply).slice(0, 300)}`);
      const predictions = reply.face.predictions as Reply[];
      const frames = [...new Set(predictions.map((p) => p.frame))].sort();
      assert.deepEqual(frames, [0, 1, 2], `${format}: three sampled frames with faces`);
      for (const p of predictions) assert.equal(p.time, [0, 0.333, 0.667][p.frame]);
      assert.ok(predictions.length >= 6, `${format}: the photo's faces in each frame (${predictions.length})`);
    }
    // Frames are scaled down for detection; boxes come back in the video's own pixels.
    const still = await conn.ask({ models: { face: {} }, data: b64(facePhoto()) }, 60_000);
    const fromVideo = await conn.ask({ models: { face: {} }, data: b64(video("mp4", 0.3, { image: facePhoto(), rate: 3 })) }, 60_000);
    const xs = (r: Reply) => (r.face.predictions as Reply[]).filter((p) => p.frame === 0).map((p) => p.bbox.x as number).sort((a, b) => a - b);
    assert.equal(xs(fromVideo).length, xs(still).length);
    xs(still).forEach((x, i) => assert.ok(Math.abs(x - (xs(fromVideo)[i] ?? -1e9)) < 40, `still ${xs(still)} video ${xs(fromVideo)}`));
  });

  test("identify_faces across the frames of one video: the same people keep their ids", async (t) => {
    if (!isAvailable("face")) return t.skip("face model not in this build");
    const clip = video("mp4", 1, { image: facePhoto(), rate: 6 });
    const reply = await conn.ask({ models: { face: { identify_faces: true } }, data: b64(clip), reset_stream: true }, 60_000);
    assert.equal(reply.error, undefined, JSON.stringify(reply).slice(0, 300));
    const predictions = reply.face.predictions as Reply[];
    const perFrame = predictions.filter((p) => p.frame === 0).length;
    assert.ok(perFrame >= 2, `faces in frame 0: ${perFrame}`);
    const ids = new Set(predictions.map((p) => p.face_id));
    assert.equal(ids.size, perFrame, `ids ${[...ids].join(",")} over ${predictions.length} predictions`);
    assert.ok(predictions.every((p) => !("descriptor" in p)), "face descriptors stay on the server");
    // The video's ids carry over to the next message on the connection.
    const still = await conn.ask({ models: { face: { identify_faces: true } }, data: b64(facePhoto()) }, 30_000);
    for (const p of still.face.predictions as Reply[]) assert.ok(ids.has(p.face_id), `${p.face_id} not among ${[...ids].join(",")}`);
  });

  test("a silent video works with face only (W0103 on a test pattern), and is E0202 with prosody", async () => {
    const silent = video("mp4", 1, {});
    if (isAvailable("face")) {
      const reply = await conn.ask({ models: { face: {} }, data: b64(silent) }, 30_000);
      assert.equal(reply.error, undefined, JSON.stringify(reply).slice(0, 300));
      assert.equal(reply.face.code, "W0103");
    }
    await expectCode(conn, { models: { prosody: {} }, data: b64(silent) }, "E0202", /no audio stream/);
    await expectCode(conn, { models: { face: {}, burst: {} }, data: b64(silent) }, "E0202");
  });

  test("a video's sound track passes the audio checks for the audio models", { skip: espeakMissing }, async () => {
    const clip = video("webm", 2, { sound: speech("Hello, how are you today?") });
    const reply = await conn.ask({ models: { prosody: {} }, data: b64(clip) }, 30_000);
    if (isAvailable("prosody")) assert.equal(reply.error, undefined, JSON.stringify(reply).slice(0, 300));
    else assert.equal(reply.code, "E0901", JSON.stringify(reply).slice(0, 300));
  });

  test("E0204: a video longer than the limit, for face and for prosody", async () => {
    const long = video("mp4", MAX_VIDEO_MS / 1000 + 1, {});
    await expectCode(conn, { models: { face: {} }, data: b64(long) }, "E0204", new RegExp(`${MAX_VIDEO_MS} milliseconds`));
    const longWebm = video("webm", MAX_VIDEO_MS / 1000 + 1, {});
    await expectCode(conn, { models: { face: {} }, data: b64(longWebm) }, "E0204");
  });

  test("E0200: a corrupt video", async () => {
    const clip = video("mp4", 1, {});
    const corrupt = Buffer.concat([clip.subarray(0, 48), Buffer.alloc(5000, 0x33)]);
    await expectCode(conn, { models: { face: {} }, data: b64(corrupt) }, "E0200", /could not be decoded/);
  });
});
