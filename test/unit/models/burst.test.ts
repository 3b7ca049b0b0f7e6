/**
 * Burst model, called directly with the streaming-window input. Needs the staged nonverbal set
 * next to the package (or OPEN_EXPRESSION_DATASETS); the clip-based cases skip without it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { decodeAudio } from "../../../src/media/ffmpeg.js";
import { burstModel, MIN_SEC } from "../../../src/models/burst/index.js";
import { BURST_CALL_TYPES, BURST_EMOTIONS } from "../../../src/models/burst/labels.js";
import type { TimedPrediction } from "../../../src/protocol/index.js";
import { datasetsRoot } from "../../../src/training/prosody/data.js";

const SR = 16_000;
const LAUGH = join(datasetsRoot(), "nonverbal", "laughing", "3S0D_12_8_0_16_0_0_0.flac");
const hasData = existsSync(LAUGH);

function noise(sec: number, amp: number): Float32Array {
  let s = 777;
  return Float32Array.from({ length: sec * SR }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return amp * (2 * (s / 2147483648) - 1);
  });
}

before(async () => {
  await burstModel.load();
});

import { assertPiecesTile } from "../../helpers/pieces.js";

describe("burst model", () => {
  it("finds a laugh: Amusement high, laughing among the top call types", { skip: !hasData }, async () => {
    const { samples } = await decodeAudio(readFileSync(LAUGH), { sampleRate: SR });
    const dur = samples.length / SR;
    const r = await burstModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 0, newSec: 0, speech: [] }, {}, {});
    assert.equal(r.warning, undefined);
    assert.ok(r.predictions.length >= 1);
    for (const p of r.predictions) {
      assert.ok(p.time.begin >= 0 && p.time.end <= dur + 1e-9 && p.time.end > p.time.begin);
      assert.deepEqual(p.emotions.map((e) => e.name), [...BURST_EMOTIONS]);
      assert.deepEqual(p.descriptions?.map((e) => e.name), [...BURST_CALL_TYPES]);
      const sum = p.descriptions?.reduce((a, e) => a + e.score, 0) ?? 0;
      assert.ok(Math.abs(sum - 1) < 1e-4);
      for (const e of p.emotions) assert.ok(e.score >= 0 && e.score <= 1 + 1e-9);
    }
    const best = [...r.predictions].sort((a, b) => (b.descriptions?.[12]?.score ?? 0) - (a.descriptions?.[12]?.score ?? 0))[0]!;
    const top3 = [...(best.descriptions ?? [])].sort((a, b) => b.score - a.score).slice(0, 3).map((d) => d.name);
    assert.ok(top3.includes("laughing"), `top call types: ${top3.join(", ")}`);
    const amusement = best.emotions.find((e) => e.name === "Amusement")?.score ?? 0;
    assert.ok(amusement >= 0.3, `Amusement ${amusement}`);
  });

  it("gives W0101 for silence and for white noise", async () => {
    const withOnset = new Float32Array(3 * SR);
    withOnset.set(noise(2, 0.2), SR); // noise that starts after a second of silence
    for (const samples of [new Float32Array(2 * SR), noise(2, 0.3), withOnset]) {
      const r = await burstModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 0, newSec: 0, speech: [] }, {}, {});
      assert.deepEqual(r, { predictions: [], warning: { code: "W0101", message: "No vocal bursts could be detected." } });
    }
  });

  it("reports stream time and skips bursts before the new audio", { skip: !hasData }, async () => {
    const { samples } = await decodeAudio(readFileSync(LAUGH), { sampleRate: SR });
    const dur = samples.length / SR;
    const r = await burstModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 30, newSec: 30, speech: [] }, {}, {});
    for (const p of r.predictions) assert.ok(p.time.begin >= 30 && p.time.end <= 30 + dur + 1e-9);
    const late = await burstModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 30, newSec: 30 + dur, speech: [] }, {}, {});
    assert.equal(late.warning?.code, "W0101");
  });
  /**
   * Tolerance: candidates come from each window's own energy floor, so a burst's edges can move by
   * a frame or two between windows; the pieces the chunks report tile the whole clip's bursts
   * within 20 ms, and the piece ending a burst has the whole burst's top call type.
   */
  it("1-second chunks through a 5-second window tile the whole clip's bursts", { skip: !hasData }, async () => {
    const { samples } = await decodeAudio(readFileSync(LAUGH), { sampleRate: SR });
    const whole = await burstModel.predict({ kind: "audio", samples, sampleRate: SR, startSec: 0, newSec: 0, speech: [] }, {}, {});
    assert.ok(whole.predictions.length >= 1);
    const chunked: TimedPrediction[] = [];
    for (let i = 0; i < Math.ceil(samples.length / SR); i++) {
      const end = Math.min(samples.length, (i + 1) * SR), start = Math.max(0, end - 5 * SR);
      const r = await burstModel.predict({ kind: "audio", samples: samples.slice(start, end), sampleRate: SR, startSec: start / SR, newSec: i, speech: [] }, {}, {});
      for (const p of r.predictions) assert.ok(p.time.begin >= i - MIN_SEC, "a piece lies in the new audio (or starts a burst too short to report before)");
      chunked.push(...r.predictions);
    }
    const topCall = (p: TimedPrediction) => [...(p.descriptions ?? [])].sort((x, y) => y.score - x.score)[0]?.name;
    const ends = assertPiecesTile(whole.predictions, chunked, 0.02);
    whole.predictions.forEach((w, j) => assert.equal(topCall(ends[j]!), topCall(w)));
  });
});
