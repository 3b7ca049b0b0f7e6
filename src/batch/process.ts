/**
 * What running one job means, whichever queue hands it over: each input measured in order
 * (URLs fetched first, under the URL rules), one predictions entry per input, and the counts
 * the job's state reports. Per-input problems become that input's coded errors.
 */
import { coded, measureFile, measureText, requestedModels, type FileMeasurement, type MeasureContext } from "./measure.js";
import type { BatchMetrics } from "./metrics.js";
import { fileNameOf, sourceOf, type SourceResult } from "./predictions.js";
import type { InferenceRequest } from "./schema.js";
import type { JobInput } from "./store.js";
import { fetchUrl, UrlError, type UrlPolicy } from "./urls.js";

export interface JobOutcome {
  results: SourceResult[];
  counts: { predictions: number; errors: number };
}

/** Thrown between inputs when the caller wants the run to stop (shutdown, a lost lease). */
export class RunStopped extends Error {}

export async function processJob(
  inputs: JobInput[],
  jobRequest: InferenceRequest,
  ctx: MeasureContext,
  metrics: BatchMetrics | undefined,
  shouldStop: () => boolean,
): Promise<JobOutcome> {
  const request = requestedModels(jobRequest.models);
  const results: SourceResult[] = [];
  for (const [i, input] of inputs.entries()) {
    if (shouldStop()) throw new RunStopped();
    const file = fileNameOf(input, i);
    const m = await measureInput(input, request, ctx);
    metrics?.file(input.kind, m.errors, m.mediaSeconds);
    const hasModels = Object.keys(m.models).length > 0;
    results.push({
      source: sourceOf(input),
      results: { predictions: hasModels ? [{ file, models: m.models }] : [], errors: m.errors.map((message) => ({ message, file })) },
    });
  }
  if (shouldStop()) throw new RunStopped();
  return {
    results,
    counts: {
      predictions: results.reduce((n, r) => n + r.results.predictions.length, 0),
      errors: results.reduce((n, r) => n + r.results.errors.length, 0),
    },
  };
}

async function measureInput(input: JobInput, request: ReturnType<typeof requestedModels>, ctx: MeasureContext): Promise<FileMeasurement> {
  switch (input.kind) {
    case "text":
      return measureText(input.text, request.config, ctx);
    case "file":
      return measureFile(input.bytes, request, ctx);
    case "url": {
      let bytes: Uint8Array;
      try {
        bytes = (await fetchUrl(input.url, urlPolicy(ctx))).bytes;
      } catch (err) {
        if (err instanceof UrlError) return { models: {}, errors: [coded(err.code, err.message)], mediaSeconds: 0 };
        throw err;
      }
      return measureFile(bytes, request, ctx);
    }
  }
}

export function urlPolicy({ config }: MeasureContext): UrlPolicy {
  return { allowPrivate: config.allowPrivateUrls, timeoutMs: config.fetchTimeoutMs, maxBytes: config.maxFileBytes };
}

/** The callback's policy: the URL rules, with a shorter time limit per attempt. */
export function callbackPolicy(ctx: MeasureContext): UrlPolicy {
  const p = urlPolicy(ctx);
  return { ...p, timeoutMs: Math.min(10_000, p.timeoutMs) };
}
