/**
 * Prosody segment features (src/models/prosody/features.ts): the shared audio statistics come
 * first (computed on the level-normalised segment; `burst` reads them alone, without the
 * normalisation), the extras are finite and deterministic, and no feature moves with input gain.
 * Needs the staged RAVDESS set; skips without it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeAudio } from "../../../src/media/ffmpeg.js";
import { featurise, normaliseLevel, SEGMENT_FEATURE_DIM } from "../../../src/audio-analysis/features/index.js";
import { VOICE_EXTRA_NAMES, voiceFeatures } from "../../../src/audio-analysis/features/voice.js";
import { datasetsRoot } from "../../../src/training/prosody/data.js";

const SR = 16_000;
const CLIP = join(datasetsRoot(), "ravdess", "Actor_02", "03-01-04-02-01-01-02.flac"); // sad, strong
const hasData = existsSync(CLIP);
const load = async () => (await decodeAudio(readFileSync(CLIP), { sampleRate: SR })).samples;

describe("prosody features", () => {
  it("are the shared segment statistics of the level-normalised segment, bit for bit, followed by the named extras", { skip: !hasData }, async () => {
    const s = await load();
    const v = voiceFeatures(s, 0.5, 3);
    assert.equal(v.length, SEGMENT_FEATURE_DIM + VOICE_EXTRA_NAMES.length);
    assert.deepEqual(Array.from(v.subarray(0, SEGMENT_FEATURE_DIM)), Array.from(featurise(normaliseLevel(s.subarray(0.5 * SR, 3 * SR))).vector));
    assert.ok(v.every(Number.isFinite));
    assert.deepEqual(Array.from(voiceFeatures(s, 0.5, 3)), Array.from(v), "deterministic");
    // The extras carry signal: mel levels differ between bands, duration is the segment's.
    const at = (name: string) => v[SEGMENT_FEATURE_DIM + VOICE_EXTRA_NAMES.indexOf(name)]!;
    assert.ok(Math.abs(at("duration") - 2.5) < 0.02, `duration ${at("duration")}`);
    assert.notEqual(at("mel0.mean"), at("mel30.mean"));
  });

  it("a 12 dB or 30 dB gain change leaves the whole vector unchanged: segments are level-normalised", { skip: !hasData }, async () => {
    const s = await load();
    const a = voiceFeatures(s);
    for (const g of [1 / 4, 10 ** (-30 / 20)]) {
      const b = voiceFeatures(s.map((x) => x * g));
      let worst = 0, at = "";
      a.forEach((x, k) => {
        const d = Math.abs(x - b[k]!) / Math.max(1, Math.abs(x));
        if (d > worst) { worst = d; at = k < SEGMENT_FEATURE_DIM ? `shared ${k}` : VOICE_EXTRA_NAMES[k - SEGMENT_FEATURE_DIM]!; }
      });
      assert.ok(worst < 1e-3, `gain ${g}: ${at} moved by ${worst}`);
    }
  });

  it("an empty segment gives a zero vector of the right length, not NaN", () => {
    const v = voiceFeatures(new Float32Array(0));
    assert.equal(v.length, SEGMENT_FEATURE_DIM + VOICE_EXTRA_NAMES.length);
    assert.ok(v.every((x) => x === 0));
  });
});
