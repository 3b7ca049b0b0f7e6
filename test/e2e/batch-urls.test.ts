/**
 * Server-side requests of batch jobs: `urls` downloads and `callback_url` posts. Fetching from a
 * loopback server the test starts works with private URLs allowed; without that, private
 * addresses are refused, as literals, after DNS resolution, and on every redirect; downloads
 * are bounded; callbacks are retried when the receiver fails.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { fetchUrl, isPrivateAddress, UrlError, type UrlPolicy } from "../../src/batch/urls.js";
import type { RunningServer } from "../../src/server/index.js";
import { concatWav, espeakMissing, silence, speech } from "../helpers/av.js";
import { eventually, startTestServer } from "../helpers/server.js";

const POLICY: UrlPolicy = { allowPrivate: false, timeoutMs: 5_000, maxBytes: 1024 * 1024 };

async function refused(promise: Promise<unknown>, code: UrlError["code"]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof UrlError && err.code === code);
}

describe("batch URLs and callbacks", { skip: espeakMissing, timeout: 600_000 }, () => {
  let media: Server;
  /** The same server on a second loopback address, so a policy can allow one and not the other. */
  let media2: Server;
  let port = 0;
  let port2 = 0;
  let wav: Buffer;
  const callbacks: { status: string }[] = [];
  let callbackFailures = 1;

  before(async () => {
    wav = concatWav([speech("Fetching a recording from a web server works."), silence(0.5)]);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === "/speech.wav") return void res.writeHead(200, { "content-type": "audio/wav" }).end(wav);
      if (req.url === "/to-other-loopback") return void res.writeHead(302, { location: `http://127.0.0.2:${port}/speech.wav` }).end();
      if (req.url === "/to-localhost") return void res.writeHead(302, { location: `http://localhost:${port}/speech.wav` }).end();
      if (req.url === "/callback") {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          // The first delivery fails: the server must retry.
          if (callbackFailures-- > 0) return void res.writeHead(503).end();
          callbacks.push((JSON.parse(body) as { state: { status: string } }).state);
          res.end("ok");
        });
        return;
      }
      res.writeHead(404).end();
    };
    media = createServer(handler);
    await new Promise<void>((r) => media.listen(0, "127.0.0.1", r));
    port = (media.address() as AddressInfo).port;
    media2 = createServer(handler);
    await new Promise<void>((r) => media2.listen(0, "127.0.0.2", r));
    port2 = (media2.address() as AddressInfo).port;
  });
  after(() => {
    media?.close();
    media2?.close();
  });

  test("address rules: literals, DNS names and redirects to private addresses are refused", async () => {
    assert.ok(isPrivateAddress("127.0.0.1") && isPrivateAddress("10.1.2.3") && isPrivateAddress("169.254.169.254") && isPrivateAddress("::1"));
    assert.ok(isPrivateAddress("::ffff:192.168.0.1") && isPrivateAddress("fe80::1") && isPrivateAddress("fd00::1"));
    assert.ok(!isPrivateAddress("8.8.8.8") && !isPrivateAddress("2606:4700::1111"));
    await refused(fetchUrl(`http://127.0.0.1:${port}/speech.wav`, POLICY), "url_forbidden");
    // A name is checked on the addresses it resolves to.
    await refused(fetchUrl(`http://localhost:${port}/speech.wav`, POLICY), "url_forbidden");
    // Only 127.0.0.1 counts as allowed here, so the first hop connects and the redirect is checked.
    const only127001: UrlPolicy = { ...POLICY, forbidden: (a) => a !== "127.0.0.1" };
    assert.equal((await fetchUrl(`http://127.0.0.1:${port}/speech.wav`, only127001)).bytes.length, wav.length);
    await refused(fetchUrl(`http://127.0.0.1:${port}/to-other-loopback`, only127001), "url_forbidden");
    // A redirect to a name is checked on what the name resolves to (localhost: 127.0.0.1, forbidden here).
    const only127002: UrlPolicy = { ...POLICY, forbidden: (a) => a !== "127.0.0.2" };
    assert.equal((await fetchUrl(`http://127.0.0.2:${port2}/speech.wav`, only127002)).bytes.length, wav.length);
    await refused(fetchUrl(`http://127.0.0.2:${port2}/to-localhost`, only127002), "url_forbidden");
    await refused(fetchUrl(`http://127.0.0.1:${port}/speech.wav`, { ...only127001, maxBytes: 1000 }), "url_too_large");
    await refused(fetchUrl(`http://127.0.0.1:${port}/missing`, only127001), "url_failed");
  });

  describe("through the server", () => {
    let open: RunningServer;
    let strict: RunningServer;
    before(async () => {
      open = await startTestServer({ threads: 1, batch: { allowPrivateUrls: true } });
      strict = await startTestServer({ threads: 1 });
    });
    after(async () => {
      await open?.close();
      await strict?.close();
    });

    const submit = async (server: RunningServer, body: unknown) => {
      const res = await fetch(`${server.url}/v0/batch/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
      const { job_id } = (await res.json()) as { job_id: string };
      await eventually(async () => {
        const details = (await (await fetch(`${server.url}/v0/batch/jobs/${job_id}`)).json()) as { state: { status: string } };
        return details.state.status === "COMPLETED";
      }, "job completion", 120_000, 100);
      return (await (await fetch(`${server.url}/v0/batch/jobs/${job_id}/predictions`)).json()) as {
        source: { type: string; url?: string };
        results: { predictions: { models: { prosody?: { grouped_predictions: { predictions: unknown[] }[] } } }[]; errors: { message: string }[] };
      }[];
    };

    test("a URL on a loopback server is fetched and measured when private URLs are allowed; the callback is retried", async () => {
      const url = `http://127.0.0.1:${port}/speech.wav`;
      const [result] = await submit(open, { urls: [url], models: { prosody: {} }, callback_url: `http://127.0.0.1:${port}/callback` });
      assert.deepEqual(result?.source, { type: "url", url });
      assert.deepEqual(result?.results.errors, []);
      assert.ok((result?.results.predictions[0]?.models.prosody?.grouped_predictions[0]?.predictions.length ?? 0) >= 1);
      await eventually(() => callbacks.length === 1, "the callback after one failed delivery", 10_000);
      assert.equal(callbacks[0]?.status, "COMPLETED");
    });

    test("without the setting, a private URL is refused with a coded error in the job's results", async () => {
      const [result] = await submit(strict, { urls: [`http://127.0.0.1:${port}/speech.wav`], models: { prosody: {} } });
      assert.deepEqual(result?.results.predictions, []);
      assert.match(result?.results.errors[0]?.message ?? "", /^url_forbidden: /);
    });
  });
});
