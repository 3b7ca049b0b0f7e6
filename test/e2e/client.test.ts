/**
 * The SDK against a real server: predictions, error replies as typed errors, auth, FIFO
 * matching under pipelining, files, and what happens when the connection goes away.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AuthenticationError,
  ConnectionError,
  ExpressionClient,
  ExpressionError,
  normalizeUrl,
  type StreamReply,
} from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { startTestServer } from "../helpers/server.js";

const KEY = "client-test-key";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sentence = { language: { granularity: "sentence" as const } };

function language(reply: StreamReply) {
  assert.ok(reply.language, `no language block in ${JSON.stringify(reply)}`);
  return reply.language.predictions;
}

function score(reply: StreamReply, name: string): number {
  const emotion = language(reply)[0]?.emotions.find((e) => e.name === name);
  assert.ok(emotion, `no ${name} score`);
  return emotion.score;
}

async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

describe("ExpressionClient", () => {
  let server: RunningServer;
  let client: ExpressionClient;
  let dir: string;

  before(async () => {
    server = await startTestServer({ apiKeys: [KEY] });
    client = await ExpressionClient.connect({ url: server.url, apiKey: KEY, models: sentence });
    dir = await mkdtemp(join(tmpdir(), "oe-client-"));
  });
  after(async () => {
    await client?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("normalises base URLs to the stream path", () => {
    assert.equal(normalizeUrl("http://127.0.0.1:8000"), "ws://127.0.0.1:8000/v0/stream/models");
    assert.equal(normalizeUrl("https://example.com/prefix/"), "wss://example.com/prefix/v0/stream/models");
    assert.equal(normalizeUrl("ws://h:1/v0/stream"), "ws://h:1/v0/stream/models");
    assert.equal(normalizeUrl("localhost:9"), "ws://localhost:9/v0/stream/models");
    assert.equal(client.url, `${server.streamUrl}`);
  });

  it("sendText returns language predictions with exact positions", async () => {
    const text = "I love this so much. This is terrible and I hate it.";
    const reply = await client.sendText(text);
    assert.match(reply.payload_id ?? "", UUID);
    const preds = language(reply);
    assert.deepEqual(preds.map((p) => p.text), ["I love this so much.", "This is terrible and I hate it."]);
    for (const p of preds) {
      assert.equal(text.slice(p.position.begin, p.position.end), p.text);
      assert.ok(p.emotions.length > 0);
      for (const e of p.emotions) assert.ok(e.score >= 0 && e.score <= 1, `${e.name} ${e.score}`);
      assert.equal(p.sentiment, undefined, "sentiment only when requested");
    }
    const love = (i: number) => preds[i]?.emotions.find((e) => e.name === "Love")?.score ?? NaN;
    assert.ok(love(0) > love(1), `Love ${love(0)} vs ${love(1)}`);
  });

  it("applies a per-send models override (sentiment)", async () => {
    const reply = await client.sendText("What a wonderful day!", { models: { language: { granularity: "passage", sentiment: {} } } });
    const [p] = language(reply);
    assert.deepEqual(p?.sentiment?.map((s) => s.name), ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert.equal(language(reply).length, 1);
  });

  it("rejects error replies with ExpressionError and stays usable", async () => {
    const face = await rejectsWith(client.sendText("hello", { models: { face: {} } }), ExpressionError);
    assert.equal(face.code, "E0102");
    assert.match(face.payloadId ?? "", UUID);
    assert.match(face.message, /face/);

    const base64 = await rejectsWith(client.send({ data: "@@ not base64 @@", models: { language: {} } }), ExpressionError);
    assert.equal(base64.code, "E0201");

    assert.equal(language(await client.sendText("Still works.")).length, 1);
  });

  it("rejects with E0101 when no models were ever configured", async () => {
    const bare = await ExpressionClient.connect({ url: server.url, apiKey: KEY });
    try {
      const err = await rejectsWith(bare.sendText("no models here"), ExpressionError);
      assert.equal(err.code, "E0101");
    } finally {
      await bare.close();
    }
  });

  it("fails the handshake with AuthenticationError for a wrong or missing key", async () => {
    const wrong = await rejectsWith(ExpressionClient.connect({ url: server.url, apiKey: "nope" }), AuthenticationError);
    assert.match(wrong.message, /401/);
    await rejectsWith(ExpressionClient.connect({ url: server.url }), AuthenticationError);
  });

  it("reports an unreachable server as ConnectionError", async () => {
    const err = await rejectsWith(ExpressionClient.connect({ url: "ws://127.0.0.1:9" }), ConnectionError);
    assert.ok(!(err instanceof AuthenticationError));
    assert.match(err.message, /refused/);
  });

  it("jobDetails returns one 32-hex id per connection", async () => {
    const a = await client.jobDetails();
    const b = await client.jobDetails();
    assert.match(a.job_id, /^[0-9a-f]{32}$/);
    assert.equal(a.job_id, b.job_id);
    const other = await ExpressionClient.connect({ url: server.url, apiKey: KEY });
    try {
      assert.notEqual((await other.jobDetails()).job_id, a.job_id);
    } finally {
      await other.close();
    }
  });

  it("reset gets its own reply and keeps the conversation in step", async () => {
    const [r1, , r3] = await Promise.all([client.send({ reset_stream: true }), client.reset(), client.sendText("After the reset.")]);
    assert.deepEqual(Object.keys(r1), ["payload_id"]);
    assert.equal(language(r3)[0]?.text, "After the reset.");
  });

  it("matches 50 pipelined requests to their own replies", async () => {
    const texts = Array.from({ length: 50 }, (_, i) => `Message number ${i} is ${i % 2 ? "great" : "sad"}.`);
    const replies = await Promise.all(texts.map((t) => client.sendText(t)));
    replies.forEach((reply, i) => assert.equal(language(reply)[0]?.text, texts[i]));
    assert.equal(new Set(replies.map((r) => r.payload_id)).size, 50);
    assert.equal(client.pendingCount, 0);
  });

  it("sendFile sends a .txt path, bytes and a Blob as base64", async () => {
    const path = join(dir, "note.txt");
    await writeFile(path, "Thank you so much for your help, I really appreciate it.");
    const fromPath = await client.sendFile(path);
    assert.equal(language(fromPath)[0]?.text, "Thank you so much for your help, I really appreciate it.");
    assert.ok(score(fromPath, "Gratitude") > score(await client.sendText("The bus leaves at nine."), "Gratitude"));

    const bytes = new TextEncoder().encode("Ça va très bien 😀.");
    assert.equal(language(await client.sendFile(bytes))[0]?.text, "Ça va très bien 😀.");
    assert.equal(language(await client.sendFile(new Blob([bytes])))[0]?.text, "Ça va très bien 😀.");
    await rejectsWith(client.sendFile(join(dir, "missing.txt")), Error);
  });

  it("close rejects what is in flight and refuses new sends", async () => {
    const c = await ExpressionClient.connect({ url: server.url, apiKey: KEY, models: sentence });
    const inFlight = Array.from({ length: 5 }, () => c.sendText("Closing soon.").then(() => "ok", (e: unknown) => e));
    await c.close();
    for (const outcome of await Promise.all(inFlight)) {
      assert.ok(outcome === "ok" || outcome instanceof ConnectionError, String(outcome));
    }
    const after = await rejectsWith(c.sendText("too late"), ConnectionError);
    assert.match(after.message, /closed/);
  });
});

describe("ExpressionClient connection loss", () => {
  it("without reconnect, a server-side close fails later sends clearly", async () => {
    const server = await startTestServer({ idleTimeoutMs: 200 });
    try {
      const c = await ExpressionClient.connect({ url: server.url, models: sentence });
      await new Promise((r) => setTimeout(r, 400));
      const err = await rejectsWith(c.sendText("anyone there?"), ConnectionError);
      assert.match(err.message, /code 1000/);
      await c.close();
    } finally {
      await server.close();
    }
  });

  it("with reconnect, reconnects after a clean close (on demand) and after a lost server", async () => {
    const first = await startTestServer({ idleTimeoutMs: 200 });
    const port = first.port;
    let second: RunningServer | undefined;
    const c = await ExpressionClient.connect({ url: first.url, models: sentence, reconnect: { attempts: 8, delayMs: 50 } });
    try {
      const job1 = (await c.jobDetails()).job_id;
      await new Promise((r) => setTimeout(r, 400)); // idle timeout: the server closes with 1000
      assert.equal(language(await c.sendText("Back again.")).length, 1);
      const job2 = (await c.jobDetails()).job_id;
      assert.notEqual(job2, job1, "a new connection has a new job id");

      await first.close(); // 1001: the client starts reconnecting in the background
      second = await startTestServer({ port });
      assert.equal(language(await c.sendText("New server.")).length, 1);
      assert.notEqual((await c.jobDetails()).job_id, job2);
    } finally {
      await c.close();
      await first.close().catch(() => undefined);
      await second?.close();
    }
  });
});
