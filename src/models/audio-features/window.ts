/**
 * The streaming-window contract shared by the audio models (the audio case of ModelInput).
 * `asWindow` also tolerates a caller that omits the stream-time fields (a bare clip): it is then
 * read as starting at 0, all new, with no VAD result.
 */
import type { ModelInput } from "../model.js";
import { SAMPLE_RATE } from "./frames.js";

export interface TimeSpan {
  begin: number;
  end: number;
}

export interface AudioWindowInput {
  kind: "audio";
  /** 16 kHz mono: window context + this message's new audio. */
  samples: Float32Array;
  sampleRate: number;
  /** Stream time of samples[0]. */
  startSec: number;
  /** Stream time where this message's new audio begins. */
  newSec: number;
  /** VAD speech regions in stream time (may be empty); undefined = no VAD ran. */
  speech?: TimeSpan[];
}

export interface AudioWindow {
  samples: Float32Array;
  startSec: number;
  newSec: number;
  endSec: number;
  speech: TimeSpan[] | undefined;
}

export function asWindow(input: ModelInput | AudioWindowInput, model: string): AudioWindow {
  if (input.kind !== "audio") throw new Error(`${model} model got ${input.kind} input`);
  const w = input as Partial<AudioWindowInput> & { samples: Float32Array; sampleRate: number };
  if (w.sampleRate !== SAMPLE_RATE) throw new Error(`${model} model needs ${SAMPLE_RATE} Hz audio, got ${w.sampleRate}`);
  const startSec = w.startSec ?? 0;
  return { samples: w.samples, startSec, newSec: w.newSec ?? startSec, endSec: startSec + w.samples.length / SAMPLE_RATE, speech: w.speech };
}

/** Spans that overlap the new audio [newSec, endSec], clipped to the audio the window holds. */
export function spansTouchingNewAudio(spans: readonly TimeSpan[], w: AudioWindow): TimeSpan[] {
  return spans
    .filter((s) => s.end > w.newSec && s.begin < w.endSec)
    .map((s) => ({ begin: Math.max(s.begin, w.startSec), end: Math.min(s.end, w.endSec) }))
    .filter((s) => s.end > s.begin);
}

/** Milliseconds precision is plenty for stream times and keeps replies stable across chunkings. */
export const roundTime = (t: number) => Math.round(t * 1000) / 1000;
export const roundScore = (x: number) => Math.round(x * 1e6) / 1e6;
