/**
 * Chunked streaming against a whole send, through the real server (Silero VAD, the stream window,
 * the prosody model): the pieces 1-second messages report tile the segments one message reports,
 * within the VAD tolerance documented in the README ("Audio time").
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeWav as wav } from "../../src/media/wav.js";
import { AUDIO_SAMPLE_RATE, decodeSound } from "../../src/media/audio.js";
import { DEFAULT_LIMITS } from "../../src/media/limits.js";
import type { TimedPrediction } from "../../src/protocol/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { concatWav, espeakMissing, silence, speech } from "../helpers/av.js";
import { Conn } from "../helpers/conn.js";
import { assertPiecesTile } from "../helpers/pieces.js";
import { startTestServer } from "../helpers/server.js";

/** Silero's frame (32 ms) of alignment plus its hysteresis: the README's whole-versus-chunked tolerance. */
const TOLERANCE_SEC = 0.15;

describe("audio stream: whole versus 1-second chunks", { skip: espeakMissing }, () => {
  let server: RunningServer;
  before(async () => {
    // The whole recording must fit in one message.
    server = await startTestServer({ limits: { maxAudioMs: 10_000 } });
  });
  after(async () => {
    await server?.close();
  });

  test("prosody pieces tile the whole send's segments, each moment reported once", async () => {
    const recording = concatWav([silence(0.5), speech("I went to the market this morning to buy some bread."), silence(1), speech("Then we walked home."), silence(0.5)]);
    const samples = await decodeSound(recording, "audio", { ...DEFAULT_LIMITS, maxAudioMs: 10_000 });
    assert.ok(samples.length > 4 * AUDIO_SAMPLE_RATE, "long enough to span several chunks");

    const conn = await Conn.open(server.streamUrl);
    try {
      const whole = await conn.ask({ models: { prosody: {} }, data: recording.toString("base64"), payload_id: "whole" });
      const wholePredictions = whole.prosody.predictions as TimedPrediction[];
      assert.ok(wholePredictions.length >= 2, JSON.stringify(whole));

      const chunked: TimedPrediction[] = [];
      const first = await conn.ask({ reset_stream: true, models: { prosody: {} }, data: Buffer.from(wav(samples.subarray(0, AUDIO_SAMPLE_RATE), AUDIO_SAMPLE_RATE)).toString("base64") });
      const replies = [first];
      for (let at = AUDIO_SAMPLE_RATE; at < samples.length; at += AUDIO_SAMPLE_RATE) {
        const chunk = Buffer.from(wav(samples.subarray(at, at + AUDIO_SAMPLE_RATE), AUDIO_SAMPLE_RATE));
        replies.push(await conn.ask({ models: { prosody: {} }, data: chunk.toString("base64") }));
      }
      for (const r of replies) {
        assert.ok(r.prosody, JSON.stringify(r));
        chunked.push(...((r.prosody.predictions ?? []) as TimedPrediction[]));
      }
      assert.ok(chunked.length > wholePredictions.length, "a segment spanning chunks comes back in pieces");
      assertPiecesTile(wholePredictions, chunked, TOLERANCE_SEC);
    } finally {
      conn.close();
    }
  });
});
