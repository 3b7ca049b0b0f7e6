/**
 * Wire types of Hume's batch API (`/v0/batch/jobs`), validated at the edge. The model configs
 * that batch shares with streaming (face, language, the empty configs) reuse the streaming
 * schemas; batch adds prosody options, `ner`, `transcription`, and the job-level fields.
 * Unknown fields are stripped, as the official service ignored them.
 */
import { z } from "zod";
import { EmptyConfig, FaceConfig, Granularity, LanguageConfig } from "../protocol/index.js";

/** Batch granularities: the streaming ones plus `conversational_turn` (speaker turns). */
export const BatchGranularity = z.enum([...Granularity.options, "conversational_turn"]);

export const ProsodyWindow = z.object({
  length: z.number().min(0.5).nullish(),
  step: z.number().min(0.5).nullish(),
});

export const BatchProsodyConfig = z.object({
  granularity: BatchGranularity.nullish(),
  window: ProsodyWindow.nullish(),
  identify_speakers: z.boolean().nullish(),
});
export type BatchProsodyConfig = z.infer<typeof BatchProsodyConfig>;

export const BatchLanguageConfig = LanguageConfig.extend({ granularity: BatchGranularity.nullish() });
export type BatchLanguageConfig = z.infer<typeof BatchLanguageConfig>;

export const NerConfig = z.object({ identify_speakers: z.boolean().nullish() });

export const BatchModels = z.object({
  face: FaceConfig.nullish(),
  burst: EmptyConfig.nullish(),
  prosody: BatchProsodyConfig.nullish(),
  language: BatchLanguageConfig.nullish(),
  ner: NerConfig.nullish(),
  facemesh: EmptyConfig.nullish(),
});
export type BatchModels = z.infer<typeof BatchModels>;
export type BatchModelName = keyof BatchModels;
export const BATCH_MODEL_NAMES = ["face", "burst", "prosody", "language", "ner", "facemesh"] as const satisfies readonly BatchModelName[];

export const Transcription = z.object({
  language: z.string().nullish(),
  identify_speakers: z.boolean().nullish(),
  confidence_threshold: z.number().min(0).max(1).nullish(),
});

const httpUrl = z.string().url().refine((u) => /^https?:\/\//i.test(u), "must be an http or https URL");

/** `InferenceBaseRequest`: the JSON body, or the multipart `json` field. */
export const InferenceRequest = z.object({
  models: BatchModels.nullish(),
  transcription: Transcription.nullish(),
  urls: z.array(httpUrl).nullish(),
  text: z.array(z.string()).nullish(),
  callback_url: httpUrl.nullish(),
  notify: z.boolean().nullish(),
});
export type InferenceRequest = z.infer<typeof InferenceRequest>;

export const JOB_STATUSES = ["QUEUED", "IN_PROGRESS", "COMPLETED", "FAILED"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Query of `GET /v0/batch/jobs`; `status` may repeat. */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  status: z.array(z.enum(JOB_STATUSES)).default([]),
  when: z.enum(["created_before", "created_after"]).optional(),
  timestamp_ms: z.coerce.number().int().min(0).optional(),
  sort_by: z.enum(["created", "started", "ended"]).default("created"),
  direction: z.enum(["asc", "desc"]).default("desc"),
});
export type ListQuery = z.infer<typeof ListQuery>;

/** What a job's request records about an uploaded file (`request.files`). */
export interface FileInfo {
  filename: string;
  content_type: string;
  md5sum: string;
}

/** Job details as `GET /v0/batch/jobs/{id}` answers them (Hume's `UnionJob`). */
export interface JobDetails {
  type: "INFERENCE";
  job_id: string;
  request: {
    models: BatchModels;
    transcription: InferenceRequest["transcription"];
    urls: string[];
    text: string[];
    callback_url: string | null;
    notify: boolean;
    files: FileInfo[];
  };
  state: {
    status: JobStatus;
    created_timestamp_ms: number;
    started_timestamp_ms?: number;
    ended_timestamp_ms?: number;
    num_predictions?: number;
    num_errors?: number;
    message?: string;
  };
}

/** Coded errors of the batch endpoints: `{error, code}` with an HTTP status. */
export class BatchError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The first zod issue as a sentence naming the field. */
export function describeIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : what;
  return `Invalid field '${where}': ${issue?.message ?? "bad value"}.`;
}
