/**
 * Wire types of `/v0/stream/models`, in one place. Requests are validated here at the edge
 * (the server parses every frame through `StreamRequest`); responses have schemas too so our
 * SDK validates what it receives. Unknown fields are stripped, as the official service ignored
 * them. Optional fields also accept `null`, because some clients serialise "absent" as null.
 */
import { z } from "zod";
import { MODELS, type ConfigOf, type DescriptorOf, type ModelName } from "../models/catalog.js";

export { EmotionScore, TimeSpan } from "../primitives.js";
export { EmptyConfig, TimedPrediction } from "./shapes.js";
export { FaceConfig, FacePrediction } from "../models/face/descriptor.js";
export { FacemeshPrediction } from "../models/facemesh/descriptor.js";
export { Granularity, LanguageConfig, LanguagePrediction } from "../models/language/descriptor.js";

/** `models`: each model's options, optional (null = off), in catalogue order. */
function configShape(): { [K in ModelName]: z.ZodOptional<z.ZodNullable<DescriptorOf<K>["config"]>> } {
  // Built from the catalogue, so the compiler cannot see that each key gets its own model's schema.
  return Object.fromEntries(Object.values(MODELS).map((d) => [d.name, d.config.nullish()])) as {
    [K in ModelName]: z.ZodOptional<z.ZodNullable<DescriptorOf<K>["config"]>>;
  };
}

type BlockSchema<P extends z.core.SomeType> = z.ZodObject<{
  predictions: z.ZodArray<P>;
  warning: z.ZodOptional<z.ZodString>;
  code: z.ZodOptional<z.ZodString>;
}>;

function modelBlock<P extends z.core.SomeType>(item: P): BlockSchema<P> {
  return z.object({ predictions: z.array(item), warning: z.string().optional(), code: z.string().optional() });
}

/** Each model's block in a reply, optional, in catalogue order. */
function blockShape(): { [K in ModelName]: z.ZodOptional<BlockSchema<DescriptorOf<K>["prediction"]>> } {
  return Object.fromEntries(Object.values(MODELS).map((d) => [d.name, modelBlock(d.prediction).optional()])) as {
    [K in ModelName]: z.ZodOptional<BlockSchema<DescriptorOf<K>["prediction"]>>;
  };
}

export const ModelsConfig = z.object(configShape());
/** Spelled per model name (what `ModelsConfig` parses to), so generic code sees each model's own config. */
export type ModelsConfig = { [K in ModelName]?: ConfigOf<K> | null };

export { MODEL_NAMES, type ModelName, type ConfigOf, type PredictionOf } from "../models/catalog.js";

/** `stream_window_ms` bounds: the audio context kept between messages. */
export const STREAM_WINDOW = { min: 500, max: 10_000, default: 5_000 } as const;

export const StreamRequest = z.object({
  data: z.string().nullish(),
  models: ModelsConfig.nullish(),
  stream_window_ms: z.number().min(STREAM_WINDOW.min).max(STREAM_WINDOW.max).nullish(),
  reset_stream: z.boolean().nullish(),
  raw_text: z.boolean().nullish(),
  job_details: z.boolean().nullish(),
  payload_id: z.string().nullish(),
});
export type StreamRequest = z.infer<typeof StreamRequest>;

// ---------------------------------------------------------------- responses

export const JobDetails = z.object({ job_id: z.string() });

export const PredictionsReply = z.object({
  payload_id: z.string().optional(),
  job_details: JobDetails.optional(),
  ...blockShape(),
});
export type PredictionsReply = z.infer<typeof PredictionsReply>;
/** What one model contributes to a reply: predictions, plus a warning when it found nothing. */
export type ModelBlock<P> = { predictions: P[]; warning?: string; code?: string };

export const ErrorReply = z.object({
  error: z.string(),
  code: z.string(),
  payload_id: z.string().optional(),
  job_details: JobDetails.optional(),
});
export type ErrorReply = z.infer<typeof ErrorReply>;

export const WarningReply = z.object({
  warning: z.string(),
  code: z.string(),
  payload_id: z.string().optional(),
  job_details: JobDetails.optional(),
});
export type WarningReply = z.infer<typeof WarningReply>;

/** Every frame the server sends is exactly one of these (errors checked first: they carry `error`). */
export type Reply = PredictionsReply | ErrorReply;

export function isErrorReply(reply: unknown): reply is ErrorReply {
  return ErrorReply.safeParse(reply).success;
}
