/**
 * Server-wide limits through the real server: the global queue (messages waiting across all
 * connections), connections in total and per API key (refused upgrades with a JSON body),
 * messages per second per key (E0904), and the ffmpeg memory watchdog.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Conn, handshake, type Reply } from "../helpers/conn.js";
import { eventually, startTestServer } from "../helpers/server.js";
import { ffmpeg } from "../helpers/av.js";

const TEXT = "I am so grateful for all of this.";
const language = (id: string, data = TEXT, granularity = "passage") => ({ models: { language: { granularity } }, raw_text: true, data, payload_id: id });

describe("global queue", () => {
  test("a flood across connections beyond maxPendingTotal: the excess gets E0902, the rest correct replies, each connection in order", async () => {
    // Each connection is well under its own limit (100); together they are over the global 8.
    const server = await startTestServer({ maxPendingTotal: 8, maxPendingPerConnection: 100 });
    const conns = await Promise.all(Array.from({ length: 3 }, () => Conn.open(server.streamUrl)));
    try {
      const slow = "so glad ".repeat(400);
      conns.forEach((c, k) => {
        for (let i = 0; i < 12; i++) c.send(language(`c${k}-${i}`, slow, "word"));
      });
      const all: Reply[] = [];
      for (const [k, c] of conns.entries()) {
        const replies: Reply[] = [];
        for (let i = 0; i < 12; i++) replies.push(await c.next(60_000));
        assert.deepEqual(replies.map((r) => r.payload_id), Array.from({ length: 12 }, (_, i) => `c${k}-${i}`), "one reply per message, in order");
        all.push(...replies);
      }
      const refused = all.filter((r) => r.code === "E0902");
      const served = all.filter((r) => r.language);
      assert.equal(refused.length + served.length, 36, "every reply is a prediction or E0902");
      assert.ok(refused.length >= 36 - 8 - 3, `the excess is refused (${refused.length} of 36)`);
      assert.ok(served.length >= 8, `what fits the global queue is served (${served.length})`);
      for (const r of refused) assert.match(r.error, /across all connections/);
      for (const r of served) assert.equal(r.language.predictions.length, 800);
      // The queue drained: every connection is usable again.
      for (const c of conns) assert.ok((await c.ask(language("after"))).language, "usable after the flood");
    } finally {
      for (const c of conns) c.close();
      await server.close();
    }
  });
});

describe("connection limits", () => {
  test("per key (429) and in total (503), with a JSON body and code; a closed connection frees its slot", async () => {
    const server = await startTestServer({ apiKeys: ["k1", "k2"], maxConnectionsPerKey: 2, maxConnections: 3 });
    const url = (key: string) => `${server.streamUrl}?apikey=${key}`;
    const open: Conn[] = [];
    try {
      open.push(await Conn.open(url("k1")), await Conn.open(url("k1")));
      const perKey = await handshake(url("k1"));
      assert.equal(perKey.status, 429);
      assert.equal(perKey.body?.code, "too_many_connections_for_key");
      assert.match(perKey.body?.error, /maximum of 2 connections/);
      assert.equal(perKey.retryAfter, "1");

      open.push(await Conn.open(url("k2"))); // another key still has room: 3 in total
      const total = await handshake(url("k2"));
      assert.equal(total.status, 503);
      assert.equal(total.body?.code, "server_at_capacity");
      assert.equal((await handshake(url("wrong"))).status, 401, "auth is checked before capacity");

      const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer k1" } })).text();
      assert.match(metrics, /^open_expression_refused_connections_total\{reason="too_many_connections_for_key"\} 1$/m);
      assert.match(metrics, /^open_expression_refused_connections_total\{reason="server_at_capacity"\} 1$/m);
      assert.match(metrics, /^open_expression_connections 3$/m);

      // The accepted connections work; closing one frees its slot for the same key.
      assert.ok((await open[0]!.ask(language("ok"))).language);
      open.shift()!.close();
      // The server sees a client's close a moment after the client.
      await eventually(async () => {
        const r = await handshake(url("k1"));
        r.ws?.close(1000);
        return r.status === 101;
      }, "the freed slot to take a new connection");
    } finally {
      for (const c of open) c.close();
      await server.close();
    }
  });
});

describe("rate limit per key", () => {
  test("messages over the key's rate get E0904 in order; other keys are unaffected; tokens refill", async () => {
    const server = await startTestServer({ apiKeys: ["k1", "k2"], rateLimitPerKey: 1, rateBurstPerKey: 4 });
    const a = await Conn.open(`${server.streamUrl}?apikey=k1`);
    const b = await Conn.open(`${server.streamUrl}?apikey=k1`);
    const other = await Conn.open(`${server.streamUrl}?apikey=k2`);
    try {
      for (let i = 0; i < 12; i++) a.send({ job_details: true, payload_id: `a${i}` });
      const replies: Reply[] = [];
      for (let i = 0; i < 12; i++) replies.push(await a.next());
      assert.deepEqual(replies.map((r) => r.payload_id), Array.from({ length: 12 }, (_, i) => `a${i}`));
      assert.deepEqual(replies.slice(0, 4).map((r) => r.code), [undefined, undefined, undefined, undefined], "the burst is served");
      const limited = replies.filter((r) => r.code === "E0904");
      assert.equal(limited.length, 8, "the rest is rate limited (a token takes a second to come back)");
      assert.match(limited[0]!.error, /limit 1 per second/);
      // The bucket is the key's, not the connection's.
      assert.equal((await b.ask({ job_details: true })).code, "E0904", "another connection with the same key shares the bucket");
      assert.match((await other.ask({ job_details: true })).job_details.job_id, /^[0-9a-f]{32}$/, "another key has its own bucket");
      const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer k2" } })).text();
      assert.match(metrics, new RegExp(`^open_expression_errors_total\\{model="none",code="E0904"\\} ${limited.length + 1}$`, "m"));
      await new Promise((r) => setTimeout(r, 1_100)); // 1 per second: a token back
      assert.ok((await a.ask(language("refilled"))).language, "served again once tokens refill");
    } finally {
      for (const c of [a, b, other]) c.close();
      await server.close();
    }
  });
});

describe("ffmpeg memory watchdog", () => {
  test("an ffmpeg child over its memory limit is killed: E0200 for that message, the connection goes on", async () => {
    // 1 MB is below what ffmpeg needs to start, so a run that lasts past the first check (every
    // 20 ms) is killed. Two minutes of 48 kHz FLAC take ffmpeg about 100 ms to decode.
    const server = await startTestServer({ ffmpegMaxMemoryMb: 1, limits: { maxAudioMs: 200_000 } });
    const conn = await Conn.open(server.streamUrl);
    try {
      const audio = ffmpeg([], ["-f", "lavfi", "-i", "sine=f=440:r=48000", "-t", "120", "-c:a", "flac", "-compression_level", "0"], "flac").toString("base64");
      const reply = await conn.ask({ models: { prosody: {} }, data: audio, payload_id: "mem" }, 30_000);
      assert.equal(reply.code, "E0200", JSON.stringify(reply).slice(0, 300));
      assert.equal(reply.payload_id, "mem");
      assert.ok((await conn.ask(language("next"))).language, "the connection is still usable");
    } finally {
      conn.close();
      await server.close();
    }
  });
});
