/** The online speaker normaliser of the speaker-normalisation evaluation (src/eval/prosody-speaker.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shrunkReference, shuffled } from "../../../src/eval/prosody-speaker.js";

describe("prosody speaker normalisation (evaluation)", () => {
  it("shrinks the history mean towards the global mean with weight k", () => {
    const global = [0, 10];
    // No history: the global mean itself.
    assert.deepEqual(Array.from(shrunkReference([0, 0], 0, global, 3)), [0, 10]);
    // Three clips with mean (4, 4), k = 1: mean * 3/4 + global * 1/4.
    assert.deepEqual(Array.from(shrunkReference([12, 12], 3, global, 1)), [3, 5.5]);
    // A long history leaves the global mean little weight.
    const r = shrunkReference([400, 400], 100, global, 1);
    assert.ok(Math.abs(r[0]! - 400 / 101) < 1e-12 && Math.abs(r[1]! - 410 / 101) < 1e-12);
  });

  it("shuffles reproducibly and keeps every element", () => {
    const xs = Array.from({ length: 60 }, (_, i) => i);
    const a = shuffled(xs, 7), b = shuffled(xs, 7), c = shuffled(xs, 8);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual([...a].sort((p, q) => p - q), xs);
  });
});
