/**
 * Compatibility with the real official client, `hume@0.15.17`: its Fern-generated StreamClient
 * (which honours `baseUrl`), and its request/reply wrapper (which hard-codes wss://api.hume.ai
 * and is redirected with the documented CommonJS work-around, in a child process so the hack
 * cannot leak into other tests). Replies are checked as the client parses them, and raw frames
 * are also validated strictly with the client's own serialization schema.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { StreamClient } from "hume/expressionMeasurement/stream";
import { packageRoot, weightsPath } from "../../src/package-paths.js";
import { isAvailable } from "../../src/models/registry.js";
import type { RunningServer } from "../../src/server/index.js";
import { facemesh } from "../fixtures/media.js";
import { openHumeStream, strictParse, type Reply } from "../helpers/hume.js";
import { startTestServer } from "../helpers/server.js";


const API_KEY = "local-dev-key";
const HEX32 = /^[0-9a-f]{32}$/;

let server: RunningServer;
let labels: string[];
before(async () => {
  server = await startTestServer({ apiKeys: [API_KEY] });
  labels = (JSON.parse(await readFile(weightsPath("language", "meta.json"), "utf8")) as { labels: string[] }).labels;
});
after(async () => {
  await server.close();
});

const streamBase = () => server.streamUrl.replace(/\/models$/, ""); // ws://127.0.0.1:PORT/v0/stream

function assertEmotions(emotions: Reply[]): void {
  assert.deepEqual(emotions.map((e) => e.name), labels, "the model's own dimension names, in order");
  assert.ok(labels.length >= 20);
  for (const e of emotions) assert.ok(typeof e.score === "number" && Number.isFinite(e.score), `${e.name}: ${e.score}`);
}


describe("hume@0.15.17 StreamClient (Fern-generated, baseUrl)", () => {
  test("text, a base64 text file, an error, reset_stream and job_details round-trip through the client's schemas", async () => {
    const stream = await openHumeStream(streamBase(), API_KEY);
    const { socket, next, errors } = stream;
    try {
      // 1) text, sentence granularity, sentiment
      socket.sendPublish({
        models: { language: { granularity: "sentence", sentiment: {} } },
        rawText: true,
        data: "I love this. I hate that.",
        payloadId: "text-1",
      });
      const text = await next();
      assert.equal(text.msg.payloadId, "text-1");
      const [first, second] = text.msg.language.predictions as Reply[];
      assert.equal(text.msg.language.predictions.length, 2);
      assert.equal(first!.text, "I love this.");
      assert.deepEqual(first!.position, { begin: 0, end: 12 });
      assert.equal(second!.text, "I hate that.");
      assert.equal(second!.position.begin, 13);
      assert.equal(second!.position.end, 25);
      assertEmotions(first!.emotions);
      assert.deepEqual((first!.sentiment as Reply[]).map((s) => s.name), ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
      const strict = strictParse(text.raw);
      assert.equal(strict.payloadId, "text-1");
      assert.equal(strict.language.predictions[1].position.begin, 13);
      // The two sentences read differently.
      const score = (p: Reply, name: string) => (p.emotions as Reply[]).find((e) => e.name === name)?.score as number;
      assert.ok(score(first!, "Love") > score(second!, "Love"), "Love scores higher on 'I love this.'");

      // 2) a .txt file as base64 (raw_text false on the wire), default word granularity
      socket.sendPublish({ models: { language: {} }, data: Buffer.from("Hello from a file. Thanks!\n").toString("base64"), payloadId: "file-1" });
      const file = await next();
      assert.equal(file.msg.payloadId, "file-1");
      assert.deepEqual((file.msg.language.predictions as Reply[]).map((p) => p.text), ["Hello", "from", "a", "file", "Thanks"]);
      assert.deepEqual(file.msg.language.predictions[4].position, { begin: 19, end: 25 });
      strictParse(file.raw);

      // 3) errors parse as StreamErrorMessage, with camelCase payloadId
      socket.sendPublish({ models: { face: {} }, rawText: true, data: "not an image", payloadId: "err-1" });
      const err = await next();
      assert.equal(err.msg.code, "E0102");
      assert.equal(err.msg.payloadId, "err-1");
      assert.match(err.msg.error, /model type 'face'.*file type 'text'/);
      assert.equal(strictParse(err.raw).code, "E0102");
      socket.sendPublish({ models: { language: {} }, rawText: true, data: "hi", streamWindowMs: 100, payloadId: "err-2" });
      const window = await next();
      assert.equal(window.msg.code, "E0101", "streamWindowMs is sent as stream_window_ms and validated");
      assert.equal(window.msg.payloadId, "err-2");

      // 4) a bare reset_stream
      socket.sendPublish({ resetStream: true });
      const reset = await next();
      assert.deepEqual(reset.msg, {});
      assert.equal(reset.raw, "{}");

      // 5) job details, stable on the connection
      socket.sendPublish({ jobDetails: true });
      const job = await next();
      assert.match(job.msg.jobDetails.jobId, HEX32);
      assert.equal(strictParse(job.raw).jobDetails.jobId, job.msg.jobDetails.jobId);
      socket.sendPublish({ jobDetails: true, models: { language: { granularity: "passage" } }, rawText: true, data: "Great work!", payloadId: "jd" });
      const again = await next();
      assert.equal(again.msg.jobDetails.jobId, job.msg.jobDetails.jobId);
      assert.equal(again.msg.language.predictions[0].text, "Great work!");

      assert.deepEqual(errors, [], "no socket errors");
      assert.equal(stream.queued, 0, "exactly one reply per message");
    } finally {
      socket.close();
    }
  });

  test("a wrong API key fails the connection (HTTP 401 at the handshake)", async () => {
    const client = new StreamClient({ baseUrl: streamBase() });
    const socket = await client.connect({ "X-Hume-Api-Key": "wrong-key", reconnectAttempts: 0 });
    let opened = false;
    socket.on("open", () => (opened = true));
    const failure = await socket.waitForOpen().then(
      () => undefined,
      (e: unknown) => e as { message?: string },
    );
    assert.ok(failure, "waitForOpen rejects");
    assert.match(String(failure.message), /401/);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(opened, false);
    socket.close();
  });
});

describe("hume@0.15.17 HumeClient wrapper (hard-coded wss://api.hume.ai, redirected)", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "oe-hume-wrapper-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The documented work-around: replace the `ws` export before `hume` is first required.
  const SCRIPT = String.raw`"use strict";
const fs = require("node:fs");
const { createRequire } = require("node:module");
const repoRequire = createRequire(process.env.OE_REPO + "/package.json");
const RealWS = repoRequire("ws");
class RedirectWS extends RealWS {
  constructor(url, protocols, opts) {
    if (typeof url === "string" && url.startsWith("wss://api.hume.ai/v0/stream/models")) url = process.env.OE_STREAM_URL;
    super(url, protocols, opts);
  }
}
repoRequire.cache[repoRequire.resolve("ws")].exports = RedirectWS;
const { HumeClient } = repoRequire("hume");

(async () => {
  const messages = [];
  const socket = new HumeClient({ apiKey: process.env.OE_KEY }).expressionMeasurement.stream.connect({
    config: { language: { granularity: "sentence", sentiment: {} } },
    streamWindowMs: 2000,
    onMessage: (m) => messages.push(m),
  });
  const out = {};
  out.text = await socket.sendText({ text: "I love this. I hate that." });
  out.file = await socket.sendFile({ file: fs.createReadStream(process.env.OE_TXT), config: { language: { granularity: "passage" } } });
  try { out.faceOnText = await socket.sendText({ text: "hello", config: { face: {} } }); } catch (e) { out.faceError = e.message; }
  try { out.facemesh = await socket.sendFacemesh({ landmarks: JSON.parse(process.env.OE_MESH), config: { facemesh: {} } }); } catch (e) { out.facemeshError = e.message; }
  out.afterErrors = await socket.sendText({ text: "Thank you!", config: { language: { granularity: "passage" } } });
  out.reset = await socket.reset();
  out.jobDetails = await socket.getJobDetails();
  out.messages = messages;
  socket.close();
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

  test("sendText, sendFile, errors as rejections, reset and getJobDetails", async () => {
    const script = join(dir, "wrapper.cjs");
    const txt = join(dir, "sample.txt");
    await writeFile(script, SCRIPT);
    await writeFile(txt, "Hello from a file, this is lovely.\n");
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [script],
        {
          timeout: 30_000,
          env: {
            ...process.env,
            OE_REPO: packageRoot,
            OE_STREAM_URL: server.streamUrl,
            OE_KEY: API_KEY,
            OE_TXT: txt,
            OE_MESH: JSON.stringify(facemesh(1)),
          },
        },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
      );
    });
    const out = JSON.parse(stdout) as Reply;

    // Replies keep snake_case keys (the wrapper parses with passthrough) and carry the uuid payload_id.
    assert.match(out.text.payload_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(out.text.language.predictions.length, 2);
    assert.equal(out.text.language.predictions[1].text, "I hate that.");
    assert.deepEqual(out.text.language.predictions[1].position, { begin: 13, end: 25 });
    assert.equal(out.text.language.predictions[0].sentiment.length, 9);
    assertEmotions(out.text.language.predictions[0].emotions);

    assert.equal(out.file.language.predictions.length, 1);
    assert.equal(out.file.language.predictions[0].text, "Hello from a file, this is lovely.");
    assert.notEqual(out.file.payload_id, out.text.payload_id);

    assert.equal(out.faceOnText, undefined, "an error reply rejects the promise");
    assert.match(out.faceError, /E0102/);
    assert.match(out.faceError, /model type 'face'/);
    if (!isAvailable("facemesh")) {
      assert.match(out.facemeshError, /E0901/);
      assert.match(out.facemeshError, /facemesh/);
    } else {
      assert.equal(out.facemeshError, undefined, out.facemeshError);
      assert.ok(Array.isArray(out.facemesh.facemesh.predictions));
    }
    assert.equal(out.afterErrors.language.predictions[0].text, "Thank you!", "the socket survives errors");

    // reset() and getJobDetails() resolve to void; their replies reach onMessage.
    assert.equal(out.reset, undefined);
    assert.equal(out.jobDetails, undefined);
    const messages = out.messages as Reply[];
    assert.deepEqual(messages.at(-2), {}, "bare reset reply");
    assert.match(messages.at(-1)!.job_details.job_id, HEX32);
    assert.equal(messages.length, 7, "one reply per request, nothing extra");
  });
});
