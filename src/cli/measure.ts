/**
 * `open-expression measure`: sends a file (or stdin) to a running server and prints the result.
 * Text (valid UTF-8) goes as raw text, split into chunks the server accepts; audio longer than a
 * chunk is streamed in chunks on one connection, as a microphone client would; anything else goes
 * whole as base64 and the server detects its type. Exit codes: 0 ok, 1 the server answered with an
 * error, 2 usage or connection problem.
 */
import { readFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import {
  AuthenticationError,
  DEFAULT_URL,
  ExpressionClient,
  ExpressionError,
  type ModelsConfig,
  type StreamReply,
} from "../client/index.js";
import { Granularity, MODEL_NAMES, STREAM_WINDOW, type ErrorReply, type ModelName } from "../protocol/wire.js";
import { audioChunks, DEFAULT_CHUNK_SECONDS } from "./audio-chunks.js";
import { chunkText, type TextChunk } from "./chunk.js";
import { collectWarnings, renderTables } from "./render.js";

interface MeasureFlags {
  models: string;
  url: string;
  apiKey?: string;
  granularity?: Granularity;
  sentiment?: boolean;
  toxicity?: boolean;
  json?: boolean;
  top: string;
  progress?: boolean;
  chunkSeconds: string;
  windowMs: string;
}

const EXIT = { ok: 0, serverError: 1, usage: 2 } as const;

class UsageError extends Error {}

export function registerMeasure(program: Command): void {
  program
    .command("measure")
    .description("measure expressions in a file (or stdin: -) with a running server")
    .argument("<file>", "file to measure, or - to read stdin")
    .option("-m, --models <list>", `comma-separated models: ${MODEL_NAMES.join(", ")}`, "language")
    .option("--url <url>", "server URL (ws, wss, http or https; the stream path is added)", DEFAULT_URL)
    .addOption(new Option("--api-key <key>", "API key").env("OPEN_EXPRESSION_API_KEY"))
    .addOption(new Option("--granularity <level>", "language segments").choices(Granularity.options))
    .option("--sentiment", "add language sentiment (levels 1-9)")
    .option("--toxicity", "add language toxicity")
    .option(
      "--json",
      "print one JSON array on stdout: the server's replies in order, one per message sent " +
        "(error replies included), with language positions re-based to the whole input",
    )
    .option("--top <n>", "emotions shown per row in tables", "3")
    .option("--progress", "report chunk progress on stderr even when it is not a terminal")
    .option("--chunk-seconds <s>", "audio longer than this is streamed in chunks of this length", String(DEFAULT_CHUNK_SECONDS))
    .option("--window-ms <ms>", `stream_window_ms sent with audio chunks (${STREAM_WINDOW.min}-${STREAM_WINDOW.max})`, String(STREAM_WINDOW.default))
    .addHelpText(
      "after",
      "\nText longer than 10,000 characters is sent in chunks split at paragraph or sentence\n" +
        "boundaries; positions are code-point offsets into the whole input. Audio longer than\n" +
        "--chunk-seconds is streamed in chunks on one connection; times are seconds from its start.\n" +
        "Exit codes: 0 ok, 1 the server answered with an error, 2 usage or connection error.",
    )
    // Commander exits 1 on usage errors; 1 is reserved here for server error replies.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage))
    .action(async (file: string, flags: MeasureFlags) => {
      process.exitCode = await measure(file, flags);
    });
}

async function measure(file: string, flags: MeasureFlags): Promise<number> {
  let models: ModelsConfig;
  let top: number;
  let bytes: Uint8Array;
  let chunkSeconds: number;
  let windowMs: number;
  try {
    models = modelsFrom(flags);
    top = Number(flags.top);
    if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive integer, got "${flags.top}"`);
    chunkSeconds = Number(flags.chunkSeconds);
    if (!(chunkSeconds > 0)) throw new UsageError(`--chunk-seconds must be a positive number, got "${flags.chunkSeconds}"`);
    windowMs = Number(flags.windowMs);
    if (!(windowMs >= STREAM_WINDOW.min && windowMs <= STREAM_WINDOW.max)) {
      throw new UsageError(`--window-ms must be ${STREAM_WINDOW.min}-${STREAM_WINDOW.max}, got "${flags.windowMs}"`);
    }
    bytes = await readInput(file);
  } catch (err) {
    return fail((err as Error).message, EXIT.usage);
  }

  const text = models.facemesh ? undefined : decodeUtf8(bytes);
  const chunks: TextChunk[] | undefined = text === undefined ? undefined : chunkText(text);
  let wavs: Uint8Array[] | undefined;
  try {
    wavs = chunks ? undefined : await audioChunks(bytes, chunkSeconds);
  } catch (err) {
    return fail(`cannot split the audio: ${(err as Error).message}`, EXIT.usage);
  }
  let client: ExpressionClient;
  try {
    client = await ExpressionClient.connect({ url: flags.url, apiKey: flags.apiKey, models, timeoutMs: 120_000 });
  } catch (err) {
    return fail(connectionHint(err, flags.url), EXIT.usage);
  }

  // One message each, sent in order (the next after the previous reply).
  const sends: (() => Promise<StreamReply>)[] = chunks
    ? chunks.map((chunk) => async () => rebase(await client.sendText(chunk.text), chunk.offset))
    : wavs
      ? wavs.map((wav, i) => () =>
          // reset_stream on the first chunk, as a recording starts: prediction times count from the file's start.
          client.send({ data: Buffer.from(wav).toString("base64"), raw_text: false, models, stream_window_ms: windowMs, ...(i === 0 ? { reset_stream: true } : {}) }),
        )
      : [() => client.sendFile(bytes)];
  const replies: (StreamReply | ErrorReply)[] = [];
  let failure: { message: string; code: number } | undefined;
  const progress = sends.length > 1 && (flags.progress || process.stderr.isTTY) ? progressReporter(sends.length) : undefined;
  try {
    for (const [i, send] of sends.entries()) {
      progress?.(i + 1);
      replies.push(await send());
    }
  } catch (err) {
    if (err instanceof ExpressionError) {
      replies.push({ error: err.message, code: err.code, ...(err.payloadId ? { payload_id: err.payloadId } : {}) });
      const where = sends.length > 1 ? ` (chunk ${replies.length}/${sends.length})` : "";
      failure = { message: `server error ${err.code}${where}: ${err.message}`, code: EXIT.serverError };
    } else {
      failure = { message: (err as Error).message, code: EXIT.usage };
    }
  } finally {
    progress?.(0);
    await client.close().catch(() => undefined);
  }

  const ok = replies.filter((r): r is StreamReply => !("error" in r));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(replies, null, 2)}\n`);
  } else {
    const tables = renderTables(ok, { top, textWidth: 48, color: Boolean(process.stdout.isTTY) });
    if (tables) process.stdout.write(`${tables}\n`);
    for (const w of collectWarnings(ok)) {
      const where = w.chunk ? ` (chunk ${w.chunk})` : "";
      process.stderr.write(`warning ${w.code} [${w.model}]${where}: ${w.message}\n`);
    }
  }
  return failure ? fail(failure.message, failure.code) : EXIT.ok;
}

function modelsFrom(flags: MeasureFlags): ModelsConfig {
  const names = flags.models.split(",").map((m) => m.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError("--models needs at least one model");
  const models: ModelsConfig = {};
  for (const name of names) {
    if (!(MODEL_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`unknown model "${name}" (choose from ${MODEL_NAMES.join(", ")})`);
    }
    models[name as ModelName] = {};
  }
  if (models.language) {
    if (flags.granularity) models.language.granularity = flags.granularity;
    if (flags.sentiment) models.language.sentiment = {};
    if (flags.toxicity) models.language.toxicity = {};
  }
  return models;
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    if (file !== "-") return new Uint8Array(await readFile(file));
    const parts: Buffer[] = [];
    for await (const part of process.stdin) parts.push(part as Buffer);
    return new Uint8Array(Buffer.concat(parts));
  } catch (err) {
    throw new UsageError(`cannot read ${file === "-" ? "stdin" : file}: ${(err as Error).message}`);
  }
}

/** Text if the bytes are valid UTF-8 without NUL bytes; otherwise the server sniffs the type. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return text.includes("\0") ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Positions in a chunk's reply become positions in the whole input. */
function rebase(reply: StreamReply, offset: number): StreamReply {
  if (offset === 0 || !reply.language) return reply;
  for (const p of reply.language.predictions) {
    p.position = { begin: p.position.begin + offset, end: p.position.end + offset };
  }
  return reply;
}

function connectionHint(err: unknown, url: string): string {
  const message = (err as Error).message;
  if (err instanceof TypeError) return `invalid --url "${url}": ${message}`;
  if (err instanceof AuthenticationError) {
    return `authentication failed: ${message}. Pass the key with --api-key or OPEN_EXPRESSION_API_KEY.`;
  }
  return (
    `${message}\nIs the server running? Start one with \`open-expression serve\` ` +
    `(it listens on ${DEFAULT_URL} by default), or point --url at it (given: ${url}).`
  );
}

function progressReporter(total: number): (n: number) => void {
  const tty = Boolean(process.stderr.isTTY);
  return (n) => {
    if (n === 0) {
      if (tty) process.stderr.write("\r\x1b[K");
      return;
    }
    process.stderr.write(tty ? `\rchunk ${n}/${total}` : `chunk ${n}/${total}\n`);
  };
}

function fail(message: string, code: number): number {
  process.stderr.write(`open-expression: ${message}\n`);
  return code;
}
