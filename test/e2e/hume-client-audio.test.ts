/**
 * The official `hume@0.15.17` StreamClient receives prosody and burst predictions: real speech
 * made with espeak-ng and a real laugh from the nonverbal dataset, through the real server.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunningServer } from "../../src/server/index.js";
import { datasetsRoot } from "../../src/training/prosody/data.js";
import { espeakMissing, speech } from "../helpers/av.js";
import { clientParse, openHumeStream, type HumeStream, type Reply } from "../helpers/hume.js";
import { startTestServer } from "../helpers/server.js";

const API_KEY = "audio-key";
// A 3.6 s laugh (the server's default audio limit is 5 s).
const LAUGH = join(datasetsRoot(), "nonverbal", "laughing", "87LX_12_7_0_19_0_0_0.flac");

let server: RunningServer;
let stream: HumeStream;
before(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
  stream = await openHumeStream(server.streamUrl.replace(/\/models$/, ""), API_KEY);
});
after(async () => {
  stream.socket.close();
  await server.close();
});

const top = (emotions: Reply[]) => [...emotions].sort((a, b) => b.score - a.score)[0]?.name as string;

describe("hume@0.15.17 StreamClient with audio models", () => {
  test("speech: prosody segments with times inside the clip; no burst gives W0101 under the model key", { skip: espeakMissing }, async () => {
    const wav = speech("I can't believe you did this to me. I am so upset right now.");
    const seconds = (wav.length - 44) / 2 / 22050; // espeak-ng writes 22.05 kHz 16-bit mono
    stream.socket.sendPublish({ models: { prosody: {}, burst: {} }, data: wav.toString("base64"), payloadId: "speech" });
    const { msg, raw } = await stream.next(30_000);
    assert.equal(msg.payloadId, "speech");
    const predictions = msg.prosody.predictions as Reply[];
    assert.ok(predictions.length >= 1, JSON.stringify(msg).slice(0, 300));
    for (const p of predictions) {
      assert.ok(p.time.begin >= 0 && p.time.end > p.time.begin && p.time.end <= seconds + 0.05, JSON.stringify(p.time));
      assert.equal(p.emotions.length, 8);
    }
    assert.ok(Array.isArray(msg.burst.predictions));
    if (msg.burst.predictions.length === 0) assert.equal(msg.burst.code, "W0101");
    const strict = clientParse(raw);
    assert.equal(strict.prosody.predictions[0].time.begin, predictions[0]!.time.begin);
  });

  test("a laugh: burst predictions with Amusement on top and call-type descriptions", { skip: existsSync(LAUGH) ? false : "datasets not present" }, async () => {
    stream.socket.sendPublish({ models: { burst: {} }, data: readFileSync(LAUGH).toString("base64"), payloadId: "laugh", resetStream: true });
    const { msg, raw } = await stream.next(30_000);
    const bursts = msg.burst.predictions as Reply[];
    assert.ok(bursts.length >= 1, JSON.stringify(msg).slice(0, 300));
    assert.equal(top(bursts[0]!.emotions), "Amusement");
    assert.equal(top(bursts[0]!.descriptions), "laughing");
    const parsed = clientParse(raw);
    assert.deepEqual(parsed.burst.predictions[0].time, bursts[0]!.time);
    assert.deepEqual(stream.errors, []);
    assert.equal(stream.queued, 0, "exactly one reply per message");
  });
});
