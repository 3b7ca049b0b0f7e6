/**
 * Dumps the sequence model's input (audio-analysis/features/voice.ts `sequenceInput`, the code the
 * server runs) for every RAVDESS clip, trimmed like the feature model's training clips, so the
 * Python trainer (net/train.py) sees exactly the numbers served. One float32 file per condition
 * plus an index: artifacts/cache/ravdess-seq-v<version>-<condition>.{f32,json}. Conditions:
 * "clean" (training and evaluation) and "coloured" (MIC_COLOURING, evaluation only).
 *   npm run train -- prosody sequences
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../package-paths.js";
import { VOICE_FEATURE_VERSION, voiceFrames, SEQUENCE_CHANNELS, sequenceInput } from "../../audio-analysis/features/voice.js";
import { colour, MIC_COLOURING } from "./conditions.js";
import { loadClip, readManifest, trimRegion } from "./data.js";
import { RAVDESS_EMOTIONS } from "./dataset.js";

export const sequenceCache = (condition: string) =>
  join(packageRoot, "artifacts", "cache", `ravdess-seq-v${VOICE_FEATURE_VERSION}-${condition}`);

export async function dumpSequences(log: (...a: unknown[]) => void): Promise<void> {
  const rows = readManifest("ravdess");
  const conditions: Record<string, (s: Float32Array) => Float32Array> = { clean: (s) => s, coloured: (s) => colour(s, MIC_COLOURING) };
  for (const [name, apply] of Object.entries(conditions)) {
    const base = sequenceCache(name);
    if (existsSync(`${base}.json`)) { log(`${base}.json exists`); continue; }
    const chunks: Float32Array[] = [];
    const index: Record<string, string | number>[] = [];
    let offset = 0;
    for (const [i, r] of rows.entries()) {
      const clean = await loadClip("ravdess", r.path ?? "");
      // Trim on the clean clip so both conditions cover the same stretch of audio.
      const t = trimRegion(clean);
      const x = sequenceInput(voiceFrames(apply(clean), t.begin, t.end));
      const frames = x.length / SEQUENCE_CHANNELS;
      chunks.push(x);
      index.push({ path: r.path ?? "", label: RAVDESS_EMOTIONS.indexOf(r.emotion as (typeof RAVDESS_EMOTIONS)[number]), fold: Number(r.fold), actor: Number(r.actor), intensity: r.intensity ?? "", statement: r.statement ?? "", offset, frames });
      offset += frames;
      if ((i + 1) % 200 === 0) log(`${name}: ${i + 1}/${rows.length}`);
    }
    mkdirSync(join(packageRoot, "artifacts", "cache"), { recursive: true });
    const all = new Float32Array(offset * SEQUENCE_CHANNELS);
    let o = 0;
    for (const c of chunks) { all.set(c, o); o += c.length; }
    writeFileSync(`${base}.f32`, Buffer.from(all.buffer));
    writeFileSync(`${base}.json`, JSON.stringify({ channels: SEQUENCE_CHANNELS, version: VOICE_FEATURE_VERSION, clips: index }));
    log(`wrote ${base}.f32 (${offset} frames)`);
  }
}
