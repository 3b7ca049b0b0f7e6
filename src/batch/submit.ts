/**
 * `POST /v0/batch/jobs`: the body (JSON, or multipart with a `json` field and `file` parts,
 * parsed by busboy) into a validated request and the job's inputs. Every limit is checked while
 * the body streams in, so an oversized upload is refused before it is held in memory.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import busboy from "busboy";
import type { BatchConfig } from "./config.js";
import { TRANSCRIPTION_UNAVAILABLE } from "./measure.js";
import { BatchError, describeIssue, InferenceRequest } from "./schema.js";
import type { JobInput } from "./store.js";

/** A JSON body (no files) is small; media go in multipart parts. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

export interface Submission {
  request: InferenceRequest;
  inputs: JobInput[];
}

export async function readSubmission(req: IncomingMessage, config: BatchConfig): Promise<Submission> {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > config.maxRequestBytes) throw requestTooLarge(config);
  if (type.startsWith("multipart/form-data")) return finish(await readMultipart(req, config), config);
  if (type.startsWith("application/json") || type === "") {
    const body = await readBody(req, Math.min(MAX_JSON_BYTES, config.maxRequestBytes));
    return finish({ json: body.toString("utf8"), files: [] }, config);
  }
  throw new BatchError(415, "unsupported_media_type", "Send the job as application/json, or as multipart/form-data with a 'json' field and 'file' parts.");
}

interface RawSubmission {
  json: string | undefined;
  files: { filename: string; contentType: string; bytes: Buffer }[];
}

function finish(raw: RawSubmission, config: BatchConfig): Submission {
  let value: unknown = {};
  if (raw.json !== undefined && raw.json.trim() !== "") {
    try {
      value = JSON.parse(raw.json);
    } catch (err) {
      throw new BatchError(400, "invalid_json", `The request is not valid JSON: ${(err as Error).message}`);
    }
  }
  const parsed = InferenceRequest.safeParse(value);
  if (!parsed.success) throw new BatchError(400, "invalid_request", describeIssue(parsed.error, "request"));
  const request = parsed.data;
  refuseTranscriptFeatures(request);
  const inputs: JobInput[] = [
    ...raw.files.map((f): JobInput => ({
      kind: "file",
      info: { filename: f.filename, content_type: f.contentType, md5sum: createHash("md5").update(f.bytes).digest("hex") },
      bytes: f.bytes,
    })),
    ...(request.urls ?? []).map((url): JobInput => ({ kind: "url", url })),
    ...(request.text ?? []).map((text): JobInput => ({ kind: "text", text })),
  ];
  if (inputs.length === 0) throw new BatchError(400, "no_inputs", "The job has nothing to measure: send files, 'urls' or 'text'.");
  if (inputs.length > config.maxFilesPerJob) throw tooManyFiles(config);
  const longText = (request.text ?? []).find((t) => [...t].length > config.maxTextChars);
  if (longText !== undefined) throw new BatchError(413, "text_too_long", `A 'text' item is longer than ${config.maxTextChars} characters.`);
  return { request, inputs };
}

/**
 * Options that need a transcript (words, sentences, speakers, named entities). No transcription
 * model runs offline yet, so they are refused up front rather than answered with nothing.
 */
function refuseTranscriptFeatures(r: InferenceRequest): void {
  const m = r.models;
  const why = [
    m?.ner != null && "the 'ner' model",
    ["word", "sentence", "conversational_turn"].includes(m?.prosody?.granularity ?? "") && `prosody granularity '${m?.prosody?.granularity}'`,
    m?.prosody?.identify_speakers && "prosody identify_speakers",
    m?.language?.identify_speakers && "language identify_speakers",
    m?.language?.granularity === "conversational_turn" && "language granularity 'conversational_turn'",
    r.transcription?.identify_speakers && "transcription identify_speakers",
  ].find(Boolean);
  if (why) {
    throw new BatchError(
      400,
      "transcription_unavailable",
      `${TRANSCRIPTION_UNAVAILABLE}: ${why} needs a transcript, and this server has no transcription model. Leave it out (prosody measures utterances found by voice activity detection).`,
    );
  }
}

function readMultipart(req: IncomingMessage, config: BatchConfig): Promise<RawSubmission> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: config.maxFileBytes, files: config.maxFilesPerJob, fields: 16, fieldSize: MAX_JSON_BYTES, parts: config.maxFilesPerJob + 16 },
      });
    } catch (err) {
      return reject(new BatchError(400, "invalid_multipart", `The multipart body could not be read: ${(err as Error).message}`));
    }
    const out: RawSubmission = { json: undefined, files: [] };
    let failure: BatchError | undefined;
    const fail = (err: BatchError) => {
      if (failure) return;
      failure = err;
      req.unpipe(parser);
      req.resume(); // drain the rest so the answer can be read by the client
      reject(err);
    };
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > config.maxRequestBytes) fail(requestTooLarge(config));
    });
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) return fail(new BatchError(413, "request_too_large", `The '${name}' field is too large.`));
      if (name === "json") out.json = value;
    });
    parser.on("file", (name, stream, info) => {
      // Hume's legacy Python client sends `json` as a part with a file name: read it as the field.
      if (name === "json") {
        const parts: Buffer[] = [];
        stream.on("data", (c: Buffer) => parts.push(c));
        stream.on("limit", () => fail(new BatchError(413, "file_too_large", "The 'json' part is larger than the per-file limit.")));
        stream.on("close", () => (out.json = Buffer.concat(parts).toString("utf8")));
        return;
      }
      if (name !== "file") {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("limit", () => fail(new BatchError(413, "file_too_large", `'${info.filename ?? "a file"}' is larger than the ${config.maxFileBytes}-byte limit per file.`)));
      stream.on("close", () => {
        if (!failure) out.files.push({ filename: info.filename ?? `file-${out.files.length}`, contentType: info.mimeType, bytes: Buffer.concat(chunks) });
      });
    });
    parser.on("filesLimit", () => fail(tooManyFiles(config)));
    parser.on("partsLimit", () => fail(tooManyFiles(config)));
    parser.on("error", (err: Error) => fail(new BatchError(400, "invalid_multipart", `The multipart body could not be read: ${err.message}`)));
    parser.on("close", () => {
      if (!failure) resolve(out);
    });
    req.pipe(parser);
  });
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.resume();
        reject(new BatchError(413, "request_too_large", `A JSON job body may be at most ${max} bytes; upload media as multipart files.`));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function requestTooLarge(config: BatchConfig): BatchError {
  return new BatchError(413, "request_too_large", `The request is larger than the ${config.maxRequestBytes}-byte limit.`);
}

function tooManyFiles(config: BatchConfig): BatchError {
  return new BatchError(413, "too_many_files", `A job may have at most ${config.maxFilesPerJob} files, URLs and text items together.`);
}
