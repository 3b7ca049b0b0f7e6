/**
 * Burst model, called directly with the streaming-window input. Needs the staged nonverbal set
 * next to the package (or OPEN_EXPRESSION_DATASETS); the clip-based cases skip without it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { decodeAudio } from "../../../src/media/ffmpeg.js";
import { speechLevelDb } from "../../../src/audio-analysis/features/index.js";
import { burstModel, MIN_SEC } from "../../../src/models/burst/index.js";
import { BURST_CALL_TYPES, BURST_EMOTIONS } from "../../../src/models/burst/labels.js";
import type { TimedPrediction } from "../../../src/protocol/index.js";
import { datasetsRoot } from "../../../src/training/prosody/data.js";
import { pcm16 } from "../../../src/training/prosody/conditions.js";

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

/** Calls of six types (the laugh above and the first staged clip of five more types). */
const CALLS = [
  LAUGH,
  ...[["coughing", "2AV8_4_1_0_44_0_0_0"], ["screaming", "2CVI_15_11_0_15_0_0_0"], ["sighing", "2OPT_7_14_0_16_0_0_0"],
    ["crying", "71OW_11_8_0_22_0_0_0"], ["yawning", "3JO1_5_12_0_23_0_0_0"]]
    .map(([c, f]) => join(datasetsRoot(), "nonverbal", c!, `${f}.flac`)),
];

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

  /**
   * Gain invariance. Candidates are found after a quiet window is raised, and every candidate is
   * level-normalised and given a fixed noise floor 40 dB below it before its features, so what is
   * left is 16-bit rounding noise and a frame of edge movement. Each clip is brought to a speech
   * level of -26 dBFS and sent whole at -30, -20, -10 and +6 dB, rounded to 16-bit PCM. From -20 to
   * +6 dB every burst must be found again (same start within 50 ms) with the same top call type.
   * At -30 dB the clip's loudest sound is at -56 dBFS and a call 15 dB quieter than it has its
   * rounding noise only 30 dB below it, above the 40 dB floor, so one burst over all clips may be
   * lost or change its top type there. A matched burst's call-type scores may move by at most 0.15.
   * (Measured when written, 13 bursts in 6 clips: the largest move 0.135, that short second cough
   * at -20 dB, 0.58 -> 0.45; every other burst moved by 0.07 or less; at -30 dB the same cough
   * fell to 0.26 and was rejected. Without the noise floor the first cough lost its top class at
   * -30 dB and the second cough was rejected at -20 and -10 dB.)
   */
  it("the same calls at -30, -20, -10 and +6 dB give the same bursts and top call types", { skip: !hasData }, async () => {
    const bursts = (r: { predictions: TimedPrediction[] }) => r.predictions.map((p) => ({ begin: p.time.begin, calls: new Map((p.descriptions ?? []).map((d) => [d.name, d.score])) }));
    const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])[0]![0];
    let largest = 0, count = 0;
    const changes: Record<number, string[]> = {};
    for (const file of CALLS) {
      const { samples } = await decodeAudio(readFileSync(file), { sampleRate: SR });
      const ref = samples.map((x) => x * 10 ** ((-26 - speechLevelDb(samples)) / 20));
      const base = bursts(await burstModel.predict({ kind: "audio", samples: pcm16(ref), sampleRate: SR, startSec: 0, newSec: 0, speech: [] }, {}, {}));
      assert.ok(base.length >= 1, `${file}: no burst at the reference level`);
      count += base.length;
      for (const db of [-30, -20, -10, 6]) {
        const g = 10 ** (db / 20);
        const got = bursts(await burstModel.predict({ kind: "audio", samples: pcm16(ref.map((x) => x * g)), sampleRate: SR, startSec: 0, newSec: 0, speech: [] }, {}, {}));
        const note = (what: string) => (changes[db] ??= []).push(`${file.slice(-32)}: ${what}`);
        for (const b of base) {
          const m = got.find((x) => Math.abs(x.begin - b.begin) <= 0.05);
          if (!m) { note(`burst at ${b.begin} s lost`); continue; }
          if (top(m.calls) !== top(b.calls)) note(`burst at ${b.begin} s: ${top(b.calls)} -> ${top(m.calls)}`);
          for (const [name, v] of m.calls) largest = Math.max(largest, Math.abs(v - b.calls.get(name)!));
        }
        for (const x of got) if (!base.some((b) => Math.abs(x.begin - b.begin) <= 0.05)) note(`new burst at ${x.begin} s`);
      }
    }
    const report = `${count} bursts; changes: ${JSON.stringify(changes)}; largest move ${largest.toFixed(3)}`;
    for (const db of [-20, -10, 6]) assert.equal(changes[db]?.length ?? 0, 0, report);
    assert.ok((changes[-30]?.length ?? 0) <= 1, report);
    assert.ok(largest <= 0.15, report);
  });
});
