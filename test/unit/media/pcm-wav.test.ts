/**
 * The in-process WAV path gives exactly ffmpeg's samples for the WAVs it accepts (16 kHz mono,
 * 16-bit or float), keeps ffmpeg's `-t` bound, and leaves every other WAV to ffmpeg.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeAudio } from "../../../src/media/ffmpeg.js";
import { decodePcmWav } from "../../../src/media/pcm-wav.js";
import { espeakMissing, ffmpeg, speech } from "../../helpers/av.js";

/** espeak-ng speech (22.05 kHz) converted by ffmpeg to the given WAV layout. */
const wavOf = (args: string[]) => ffmpeg([speech("The quick brown fox jumps over the lazy dog.")], ["-i", "IN0", ...args], "wav");

describe("in-process PCM WAV decoding", { skip: espeakMissing }, () => {
  for (const [name, codec] of [["16-bit", "pcm_s16le"], ["float", "pcm_f32le"]] as const) {
    test(`16 kHz mono ${name}: the same samples as ffmpeg`, async () => {
      const wav = wavOf(["-ar", "16000", "-ac", "1", "-c:a", codec]);
      const mine = decodePcmWav(wav, 60);
      const theirs = (await decodeAudio(wav, { sampleRate: 16_000 })).samples;
      assert.ok(mine, "accepted");
      assert.ok(mine.length > 16_000, `${mine.length} samples`);
      assert.equal(mine.length, theirs.length);
      let worst = 0;
      for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i]! - theirs[i]!));
      assert.equal(worst, 0);
    });
  }

  test("a clip over maxSeconds is cut there, as ffmpeg's -t would", () => {
    const wav = wavOf(["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"]);
    assert.equal(decodePcmWav(wav, 0.5)?.length, 8000);
  });

  test("other rates, channel counts, codecs and broken headers are left to ffmpeg", () => {
    assert.equal(decodePcmWav(wavOf(["-c:a", "pcm_s16le"]), 60), undefined, "22.05 kHz");
    assert.equal(decodePcmWav(wavOf(["-ar", "16000", "-ac", "2", "-c:a", "pcm_s16le"]), 60), undefined, "stereo");
    assert.equal(decodePcmWav(wavOf(["-ar", "16000", "-ac", "1", "-c:a", "pcm_u8"]), 60), undefined, "8-bit");
    assert.equal(decodePcmWav(wavOf(["-ar", "16000", "-ac", "1", "-c:a", "pcm_mulaw"]), 60), undefined, "mu-law");
    const wav = wavOf(["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le"]);
    assert.equal(decodePcmWav(wav.subarray(0, 30), 60), undefined, "truncated header");
    assert.equal(decodePcmWav(Buffer.from("RIFF....WAVEjunkjunkjunkjunkjunkjunkjunkjunkjunk"), 60), undefined, "no chunks");
  });
});
