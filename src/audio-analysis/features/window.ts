/**
 * The streaming-window contract shared by the audio models: the audio case of ModelInput, with
 * the stream time where the window ends worked out once.
 */
import type { ModelInput } from "../../models/model.js";
import type { TimeSpan } from "../../primitives.js";
import { SAMPLE_RATE } from "./frames.js";

export type { TimeSpan } from "../../primitives.js";
export { roundScore, roundTime } from "../../primitives.js";

export interface AudioWindow {
  samples: Float32Array;
  startSec: number;
  newSec: number;
  endSec: number;
  /** VAD speech regions in stream time (may be empty). */
  speech: TimeSpan[];
}

export function asWindow(input: ModelInput, model: string): AudioWindow {
  if (input.kind !== "audio") throw new Error(`${model} model got ${input.kind} input`);
  if (input.sampleRate !== SAMPLE_RATE) throw new Error(`${model} model needs ${SAMPLE_RATE} Hz audio, got ${input.sampleRate}`);
  const { samples, startSec, newSec, speech } = input;
  if (!speech) throw new Error(`${model} model needs the speech stage (declare it in its descriptor)`);
  return { samples, startSec, newSec, endSec: startSec + samples.length / SAMPLE_RATE, speech };
}

/** A region as a model scores it, and the part of it this message reports. */
export interface RegionPiece {
  /** The region clipped to the audio the window holds: what the model measures. */
  scored: TimeSpan;
  /** The region clipped to this message's new audio [newSec, endSec]: the prediction's `time`. */
  reported: TimeSpan;
}

/**
 * Regions overlapping the new audio, each with the piece of it that lies in the new audio.
 * Reporting only that piece means every moment of a stream is reported once, by the message that
 * brought it: a region spanning several messages comes back as consecutive pieces whose union is
 * the region a whole send reports, instead of the same region re-reported, growing, per message.
 * The piece is scored on the whole region so far (window permitting), so its scores carry the
 * context, and the piece ending a region carries the whole region's scores.
 * `minSec` is the shortest region the model reports: a region whose part before the new audio
 * was shorter than that was not reported by the previous message, so its piece starts at the
 * region's beginning rather than at the new audio (no moment goes unreported).
 */
export function piecesInNewAudio(spans: readonly TimeSpan[], w: AudioWindow, minSec = 0): RegionPiece[] {
  return spans
    .filter((s) => s.end > w.newSec && s.begin < w.endSec)
    .map((s) => {
      const scored = { begin: Math.max(s.begin, w.startSec), end: Math.min(s.end, w.endSec) };
      const earlierWasReported = w.newSec - scored.begin >= minSec;
      return { scored, reported: { begin: earlierWasReported ? Math.max(scored.begin, w.newSec) : scored.begin, end: scored.end } };
    })
    .filter((p) => p.scored.end > p.scored.begin && p.reported.end > p.reported.begin);
}
