/**
 * 1,000 concurrent idle connections are held (not timed out, not refused), the connection gauge
 * at /metrics reports them, the server still answers on them, and the gauge returns to zero.
 * Client and server share this process, so it needs about 2,000 file descriptors.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import WebSocket from "ws";
import { metric } from "../helpers/metrics.js";
import { eventually, startTestServer } from "../helpers/server.js";

const COUNT = 1_000;

/** The soft limit on open files of this process (Linux), or undefined where it cannot be read. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? (m[1] === "unlimited" ? Infinity : Number(m[1])) : undefined;
  } catch {
    return undefined;
  }
}

const limit = openFileLimit();
const skip = limit !== undefined && limit < 2 * COUNT + 200 ? `needs ~${2 * COUNT + 200} open files, the limit is ${limit} (raise it with ulimit -n)` : false;

test(`${COUNT} concurrent idle connections are held and reported by /metrics`, { skip, timeout: 120_000 }, async () => {
  // The default total limit (4,096) is above COUNT; the idle timeout is long enough to hold them.
  const server = await startTestServer({ idleTimeoutMs: 120_000 });
  const sockets: WebSocket[] = [];
  try {
    // In batches, so the handshakes do not all queue in the kernel's accept backlog at once.
    for (let i = 0; i < COUNT; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, COUNT - i) }, () => {
          const ws = new WebSocket(server.streamUrl);
          sockets.push(ws);
          return new Promise<WebSocket>((resolve, reject) => ws.once("open", () => resolve(ws)).once("error", reject));
        }),
      );
      assert.equal(batch.length, Math.min(100, COUNT - i));
    }
    assert.equal(await metric(server.url, "open_expression_connections"), COUNT);
    // Held a while, and still served: the last connection measures text.
    await new Promise((r) => setTimeout(r, 500));
    const last = sockets[sockets.length - 1]!;
    const reply = await new Promise<Record<string, unknown>>((resolve) => {
      last.once("message", (d) => resolve(JSON.parse(String(d)) as Record<string, unknown>));
      last.send(JSON.stringify({ models: { language: {} }, raw_text: true, data: "I love this.", payload_id: "last" }));
    });
    assert.equal(reply.payload_id, "last");
    assert.ok(reply.language, JSON.stringify(reply).slice(0, 200));
    assert.ok(sockets.every((ws) => ws.readyState === WebSocket.OPEN), "none was dropped");
    assert.equal(await metric(server.url, "open_expression_connections"), COUNT);

    await Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.once("close", resolve), ws.close(1000)))));
    await eventually(async () => (await metric(server.url, "open_expression_connections")) === 0, "the gauge to return to 0 once the clients leave", 10_000, 50);
  } finally {
    for (const ws of sockets) ws.terminate();
    await server.close();
  }
});
