/**
 * Primitives shared by the protocol, the media decoders, the audio analysis and every model:
 * one score type, one time span, one audio sample rate, one rounding rule. Browser-safe (zod
 * only), because the protocol and the SDK read it too.
 */
import { z } from "zod";

/** One named score, e.g. `{ name: "Joy", score: 0.82 }`: every label set a model reports is a list of these. */
export const EmotionScore = z.object({ name: z.string(), score: z.number() });
export type EmotionScore = z.infer<typeof EmotionScore>;

/** A span `[begin, end]`: seconds of stream time for audio, code points for text positions. */
export const TimeSpan = z.object({ begin: z.number(), end: z.number() });
export type TimeSpan = z.infer<typeof TimeSpan>;

/** Every audio model, the VAD and the audio decoder work on 16 kHz mono. */
export const AUDIO_SAMPLE_RATE = 16_000;

/** Scores keep six decimals: stable across platforms and chunkings, far below any model's noise. */
export const roundScore = (x: number): number => Math.round(x * 1e6) / 1e6;
/** Milliseconds precision is plenty for stream times and keeps replies stable across chunkings. */
export const roundTime = (t: number): number => Math.round(t * 1000) / 1000;
