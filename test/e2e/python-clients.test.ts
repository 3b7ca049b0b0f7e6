/**
 * Hume's official Python clients against the real server: the legacy `HumeStreamClient`
 * (hume 0.6.0, the streaming guide's client) and the generated `AsyncHumeClient` (hume 0.13.11),
 * unmodified, from the folder of client fixtures beside the repository, run with Debian's
 * python3 (their dependencies are Debian packages; .ci/run installs them). The Python tests
 * live in test/python/; this file makes the media, starts the server, runs them, and also runs
 * the README's Python snippets word for word (only the address and key are substituted).
 *
 * Without python3 or a package the tests skip and say why; with CI set they fail instead.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { packageRoot } from "../../src/package-paths.js";
import { labelRows } from "../../src/docs/label-compat.js";
import type { RunningServer } from "../../src/server/index.js";
import { datasetsRoot } from "../../src/training/prosody/data.js";
import { speech } from "../helpers/av.js";
import { sample, SAMPLE_FACES } from "../helpers/face.js";
import { startTestServer } from "../helpers/server.js";
import { facemesh } from "../fixtures/media.js";

const PYTHON = "/usr/bin/python3";
const CLIENTS = join(packageRoot, "..", "shared", "clients", "python");
const API_KEY = "python-key";
const LAUGH = join(datasetsRoot(), "nonverbal", "laughing", "87LX_12_7_0_19_0_0_0.flac");

/** PYTHONPATH per client generation, as the fixtures' README prescribes. */
const PATHS = {
  legacy: ["hume-0.6.0", "websockets-12.0", "pydub-0.25.1"],
  generated: ["hume-0.13.11", "websockets-17.0.1"],
} as const;
type Generation = keyof typeof PATHS;

const pythonPath = (generation: Generation) => [join(packageRoot, "test", "python"), ...PATHS[generation].map((d) => join(CLIENTS, d))].join(":");

const pythonEnv = (generation: Generation, env: Record<string, string>) => ({ ...process.env, PYTHONPATH: pythonPath(generation), PYTHONDONTWRITEBYTECODE: "1", ...env });

interface PythonRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs python3 without blocking the event loop: the server under test lives in this process. */
function python(generation: Generation, args: string[], env: Record<string, string> = {}, timeoutMs = 240_000): Promise<PythonRun> {
  return new Promise((resolve) => {
    execFile(PYTHON, args, { encoding: "utf8", timeout: timeoutMs, env: pythonEnv(generation, env) }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Why the Python client tests cannot run here, or undefined when they can. */
function whyMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed (apt-get install python3)`;
  for (const generation of Object.keys(PATHS) as Generation[]) {
    for (const dir of PATHS[generation]) if (!existsSync(join(CLIENTS, dir))) return `the client fixture ${dir} is missing beside the repository`;
    const probe = spawnSync(PYTHON, ["-c", "import hume, websockets, pydantic, httpx, aiofiles"], { encoding: "utf8", timeout: 30_000, env: pythonEnv(generation, {}) });
    if (probe.status !== 0) {
      return `the ${generation} client cannot be imported (${probe.stderr.trim().split("\n").pop()}); apt-get install python3-pydantic python3-httpx python3-h2 python3-aiofiles python3-typing-extensions python3-exceptiongroup`;
    }
  }
  if (spawnSync("espeak-ng", ["--version"], { stdio: "ignore" }).status !== 0) return "espeak-ng is not installed (apt-get install espeak-ng)";
  if (!existsSync(LAUGH)) return `the nonverbal dataset is missing (${LAUGH})`;
  return undefined;
}

const inCi = Boolean(process.env.CI) && process.env.CI !== "false";
const missing = whyMissing();
const skip = inCi ? false : missing;

let server: RunningServer;
let dir: string;
let env: Record<string, string>;

/** Runs one client's unittest module; asserts every test ran and passed. */
async function runSuite(generation: Generation, module: string, expectedTests: number): Promise<void> {
  const run = await python(generation, ["-m", "unittest", "-v", module], env);
  const output = `${run.stdout}${run.stderr}`;
  assert.equal(run.status, 0, output);
  assert.match(output, new RegExp(`Ran ${expectedTests} tests`), output);
  assert.match(output, /\nOK\s*$/, output);
}

/** The README's fenced Python block that follows `<!-- python-client: NAME -->`. */
function readmeSnippet(name: string): string {
  const readme = readFileSync(join(packageRoot, "README.md"), "utf8");
  const match = new RegExp(`<!-- python-client: ${name} -->\\s*\`\`\`python\\n([\\s\\S]*?)\`\`\``).exec(readme);
  assert.ok(match, `README has the ${name} snippet`);
  return match[1]!;
}

/** Runs a README snippet against the test server: its address and key are the only changes. */
async function runSnippet(generation: Generation, name: string): Promise<string> {
  const port = new URL(server.url).port;
  const code = readmeSnippet(name).replaceAll("127.0.0.1:8000", `127.0.0.1:${port}`).replaceAll('"my-key"', JSON.stringify(API_KEY));
  const file = join(dir, `${name}.py`);
  writeFileSync(file, code);
  const run = await python(generation, [file], env, 60_000);
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  return run.stdout;
}

describe("Hume's official Python clients", { skip }, () => {
  before(async () => {
    if (inCi && missing) throw new Error(`CI is set but the Python client tests cannot run: ${missing}`);
    server = await startTestServer({ apiKeys: [API_KEY] });
    dir = mkdtempSync(join(tmpdir(), "oe-python-"));
    const photo = join(dir, "photo.jpg");
    const wav = join(dir, "speech.wav");
    writeFileSync(photo, sample(1));
    writeFileSync(wav, speech("I can't believe you did this to me. I am so upset right now."));
    env = {
      OE_URL: server.url.replace(/^http:/, "ws:"),
      OE_API_KEY: API_KEY,
      OE_PHOTO: photo,
      OE_PHOTO_FACES: String(SAMPLE_FACES[1]),
      OE_SPEECH: wav,
      OE_LAUGH: LAUGH,
      OE_FACEMESH: JSON.stringify(facemesh(1)[0]),
      OE_HUME_EXAMPLES: join(CLIENTS, "hume-0.6.0", "examples"),
      // Each model's emotion names, as the README's label table states them.
      OE_MODEL_LABELS: JSON.stringify(Object.fromEntries((await labelRows()).filter((r) => r.output === "emotions").map((r) => [r.model, r.returned]))),
    };
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("legacy HumeStreamClient (hume 0.6.0, websockets 12): text, face, prosody, burst, facemesh, reset, job details, errors, wrong key", async () => {
    await runSuite("legacy", "test_legacy_client", 8);
  });

  test("generated AsyncHumeClient (hume 0.13.11, websockets 17): the same, every reply strictly parsed", async () => {
    await runSuite("generated", "test_generated_client", 8);
  });

  test("the README's Python snippets run as written", async () => {
    assert.match(await runSnippet("legacy", "legacy"), /Mary: Joy \d\.\d+/);
    assert.match(await runSnippet("generated", "generated"), /Mary: Joy \d\.\d+/);
    assert.match(await runSnippet("generated", "patched"), /Mary: Joy \d\.\d+/);
  });
});
