/**
 * Wire shapes that several models' descriptors share. Browser-safe; kept apart from `wire.ts`
 * because `wire.ts` is derived from the descriptors, which build on these.
 */
import { z } from "zod";
import { EmotionScore, TimeSpan } from "../primitives.js";

/** `{}` switches a sub-output on; absent or null leaves it off. */
export const Toggle = z.object({}).nullish();

/** prosody, burst and facemesh take no options in streaming. */
export const EmptyConfig = z.object({});
export type EmptyConfig = z.infer<typeof EmptyConfig>;

export const BoundingBox = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() });

/** A prediction over a span of stream time (the audio models). */
export const TimedPrediction = z.object({
  time: TimeSpan,
  emotions: z.array(EmotionScore),
  descriptions: z.array(EmotionScore).optional(),
});
export type TimedPrediction = z.infer<typeof TimedPrediction>;

/** The CLI's cell for a timed prediction: "1.20-2.45". */
export const timeCell = (p: TimedPrediction): string => `${p.time.begin.toFixed(2)}-${p.time.end.toFixed(2)}`;
