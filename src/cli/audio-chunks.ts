/**
 * Splits long audio into messages the server accepts, as a microphone client would send them:
 * the server takes at most 5 s of audio a message, but keeps a sliding window of earlier audio
 * and reports times in stream time, so consecutive chunks on one connection measure like one
 * recording. Chunks are 16 kHz mono 16-bit WAV, the rate the audio models run at, so the server
 * does no resampling and chunk lengths are exact.
 */
import { DecodeError, decodeAudio, probeMedia } from "../media/ffmpeg.js";
import { encodeWav } from "../media/wav.js";
import { AUDIO_SAMPLE_RATE as SAMPLE_RATE } from "../primitives.js";

export const DEFAULT_CHUNK_SECONDS = 4;
/** Longest file decoded for chunking: 1 h is about 230 MB of float32 samples. */
export const MAX_AUDIO_SECONDS = 3600;

/**
 * WAV chunks of at most `chunkSeconds` each, in order, when `bytes` is audio without video and
 * longer than one chunk; otherwise undefined and the caller sends the file whole (video, short
 * audio, or anything ffmpeg cannot read: the server then reports what is wrong with it).
 */
export async function audioChunks(bytes: Uint8Array, chunkSeconds: number): Promise<Uint8Array[] | undefined> {
  const probe = await probeMedia(bytes).catch(() => undefined);
  if (!probe?.hasAudio || probe.video) return undefined;
  // The container's duration is only a hint (MediaRecorder WebM states none), so decode to know.
  if (probe.durationSec !== undefined && probe.durationSec <= chunkSeconds) return undefined;
  let samples: Float32Array;
  try {
    ({ samples } = await decodeAudio(bytes, { sampleRate: SAMPLE_RATE, maxSeconds: MAX_AUDIO_SECONDS, timeoutMs: 120_000 }));
  } catch (err) {
    if (err instanceof DecodeError && (err.kind === "invalid" || err.kind === "no-audio")) return undefined;
    throw err;
  }
  // decodeAudio stops at maxSeconds without saying so; refuse rather than drop the rest.
  if (samples.length >= MAX_AUDIO_SECONDS * SAMPLE_RATE) {
    throw new Error(`the audio is longer than ${MAX_AUDIO_SECONDS / 60} minutes; split it first`);
  }
  const size = Math.round(chunkSeconds * SAMPLE_RATE);
  if (samples.length <= size) return undefined;
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < samples.length; start += size) {
    chunks.push(encodeWav(samples.subarray(start, start + size), SAMPLE_RATE));
  }
  return chunks;
}
