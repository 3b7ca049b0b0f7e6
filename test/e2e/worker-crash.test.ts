/**
 * Isolation: an inference worker thread that dies mid-inference (process.exit, or an uncaught
 * exception) costs only the message it was running. That message gets E0903, the worker is
 * replaced, the same connection and every other connection carry on, and the restart is counted.
 * The crash is triggered by the server's test hooks (OPEN_EXPRESSION_TEST_HOOKS=1, set before
 * the server starts its workers).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TEST_HOOK_TEXT } from "../../src/inference/test-hooks.js";
import type { RunningServer } from "../../src/server/index.js";
import { Conn, type Reply } from "../helpers/conn.js";
import { metric } from "../helpers/metrics.js";
import { startTestServer } from "../helpers/server.js";

const TEXT = "Thank you so much, this made my day!";
const language = (id: string, data = TEXT) => ({ models: { language: { granularity: "passage" } }, raw_text: true, data, payload_id: id });

let server: RunningServer;
before(async () => {
  process.env.OPEN_EXPRESSION_TEST_HOOKS = "1";
  // One thread: the crash takes out the only worker, so the next message needs the replacement.
  server = await startTestServer({ threads: 1 });
});
after(async () => {
  await server.close();
  delete process.env.OPEN_EXPRESSION_TEST_HOOKS;
});

const restarts = () => metric(server.url, "open_expression_worker_restarts_total");

function assertPrediction(reply: Reply, id: string): void {
  assert.equal(reply.payload_id, id);
  assert.equal(reply.error, undefined, JSON.stringify(reply).slice(0, 300));
  assert.equal(reply.language.predictions[0].text, TEXT);
}

for (const [how, text] of Object.entries(TEST_HOOK_TEXT)) {
  test(`a worker dying mid-inference (${how}): that message gets E0903, the next ones succeed, others are untouched`, async () => {
    const before = await restarts();
    const victim = await Conn.open(server.streamUrl);
    const bystander = await Conn.open(server.streamUrl);
    try {
      // Pipelined: the crash, then good messages queued behind it on both connections.
      victim.send(language("crash", text));
      victim.send(language("after-1"));
      bystander.send(language("bystander"));
      victim.send(language("after-2"));

      const crashed = await victim.next(60_000);
      assert.equal(crashed.payload_id, "crash");
      assert.equal(crashed.code, "E0903", JSON.stringify(crashed));
      assert.match(crashed.error, /connection is still usable/);
      assertPrediction(await victim.next(60_000), "after-1");
      assertPrediction(await victim.next(60_000), "after-2");
      assertPrediction(await bystander.next(60_000), "bystander");
      assert.equal(await restarts(), before + 1, "one worker replaced");
      await victim.assertQuiet(50);
    } finally {
      victim.close();
      bystander.close();
    }
  });
}
