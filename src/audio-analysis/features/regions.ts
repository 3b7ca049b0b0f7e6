/**
 * Energy-based activity regions. Used to trim training clips to their vocal part (standing in for
 * the VAD the server runs), and at serving time to find burst candidates the VAD did not mark as
 * speech. A frame is active when it is louder than -55 dBFS and at least 15 dB above the window's
 * noise floor (its 10th-percentile frame energy); steady noise therefore never becomes active.
 */
import type { TimeSpan } from "../../primitives.js";
import { HOP, SAMPLE_RATE, type FrameFeatures } from "./frames.js";

/** Seconds from the first sample of the analysed buffer. */
export type Region = TimeSpan;

export interface RegionOptions {
  minDb?: number;
  aboveFloorDb?: number;
  /** Gaps shorter than this (s) are bridged. */
  maxGap?: number;
  /** Regions shorter than this (s) are dropped. */
  minDur?: number;
}

/** Reads only `n` and `logE`, so `frameEnergies` output is enough. */
export function energyRegions(f: Pick<FrameFeatures, "n" | "logE">, o: RegionOptions = {}): Region[] {
  const minDb = o.minDb ?? -55, above = o.aboveFloorDb ?? 15, maxGap = o.maxGap ?? 0.2, minDur = o.minDur ?? 0.1;
  if (f.n === 0) return [];
  const sorted = Array.from(f.logE).sort((x, y) => x - y);
  const floor = sorted[Math.floor(0.1 * (sorted.length - 1))]!;
  const thr = Math.max(minDb, floor + above);
  const frameSec = HOP / SAMPLE_RATE;
  const raw: Region[] = [];
  let start = -1;
  for (let i = 0; i <= f.n; i++) {
    const on = i < f.n && f.logE[i]! > thr;
    if (on && start < 0) start = i;
    if (!on && start >= 0) { raw.push({ begin: start * frameSec, end: i * frameSec }); start = -1; }
  }
  const merged: Region[] = [];
  for (const r of raw) {
    const last = merged[merged.length - 1];
    if (last && r.begin - last.end < maxGap) last.end = r.end;
    else merged.push({ ...r });
  }
  return merged.filter((r) => r.end - r.begin >= minDur);
}
