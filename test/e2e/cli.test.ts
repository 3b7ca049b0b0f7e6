/**
 * `open-expression measure` as a user runs it: a real CLI process against a real server.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { audioChunks } from "../../src/cli/audio-chunks.js";
import { chunkText } from "../../src/cli/chunk.js";
import type { StreamReply } from "../../src/client/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { concatWav, espeakMissing, silence, speech } from "../helpers/av.js";
import { runCli } from "../helpers/cli-process.js";
import { startTestServer } from "../helpers/server.js";

const KEY = "cli-test-key";

/** `open-expression measure <args>`, without a key from this process's environment. */
const cli = (args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runCli(["measure", ...args], { stdin: options.stdin, env: { OPEN_EXPRESSION_API_KEY: "", ...options.env } });

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const address = srv.address();
  await new Promise((r) => srv.close(r));
  assert.ok(address && typeof address === "object");
  return address.port;
}

describe("chunkText", () => {
  it("covers the text exactly, within the limit, ending chunks at sentence boundaries", () => {
    const text = Array.from({ length: 900 }, (_, i) => `Sentence ${i} is here 😀.${i % 7 === 6 ? "\n\n" : " "}`).join("");
    const chunks = chunkText(text, 2000);
    assert.ok(chunks.length > 1);
    assert.equal(chunks.map((c) => c.text).join(""), text);
    let offset = 0;
    for (const c of chunks) {
      assert.equal(c.offset, offset);
      const n = Array.from(c.text).length;
      assert.ok(n <= 2000, `chunk of ${n}`);
      offset += n;
    }
    for (const c of chunks.slice(0, -1)) assert.match(c.text, /\.\s+$/);
    assert.deepEqual(chunkText("short"), [{ text: "short", offset: 0 }]);
    assert.equal(chunkText("x".repeat(25), 10).length, 3, "hard cut without any boundary");
  });
});

describe("audioChunks", () => {
  it("cuts long audio into 16 kHz mono WAVs of the chunk length; short audio stays whole", async () => {
    const chunks = await audioChunks(silence(9), 4);
    assert.deepEqual(chunks?.map((c) => c.length), [44 + 64_000 * 2, 44 + 64_000 * 2, 44 + 16_000 * 2]);
    assert.equal(Buffer.from(chunks?.[0] ?? []).toString("latin1", 0, 4), "RIFF");
    assert.equal(await audioChunks(silence(3), 4), undefined);
    assert.equal(await audioChunks(new TextEncoder().encode("not media"), 4), undefined);
  });
});

describe("open-expression measure", () => {
  let server: RunningServer;
  let dir: string;
  let textFile: string;
  const TEXT = "Thank you so much for your help, I really appreciate it. This is awful and I hate it.\n";

  before(async () => {
    server = await startTestServer({ apiKeys: [KEY] });
    dir = await mkdtemp(join(tmpdir(), "oe-cli-"));
    textFile = join(dir, "input.txt");
    await writeFile(textFile, TEXT);
  });
  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("--json prints the replies with language predictions", async () => {
    const run = await cli([textFile, "--url", server.url, "--api-key", KEY, "--granularity", "sentence", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const replies = JSON.parse(run.stdout) as StreamReply[];
    assert.equal(replies.length, 1);
    const preds = replies[0]?.language?.predictions ?? [];
    assert.equal(preds.length, 2);
    for (const p of preds) assert.equal(TEXT.slice(p.position.begin, p.position.end), p.text);
    const top3 = [...(preds[0]?.emotions ?? [])].sort((a, b) => b.score - a.score).slice(0, 3).map((e) => e.name);
    assert.ok(top3.includes("Gratitude"), top3.join(", "));
  });

  it("prints a table with emotion names, positions and sentiment", async () => {
    const run = await cli([textFile, "--url", server.url, "--granularity", "sentence", "--sentiment", "--top", "2"], {
      env: { OPEN_EXPRESSION_API_KEY: KEY },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /language: 2 predictions/);
    assert.match(run.stdout, /top 2 emotions/);
    assert.match(run.stdout, /Gratitude \d\.\d{3}/);
    assert.match(run.stdout, /0-56/);
    assert.match(run.stdout, /\d\.\d \((positive|neutral|negative)\)/);
    assert.equal(run.stderr, "");
  });

  it("reads stdin and prints warnings with their codes", async () => {
    const run = await cli(["-", "--url", server.url, "--api-key", KEY], { stdin: "   \n" });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning W0104 \[language\]/);
  });

  it("splits long text into chunks and re-bases positions to the whole file", async () => {
    const long = Array.from({ length: 450 }, (_, i) => `Line ${i}: I am ${i % 2 ? "happy 😀" : "sad"} today.`).join(" ");
    const file = join(dir, "long.txt");
    await writeFile(file, long);
    const run = await cli([file, "--url", server.url, "--api-key", KEY, "--granularity", "sentence", "--json", "--progress"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /chunk 1\/2/);
    assert.match(run.stderr, /chunk 2\/2/);
    const replies = JSON.parse(run.stdout) as StreamReply[];
    assert.equal(replies.length, 2);
    const cps = Array.from(long);
    const preds = replies.flatMap((r) => r.language?.predictions ?? []);
    assert.equal(preds.length, 450);
    for (const p of preds) assert.equal(cps.slice(p.position.begin, p.position.end).join(""), p.text);
  });

  it("streams audio longer than a chunk in chunks, with times in stream time", { skip: espeakMissing }, async () => {
    const wav = join(dir, "long.wav");
    const sentence = speech("I am so happy to see you again, this is wonderful news.");
    await writeFile(wav, concatWav([sentence, sentence, sentence])); // about 9.6 s
    const run = await cli([wav, "--url", server.url, "--api-key", KEY, "--models", "prosody", "--json", "--progress"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /chunk 3\/3/);
    const replies = JSON.parse(run.stdout) as (StreamReply & { error?: string })[];
    assert.equal(replies.length, 3, "9 s in 4-second chunks");
    for (const r of replies) assert.equal(r.error, undefined, r.error);
    const times = replies.map((r) => (r.prosody?.predictions ?? []).map((p) => p.time));
    for (const [i, t] of times.entries()) assert.ok(t.length > 0, `chunk ${i + 1} has no prosody predictions`);
    // Stream time: each chunk's predictions start no earlier and reach further than the previous
    // chunk's (a speech region spanning chunks is reported again with the later chunk, longer).
    for (let i = 1; i < times.length; i++) {
      const [prev, cur] = [times[i - 1] ?? [], times[i] ?? []];
      assert.ok((cur[0]?.begin ?? -1) >= (prev[0]?.begin ?? 0), JSON.stringify(times));
      assert.ok((cur.at(-1)?.end ?? 0) > (prev.at(-1)?.end ?? 0), JSON.stringify(times));
    }
    assert.ok(Math.max(...times.flat().map((t) => t.end)) > 5, JSON.stringify(times));

    const table = await cli([wav, "--url", server.url, "--api-key", KEY, "--models", "prosody"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /prosody: \d+ predictions?/);
  });

  it("exits 1 with the code on a server error reply", async () => {
    const run = await cli([textFile, "--url", server.url, "--api-key", KEY, "--models", "face"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /E0102/);
  });

  it("exits 2 with a hint when no server is running", async () => {
    const run = await cli([textFile, "--url", `ws://127.0.0.1:${await freePort()}`]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /connection refused/);
    assert.match(run.stderr, /open-expression serve/);
  });

  it("exits 2 with a clear message for a wrong key", async () => {
    const run = await cli([textFile, "--url", server.url, "--api-key", "wrong"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /authentication failed.*401/);
    assert.match(run.stderr, /--api-key/);
  });

  it("exits 2 on usage errors", async () => {
    assert.equal((await cli([textFile, "--models", "nope"])).code, 2);
    assert.equal((await cli([textFile, "--granularity", "chapter"])).code, 2);
    assert.equal((await cli([join(dir, "missing.txt"), "--url", server.url])).code, 2);
  });
});
