/**
 * The shipped nginx configuration, for real: two server processes on loopback behind nginx
 * (run as a non-daemon from a temporary prefix), a population of clients through it. Every
 * reply must arrive, in order, and both upstream processes must have served connections.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import sharp from "sharp";
import { normalizeUrl } from "../../src/client/url.js";
import { packageRoot } from "../../src/package-paths.js";
import { ffmpeg } from "../helpers/av.js";
import { sample } from "../helpers/face.js";
import { CliProcess, readyStreamUrl } from "../helpers/cli-process.js";
import { Conn, handshakeStatus, type Reply } from "../helpers/conn.js";

const nginxBin = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p)) ??
  (spawnSync("nginx", ["-v"], { stdio: "ignore" }).status === 0 ? "nginx" : undefined);
const skip = nginxBin ? false : "nginx is not installed (apt-get install nginx; .ci/run installs it in CI)";

const KEY = "nginx-test-key";
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The shipped file with the example ports replaced; fails if the file no longer has them. */
function configFor(upstreams: number[], listen: number): string {
  let conf = readFileSync(join(packageRoot, "deploy/nginx/open-expression.conf"), "utf8");
  const swap = (from: string, to: string) => {
    assert.ok(conf.includes(from), `shipped config contains ${from}`);
    conf = conf.replace(from, to);
  };
  swap("server 127.0.0.1:8001", `server 127.0.0.1:${upstreams[0]}`);
  swap("server 127.0.0.1:8002", `server 127.0.0.1:${upstreams[1]}`);
  swap("listen 8000;", `listen 127.0.0.1:${listen};`);
  return conf;
}

async function startNginx(conf: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), "oe-nginx-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "open-expression.conf"), conf);
  // The shipped file is http-context (conf.d); a minimal main file around it. As root, nginx
  // would switch its workers to "nobody", who cannot read this private temporary prefix.
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  const main = `${user}worker_processes 1;\nevents { worker_connections 512; }\nhttp {\n  access_log off;\n  include ${join(dir, "open-expression.conf")};\n}\n`;
  writeFileSync(join(dir, "nginx.conf"), main);
  const child = spawn(nginxBin as string, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", "stderr", "-g", `daemon off; pid ${join(dir, "nginx.pid")};`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill("SIGTERM");
  });
  // Ready once /readyz answers through the proxy.
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) return { url, child };
    if (Date.now() > deadline) throw new Error(`nginx not serving /readyz after 10 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("nginx: 20 connections x 10 mixed messages through the shipped config reach both upstreams in order", { skip, timeout: 90_000 }, async () => {
  const upstreams = [0, 1].map(() => CliProcess.start(["--port", "0", "--threads", "1", "--log-level", "debug", "--api-keys", KEY]));
  for (const u of upstreams) cleanups.push(() => u.child.exitCode === null && u.child.kill("SIGKILL"));
  const streams = await Promise.all(upstreams.map((u) => readyStreamUrl(u)));
  const ports = streams.map((s) => Number(new URL(s).port));
  const listen = await freePort();
  const nginx = await startNginx(configFor(ports, listen), listen);
  const streamUrl = normalizeUrl(nginx.url);

  // Auth passes through the proxy unchanged, both ways.
  assert.equal(await handshakeStatus(streamUrl), 401);
  assert.equal(await handshakeStatus(`${streamUrl}?api_key=${KEY}`), 101);

  const photo = await sharp(sample(1)).resize(320).jpeg().toBuffer();
  const tone = ffmpeg([], ["-f", "lavfi", "-i", "sine=frequency=220:sample_rate=16000", "-t", "1", "-c:a", "pcm_s16le"], "wav");
  // Large frames pass through: 2 MB of text is refused by the server (E0206), not by nginx.
  const bigText = "a".repeat(2 * 1024 * 1024);

  type Kind = "text" | "image" | "audio" | "big" | "job";
  const plan = (c: number): Kind[] => ["text", "job", c % 4 === 0 ? "image" : "text", "audio", "text", c % 5 === 0 ? "big" : "text", "text", "text", "audio", "text"];
  const message = (kind: Kind, id: string): object => {
    switch (kind) {
      case "text":
        return { models: { language: {} }, raw_text: true, data: `Thanks, that was lovely (${id}).`, payload_id: id };
      case "job":
        return { job_details: true, payload_id: id };
      case "image":
        return { models: { face: {} }, data: photo.toString("base64"), payload_id: id };
      case "audio":
        return { models: { prosody: {}, burst: {} }, data: tone.toString("base64"), payload_id: id };
      case "big":
        return { models: { language: {} }, raw_text: true, data: bigText, payload_id: id };
    }
  };
  const check = (kind: Kind, reply: Reply, where: string) => {
    const is = (ok: boolean) => assert.ok(ok, `${where}: unexpected ${kind} reply ${JSON.stringify(reply).slice(0, 300)}`);
    if (kind === "text") is(Array.isArray(reply.language?.predictions) && reply.language.predictions.length > 0);
    if (kind === "job") is(/^[0-9a-f]{32}$/.test(String(reply.job_details?.job_id)));
    if (kind === "image") is(Array.isArray(reply.face?.predictions) && reply.face.predictions.length > 0);
    if (kind === "audio") is(reply.prosody !== undefined && reply.burst !== undefined);
    if (kind === "big") is(reply.code === "E0206");
  };

  const CONNECTIONS = 20;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      const conn = await Conn.open(streamUrl, { headers: { "X-Hume-Api-Key": KEY } });
      const kinds = plan(c);
      // All ten pipelined at once: order must survive the proxy.
      kinds.forEach((k, i) => conn.send(message(k, `c${c}-m${i}`)));
      for (let i = 0; i < kinds.length; i++) {
        const reply = await conn.next(60_000);
        assert.equal(reply.payload_id, `c${c}-m${i}`, `connection ${c}: reply ${i} in order`);
        check(kinds[i] as Kind, reply, `c${c}-m${i}`);
      }
      await conn.assertQuiet(50);
      conn.close();
      await conn.closed;
    }),
  );

  const opened = upstreams.map((u) => u.lines.filter((l) => l.msg === "connection opened").length);
  // 20 population connections plus the one authenticated handshake check.
  assert.equal(opened[0]! + opened[1]!, CONNECTIONS + 1, `connections per upstream: ${opened.join(", ")}`);
  assert.ok(opened.every((n) => n > 0), `both upstreams served connections: ${opened.join(", ")}`);

  nginx.child.kill("SIGQUIT"); // graceful stop
  await new Promise((r) => nginx.child.once("exit", r));
  for (const u of upstreams) u.child.kill("SIGTERM");
  assert.deepEqual(await Promise.all(upstreams.map((u) => u.exited)), [0, 0]);
});
