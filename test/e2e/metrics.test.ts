/**
 * Observability through the real server: the Prometheus text at /metrics (connections, messages,
 * errors and warnings by model and code, latency histograms, queue depth, process metrics), its
 * auth when keys are configured, and the JSON logs (a request id per message, no payloads, no keys).
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { pino } from "pino";
import { loadConfig, startServer } from "../../src/server/index.js";
import { Conn } from "../helpers/conn.js";
import { metric, scrape, series } from "../helpers/metrics.js";
import { eventually, startTestServer, waitReady } from "../helpers/server.js";

const TEXT = "Thank you so much, this made my day!";
const language = (id: string, data = TEXT) => ({ models: { language: { granularity: "passage" } }, raw_text: true, data, payload_id: id });

test("/metrics counts connections, messages, errors and warnings by model and code, latencies, queue depth and process metrics", async () => {
  const server = await startTestServer();
  const conn = await Conn.open(server.streamUrl);
  try {
    assert.equal((await conn.ask(language("a"))).language.predictions.length, 1);
    assert.equal((await conn.ask(language("b"))).language.predictions.length, 1);
    assert.equal((await conn.ask("{not json")).code, "E0100");
    assert.equal((await conn.ask({ models: { language: {} }, raw_text: true, data: "x".repeat(10_001) })).code, "E0206");
    assert.equal((await conn.ask({ models: { language: {} }, raw_text: true, data: "   " })).language.code, "W0104");
    await conn.ask({ job_details: true });

    const text = await scrape(server.url);
    assert.equal(series(text, "open_expression_connections"), 1);
    assert.equal(series(text, "open_expression_queue_depth"), 0);
    assert.equal(series(text, 'open_expression_messages_total{model="language"}'), 4);
    assert.equal(series(text, 'open_expression_messages_total{model="none"}'), 2, "bad JSON and job_details");
    assert.equal(series(text, 'open_expression_errors_total{model="none",code="E0100"}'), 1);
    assert.equal(series(text, 'open_expression_errors_total{model="language",code="E0206"}'), 1, "errors carry the requested model");
    assert.equal(series(text, 'open_expression_warnings_total{model="language",code="W0104"}'), 1);
    assert.equal(series(text, 'open_expression_message_seconds_count{model="language"}'), 4);
    // Three messages reached the model: two predictions and the whitespace one.
    assert.equal(series(text, 'open_expression_inference_seconds_count{model="language"}'), 3);
    assert.ok(series(text, 'open_expression_inference_seconds_sum{model="language"}')! > 0);
    assert.equal(series(text, "open_expression_worker_restarts_total"), 0);
    assert.ok(series(text, "process_cpu_user_seconds_total")! > 0, "default process metrics");
    assert.ok(text.includes("nodejs_eventloop_lag_seconds"), "default Node.js metrics");
    assert.ok(!text.includes(TEXT), "no payload contents");

    conn.close();
    await conn.closed;
    await eventually(async () => (await metric(server.url, "open_expression_connections")) === 0, "the connection gauge to drop when the client leaves");
  } finally {
    conn.close();
    await server.close();
  }
});

test("with API keys, /metrics needs one (Bearer, as Prometheus sends it, or the Hume header); refusals are counted", async () => {
  const server = await startTestServer({ apiKeys: ["secret-key-1"] });
  try {
    const denied = await fetch(`${server.url}/metrics`);
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { code: string }).code, "unauthorized");
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status, 401);
    await assert.rejects(Conn.open(`${server.streamUrl}?apikey=wrong`));
    const text = await scrape(server.url, { authorization: "Bearer secret-key-1" });
    assert.equal(series(text, 'open_expression_refused_connections_total{reason="unauthorized"}'), 1);
    assert.ok(!text.includes("secret-key-1"), "no keys in metrics");
    await scrape(server.url, { "x-hume-api-key": "secret-key-1" });
  } finally {
    await server.close();
  }
});

test("logs: one request id per message, the connection's job id and key label, never payloads or keys", async () => {
  const lines: Record<string, unknown>[] = [];
  let raw = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += String(chunk);
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({ port: 0, threads: 1, apiKeys: ["secret-key-1"] }, {});
  const server = await startServer(config, pino({ level: "debug" }, sink));
  try {
    await waitReady(server.url);
    const conn = await Conn.open(`${server.streamUrl}?apikey=secret-key-1`);
    await conn.ask(language("p1"));
    await conn.ask(language("p2", "a secret diary entry"));
    await conn.ask("{broken");
    conn.close();
    await conn.closed;
    const messages = lines.filter((l) => l.msg === "message");
    assert.equal(messages.length, 3);
    const ids = messages.map((l) => l.request_id);
    for (const id of ids) assert.match(String(id), /^[0-9a-f]{16}$/);
    assert.equal(new Set(ids).size, 3, "a distinct request id per message");
    for (const l of messages) {
      assert.match(String(l.job_id), /^[0-9a-f]{32}$/);
      assert.equal(l.key_id, "key-1", "the key's label, not the key");
    }
    assert.ok(!raw.includes("secret-key-1"), "the API key is never logged");
    assert.ok(!raw.includes("secret diary") && !raw.includes("made my day"), "payloads are never logged");
  } finally {
    await server.close();
  }
});
