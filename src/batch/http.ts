/**
 * The `/v0/batch/jobs` routes. Authentication is the server's (same keys as streaming); a job
 * belongs to the key that created it, and other keys see it as not found. Errors are JSON
 * `{error, code}` with an HTTP status.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../server/logger.js";
import { artifactsZip } from "./artifacts.js";
import type { BatchConfig } from "./config.js";
import { jobDetails } from "./predictions.js";
import { BatchError, describeIssue, ListQuery } from "./schema.js";
import type { JobRecord, NewJob } from "./store.js";
import { readSubmission } from "./submit.js";

export const BATCH_PREFIX = "/v0/batch/jobs";

/** Where the routes keep and find jobs: the embedded store, or the Redis queue. */
export interface JobsApi {
  create(job: NewJob): Promise<void>;
  /** A job that `keyId` created; undefined for unknown ids and other keys' jobs. */
  get(id: string, keyId: string): Promise<JobRecord | undefined>;
  list(keyId: string, q: ListQuery): Promise<JobRecord[]>;
  /** The predictions JSON of a COMPLETED job. */
  predictions(id: string): Promise<string | undefined>;
}

export interface BatchRoutesOptions {
  jobs: JobsApi;
  config: BatchConfig;
  log: Logger;
  /** A new job is in the store: run it soon. */
  submitted: () => void;
}

/** Handles `req` when it is a batch route; `keyId` is the caller's key (already authenticated). */
export async function serveBatch(req: IncomingMessage, res: ServerResponse, url: URL, keyId: string, options: BatchRoutesOptions): Promise<void> {
  try {
    const parts = url.pathname.slice(BATCH_PREFIX.length).split("/").filter(Boolean);
    const method = req.method ?? "GET";
    if (parts.length === 0) {
      if (method === "POST") return await submit(req, res, keyId, options);
      if (method === "GET") return await list(res, url, keyId, options);
      throw notAllowed("GET, POST");
    }
    const [id, sub, ...rest] = parts;
    if (!id || rest.length > 0 || (sub !== undefined && sub !== "predictions" && sub !== "artifacts")) throw notFound();
    if (method !== "GET") throw notAllowed("GET");
    const job = await options.jobs.get(decodeURIComponent(id), keyId);
    if (!job) throw new BatchError(404, "job_not_found", "No job with this id.");
    if (sub === undefined) return sendJson(res, 200, jobDetails(job));
    if (job.status !== "COMPLETED") {
      throw new BatchError(400, "job_not_completed", `The job is ${job.status}; predictions are available once it is COMPLETED.`);
    }
    const predictions = (await options.jobs.predictions(job.id)) ?? "[]";
    if (sub === "predictions") {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(predictions);
    }
    const zip = artifactsZip(predictions);
    res.writeHead(200, { "content-type": "application/zip", "content-disposition": `attachment; filename="${job.id}.zip"`, "content-length": zip.length });
    res.end(zip);
  } catch (err) {
    if (err instanceof BatchError) return sendJson(res, err.status, { error: err.message, code: err.code });
    options.log.error({ err: (err as Error).message }, "batch request failed");
    sendJson(res, 500, { error: "Internal error; details are in the server log.", code: "internal_error" });
  }
}

async function submit(req: IncomingMessage, res: ServerResponse, keyId: string, options: BatchRoutesOptions): Promise<void> {
  const { request, inputs } = await readSubmission(req, options.config);
  const id = randomUUID();
  await options.jobs.create({ id, keyId, request, inputs, createdMs: Date.now() });
  options.log.info({ job_id: id, key_id: keyId, inputs: inputs.length }, "batch job queued");
  options.submitted();
  sendJson(res, 200, { job_id: id });
}

async function list(res: ServerResponse, url: URL, keyId: string, options: BatchRoutesOptions): Promise<void> {
  const raw: Record<string, unknown> = Object.fromEntries([...url.searchParams].filter(([k]) => k !== "status"));
  raw.status = url.searchParams.getAll("status").flatMap((s) => s.split(",")).filter(Boolean);
  const q = ListQuery.safeParse(raw);
  if (!q.success) throw new BatchError(400, "invalid_query", describeIssue(q.error, "query"));
  sendJson(res, 200, (await options.jobs.list(keyId, q.data)).map(jobDetails));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const notFound = () => new BatchError(404, "not_found", "Not found.");
const notAllowed = (allow: string) => new BatchError(405, "method_not_allowed", `Use ${allow} here.`);
