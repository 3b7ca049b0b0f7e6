/**
 * Hume's legacy Python `HumeBatchClient` (hume 0.6.0, unmodified, from the client fixtures beside
 * the repository) against the real server's batch API: it submits files and text, awaits the
 * jobs and downloads predictions and artifacts (test/python/test_legacy_batch.py). Same driver
 * pattern and prerequisites as python-clients.test.ts: without them it skips and says why; with
 * CI set it fails instead.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { packageRoot } from "../../src/package-paths.js";
import type { RunningServer } from "../../src/server/index.js";
import { sample, SAMPLE_FACES } from "../helpers/face.js";
import { startTestServer } from "../helpers/server.js";

const PYTHON = "/usr/bin/python3";
const CLIENTS = join(packageRoot, "..", "shared", "clients", "python");
const LEGACY = ["hume-0.6.0", "websockets-12.0", "pydub-0.25.1"];
const API_KEY = "python-batch-key";
const PYTHONPATH = [join(packageRoot, "test", "python"), ...LEGACY.map((d) => join(CLIENTS, d))].join(":");

function whyMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed (apt-get install python3)`;
  for (const dir of LEGACY) if (!existsSync(join(CLIENTS, dir))) return `the client fixture ${dir} is missing beside the repository`;
  const probe = spawnSync(PYTHON, ["-c", "import hume, httpx"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, PYTHONPATH } });
  if (probe.status !== 0) return `the legacy client cannot be imported (${probe.stderr.trim().split("\n").pop()}); see python-clients.test.ts for the Debian packages`;
  return undefined;
}

const inCi = Boolean(process.env.CI) && process.env.CI !== "false";
const missing = whyMissing();

describe("Hume's legacy Python HumeBatchClient", { skip: inCi ? false : missing, timeout: 600_000 }, () => {
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), "oe-python-batch-"));
  before(async () => {
    if (inCi && missing) throw new Error(`CI is set but the Python batch client test cannot run: ${missing}`);
    server = await startTestServer({ apiKeys: [API_KEY], threads: 1 });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("submits files and text, awaits the jobs, downloads predictions and artifacts", async () => {
    const photo = join(dir, "photo.jpg");
    const text = join(dir, "note.txt");
    writeFileSync(photo, sample(1));
    writeFileSync(text, "I am thrilled with the result. But the delay was annoying.");
    const env = { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: "1", OE_HTTP_URL: server.url, OE_API_KEY: API_KEY, OE_PHOTO: photo, OE_PHOTO_FACES: String(SAMPLE_FACES[1]), OE_TEXT_FILE: text };
    const run = await new Promise<{ status: number | null; output: string }>((resolve) => {
      // Not spawnSync: the server under test lives in this process's event loop.
      execFile(PYTHON, ["-m", "unittest", "-v", "test_legacy_batch"], { encoding: "utf8", timeout: 400_000, env }, (err, stdout, stderr) => {
        resolve({ status: err ? (typeof err.code === "number" ? err.code : null) : 0, output: `${stdout}${stderr}` });
      });
    });
    assert.equal(run.status, 0, run.output);
    assert.match(run.output, /Ran 2 tests/);
    assert.match(run.output, /\nOK\s*$/, run.output);
  });
});
