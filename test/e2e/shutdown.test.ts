/**
 * Graceful shutdown of the real CLI process (`open-expression serve`): on SIGTERM it stops
 * accepting, answers every message it has received (those arriving during the drain get E0902
 * "shutting down"), closes the sockets with 1001 and exits 0; past the shutdown deadline it
 * closes anyway.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import WebSocket from "ws";
import { CliProcess, readyStreamUrl } from "../helpers/cli-process.js";
import { eventually } from "../helpers/server.js";

type Reply = Record<string, unknown> & { payload_id?: string; code?: string; error?: string };

const started: CliProcess[] = [];
after(() => {
  for (const cli of started) cli.child.kill("SIGKILL");
});

function serve(env: Record<string, string>): CliProcess {
  const cli = CliProcess.start(["--host", "127.0.0.1", "--port", "0", "--threads", "1"], { OPEN_EXPRESSION_LOG_LEVEL: "info", ...env });
  started.push(cli);
  return cli;
}

/** A client that records every reply and how the connection closed. */
interface Client {
  ws: WebSocket;
  replies: Reply[];
  closed: Promise<number>;
  send(id: string): void;
}

async function client(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const replies: Reply[] = [];
  ws.on("message", (data) => replies.push(JSON.parse(String(data)) as Reply));
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  // Word granularity over 3,200 characters: tens of milliseconds of model time per message.
  const send = (id: string) => ws.send(JSON.stringify({ models: { language: { granularity: "word" } }, raw_text: true, data: "so glad ".repeat(400), payload_id: id }));
  return { ws, replies, closed, send };
}

test("SIGTERM during load: every received message is answered, in order, then 1001 and exit 0", async () => {
  const cli = serve({ OPEN_EXPRESSION_SHUTDOWN_TIMEOUT_MS: "60000" });
  const url = await readyStreamUrl(cli);
  const clients = await Promise.all(Array.from({ length: 3 }, () => client(url)));
  const sent = clients.map(() => [] as string[]);
  clients.forEach((c, k) => {
    for (let i = 0; i < 10; i++) {
      c.send(`c${k}-${i}`);
      sent[k]!.push(`c${k}-${i}`);
    }
  });
  await eventually(() => clients[0]!.replies.length > 0, "the first reply", 30_000, 10);
  cli.child.kill("SIGTERM");
  await cli.waitFor((l) => l.msg === "shutting down");
  const stillRunning = clients.reduce((n, c) => n + c.replies.length, 0);
  assert.ok(stillRunning < 30, `the load is still in flight at SIGTERM (${stillRunning} of 30 answered)`);

  // Messages that arrive during the drain are answered too, in order, with E0902.
  clients.forEach((c, k) => {
    c.send(`late-${k}`);
    sent[k]!.push(`late-${k}`);
  });
  // No new connections while draining.
  await assert.rejects(
    new Promise((resolve, reject) => new WebSocket(url).once("open", resolve).once("error", reject).once("unexpected-response", () => reject(new Error("refused")))),
  );

  const codes = await Promise.all(clients.map((c) => c.closed));
  assert.deepEqual(codes, [1001, 1001, 1001], "closed as 'going away'");
  clients.forEach((c, k) => {
    assert.deepEqual(c.replies.map((r) => r.payload_id), sent[k], "every message answered exactly once, in order");
    for (const r of c.replies.slice(0, 10)) assert.equal(r.error, undefined, `accepted work finished: ${JSON.stringify(r).slice(0, 200)}`);
    const late = c.replies[10]!;
    assert.equal(late.code, "E0902");
    assert.match(String(late.error), /shutting down/);
  });
  assert.equal(await cli.exited, 0);
});

test("past the shutdown deadline the server closes with 1001 anyway and exits 0", async () => {
  const cli = serve({ OPEN_EXPRESSION_SHUTDOWN_TIMEOUT_MS: "300" });
  const url = await readyStreamUrl(cli);
  const c = await client(url);
  for (let i = 0; i < 200; i++) c.send(`m${i}`);
  await eventually(() => c.replies.length > 0, "the first reply", 30_000, 10);
  const t0 = Date.now();
  cli.child.kill("SIGTERM");
  assert.equal(await c.closed, 1001);
  assert.equal(await cli.exited, 0);
  const took = Date.now() - t0;
  assert.ok(took < 5_000, `stopped ${took} ms after SIGTERM (deadline 300 ms, then up to 1 s for closing handshakes)`);
  assert.ok(c.replies.length < 200, "the deadline cut the backlog short");
  assert.ok(cli.lines.some((l) => l.msg === "shutdown deadline passed with messages still in flight"), "the cut is logged");
});
