/**
 * `serve --workers 2`: one port served by two processes, a killed worker is replaced, and
 * SIGTERM to the primary stops everything with exit code 0. Runs the real CLI as users do.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { CliProcess } from "../helpers/cli-process.js";
import { Conn } from "../helpers/conn.js";

const started: CliProcess[] = [];
after(() => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill("SIGKILL");
});

/** Opens `n` connections, asks one language message on each, and closes them. */
async function askMany(streamUrl: string, n: number): Promise<void> {
  const conns = await Promise.all(Array.from({ length: n }, () => Conn.open(streamUrl)));
  const replies = await Promise.all(
    conns.map((c, i) => c.ask({ models: { language: {} }, raw_text: true, data: `I am glad, number ${i}.`, payload_id: `p${i}` })),
  );
  replies.forEach((r, i) => {
    assert.equal(r.payload_id, `p${i}`);
    assert.ok(Array.isArray(r.language?.predictions), `language predictions in ${JSON.stringify(r)}`);
  });
  for (const c of conns) c.close();
  await Promise.all(conns.map((c) => c.closed));
}

test("serve --workers 2: one port, both workers answer, a killed worker is replaced, SIGTERM exits 0", { timeout: 90_000 }, async () => {
  const cli = CliProcess.start(["--port", "0", "--workers", "2", "--log-level", "debug"]);
  started.push(cli);
  const loaded = await cli.waitFor((l) => l.msg === "models loaded", 2, 60_000);
  const pids = new Set(loaded.map((l) => l.pid));
  assert.equal(pids.size, 2, "two distinct worker processes");
  const listening = cli.lines.filter((l) => typeof l.stream === "string" && typeof l.pid === "number");
  const urls = new Set(listening.map((l) => l.stream));
  assert.equal(urls.size, 1, `both workers listen on the same port: ${[...urls].join(", ")}`);
  const streamUrl = [...urls][0] as string;

  await askMany(streamUrl, 16);
  const served = new Set(cli.lines.filter((l) => l.msg === "connection opened").map((l) => l.pid));
  assert.deepEqual([...served].sort(), [...pids].sort(), "connections reached both workers");

  // Kill one worker hard, as a crash would; the primary starts a replacement on the same port.
  const victim = [...pids][0] as number;
  process.kill(victim, "SIGKILL");
  await cli.waitFor((l) => l.msg === "worker exited; starting a replacement");
  const reloaded = await cli.waitFor((l) => l.msg === "models loaded", 3, 60_000);
  const replacement = reloaded[2]?.pid;
  assert.ok(replacement !== undefined && !pids.has(replacement), "a new worker process");
  const before = cli.lines.length;
  await askMany(streamUrl, 16);
  const servedAfter = new Set(cli.lines.slice(before).filter((l) => l.msg === "connection opened").map((l) => l.pid));
  assert.ok(servedAfter.has(replacement), "the replacement serves connections");
  assert.ok(!servedAfter.has(victim), "the killed worker is gone");

  cli.child.kill("SIGTERM");
  const code = await Promise.race([cli.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 15_000).unref())]);
  assert.equal(code, 0, "primary exits 0 once its workers stopped");
  assert.ok(cli.lines.some((l) => l.msg === "all workers stopped"));
  // Its workers are gone too: signalling them fails.
  for (const pid of [...pids, replacement]) assert.throws(() => process.kill(pid as number, 0), /ESRCH/);
});

test("serve --workers rejects a bad count with exit code 2", { timeout: 30_000 }, async () => {
  const cli = CliProcess.start(["--port", "0", "--workers", "two"]);
  started.push(cli);
  assert.equal(await cli.exited, 2);
});
