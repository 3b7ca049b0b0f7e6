/**
 * Wire types of `/v0/stream/models`, in one place. Requests are validated here at the edge
 * (the server parses every frame through `StreamRequest`); responses have schemas too so our
 * SDK validates what it receives. Unknown fields are stripped, as the official service ignored
 * them. Optional fields also accept `null`, because some clients serialise "absent" as null.
 */
import { z } from "zod";

/** `{}` switches a sub-output on; absent or null leaves it off. */
const Toggle = z.object({}).nullish();

export const Granularity = z.enum(["word", "sentence", "utterance", "passage"]);
export type Granularity = z.infer<typeof Granularity>;

export const FaceConfig = z.object({
  fps_pred: z.number().min(0).max(60).nullish(),
  prob_threshold: z.number().min(0).max(1).nullish(),
  identify_faces: z.boolean().nullish(),
  min_face_size: z.number().min(0).nullish(),
  facs: Toggle,
  descriptions: Toggle,
  save_faces: z.boolean().nullish(),
});
export type FaceConfig = z.infer<typeof FaceConfig>;

export const LanguageConfig = z.object({
  granularity: Granularity.nullish(),
  sentiment: Toggle,
  toxicity: Toggle,
  identify_speakers: z.boolean().nullish(),
});
export type LanguageConfig = z.infer<typeof LanguageConfig>;

/** prosody, burst and facemesh take no options in streaming. */
export const EmptyConfig = z.object({});
export type EmptyConfig = z.infer<typeof EmptyConfig>;

export const ModelsConfig = z.object({
  face: FaceConfig.nullish(),
  language: LanguageConfig.nullish(),
  prosody: EmptyConfig.nullish(),
  burst: EmptyConfig.nullish(),
  facemesh: EmptyConfig.nullish(),
});
export type ModelsConfig = z.infer<typeof ModelsConfig>;

export const MODEL_NAMES = ["face", "language", "prosody", "burst", "facemesh"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

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

export const EmotionScore = z.object({ name: z.string(), score: z.number() });
export type EmotionScore = z.infer<typeof EmotionScore>;

export const TextPosition = z.object({ begin: z.number(), end: z.number() });
export const TimeRange = z.object({ begin: z.number(), end: z.number() });
export const BoundingBox = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() });

export const LanguagePrediction = z.object({
  text: z.string(),
  position: TextPosition,
  emotions: z.array(EmotionScore),
  sentiment: z.array(EmotionScore).optional(),
  toxicity: z.array(EmotionScore).optional(),
});
export type LanguagePrediction = z.infer<typeof LanguagePrediction>;

export const FacePrediction = z.object({
  frame: z.number(),
  time: z.number().nullable(),
  bbox: BoundingBox,
  prob: z.number(),
  face_id: z.string(),
  emotions: z.array(EmotionScore),
  facs: z.array(EmotionScore).optional(),
  descriptions: z.array(EmotionScore).optional(),
});
export type FacePrediction = z.infer<typeof FacePrediction>;

export const TimedPrediction = z.object({
  time: TimeRange,
  emotions: z.array(EmotionScore),
  descriptions: z.array(EmotionScore).optional(),
});
export type TimedPrediction = z.infer<typeof TimedPrediction>;

export const FacemeshPrediction = z.object({ emotions: z.array(EmotionScore) });
export type FacemeshPrediction = z.infer<typeof FacemeshPrediction>;

/** What one model contributes to a reply: predictions, plus a warning when it found nothing. */
const modelBlock = <T extends z.ZodType>(item: T) =>
  z.object({
    predictions: z.array(item),
    warning: z.string().optional(),
    code: z.string().optional(),
  });

export const JobDetails = z.object({ job_id: z.string() });

export const PredictionsReply = z.object({
  payload_id: z.string().optional(),
  job_details: JobDetails.optional(),
  face: modelBlock(FacePrediction).optional(),
  language: modelBlock(LanguagePrediction).optional(),
  prosody: modelBlock(TimedPrediction).optional(),
  burst: modelBlock(TimedPrediction).optional(),
  facemesh: modelBlock(FacemeshPrediction).optional(),
});
export type PredictionsReply = z.infer<typeof PredictionsReply>;
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
