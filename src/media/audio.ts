/**
 * Audio for the audio models: decoding one message's sound (any container ffmpeg reads) to
 * 16 kHz mono, the per-message limits and their coded errors, and the per-connection stream
 * window that gives chunked and whole recordings the same time axis.
 */
import { AUDIO_SAMPLE_RATE } from "../primitives.js";
import { ErrorCode, ProtocolError, messages } from "../protocol/index.js";
import { DecodeError, decodeAudio } from "./ffmpeg.js";
import type { MediaLimits } from "./limits.js";
import { decodePcmWav } from "./pcm-wav.js";

export { AUDIO_SAMPLE_RATE } from "../primitives.js";

/**
 * Slack over the limit for durations a container states: a 5.000 s clip in MP3 or M4A states
 * 5.04-5.08 s (encoder priming and frame padding).
 */
export const DURATION_TOLERANCE_MS = 100;
/**
 * Slack for durations measured from decoded samples: raw ADTS AAC cannot mark its priming, so
 * a 5 s clip at 16 kHz decodes to 5.12 s (two 1024-sample frames more).
 */
export const DECODED_TOLERANCE_MS = 250;

/** What the limit check of `decodeSound` applies: an audio message (E0203) or a video's track (E0204). */
export type SoundSource = "audio" | "video";

/**
 * Decodes the first audio stream of `bytes` to 16 kHz mono: a 16 kHz mono PCM WAV in process
 * (pcm-wav.ts), anything else through ffmpeg.
 * E0202: no audio stream, or no samples at all. Silence is not an error here: it is real audio,
 * and the audio models answer it with their no-speech / no-burst warnings (W0105 / W0101).
 * E0203 / E0204: longer than the audio / video limit. E0200: undecodable, or decoding timed out.
 */
export async function decodeSound(bytes: Uint8Array, source: SoundSource, limits: MediaLimits): Promise<Float32Array> {
  const limitMs = source === "audio" ? limits.maxAudioMs : limits.maxVideoMs;
  const tooLong = () =>
    source === "audio"
      ? new ProtocolError(ErrorCode.AudioTooLong, messages.audioTooLong(limits.maxAudioMs))
      : new ProtocolError(ErrorCode.VideoTooLong, messages.videoTooLong(limits.maxVideoMs));
  let samples: Float32Array;
  try {
    // Decoding a second past the limit is enough to know it is over, and bounds the work.
    const maxSeconds = limitMs / 1000 + 1;
    samples =
      decodePcmWav(bytes, maxSeconds) ??
      (await decodeAudio(bytes, { sampleRate: AUDIO_SAMPLE_RATE, timeoutMs: limits.decodeTimeoutMs, maxSeconds })).samples;
  } catch (err) {
    if (err instanceof DecodeError && err.kind === "too-large") throw tooLong();
    throw decodeFailure(err, source);
  }
  if (samples.length === 0) throw noAudioSignal("the media holds no audio samples");
  if ((samples.length / AUDIO_SAMPLE_RATE) * 1000 > limitMs + DECODED_TOLERANCE_MS) throw tooLong();
  return samples;
}

export function noAudioSignal(why: string): ProtocolError {
  return new ProtocolError(ErrorCode.NoAudioSignal, messages.noAudioSignal(why));
}

/** DecodeError → coded protocol error; anything else passes through (E0903 upstream). */
export function decodeFailure(err: unknown, what: SoundSource): unknown {
  if (!(err instanceof DecodeError)) return err;
  switch (err.kind) {
    case "no-audio":
      return noAudioSignal("the media has no audio stream");
    case "timeout":
      return new ProtocolError(ErrorCode.UnknownMediaFormat, messages.decodeTimedOut(what, err.message));
    default:
      return new ProtocolError(ErrorCode.UnknownMediaFormat, messages.undecodable(what));
  }
}

/** One message's audio in stream time, as the audio models see it (before the speech stage). */
export interface StreamWindow {
  samples: Float32Array;
  /** Stream time (s) of samples[0]. */
  startSec: number;
  /** Stream time (s) where this message's new audio begins. */
  newSec: number;
}

/**
 * Per-connection audio stream: stream time counts the seconds of audio received since the
 * connection opened or since the last `reset_stream`, and the last `stream_window_ms` of it is
 * kept as context for the next message. Lives in the session, so it never crosses connections.
 */
export class AudioStream {
  private context = new Float32Array(0);
  /** Stream time (s) at the end of the audio received so far. */
  private endSec = 0;

  /** The window for a message with `chunk` as its new audio; the chunk becomes part of the stream. */
  push(chunk: Float32Array, windowMs: number): StreamWindow {
    const samples = new Float32Array(this.context.length + chunk.length);
    samples.set(this.context, 0);
    samples.set(chunk, this.context.length);
    const newSec = this.endSec;
    const window: StreamWindow = { samples, startSec: newSec - this.context.length / AUDIO_SAMPLE_RATE, newSec };
    this.endSec = newSec + chunk.length / AUDIO_SAMPLE_RATE;
    const keep = Math.min(samples.length, Math.round((windowMs / 1000) * AUDIO_SAMPLE_RATE));
    this.context = samples.slice(samples.length - keep);
    return window;
  }

  reset(): void {
    this.context = new Float32Array(0);
    this.endSec = 0;
  }
}
