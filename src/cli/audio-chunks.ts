/**
 * Splits long audio into messages the server accepts, as a microphone client would send them:
 * the server takes at most 5 s of audio a message, but keeps a sliding window of earlier audio
 * and reports times in stream time, so consecutive chunks on one connection measure like one
 * recording. Chunks are 16 kHz mono 16-bit WAV, the rate the audio models run at, so the server
 * does no resampling and chunk lengths are exact.
 */
import { DecodeError, decodeAudio, probeMedia } from "../media/ffmpeg.js";

export const DEFAULT_CHUNK_SECONDS = 4;
const SAMPLE_RATE = 16_000;
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
    chunks.push(wav(samples.subarray(start, start + size), SAMPLE_RATE));
  }
  return chunks;
}

/** Mono 16-bit PCM WAV: the 44-byte canonical header, then little-endian samples. */
export function wav(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, out.length - 8, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // channels
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  text(36, "data");
  view.setUint32(40, samples.length * 2, true);
  samples.forEach((s, i) => view.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, s)) * 32767), true));
  return out;
}
