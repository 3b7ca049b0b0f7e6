/**
 * The real CLI as a user runs it: `open-expression serve` in a child process, its JSON logs on
 * stdout, its exit codes, auth flags and environment variables, and a clean SIGTERM shutdown.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { after, test } from "node:test";
import { Conn, handshakeStatus } from "../helpers/conn.js";
import { packageRoot } from "../../src/package-paths.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LogLine = Record<string, any>;

interface Serve {
  proc: ChildProcess;
  /** Parsed JSON log lines so far. */
  logs: LogLine[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the "listening" log line, rejects if the process exits first. */
  listening: Promise<LogLine>;
}

const running = new Set<ChildProcess>();
after(() => {
  for (const proc of running) proc.kill("SIGKILL");
});

/** The environment without any OPEN_EXPRESSION_* settings of the machine running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("OPEN_EXPRESSION_") && k !== "PORT") env[k] = v;
  return { ...env, ...extra };
}

function serve(args: string[], env: Record<string, string> = {}): Serve {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--threads", "1", ...args], {
    cwd: packageRoot,
    env: cleanEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(proc);
  const logs: LogLine[] = [];
  let err = "";
  let out = "";
  let onLine: ((line: LogLine) => void) | undefined;
  proc.stdout!.on("data", (d: Buffer) => {
    out += String(d);
    let nl: number;
    while ((nl = out.indexOf("\n")) >= 0) {
      const text = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        const line = JSON.parse(text) as LogLine;
        logs.push(line);
        onLine?.(line);
      } catch {
        logs.push({ unparsed: text });
      }
    }
  });
  proc.stderr!.on("data", (d: Buffer) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) =>
    proc.on("exit", (code) => {
      running.delete(proc);
      resolve(code);
    }),
  );
  const listening = new Promise<LogLine>((resolve, reject) => {
    onLine = (line) => {
      if (typeof line.msg === "string" && line.msg.startsWith("listening")) resolve(line);
    };
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${err}`)));
    setTimeout(() => reject(new Error(`serve not listening after 20 s: ${err}`)), 20_000).unref();
  });
  listening.catch(() => undefined);
  return { proc, logs, stderr: () => err, exited, listening };
}

async function stop(s: Serve): Promise<number | null> {
  s.proc.kill("SIGTERM");
  return s.exited;
}

/** 101 when the handshake upgraded, the HTTP status when it was refused. */
const handshake = (url: string, headers: Record<string, string> = {}) => handshakeStatus(url, { headers });

async function ask(url: string, message: unknown, headers: Record<string, string> = {}): Promise<LogLine> {
  const conn = await Conn.open(url, { headers });
  try {
    return (await conn.ask(message)) as LogLine;
  } finally {
    conn.close();
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test("serve on loopback with --port 0: logs the real URL, says auth is disabled, serves, and exits 0 on SIGTERM", async () => {
  const s = serve(["--host", "127.0.0.1", "--port", "0"]);
  const line = await s.listening;
  assert.match(line.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.doesNotMatch(line.url, /:0$/, "the real port, not 0");
  assert.equal(line.stream, `${line.url.replace("http:", "ws:")}/v0/stream/models`);
  assert.equal(line.auth, "disabled");
  assert.match(line.msg, /WITHOUT authentication/);
  assert.match(line.msg, /loopback/);

  const jd = await ask(line.stream, { job_details: true });
  assert.match(jd.job_details.job_id, /^[0-9a-f]{32}$/);
  const text = await ask(line.stream, { models: { language: { granularity: "passage" } }, raw_text: true, data: "What a lovely day!", payload_id: "cli" });
  assert.equal(text.payload_id, "cli");
  assert.equal(text.error, undefined, JSON.stringify(text).slice(0, 300));
  assert.equal(text.language.predictions[0].text, "What a lovely day!");

  assert.equal(await stop(s), 0);
  assert.ok(s.logs.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"), "logs its shutdown");
  for (const l of s.logs) assert.equal(l.unparsed, undefined, `stdout is JSON lines: ${l.unparsed}`);
});

test("--host 0.0.0.0 without API keys exits non-zero with a clear message, without listening", async () => {
  const s = serve(["--host", "0.0.0.0", "--port", "0"]);
  const code = await s.exited;
  assert.notEqual(code, 0);
  assert.match(s.stderr(), /refusing to listen on 0\.0\.0\.0 without API keys/);
  assert.match(s.stderr(), /OPEN_EXPRESSION_API_KEYS|--api-keys/);
  assert.ok(!s.logs.some((l) => typeof l.msg === "string" && l.msg.startsWith("listening")));
});

test("--api-keys k1: k1 connects (header or query), k2 and no key get 401", async () => {
  const s = serve(["--host", "127.0.0.1", "--port", "0", "--api-keys", "k1"]);
  try {
    const line = await s.listening;
    assert.equal(line.msg, "listening");
    assert.equal(line.auth, "1 API key(s)");
    assert.equal(await handshake(line.stream, { "X-Hume-Api-Key": "k1" }), 101);
    assert.equal(await handshake(`${line.stream}?api_key=k1`), 101);
    assert.equal(await handshake(line.stream, { "X-Hume-Api-Key": "k2" }), 401);
    assert.equal(await handshake(`${line.stream}?apikey=k2`), 401);
    assert.equal(await handshake(line.stream), 401);
    const jd = await ask(line.stream, { job_details: true }, { "X-Hume-Api-Key": "k1" });
    assert.match(jd.job_details.job_id, /^[0-9a-f]{32}$/);
    // Keys never reach the logs.
    assert.ok(!JSON.stringify(s.logs).includes("k2"));
  } finally {
    assert.equal(await stop(s), 0);
  }
});

test("OPEN_EXPRESSION_PORT and OPEN_EXPRESSION_API_KEYS from the environment", async () => {
  const port = await freePort();
  const s = serve([], { OPEN_EXPRESSION_PORT: String(port), OPEN_EXPRESSION_API_KEYS: "env-key" });
  try {
    const line = await s.listening;
    assert.equal(line.url, `http://127.0.0.1:${port}`, "default host 127.0.0.1, port from the environment");
    assert.equal(await handshake(line.stream, { "X-Hume-Api-Key": "env-key" }), 101);
    assert.equal(await handshake(line.stream, { "X-Hume-Api-Key": "k1" }), 401);
  } finally {
    assert.equal(await stop(s), 0);
  }
});

test("an invalid --port exits non-zero with a clear message", async () => {
  const s = serve(["--port", "http"]);
  assert.notEqual(await s.exited, 0);
  assert.match(s.stderr(), /--port must be a non-negative integer/);
});
