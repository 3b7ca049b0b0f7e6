/**
 * Prosody segment features (src/models/prosody/features.ts): the shared audio statistics come
 * first and unchanged (so `burst`, which reads them alone, is unaffected by the prosody extras),
 * the extras are finite and deterministic, and the level-free ones do not move with input gain.
 * Needs the staged RAVDESS set; skips without it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeAudio } from "../../../src/media/ffmpeg.js";
import { featurise, SEGMENT_FEATURE_DIM } from "../../../src/audio-analysis/features/index.js";
import { PROSODY_EXTRA_NAMES, prosodyFeatures } from "../../../src/models/prosody/features.js";
import { datasetsRoot } from "../../../src/training/prosody/data.js";

const SR = 16_000;
const CLIP = join(datasetsRoot(), "ravdess", "Actor_02", "03-01-04-02-01-01-02.flac"); // sad, strong
const hasData = existsSync(CLIP);
const load = async () => (await decodeAudio(readFileSync(CLIP), { sampleRate: SR })).samples;

describe("prosody features", () => {
  it("are the shared segment statistics, bit for bit, followed by the named extras", { skip: !hasData }, async () => {
    const s = await load();
    const v = prosodyFeatures(s, 0.5, 3);
    assert.equal(v.length, SEGMENT_FEATURE_DIM + PROSODY_EXTRA_NAMES.length);
    assert.deepEqual(Array.from(v.subarray(0, SEGMENT_FEATURE_DIM)), Array.from(featurise(s, 0.5, 3).vector));
    assert.ok(v.every(Number.isFinite));
    assert.deepEqual(Array.from(prosodyFeatures(s, 0.5, 3)), Array.from(v), "deterministic");
    // The extras carry signal: mel levels differ between bands, duration is the segment's.
    const at = (name: string) => v[SEGMENT_FEATURE_DIM + PROSODY_EXTRA_NAMES.indexOf(name)]!;
    assert.ok(Math.abs(at("duration") - 2.5) < 0.02, `duration ${at("duration")}`);
    assert.notEqual(at("mel0.mean"), at("mel30.mean"));
  });

  it("level-free extras (tilt, shape spread, loudness contour) ignore a 12 dB gain change", { skip: !hasData }, async () => {
    const s = await load();
    const quiet = s.map((x) => x / 4);
    const a = prosodyFeatures(s), b = prosodyFeatures(quiet);
    for (const name of ["tilt.mean", "tilt.std", "shape10.std", "shape30.std", "logE.third2", "mel20.std"]) {
      const k = SEGMENT_FEATURE_DIM + PROSODY_EXTRA_NAMES.indexOf(name);
      assert.ok(Math.abs(a[k]! - b[k]!) <= 0.02 * Math.max(1, Math.abs(a[k]!)), `${name}: ${a[k]} vs ${b[k]}`);
    }
    // ...while the absolute band level drops by the gain (about 12 dB).
    const m = SEGMENT_FEATURE_DIM + PROSODY_EXTRA_NAMES.indexOf("mel20.mean");
    assert.ok(Math.abs(a[m]! - b[m]! - 12.04) < 0.1, `mel20.mean moved ${a[m]! - b[m]!} dB`);
  });

  it("an empty segment gives a zero vector of the right length, not NaN", () => {
    const v = prosodyFeatures(new Float32Array(0));
    assert.equal(v.length, SEGMENT_FEATURE_DIM + PROSODY_EXTRA_NAMES.length);
    assert.ok(v.every((x) => x === 0));
  });
});
