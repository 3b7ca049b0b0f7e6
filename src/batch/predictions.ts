/**
 * Hume's batch shapes: job details (`UnionJob`) from a stored job, and one predictions entry
 * (`InferenceSourcePredictResult`) per input, which the runner assembles as it measures.
 */
import { requestedModels, type FileModels } from "./measure.js";
import type { FileInfo, JobDetails } from "./schema.js";
import type { JobInput, JobRecord } from "./store.js";

export type Source = ({ type: "file" } & FileInfo) | { type: "url"; url: string } | { type: "text" };

export interface SourceResult {
  source: Source;
  results: {
    predictions: { file: string; models: FileModels }[];
    errors: { message: string; file: string }[];
  };
}

export function sourceOf(input: JobInput): Source {
  switch (input.kind) {
    case "file":
      return { type: "file", ...input.info };
    case "url":
      return { type: "url", url: input.url };
    case "text":
      return { type: "text" };
  }
}

/** The name a source's predictions are filed under. */
export function fileNameOf(input: JobInput, index: number): string {
  switch (input.kind) {
    case "file":
      return input.info.filename;
    case "url":
      return input.url;
    case "text":
      return `text-${index}`;
  }
}

export function jobDetails(job: JobRecord): JobDetails {
  const state: JobDetails["state"] = { status: job.status, created_timestamp_ms: job.createdMs };
  if (job.startedMs !== undefined) state.started_timestamp_ms = job.startedMs;
  if (job.endedMs !== undefined) state.ended_timestamp_ms = job.endedMs;
  if (job.status === "COMPLETED") {
    state.num_predictions = job.numPredictions ?? 0;
    state.num_errors = job.numErrors ?? 0;
  }
  if (job.status === "FAILED") state.message = job.message ?? "The job failed.";
  // Every request field is present (null or empty when not given), as the official service
  // answered: Hume's legacy Python client reads them by key. `models` is what the job ran.
  const r = job.request;
  const request = {
    models: requestedModels(r.models).config,
    transcription: r.transcription ?? null,
    urls: r.urls ?? [],
    text: r.text ?? [],
    callback_url: r.callback_url ?? null,
    notify: r.notify ?? false,
    files: job.files,
  };
  return { type: "INFERENCE", job_id: job.id, request, state };
}
