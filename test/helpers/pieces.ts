/**
 * The chunked-versus-whole contract of the audio models (README "Audio time"): each message
 * reports the part of a region that lies in its new audio, so the pieces a chunked stream
 * reports tile the regions a whole send reports.
 */
import assert from "node:assert/strict";
import type { TimedPrediction } from "../../src/protocol/index.js";

/**
 * Asserts that the chunked pieces are disjoint, that each overlaps a whole-send region, and that
 * the pieces of each region are contiguous and span it, all within `tolerance` seconds. Returns,
 * per whole-send prediction, the piece that ends its region (it carries the region's scores).
 */
export function assertPiecesTile(whole: readonly TimedPrediction[], chunked: readonly TimedPrediction[], tolerance: number): TimedPrediction[] {
  const pieces = [...chunked].sort((a, b) => a.time.begin - b.time.begin);
  for (let k = 1; k < pieces.length; k++) {
    assert.ok(pieces[k]!.time.begin >= pieces[k - 1]!.time.end - 1e-9, `pieces overlap: ${JSON.stringify(pieces[k - 1]!.time)} and ${JSON.stringify(pieces[k]!.time)}`);
  }
  const overlaps = (a: TimedPrediction, b: TimedPrediction) => Math.min(a.time.end, b.time.end) > Math.max(a.time.begin, b.time.begin);
  for (const p of pieces) assert.ok(whole.some((w) => overlaps(w, p)), `chunked piece ${JSON.stringify(p.time)} matches no whole-send region`);
  return whole.map((w) => {
    const mine = pieces.filter((p) => overlaps(w, p));
    assert.ok(mine.length > 0, `no chunked piece for ${JSON.stringify(w.time)}`);
    assert.ok(Math.abs(mine[0]!.time.begin - w.time.begin) <= tolerance, `region ${JSON.stringify(w.time)} starts at ${mine[0]!.time.begin} when chunked`);
    const last = mine[mine.length - 1]!;
    assert.ok(Math.abs(last.time.end - w.time.end) <= tolerance, `region ${JSON.stringify(w.time)} ends at ${last.time.end} when chunked`);
    for (let k = 1; k < mine.length; k++) {
      assert.ok(mine[k]!.time.begin - mine[k - 1]!.time.end <= tolerance, `gap inside ${JSON.stringify(w.time)}: ${mine[k - 1]!.time.end}..${mine[k]!.time.begin}`);
    }
    return last;
  });
}
