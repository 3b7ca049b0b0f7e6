/**
 * `open-expression batch` as a user runs it: a real CLI process against a real server, from
 * submitting a file with --wait to reading the predictions as JSON and CSV.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { packageRoot } from "../../src/package-paths.js";
import type { RunningServer } from "../../src/server/index.js";
import { startTestServer } from "../helpers/server.js";

const KEY = "batch-cli-key";

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "batch", ...args], { cwd: packageRoot, env: { ...process.env, OPEN_EXPRESSION_API_KEY: KEY } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("open-expression batch", { timeout: 300_000 }, () => {
  let server: RunningServer;
  const dir = mkdtempSync(join(tmpdir(), "oe-batch-cli-"));
  before(async () => {
    server = await startTestServer({ apiKeys: [KEY], threads: 1 });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("submit --wait, status, predictions --json and --csv", async () => {
    const file = join(dir, "note.txt");
    writeFileSync(file, "What a wonderful surprise. I love it!");
    const submitted = await cli(["submit", file, "--models", "language", "--wait", "--url", server.url]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.match(submitted.stderr, /COMPLETED in [\d.]+ s: 1 prediction\(s\), 0 error\(s\)/);

    const status = await cli(["status", id, "--url", server.url]);
    assert.match(status.stdout, /^COMPLETED/);
    const json = JSON.parse((await cli(["predictions", id, "--url", server.url])).stdout) as { results: { predictions: { file: string }[] } }[];
    assert.equal(json[0]?.results.predictions[0]?.file, "note.txt");
    const csv = (await cli(["predictions", id, "--csv", "--url", server.url])).stdout.trim().split("\r\n");
    assert.match(csv[0] ?? "", /^file,id,text,begin,end,/);
    assert.equal(csv.length, 1 + 7, "a header and one row per word (language's default granularity)");
  });

  test("errors are one line with the server's code", async () => {
    const missing = await cli(["status", "no-such-job", "--url", server.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /404 job_not_found/);
    const badModel = await cli(["submit", "x.txt", "--models", "ner2", "--url", server.url]);
    assert.match(badModel.stderr, /unknown model 'ner2'/);
  });
});
