/**
 * `open-expression batch` as a user runs it: a real CLI process against a real server, from
 * submitting a file with --wait to reading the predictions as JSON and CSV.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { RunningServer } from "../../src/server/index.js";
import { runCli } from "../helpers/cli-process.js";
import { startTestServer } from "../helpers/server.js";

const KEY = "batch-cli-key";

/** `open-expression batch <args>` with this test's API key. */
const cli = (args: string[]) => runCli(["batch", ...args], { env: { OPEN_EXPRESSION_API_KEY: KEY } });

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
