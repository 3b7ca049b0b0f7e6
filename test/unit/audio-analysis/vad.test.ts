/**
 * Silero VAD and stream time: the same recording sent whole and in 1-second chunks gives speech
 * regions on the same time axis. Runs the pipeline's own pieces (AudioStream for the window and
 * stream time, the worker's speech stage), which is what the audio models receive as `speech`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AUDIO_SAMPLE_RATE, AudioStream, decodeSound } from "../../../src/media/audio.js";
import { DEFAULT_LIMITS } from "../../../src/media/limits.js";
import { withStages } from "../../../src/inference/stages.js";
import { regionsFromProbabilities, VAD_THRESHOLDS, type Region } from "../../../src/audio-analysis/vad/silero.js";
import { concatWav, espeakMissing, silence, speech } from "../../helpers/av.js";

/** Boundary tolerance between whole and chunked: one Silero frame (32 ms) of alignment plus hysteresis. */
const TOLERANCE_SEC = 0.15;

/** The speech stage as a worker runs it for a model that declares it (prosody). */
async function speechStage(samples: Float32Array, startSec: number): Promise<Region[]> {
  const input = await withStages({ kind: "audio", samples, sampleRate: AUDIO_SAMPLE_RATE, startSec, newSec: startSec }, { prosody: { model: "prosody", config: {}, state: {} } });
  assert.equal(input.kind, "audio");
  return input.kind === "audio" ? (input.speech ?? []) : [];
}

describe("Silero VAD", () => {
  test("thresholds: hysteresis, short regions dropped, short gaps bridged", () => {
    const frame = 512 / AUDIO_SAMPLE_RATE;
    const probs = (xs: number[]) => Float32Array.from(xs);
    // 0.4 continues speech once entered (>= exit) but does not start it.
    assert.deepEqual(regionsFromProbabilities(probs([0.4, 0.6, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.1]), 1), [{ begin: frame, end: 9 * frame }]);
    // 5 frames = 160 ms < minSpeechSec: dropped.
    assert.deepEqual(regionsFromProbabilities(probs([0.9, 0.9, 0.9, 0.9, 0.9, 0, 0]), 1), []);
    // Two 320 ms regions with a 160 ms gap merge into one.
    const tenOn = Array<number>(10).fill(0.9);
    const merged = regionsFromProbabilities(probs([...tenOn, 0, 0, 0, 0, 0, ...tenOn, 0]), 2);
    assert.equal(merged.length, 1);
    assert.ok(VAD_THRESHOLDS.enter > VAD_THRESHOLDS.exit);
  });

  test("digital silence has no speech", async () => {
    const samples = await decodeSound(silence(3), "audio", DEFAULT_LIMITS);
    assert.deepEqual(await speechStage(samples, 0), []);
  });

  test("speech regions land where the speech is, shifted into stream time", { skip: espeakMissing }, async () => {
    const samples = await recording();
    const regions = await speechStage(samples, 0);
    assert.equal(regions.length, 2, JSON.stringify(regions));
    assert.ok(Math.abs(regions[0]!.begin - 1) < 0.2, JSON.stringify(regions));
    const shifted = await speechStage(samples, 100);
    assert.deepEqual(shifted.map((r) => [r.begin - 100, r.end - 100].map((x) => x.toFixed(2))), regions.map((r) => [r.begin, r.end].map((x) => x.toFixed(2))));
  });

  test("whole vs 1-second chunks: the same regions in stream time", { skip: espeakMissing }, async () => {
    const samples = await recording();
    const whole = await speechStage(new AudioStream().push(samples, 5000).samples, 0);

    const stream = new AudioStream();
    const pieces: Region[] = [];
    for (let at = 0; at < samples.length; at += AUDIO_SAMPLE_RATE) {
      const window = stream.push(samples.slice(at, at + AUDIO_SAMPLE_RATE), 5000);
      assert.ok(Math.abs(window.newSec - at / AUDIO_SAMPLE_RATE) < 1e-9, "stream time counts received audio");
      assert.ok(window.newSec - window.startSec <= 5 + 1e-9, "context is at most stream_window_ms");
      const end = window.startSec + window.samples.length / AUDIO_SAMPLE_RATE;
      // What a model reports for this message: regions overlapping the new audio, clipped to it.
      for (const r of await speechStage(window.samples, window.startSec)) {
        if (r.end > window.newSec && r.begin < end) pieces.push({ begin: Math.max(r.begin, window.newSec), end: Math.min(r.end, end) });
      }
    }
    const chunked = union(pieces);
    assert.equal(chunked.length, whole.length, `whole ${JSON.stringify(whole)} chunked ${JSON.stringify(chunked)}`);
    whole.forEach((w, i) => {
      const c = chunked[i]!;
      assert.ok(Math.abs(w.begin - c.begin) <= TOLERANCE_SEC && Math.abs(w.end - c.end) <= TOLERANCE_SEC, `whole ${JSON.stringify(w)} chunked ${JSON.stringify(c)}`);
    });
  });

  test("reset restarts stream time; the window keeps only stream_window_ms of context", () => {
    const stream = new AudioStream();
    const second = new Float32Array(AUDIO_SAMPLE_RATE);
    stream.push(second, 1500);
    stream.push(second, 1500);
    const third = stream.push(second, 1500);
    assert.deepEqual([third.startSec, third.newSec, third.samples.length], [0.5, 2, 2.5 * AUDIO_SAMPLE_RATE]);
    stream.reset();
    const fresh = stream.push(second, 1500);
    assert.deepEqual([fresh.startSec, fresh.newSec, fresh.samples.length], [0, 0, AUDIO_SAMPLE_RATE]);
  });
});

/** 1 s silence, a sentence, 1.5 s silence, a sentence, 1 s silence; 16 kHz mono. */
async function recording(): Promise<Float32Array> {
  const wav = concatWav([silence(1), speech("I went to the market this morning."), silence(1.5), speech("Then we walked home."), silence(1)]);
  return decodeSound(wav, "audio", { ...DEFAULT_LIMITS, maxAudioMs: 60_000 });
}

/** Merges touching or overlapping regions (a region cut at a chunk boundary comes back whole). */
function union(regions: Region[]): Region[] {
  const out: Region[] = [];
  for (const r of [...regions].sort((a, b) => a.begin - b.begin)) {
    const last = out[out.length - 1];
    if (last && r.begin - last.end <= VAD_THRESHOLDS.mergeGapSec) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
