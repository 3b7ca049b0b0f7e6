/**
 * Reads a staged audio dataset (manifest.csv + 16 kHz FLAC) and turns every clip into a segment
 * vector through the serving featuriser. Vectors are cached under artifacts/cache/ keyed by the
 * feature version, so reruns of training and evaluation skip decoding.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { decodeAudio } from "../../media/ffmpeg.js";
import { packageRoot } from "../../package-paths.js";
import { energyRegions, frameEnergies, VOICE_FEATURE_VERSION, voiceFeatures } from "../../audio-analysis/features/index.js";

export function datasetsRoot(): string {
  return process.env.OPEN_EXPRESSION_DATASETS ?? join(packageRoot, "..", "shared", "datasets");
}

/** Parses a simple CSV (no quoted commas in these manifests). */
export function readManifest(dataset: string): Record<string, string>[] {
  const lines = readFileSync(join(datasetsRoot(), dataset, "manifest.csv"), "utf8").trim().split(/\r?\n/);
  const head = (lines.shift() ?? "").split(",");
  return lines.map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(head.map((h, i) => [h, cells[i] ?? ""]));
  });
}

/** Pad kept around the energy-trimmed region, like the VAD's own speech padding. */
const TRIM_PAD = 0.05;

/** Clip -> [begin, end] of its vocal part: first to last energy region. */
export function trimRegion(samples: Float32Array): { begin: number; end: number } {
  const dur = samples.length / 16_000;
  const regions = energyRegions(frameEnergies(samples));
  const first = regions[0], last = regions[regions.length - 1];
  if (!first || !last) return { begin: 0, end: dur };
  return { begin: Math.max(0, first.begin - TRIM_PAD), end: Math.min(dur, last.end + TRIM_PAD) };
}

export async function loadClip(dataset: string, path: string): Promise<Float32Array> {
  return (await decodeAudio(readFileSync(join(datasetsRoot(), dataset, path)), { sampleRate: 16_000 })).samples;
}

/** Cache tag of the voice segment vector (voice.ts) both voice models read, with its noise floor. */
export const voiceCacheTag = (floorDb?: number) => `voice-v${VOICE_FEATURE_VERSION}${floorDb === undefined ? "" : `-floor${floorDb}`}`;

/** Voice segment vectors (level-normalised, as served) for `paths`, trimmed, cached. */
export function clipVectors(dataset: string, paths: string[], log: (...a: unknown[]) => void, floorDb?: number): Promise<Float64Array[]> {
  return clipVectorsWith(dataset, paths, voiceCacheTag(floorDb), (s, b, e) => voiceFeatures(s, b, e, floorDb), log);
}

/**
 * Segment vectors for `paths` from any featuriser (samples, begin s, end s), trimmed, cached in
 * artifacts/cache/<dataset>-<cacheTag>.json; put the featuriser's version in `cacheTag`.
 */
export async function clipVectorsWith(
  dataset: string, paths: string[], cacheTag: string,
  featuriser: (samples: Float32Array, begin: number, end: number) => ArrayLike<number>, log: (...a: unknown[]) => void,
): Promise<Float64Array[]> {
  const cacheFile = join(packageRoot, "artifacts", "cache", `${dataset}-${cacheTag}.json`);
  const cache: Record<string, number[]> = existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, number[]>) : {};
  const missing = paths.filter((p) => !cache[p]);
  let done = 0;
  // Two decodes in flight: ffmpeg runs in its own process while this one featurises.
  const queue = [...missing];
  const worker = async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const s = await loadClip(dataset, p);
      const r = trimRegion(s);
      cache[p] = Array.from(featuriser(s, r.begin, r.end));
      if (++done % 100 === 0) log(`featurised ${done}/${missing.length}`);
    }
  };
  await Promise.all([worker(), worker()]);
  if (missing.length) {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(cache));
  }
  return paths.map((p) => Float64Array.from(cache[p] ?? []));
}
