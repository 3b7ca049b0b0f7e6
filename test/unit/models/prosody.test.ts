/**
 * Prosody model, called directly with the streaming-window input. Energy regions stand in for the
 * pipeline's Silero VAD. Needs the staged RAVDESS set next to the package (or
 * OPEN_EXPRESSION_DATASETS); the clip-based cases skip without it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { decodeAudio } from "../../../src/media/ffmpeg.js";
import { energyRegions, frameFeatures, type TimeSpan } from "../../../src/audio-analysis/features/index.js";
import { MIN_SEGMENT_SEC, prosodyModel } from "../../../src/models/prosody/index.js";
import { PROSODY_LABELS } from "../../../src/models/prosody/labels.js";
import type { TimedPrediction } from "../../../src/protocol/index.js";
import { datasetsRoot } from "../../../src/training/prosody/data.js";
import { assertPiecesTile } from "../../helpers/pieces.js";

const SR = 16_000;
const CLIP = join(datasetsRoot(), "ravdess", "Actor_01", "03-01-05-02-01-01-01.flac"); // angry, strong
const hasData = existsSync(CLIP);

/** Stand-in VAD: energy regions of the whole clip, in stream time. */
function vad(samples: Float32Array): TimeSpan[] {
  return energyRegions(frameFeatures(samples));
}

function noise(sec: number, amp: number): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: sec * SR }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return amp * (2 * (s / 2147483648) - 1);
  });
}

function checkPrediction(p: TimedPrediction, dur: number): void {
  assert.ok(p.time.begin >= 0 && p.time.end <= dur + 1e-9 && p.time.end > p.time.begin, JSON.stringify(p.time));
  assert.deepEqual(p.emotions.map((e) => e.name), [...PROSODY_LABELS]);
  const sum = p.emotions.reduce((a, e) => a + e.score, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `scores sum to ${sum}`);
  for (const e of p.emotions) assert.ok(e.score >= 0 && e.score <= 1);
}

before(async () => {
  await prosodyModel.load();
});

describe("prosody model", () => {
  it("scores a RAVDESS clip in segments inside the clip, scores summing to 1", { skip: !hasData }, async () => {
    const { samples } = await decodeAudio(readFileSync(CLIP), { sampleRate: SR });
    const dur = samples.length / SR;
    const r = await prosodyModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 0, newSec: 0, speech: vad(samples) }, {}, {});
    assert.equal(r.warning, undefined);
    assert.ok(r.predictions.length >= 1);
    for (const p of r.predictions) checkPrediction(p, dur);
    const top = [...(r.predictions[0]?.emotions ?? [])].sort((a, b) => b.score - a.score).slice(0, 3).map((e) => e.name);
    assert.ok(top.includes("Anger"), `angry clip top-3: ${top.join(", ")}`);
  });

  it("reports stream time: a window that starts at 12 s gives times after 12 s", { skip: !hasData }, async () => {
    const { samples } = await decodeAudio(readFileSync(CLIP), { sampleRate: SR });
    const speech = vad(samples).map((s) => ({ begin: s.begin + 12, end: s.end + 12 }));
    const r = await prosodyModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 12, newSec: 12, speech }, {}, {});
    for (const p of r.predictions) assert.ok(p.time.begin >= 12 && p.time.end <= 12 + samples.length / SR + 1e-9);
  });

  it("gives W0105 for silence and for white noise, when the VAD found nothing", async () => {
    for (const samples of [new Float32Array(2 * SR), noise(2, 0.3)]) {
      const r = await prosodyModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 0, newSec: 0, speech: [] }, {}, {});
      assert.deepEqual(r, { predictions: [], warning: { code: "W0105", message: "No speech could be detected." } });
    }
  });

  it("only covers speech that overlaps the new audio", { skip: !hasData }, async () => {
    const { samples } = await decodeAudio(readFileSync(CLIP), { sampleRate: SR });
    const speech = vad(samples);
    const last = speech[speech.length - 1]!;
    const r = await prosodyModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 0, newSec: last.end + 0.05, speech }, {}, {});
    assert.equal(r.warning?.code, "W0105");
  });

  /**
   * Tolerance: with the same VAD regions, the pieces the chunks report tile the whole clip's
   * regions to the millisecond, and the piece ending a region has the whole region's scores to
   * 1e-6 when the region fits in the window (here 5 s).
   */
  it("1-second chunks through a 5-second window tile the whole clip's regions", { skip: !hasData }, async () => {
    const { samples } = await decodeAudio(readFileSync(CLIP), { sampleRate: SR });
    const speech = vad(samples);
    const whole = await prosodyModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 0, newSec: 0, speech }, {}, {});
    assert.ok(whole.predictions.length >= 1);
    const chunked: TimedPrediction[] = [];
    const nChunks = Math.ceil(samples.length / SR);
    for (let i = 0; i < nChunks; i++) {
      const endS = Math.min(samples.length, (i + 1) * SR), startS = Math.max(0, endS - 5 * SR);
      const endSec = endS / SR;
      // A streaming VAD knows regions only up to the audio it has seen.
      const seen = speech.filter((s) => s.begin < endSec).map((s) => ({ begin: s.begin, end: Math.min(s.end, endSec) }));
      const r = await prosodyModel.predict({ kind: "audio", samples: samples.slice(startS, endS), sampleRate: SR, startSec: startS / SR, newSec: i, speech: seen }, {}, {});
      // A piece lies in the new audio, or starts a region the previous message found too short to report.
      for (const p of r.predictions) assert.ok(p.time.begin >= i - MIN_SEGMENT_SEC && p.time.end <= endSec + 1e-9, "a piece lies in the new audio");
      chunked.push(...r.predictions);
    }
    assert.ok(chunked.length > whole.predictions.length, "a region spanning chunks comes back in pieces");
    const ends = assertPiecesTile(whole.predictions, chunked, 0.001);
    whole.predictions.forEach((p, j) => p.emotions.forEach((e, k) => assert.ok(Math.abs(e.score - (ends[j]!.emotions[k]?.score ?? -1)) <= 1e-6)));
  });
});
