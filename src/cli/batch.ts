/**
 * `open-expression batch`: submit files and URLs as a batch job, follow it, fetch its results.
 * It talks to `/v0/batch/jobs` over HTTP exactly as Hume's clients do, so it works against any
 * server of this API.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { Option, type Command } from "commander";
import { strFromU8, unzipSync } from "fflate";

const DEFAULT_SERVER = "http://127.0.0.1:8000";
const BATCH_MODELS = ["face", "prosody", "burst", "language", "facemesh"] as const;

interface Connection {
  url: string;
  apiKey?: string;
}

class CliError extends Error {}

function connectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--url <url>", "server URL (http or https)").env("OPEN_EXPRESSION_URL").default(DEFAULT_SERVER))
    .addOption(new Option("--api-key <key>", "API key").env("OPEN_EXPRESSION_API_KEY"));
}

async function call(conn: Connection, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (conn.apiKey) headers.set("X-Hume-Api-Key", conn.apiKey);
  let res: Response;
  try {
    res = await fetch(new URL(path, conn.url), { ...init, headers });
  } catch (err) {
    throw new CliError(`cannot reach ${conn.url}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; code?: string };
    throw new CliError(`${res.status} ${body.code ?? ""}: ${body.error ?? res.statusText}`.trim());
  }
  return res;
}

interface Details {
  job_id: string;
  state: { status: string; created_timestamp_ms: number; started_timestamp_ms?: number; ended_timestamp_ms?: number; num_predictions?: number; num_errors?: number; message?: string };
}

const details = async (conn: Connection, id: string) => (await (await call(conn, `/v0/batch/jobs/${encodeURIComponent(id)}`)).json()) as Details;

function describe(d: Details): string {
  const s = d.state;
  const seconds = (from?: number, to?: number) => (from === undefined ? "" : ` ${(((to ?? Date.now()) - from) / 1000).toFixed(1)} s`);
  switch (s.status) {
    case "QUEUED":
      return `QUEUED${seconds(s.created_timestamp_ms)}`;
    case "IN_PROGRESS":
      return `IN_PROGRESS${seconds(s.started_timestamp_ms)}`;
    case "COMPLETED":
      return `COMPLETED in${seconds(s.started_timestamp_ms, s.ended_timestamp_ms)}: ${s.num_predictions ?? 0} prediction(s), ${s.num_errors ?? 0} error(s)`;
    default:
      return `${s.status}: ${s.message ?? ""}`;
  }
}

async function submit(inputs: string[], flags: Connection & { models: string; wait?: boolean; callbackUrl?: string }): Promise<void> {
  const models = flags.models.split(",").map((m) => m.trim()).filter(Boolean);
  const unknown = models.find((m) => !(BATCH_MODELS as readonly string[]).includes(m));
  if (unknown) throw new CliError(`unknown model '${unknown}' (choose from ${BATCH_MODELS.join(", ")})`);
  const urls = inputs.filter((i) => /^https?:\/\//i.test(i));
  const files = inputs.filter((i) => !urls.includes(i));
  const request = { models: Object.fromEntries(models.map((m) => [m, {}])), ...(urls.length && { urls }), ...(flags.callbackUrl && { callback_url: flags.callbackUrl }) };
  const form = new FormData();
  form.append("json", JSON.stringify(request));
  for (const f of files) {
    const bytes = await readFile(f).catch((err: Error) => {
      throw new CliError(`cannot read ${f}: ${err.message}`);
    });
    form.append("file", new Blob([new Uint8Array(bytes)]), basename(f));
  }
  const { job_id: id } = (await (await call(flags, "/v0/batch/jobs", { method: "POST", body: form })).json()) as { job_id: string };
  console.log(id);
  if (!flags.wait) return;
  const live = process.stderr.isTTY;
  for (;;) {
    const d = await details(flags, id);
    const line = describe(d);
    if (live) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
    if (d.state.status === "COMPLETED" || d.state.status === "FAILED") {
      if (live) process.stderr.write("\n");
      if (d.state.status === "FAILED") process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function predictions(id: string, flags: Connection & { csv?: boolean; model?: string }): Promise<void> {
  if (!flags.csv) {
    const body = await (await call(flags, `/v0/batch/jobs/${encodeURIComponent(id)}/predictions`)).text();
    console.log(JSON.stringify(JSON.parse(body), null, 2));
    return;
  }
  const zip = new Uint8Array(await (await call(flags, `/v0/batch/jobs/${encodeURIComponent(id)}/artifacts`)).arrayBuffer());
  const csvs = Object.entries(unzipSync(zip)).filter(([name]) => name.endsWith(".csv"));
  const chosen = flags.model ? csvs.filter(([name]) => name === `${flags.model}.csv`) : csvs;
  if (chosen.length === 0) throw new CliError(flags.model ? `the job has no ${flags.model} predictions` : "the job has no predictions");
  if (chosen.length > 1) throw new CliError(`the job has predictions of several models (${csvs.map(([n]) => n.replace(".csv", "")).join(", ")}); choose one with --model`);
  process.stdout.write(strFromU8(chosen[0]![1]));
}

/** Runs an action, turning CliError into a one-line message and exit code 1. */
const action =
  <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
  async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      console.error(`open-expression batch: ${err.message}`);
      process.exitCode = 1;
    }
  };

export function registerBatch(program: Command): void {
  const batch = program.command("batch").description("batch jobs on a server's /v0/batch/jobs (Hume's batch API)");
  connectionOptions(
    batch
      .command("submit")
      .description("submit files and http(s) URLs as one job; prints its id")
      .argument("<inputs...>", "files and URLs to measure")
      .option("-m, --models <list>", `comma-separated models: ${BATCH_MODELS.join(", ")}`, "face,prosody,burst,language")
      .option("--callback-url <url>", "URL the server POSTs the final job state to")
      .option("-w, --wait", "wait for the job to end, showing its progress on stderr"),
  ).action(action(submit));
  connectionOptions(batch.command("status").description("a job's state").argument("<id>", "job id")).action(
    action(async (id: string, flags: Connection) => {
      console.log(describe(await details(flags, id)));
    }),
  );
  connectionOptions(
    batch
      .command("predictions")
      .description("a completed job's predictions: JSON (default) or one model's CSV")
      .argument("<id>", "job id")
      .option("--json", "Hume's predictions JSON (the default)")
      .option("--csv", "CSV of one model's predictions, from the job's artifacts")
      .option("--model <name>", "with --csv: which model"),
  ).action(action(predictions));
}
