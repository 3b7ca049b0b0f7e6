/**
 * The v0 streaming protocol end to end: a real server on a loopback port, real sockets, the real
 * worker pool and the real language model. Every error case is followed by a good message on
 * the same connection, because an error must end one message, never the conversation.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer as createNetServer, connect as netConnect, type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { weightsPath } from "../../src/package-paths.js";
import { AVAILABLE_MODELS, isAvailable } from "../../src/models/registry.js";
import { InferencePool } from "../../src/inference/pool.js";
import type { ModelName, ProtocolError } from "../../src/protocol/index.js";
import { ConfigError, createLogger, loadConfig, startServer, type RunningServer } from "../../src/server/index.js";
import { b64, facemesh, noise, png, pngHeader, wav, webmHeader } from "../fixtures/media.js";
import { Conn, handshakeStatus, type Reply } from "../helpers/conn.js";
import { startTestServer } from "../helpers/server.js";

// ------------------------------------------------------------------------------------ client

/** Raw bytes on a TCP socket; resolves with whatever the server wrote before closing. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, "127.0.0.1", () => sock.write(text));
    let got = "";
    sock.on("data", (d) => (got += String(d)));
    sock.on("end", () => resolve(got));
    sock.on("error", reject);
    sock.setTimeout(5_000, () => {
      sock.destroy();
      resolve(got);
    });
  });
}

// ------------------------------------------------------------------------------------ checks

const meta = () => JSON.parse(readFileSync(weightsPath("language", "meta.json"), "utf8")) as { labels: string[] };

const GOOD_TEXT = "Thank you so much for your help, I really appreciate it!";
let good = 0;

/** A passage-level language message: its predictions prove the connection still works. */
function goodMessage(text = GOOD_TEXT): { models: Reply; raw_text: boolean; data: string; payload_id: string } {
  return { models: { language: { granularity: "passage" } }, raw_text: true, data: text, payload_id: `good-${++good}` };
}

function assertEmotions(emotions: unknown): void {
  assert.ok(Array.isArray(emotions), "emotions is a list");
  const names = emotions.map((e: Reply) => e.name);
  assert.deepEqual(names, meta().labels, "one score per model dimension, in the model's order");
  assert.ok(names.length >= 20, `a full emotion vector (${names.length} names)`);
  for (const e of emotions as Reply[]) {
    assert.equal(typeof e.score, "number");
    assert.ok(Number.isFinite(e.score) && e.score >= 0 && e.score <= 1, `${e.name} score ${e.score} in 0..1`);
  }
  assert.ok(new Set((emotions as Reply[]).map((e) => e.score)).size > 1, "scores are not all equal");
}

function assertLanguageReply(reply: Reply, text: string, payloadId?: string): void {
  assert.equal(reply.error, undefined, `no error: ${JSON.stringify(reply)}`);
  if (payloadId !== undefined) assert.equal(reply.payload_id, payloadId);
  const predictions = reply.language?.predictions;
  assert.ok(Array.isArray(predictions) && predictions.length === 1, `one passage prediction: ${JSON.stringify(reply).slice(0, 300)}`);
  assert.equal(predictions[0].text, text.trim());
  assert.deepEqual(predictions[0].position, { begin: 0, end: [...text.trim()].length });
  assertEmotions(predictions[0].emotions);
}

/** The reply to `message` is anything but the error `code` (the limit under test was not hit). */
async function expectNotError(conn: Conn, message: Reply, code: string): Promise<Reply> {
  const reply = await conn.ask(message);
  assert.notEqual(reply.code, code, JSON.stringify(reply).slice(0, 300));
  assert.equal(reply.payload_id, message.payload_id);
  const model = Object.keys(message.models as Reply)[0] as ModelName;
  if (!isAvailable(model)) assert.equal(reply.code, "E0901", JSON.stringify(reply).slice(0, 300));
  await assertUsable(conn);
  return reply;
}

async function assertUsable(conn: Conn): Promise<void> {
  const msg = goodMessage();
  assertLanguageReply(await conn.ask(msg), GOOD_TEXT, msg.payload_id);
}

/** Sends `message`, expects the error `code` (echoing payload_id), then proves the socket still works. */
async function expectError(conn: Conn, message: unknown, code: string, check?: (error: string) => void): Promise<Reply> {
  const payloadId = typeof message === "object" && message !== null && !Buffer.isBuffer(message) ? (message as Reply).payload_id : undefined;
  const reply = await conn.ask(message);
  assert.equal(reply.code, code, `expected ${code}, got ${JSON.stringify(reply).slice(0, 300)}`);
  assert.equal(typeof reply.error, "string");
  assert.ok(reply.error.length > 0);
  if (typeof payloadId === "string") assert.equal(reply.payload_id, payloadId, "payload_id echoed on errors");
  for (const key of ["language", "face", "prosody", "burst", "facemesh"]) assert.equal(reply[key], undefined);
  check?.(reply.error);
  await assertUsable(conn);
  return reply;
}

let pid = 0;
const id = (name: string) => `${name}-${++pid}`;

// ------------------------------------------------------------------------------------ tests

let server: RunningServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

describe("errors: each answers one message and leaves the connection usable", () => {
  let conn: Conn;
  before(async () => {
    conn = await Conn.open(server.streamUrl);
  });
  after(() => conn.close());

  test("E0100: invalid JSON, truncated JSON, and a binary frame of garbage", async () => {
    await expectError(conn, "this is { not json", "E0100");
    await expectError(conn, '{"data": "abc", "models": {"language": {}', "E0100");
    await expectError(conn, noise(64), "E0100");
  });

  test("binary frames holding UTF-8 JSON are accepted", async () => {
    const msg = goodMessage();
    assertLanguageReply(await conn.ask(Buffer.from(JSON.stringify(msg))), GOOD_TEXT, msg.payload_id);
  });

  test("E0101: fields of the wrong type", async () => {
    const language = { language: {} };
    await expectError(conn, { models: language, raw_text: "yes", data: "hi", payload_id: id("bad-raw") }, "E0101");
    await expectError(conn, { models: language, raw_text: true, data: 42, payload_id: id("bad-data") }, "E0101");
    await expectError(conn, { models: language, raw_text: true, data: "hi", reset_stream: "true", payload_id: id("bad-reset") }, "E0101");
    await expectError(conn, { models: language, raw_text: true, data: "hi", job_details: 1, payload_id: id("bad-jd") }, "E0101");
    // payload_id itself has the wrong type: the error cannot echo it, but must still come.
    const reply = await expectError(conn, { models: language, raw_text: true, data: "hi", payload_id: 7 }, "E0101");
    assert.equal(reply.payload_id, undefined);
    await expectError(conn, [1, 2, 3], "E0101");
    await expectError(conn, "null", "E0101");
    await expectError(conn, '"just a string"', "E0101");
  });

  test("E0101: stream_window_ms outside 500..10000, or not a number", async () => {
    for (const value of [100, 499, 10_001, 20_000, "5000"]) {
      await expectError(conn, { models: { language: {} }, raw_text: true, data: "hi", stream_window_ms: value, payload_id: id("window") }, "E0101", (e) =>
        assert.match(e, /stream_window_ms/),
      );
    }
    // The bounds themselves are valid.
    for (const value of [500, 10_000]) {
      const msg = { ...goodMessage(), stream_window_ms: value };
      assertLanguageReply(await conn.ask(msg), GOOD_TEXT, msg.payload_id);
    }
  });

  test("E0101: models of an unknown shape, an unknown granularity, and no data", async () => {
    await expectError(conn, { models: "language", raw_text: true, data: "hi", payload_id: id("models-string") }, "E0101");
    await expectError(conn, { models: ["language"], raw_text: true, data: "hi", payload_id: id("models-array") }, "E0101");
    await expectError(conn, { models: { language: "passage" }, raw_text: true, data: "hi", payload_id: id("lang-string") }, "E0101");
    await expectError(conn, { models: { ner: {} }, raw_text: true, data: "hi", payload_id: id("ner") }, "E0101", (e) => assert.match(e, /model/i));
    await expectError(conn, { models: {}, raw_text: true, data: "hi", payload_id: id("empty-models") }, "E0101");
    await expectError(conn, { models: { language: { granularity: "paragraph" } }, raw_text: true, data: "hi", payload_id: id("paragraph") }, "E0101", (e) =>
      assert.match(e, /granularity/),
    );
    await expectError(conn, { models: { face: { prob_threshold: 3 } }, data: b64(png(4, 4)), payload_id: id("prob") }, "E0101");
    await expectError(conn, { models: { language: {} }, payload_id: id("no-data") }, "E0101", (e) => assert.match(e, /data/));
  });

  test("E0101: no models on the first message of a connection", async () => {
    const fresh = await Conn.open(server.streamUrl);
    try {
      await expectError(fresh, { raw_text: true, data: "I love this", payload_id: id("no-models") }, "E0101", (e) => assert.match(e, /models/));
    } finally {
      fresh.close();
    }
  });

  test("E0102: a model that does not take the detected media type, with the official wording", async () => {
    await expectError(conn, { models: { face: {} }, raw_text: true, data: "I love this", payload_id: id("face-text") }, "E0102", (e) =>
      assert.equal(e, "Streaming payload configured with model type 'face', which is not supported for the detected file type 'text'."),
    );
    await expectError(conn, { models: { language: {} }, data: b64(png(8, 8)), payload_id: id("lang-image") }, "E0102", (e) =>
      assert.equal(e, "Streaming payload configured with model type 'language', which is not supported for the detected file type 'image'."),
    );
    await expectError(conn, { models: { prosody: {} }, data: b64(png(8, 8)), payload_id: id("prosody-image") }, "E0102", (e) =>
      assert.equal(e, "Streaming payload configured with model type 'prosody', which is not supported for the detected file type 'image'."),
    );
    await expectError(conn, { models: { language: {} }, data: b64(wav(0.5)), payload_id: id("lang-audio") }, "E0102", (e) => assert.match(e, /'audio'/));
    // One incompatible model fails the message even when another one would fit.
    await expectError(conn, { models: { language: {}, face: {} }, raw_text: true, data: "I love this", payload_id: id("mixed") }, "E0102", (e) =>
      assert.match(e, /'face'/),
    );
  });

  test("E0200: bytes that are no known format", async () => {
    await expectError(conn, { models: { language: {} }, data: b64(noise(512)), payload_id: id("noise") }, "E0200");
  });

  test("E0201: data that is not base64", async () => {
    await expectError(conn, { models: { language: {} }, data: "this is plain text, not base64!", payload_id: id("not-b64") }, "E0201", (e) =>
      assert.match(e, /raw_text/),
    );
    await expectError(conn, { models: { language: {} }, data: "%%%%", payload_id: id("percent") }, "E0201");
    await expectError(conn, { models: { language: {} }, data: "QUJD=A", payload_id: id("bad-padding") }, "E0201");
  });

  test("E0202: audio models on audio with no samples; checked before E0901", async () => {
    await expectError(conn, { models: { prosody: {} }, data: b64(wav(0)), payload_id: id("empty-wav") }, "E0202", (e) => assert.match(e, /No audio signal/));
    await expectError(conn, { models: { burst: {} }, data: b64(wav(0)), payload_id: id("empty-wav-burst") }, "E0202");
    // A quiet tone is a signal: it passes (and the model, or its absence, answers).
    await expectNotError(conn, { models: { prosody: {} }, data: b64(wav(1)), payload_id: id("tone") }, "E0202");
  });

  test("E0203: audio longer than 5000 ms (duration from the WAV header), and not at 4 s", async () => {
    await expectError(conn, { models: { prosody: {} }, data: b64(wav(6)), payload_id: id("long-wav") }, "E0203", (e) => assert.match(e, /5000 milliseconds/));
    await expectError(conn, { models: { burst: {} }, data: b64(wav(6)), payload_id: id("long-wav-burst") }, "E0203");
    // Within the limit the duration check passes (and the model, or its absence, answers).
    await expectNotError(conn, { models: { prosody: {} }, data: b64(wav(4)), payload_id: id("short-wav") }, "E0203");
  });

  test("E0204: video longer than the video limit (duration from the WebM header)", async () => {
    await expectError(conn, { models: { face: {} }, data: b64(webmHeader(120_000)), payload_id: id("long-video") }, "E0204", (e) =>
      assert.match(e, /60000 milliseconds/),
    );
    // Within the limit, the header alone (no tracks, no frames) gets to the decoder, which fails.
    await expectError(conn, { models: { face: {} }, data: b64(webmHeader(2_000)), payload_id: id("short-video") }, "E0200", (e) => assert.match(e, /video/));
    await expectError(conn, { models: { language: {} }, data: b64(webmHeader(2_000)), payload_id: id("lang-video") }, "E0102", (e) => assert.match(e, /'video'/));
  });

  test("E0205: an image over 3000x3000, from a header alone or a real PNG, and not at 3000", async () => {
    await expectError(conn, { models: { face: {} }, data: b64(pngHeader(100_000, 100_000)), payload_id: id("huge-header") }, "E0205", (e) =>
      assert.match(e, /3,000 x 3,000/),
    );
    await expectError(conn, { models: { face: {} }, data: b64(png(3001, 10)), payload_id: id("wide") }, "E0205");
    await expectError(conn, { models: { face: {} }, data: b64(png(10, 3001)), payload_id: id("tall") }, "E0205");
    await expectNotError(conn, { models: { face: {} }, data: b64(png(3000, 10)), payload_id: id("at-limit") }, "E0205");
  });

  test("E0206: text over 10,000 characters; exactly 10,000 (counted in code points) is fine", async () => {
    const tooLong = { models: { language: { granularity: "passage" } }, raw_text: true, data: "a".repeat(10_001), payload_id: id("10001") };
    await expectError(conn, tooLong, "E0206", (e) => assert.match(e, /10,000 characters/));
    const fileTooLong = { models: { language: { granularity: "passage" } }, data: b64("b".repeat(10_001)), payload_id: id("10001-file") };
    await expectError(conn, fileTooLong, "E0206");
    // 10,000 emoji are 20,000 UTF-16 units but 10,000 characters.
    for (const data of ["x".repeat(10_000), "😀".repeat(10_000)]) {
      const reply = await conn.ask({ models: { language: { granularity: "passage" } }, raw_text: true, data, payload_id: id("10000") });
      assert.equal(reply.error, undefined, JSON.stringify(reply).slice(0, 300));
      assert.equal(reply.language.predictions.length, 1);
      assert.deepEqual(reply.language.predictions[0].position, { begin: 0, end: 10_000 });
    }
  });

  test("E0901: every model this build lacks says so, for valid input of its kind", async (t) => {
    const cases: [ModelName, Reply][] = [
      ["face", { models: { face: {} }, data: b64(png(16, 16)) }],
      ["face", { models: { face: { identify_faces: true, facs: {}, descriptions: {} } }, data: `data:image/png;base64,${b64(png(16, 16))}` }],
      ["prosody", { models: { prosody: {} }, data: b64(wav(1)) }],
      ["burst", { models: { burst: {} }, data: b64(wav(1)) }],
      // facemesh the way each official client sends it: TS base64 + raw_text, Python raw JSON, legacy base64.
      ["facemesh", { models: { facemesh: {} }, raw_text: true, data: b64(JSON.stringify(facemesh(2))) }],
      ["facemesh", { models: { facemesh: {} }, raw_text: false, data: JSON.stringify(facemesh(1)) }],
      ["facemesh", { models: { facemesh: {} }, data: b64(JSON.stringify(facemesh(1))) }],
    ];
    const missing = cases.filter(([model]) => !isAvailable(model));
    if (missing.length === 0) t.skip("every model is available in this build");
    for (const [model, message] of missing) {
      await expectError(conn, { ...message, payload_id: id(`unavailable-${model}`) }, "E0901", (e) => {
        assert.match(e, new RegExp(`'${model}'`));
        assert.match(e, /not available/);
      });
    }
  });

  test("E0101: malformed facemesh landmarks", async () => {
    const bad: [string, unknown][] = [
      ["477 landmarks", facemesh(1, 477)],
      ["479 landmarks", facemesh(1, 479)],
      ["2 coordinates", [facemesh(1)[0]!.map(([x, y]) => [x, y])]],
      ["a string coordinate", [facemesh(1)[0]!.map((p, i) => (i === 10 ? [p[0], "y", p[2]] : p))]],
      ["11 faces", facemesh(11)],
      ["a face that is not a list", [{ x: 1 }]],
    ];
    for (const [why, mesh] of bad) {
      await expectError(conn, { models: { facemesh: {} }, raw_text: true, data: b64(JSON.stringify(mesh)), payload_id: id(why) }, "E0101", (e) =>
        assert.match(e, /facemesh/i),
      );
      await expectError(conn, { models: { facemesh: {} }, data: JSON.stringify(mesh), payload_id: id(why) }, "E0101");
    }
  });

  test("a model failure does not report for another: language + face on an image names the incompatible model", async () => {
    await expectError(conn, { models: { language: {}, face: {} }, data: b64(png(8, 8)), payload_id: id("lang-face-image") }, "E0102", (e) => assert.match(e, /'language'/));
  });
});

describe("conversation rules", () => {
  test("job_details: one stable 32-hex id per connection, different across connections, also on errors", async () => {
    const a = await Conn.open(server.streamUrl);
    const b = await Conn.open(server.streamUrl);
    try {
      const bare = await a.ask({ job_details: true });
      assert.deepEqual(Object.keys(bare), ["job_details"]);
      const jobId = bare.job_details.job_id;
      assert.match(jobId, /^[0-9a-f]{32}$/);
      const withId = await a.ask({ job_details: true, payload_id: "jd" });
      assert.deepEqual(withId, { payload_id: "jd", job_details: { job_id: jobId } });
      const predicted = await a.ask({ ...goodMessage(), job_details: true });
      assert.equal(predicted.job_details.job_id, jobId);
      assert.ok(predicted.language.predictions.length === 1);
      const errored = await a.ask({ models: { face: {} }, raw_text: true, data: "hi", job_details: true, payload_id: "err" });
      assert.equal(errored.code, "E0102");
      assert.deepEqual(errored.job_details, { job_id: jobId });
      // Not asked for, not sent.
      assert.equal((await a.ask(goodMessage())).job_details, undefined);
      const other = (await b.ask({ job_details: true })).job_details.job_id;
      assert.match(other, /^[0-9a-f]{32}$/);
      assert.notEqual(other, jobId);
    } finally {
      a.close();
      b.close();
    }
  });

  test("a bare reset_stream is answered with {} (plus payload_id), and the connection goes on", async () => {
    const conn = await Conn.open(server.streamUrl);
    try {
      assert.deepEqual(await conn.ask({ reset_stream: true }), {});
      assert.deepEqual(await conn.ask({ reset_stream: true, payload_id: "r1" }), { payload_id: "r1" });
      assert.deepEqual(await conn.ask({ reset_stream: false, job_details: true }), { job_details: { job_id: (await conn.ask({ job_details: true })).job_details.job_id } });
      await assertUsable(conn);
      // reset_stream next to data: the data is still measured.
      const msg = { ...goodMessage(), reset_stream: true };
      assertLanguageReply(await conn.ask(msg), GOOD_TEXT, msg.payload_id);
      await conn.assertQuiet();
    } finally {
      conn.close();
    }
  });

  test("the last models config is reused when a message omits models", async () => {
    const conn = await Conn.open(server.streamUrl);
    try {
      const text = "I love this song. It makes me so sad though.";
      const first = await conn.ask({ models: { language: { granularity: "sentence", sentiment: {} } }, raw_text: true, data: text, payload_id: "first" });
      assert.equal(first.language.predictions.length, 2);
      const second = await conn.ask({ raw_text: true, data: text, payload_id: "second" });
      assert.equal(second.error, undefined, JSON.stringify(second).slice(0, 300));
      assert.equal(second.language.predictions.length, 2, "sentence granularity kept (the default would be word)");
      assert.equal(second.language.predictions[1].text, "It makes me so sad though.");
      assert.equal(second.language.predictions[0].sentiment.length, 9, "sentiment kept");
      // A new config replaces the old one.
      const third = await conn.ask({ models: { language: { granularity: "word" } }, raw_text: true, data: "so very happy", payload_id: "third" });
      assert.deepEqual(third.language.predictions.map((p: Reply) => p.text), ["so", "very", "happy"]);
      assert.equal(third.language.predictions[0].sentiment, undefined);
      const fourth = await conn.ask({ raw_text: true, data: "glad" });
      assert.deepEqual(fourth.language.predictions.map((p: Reply) => p.text), ["glad"]);
      // An error does not clear the stored config.
      await conn.ask({ models: { language: { granularity: "paragraph" } }, raw_text: true, data: "x" });
      assert.deepEqual((await conn.ask({ raw_text: true, data: "two words" })).language.predictions.length, 2);
    } finally {
      conn.close();
    }
  });

  test("unknown fields are ignored, at the top level and inside model configs", async () => {
    const conn = await Conn.open(server.streamUrl);
    try {
      const msg = { ...goodMessage(), future_field: { x: 1 }, models: { language: { granularity: "passage", identify_speakers: false, novel: true } } };
      const reply = await conn.ask(msg);
      assertLanguageReply(reply, GOOD_TEXT, msg.payload_id);
      assert.equal(reply.future_field, undefined);
      // null counts as absent.
      const nulls = await conn.ask({ ...goodMessage(), stream_window_ms: null, reset_stream: null, job_details: null, models: { language: { granularity: "passage", sentiment: null } } });
      assert.equal(nulls.error, undefined, JSON.stringify(nulls).slice(0, 300));
      assert.equal(nulls.language.predictions[0].sentiment, undefined);
    } finally {
      conn.close();
    }
  });

  test("data: a data-URL prefix is stripped, a base64 .txt with raw_text false is text, positions count code points", async () => {
    const conn = await Conn.open(server.streamUrl);
    try {
      const text = "What a wonderful surprise, thank you!";
      const dataUrl = await conn.ask({ models: { language: { granularity: "passage" } }, data: `data:text/plain;base64,${b64(text)}`, payload_id: "url" });
      assertLanguageReply(dataUrl, text, "url");
      const file = await conn.ask({ models: { language: { granularity: "passage" } }, raw_text: false, data: b64(`${text}\n`), payload_id: "file" });
      assertLanguageReply(file, text, "file");
      const emoji = await conn.ask({ models: { language: { granularity: "word" } }, raw_text: true, data: "😀 so happy 🎉" });
      assert.deepEqual(
        emoji.language.predictions.map((p: Reply) => [p.text, p.position.begin, p.position.end]),
        [["😀", 0, 1], ["so", 2, 4], ["happy", 5, 10], ["🎉", 11, 12]],
      );
      // Whitespace-only text is a warning under the model key, not an error.
      const blank = await conn.ask({ models: { language: {} }, raw_text: true, data: "  \n " });
      assert.deepEqual(blank.language.predictions, []);
      assert.equal(blank.language.code, "W0104");
      assert.equal(typeof blank.language.warning, "string");
    } finally {
      conn.close();
    }
  });

  test("sentiment and toxicity appear only when asked; toxicity warns that it is not in this build", async () => {
    const conn = await Conn.open(server.streamUrl);
    try {
      const plain = await conn.ask({ models: { language: { granularity: "passage" } }, raw_text: true, data: "I hate this." });
      assert.equal(plain.language.predictions[0].sentiment, undefined);
      assert.equal(plain.language.predictions[0].toxicity, undefined);
      const both = await conn.ask({ models: { language: { granularity: "passage", sentiment: {}, toxicity: {} } }, raw_text: true, data: "I hate this." });
      const sentiment = both.language.predictions[0].sentiment as Reply[];
      assert.deepEqual(sentiment.map((s) => s.name), ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
      for (const s of sentiment) assert.ok(Number.isFinite(s.score));
      assert.equal(both.language.code, "W0901");
      assert.match(both.language.warning, /toxicity/i);
    } finally {
      conn.close();
    }
  });

  test("200 pipelined messages, good and bad mixed, get exactly one reply each, in order", async () => {
    const conn = await Conn.open(server.streamUrl);
    try {
      const expected: ((r: Reply) => void)[] = [];
      for (let i = 0; i < 200; i++) {
        const pidI = `p${i}`;
        switch (i % 6) {
          case 0:
          case 1: {
            const text = `Message number ${i} makes me happy.`;
            conn.send({ models: { language: { granularity: "passage" } }, raw_text: true, data: text, payload_id: pidI });
            expected.push((r) => assertLanguageReply(r, text, pidI));
            break;
          }
          case 2:
            conn.send(`{"payload_id": "${pidI}", broken`);
            expected.push((r) => assert.equal(r.code, "E0100"));
            break;
          case 3:
            conn.send({ models: { face: {} }, raw_text: true, data: "x", payload_id: pidI });
            expected.push((r) => assert.deepEqual([r.code, r.payload_id], ["E0102", pidI]));
            break;
          case 4:
            conn.send({ reset_stream: true, payload_id: pidI });
            expected.push((r) => assert.deepEqual(r, { payload_id: pidI }));
            break;
          case 5:
            conn.send({ job_details: true, payload_id: pidI });
            expected.push((r) => assert.deepEqual([r.payload_id, typeof r.job_details?.job_id], [pidI, "string"]));
            break;
        }
      }
      for (let i = 0; i < 200; i++) {
        const reply = await conn.next();
        assert.doesNotThrow(() => expected[i]!(reply), `reply ${i}: ${JSON.stringify(reply).slice(0, 200)}`);
      }
      await conn.assertQuiet();
    } finally {
      conn.close();
    }
  });

  test("two connections in parallel get only their own replies", async () => {
    const [a, b] = await Promise.all([Conn.open(server.streamUrl), Conn.open(server.streamUrl)]);
    try {
      const n = 30;
      const textOf = (who: string, i: number) => `${who} says ${i}: ${i % 2 ? "this is great" : "this is awful"}`;
      for (let i = 0; i < n; i++) {
        a.send({ models: { language: { granularity: "passage" } }, raw_text: true, data: textOf("alice", i), payload_id: `a${i}`, job_details: true });
        b.send({ models: { language: { granularity: "passage" } }, raw_text: true, data: textOf("bob", i), payload_id: `b${i}`, job_details: true });
      }
      const jobs = new Map<string, Set<string>>([["a", new Set()], ["b", new Set()]]);
      await Promise.all(
        ([["a", a, "alice"], ["b", b, "bob"]] as const).map(async ([tag, conn, who]) => {
          for (let i = 0; i < n; i++) {
            const reply = await conn.next();
            assertLanguageReply(reply, textOf(who, i), `${tag}${i}`);
            jobs.get(tag)!.add(reply.job_details.job_id);
          }
        }),
      );
      assert.equal(jobs.get("a")!.size, 1);
      assert.equal(jobs.get("b")!.size, 1);
      assert.notDeepEqual([...jobs.get("a")!], [...jobs.get("b")!]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("predictions are real: grateful text scores gratitude among its top emotions", async () => {
    const conn = await Conn.open(server.streamUrl);
    try {
      const reply = await conn.ask(goodMessage());
      const top = [...(reply.language.predictions[0].emotions as Reply[])]
        .filter((e) => e.name !== "Neutral")
        .sort((x, y) => y.score - x.score)
        .slice(0, 3)
        .map((e) => e.name);
      assert.ok(top.includes("Gratitude"), `top emotions ${top.join(", ")}`);
    } finally {
      conn.close();
    }
  });
});

describe("limits and lifecycle", () => {
  test("maxPendingPerConnection: the excess gets E0902, replies stay one per message and in order", async () => {
    const small = await startTestServer({ maxPendingPerConnection: 5 });
    try {
      const conn = await Conn.open(small.streamUrl);
      const text = "I am so grateful for all of this.";
      for (let i = 0; i < 50; i++) conn.send({ models: { language: { granularity: "passage" } }, raw_text: true, data: text, payload_id: `q${i}` });
      const replies: Reply[] = [];
      for (let i = 0; i < 50; i++) replies.push(await conn.next());
      assert.deepEqual(replies.map((r) => r.payload_id), Array.from({ length: 50 }, (_, i) => `q${i}`));
      for (let i = 0; i < 5; i++) assertLanguageReply(replies[i]!, text, `q${i}`);
      const overloaded = replies.filter((r) => r.code === "E0902");
      assert.ok(overloaded.length > 0, "some messages were over the limit");
      for (const r of replies) assert.ok(r.code === "E0902" || r.language, JSON.stringify(r).slice(0, 200));
      // Once the queue has drained, the connection serves normally again.
      await conn.assertQuiet(50);
      await assertUsable(conn);
      conn.close();
    } finally {
      await small.close();
    }
  });

  test("a full inference queue is E0902 (busy), not E0903 (model failure)", async () => {
    const pool = new InferencePool({ threads: 1, maxQueue: 1 });
    try {
      const task = { input: { kind: "text" as const, text: "I am glad." }, jobs: { language: { model: "language" as const, config: {}, state: {} } } };
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => pool.run(task)));
      assert.equal(results[0]!.status, "fulfilled", String((results[0] as PromiseRejectedResult).reason));
      const busy = results.filter((r) => r.status === "rejected");
      assert.ok(busy.length > 0, "some tasks found the queue full");
      for (const r of busy) assert.equal(((r as PromiseRejectedResult).reason as ProtocolError).code, "E0902");
    } finally {
      await pool.close();
    }
  });

  test("idle connections are closed with 1000 after idleTimeoutMs; traffic keeps them open", async () => {
    const idle = await startTestServer({ idleTimeoutMs: 300 });
    try {
      const quiet = await Conn.open(idle.streamUrl);
      const t0 = Date.now();
      const closed = await quiet.closed;
      assert.equal(closed.code, 1000, "1000, so the Fern client does not reconnect");
      const waited = Date.now() - t0;
      assert.ok(waited >= 250 && waited < 3_000, `closed after ${waited} ms`);

      const busy = await Conn.open(idle.streamUrl);
      let closedEarly = false;
      void busy.closed.then(() => (closedEarly = true));
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 150));
        assert.equal(closedEarly, false, `still open after ${(i + 1) * 150} ms of traffic`);
        assert.ok((await busy.ask({ job_details: true })).job_details);
      }
      assert.equal((await busy.closed).code, 1000);
    } finally {
      await idle.close();
    }
  });

  test("/healthz, /readyz, / and plain HTTP on the stream path", async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(((await ready.json()) as Reply).models, AVAILABLE_MODELS);
    assert.ok(AVAILABLE_MODELS.includes("language"));
    const root = (await (await fetch(`${server.url}/`)).json()) as Reply;
    assert.equal(root.stream, "/v0/stream/models");
    for (const model of ["face", "language", "prosody", "burst", "facemesh"] as const) {
      assert.match(root.models[model], isAvailable(model) ? /^available$/ : /not available/, model);
    }
    assert.equal((await fetch(`${server.url}/v0/stream/models`)).status, 426);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  });

  test("a non-loopback host without API keys is refused before listening (ConfigError)", async () => {
    // Find a free port, then ask for it on 0.0.0.0: if the server listened anyway, the port answers.
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    for (const host of ["0.0.0.0", "::", "192.168.1.10"]) {
      const config = loadConfig({ host, port, threads: 1, logLevel: "silent" }, {});
      await assert.rejects(startServer(config, createLogger("silent")), (err: unknown) => {
        assert.ok(err instanceof ConfigError, `ConfigError for ${host}`);
        assert.match(err.message, /API key/);
        assert.match(err.message, new RegExp(host.replace(/\./g, "\\.")));
        return true;
      });
    }
    const refused = await new Promise<boolean>((resolve) => {
      const sock = netConnect(port, "127.0.0.1");
      sock.on("connect", () => {
        sock.destroy();
        resolve(false);
      });
      sock.on("error", () => resolve(true));
    });
    assert.ok(refused, "nothing listens on the port");
  });
});

describe("auth and hostile clients", () => {
  let keyed: RunningServer;
  before(async () => {
    keyed = await startTestServer({ apiKeys: ["k1", "second-key"], maxMessageBytes: 64 * 1024 });
  });
  after(async () => {
    await keyed.close();
  });

  test("the key is accepted from the X-Hume-Api-Key header, api_key and apikey; wrong or missing is 401", async () => {
    const url = keyed.streamUrl;
    assert.equal(await handshakeStatus(url, { headers: { "X-Hume-Api-Key": "k1" } }), 101);
    assert.equal(await handshakeStatus(url, { headers: { "X-Hume-Api-Key": "second-key" } }), 101);
    assert.equal(await handshakeStatus(`${url}?api_key=k1&fernSdkLanguage=JavaScript&fernSdkVersion=0.15.17`), 101);
    assert.equal(await handshakeStatus(`${url}?apikey=k1`), 101);
    assert.equal(await handshakeStatus(url), 401);
    assert.equal(await handshakeStatus(url, { headers: { "X-Hume-Api-Key": "k2" } }), 401);
    assert.equal(await handshakeStatus(`${url}?api_key=k2`), 401);
    assert.equal(await handshakeStatus(`${url}?apikey=`), 401);
    assert.equal(await handshakeStatus(`${url}?apikey=K1`), 401);
    assert.equal(await handshakeStatus(`${url.replace(/models$/, "other")}?apikey=k1`), 404);
    // A keyed connection works end to end.
    const conn = await Conn.open(`${url}?apikey=k1`);
    await assertUsable(conn);
    conn.close();
  });

  test("an unparsable request target gets 400 and does not crash the server", async () => {
    const http = await rawRequest(keyed.port, "GET // HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(http, /^HTTP\/1\.1 400/);
    const upgrade = await rawRequest(
      keyed.port,
      "GET //x:y@ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    assert.match(upgrade, /^HTTP\/1\.1 400/);
    assert.equal((await fetch(`${keyed.url}/healthz`)).status, 200);
  });

  test("clients that reset the connection while being refused do not crash the server", async () => {
    const request =
      "GET /v0/stream/models HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Hume-Api-Key: wrong\r\n\r\n";
    await Promise.all(
      Array.from({ length: 100 }, () =>
        new Promise<void>((resolve) => {
          const sock = netConnect(keyed.port, "127.0.0.1", () => {
            sock.write(request + "x".repeat(100_000));
            setImmediate(() => sock.resetAndDestroy());
          });
          sock.on("error", () => undefined);
          sock.on("close", () => resolve());
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await fetch(`${keyed.url}/healthz`)).status, 200);
  });

  test("a frame over maxMessageBytes closes only that connection (1009); others go on", async () => {
    const bystander = await Conn.open(`${keyed.streamUrl}?apikey=k1`);
    const big = await Conn.open(`${keyed.streamUrl}?apikey=k1`);
    big.send({ models: { language: {} }, raw_text: true, data: "a".repeat(100 * 1024) });
    assert.equal((await big.closed).code, 1009);
    await assertUsable(bystander);
    bystander.close();
  });

  test("waiting frames are limited in bytes too (2 x maxMessageBytes): the excess gets E0902, in order", async () => {
    const conn = await Conn.open(`${keyed.streamUrl}?apikey=k1`);
    try {
      // A slow message first, then big frames that must wait behind it.
      conn.send({ models: { language: { granularity: "word" } }, raw_text: true, data: "so glad ".repeat(1_200), payload_id: "slow" });
      for (let i = 0; i < 6; i++) conn.send({ models: { language: {} }, raw_text: true, data: "x".repeat(60_000), payload_id: `big${i}` });
      const slow = await conn.next();
      assert.equal(slow.payload_id, "slow");
      assert.equal(slow.language.predictions.length, 2_400);
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) {
        const reply = await conn.next();
        assert.equal(reply.payload_id, `big${i}`);
        codes.push(reply.code);
      }
      assert.deepEqual(codes.slice(0, 2), ["E0206", "E0206"], "what fits in the budget is processed");
      assert.ok(codes.includes("E0902"), `the rest is refused: ${codes.join(", ")}`);
      await assertUsable(conn);
    } finally {
      conn.close();
    }
  });

  test("hostile JSON (deep nesting, huge numbers, prototype keys) gets coded errors", async () => {
    const conn = await Conn.open(`${keyed.streamUrl}?apikey=k1`);
    try {
      const deep = "[".repeat(20_000) + "]".repeat(20_000);
      await expectError(conn, deep, "E0101");
      await expectError(conn, `{"models": {"language": {}}, "raw_text": true, "data": ${deep}, "payload_id": "deep"}`, "E0101");
      await expectError(conn, { models: { facemesh: {} }, raw_text: true, data: deep, payload_id: "deep-mesh" }, "E0101");
      await expectError(conn, '{"models": {"language": {}}, "raw_text": true, "data": "hi", "stream_window_ms": 1e400}', "E0101");
      // Prototype keys are plain data: ignored like any unknown field, and nothing is polluted.
      const polluting = `{"__proto__": {"polluted": true, "raw_text": false}, "constructor": {"prototype": {"polluted": true}}, ${JSON.stringify(goodMessage()).slice(1)}`;
      const reply = await conn.ask(polluting);
      assertLanguageReply(reply, GOOD_TEXT);
      assert.equal((({}) as Reply).polluted, undefined);
    } finally {
      conn.close();
    }
  });

  test("a client that stops reading stops getting replies computed (bounded buffering), and loses none", async () => {
    const srv = await startTestServer({});
    let runs = 0;
    const run = srv.pool.run.bind(srv.pool);
    srv.pool.run = (task) => {
      runs++;
      return run(task);
    };
    try {
      const conn = await Conn.open(srv.streamUrl);
      conn.ws.pause(); // read nothing
      // Word granularity on ~10,000 characters: each reply is about 2 MB.
      const text = "happy sad angry glad ".repeat(476);
      const n = 20;
      for (let i = 0; i < n; i++) conn.send({ models: { language: { granularity: "word" } }, raw_text: true, data: text, payload_id: `w${i}` });
      await new Promise((r) => setTimeout(r, 2_000));
      // About 8 MB of replies (4 of them) plus what the kernel's socket buffers hold.
      assert.ok(runs <= n / 2, `${runs} of ${n} replies computed for a client that reads nothing`);
      conn.ws.resume();
      for (let i = 0; i < n; i++) {
        const reply = await conn.next();
        assert.equal(reply.payload_id, `w${i}`);
        assert.equal(reply.language.predictions.length, 1904);
      }
      assert.equal(runs, n);
      conn.close();
    } finally {
      await srv.close();
    }
  });

  test("server close() ends connections with 1001 promptly, even when a client never answers", async () => {
    const extra = await startTestServer({});
    const polite = await Conn.open(extra.streamUrl);
    // A raw client that completes the upgrade and then ignores the closing handshake.
    const rude = netConnect(extra.port, "127.0.0.1", () =>
      rude.write(
        "GET /v0/stream/models HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    rude.on("error", () => undefined);
    await new Promise<void>((r) => rude.once("data", () => r()));
    const t0 = Date.now();
    await extra.close();
    assert.ok(Date.now() - t0 < 5_000, `close() took ${Date.now() - t0} ms`);
    assert.equal((await polite.closed).code, 1001);
    rude.destroy();
  });
});
