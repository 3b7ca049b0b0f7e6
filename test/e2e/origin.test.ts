/**
 * The origin policy at the WebSocket handshake: a server without API keys refuses browser
 * origins other than its own (403 before the upgrade, counted in the refused-connections
 * metric), `allowedOrigins` adds origins or `*`, and with API keys every origin is allowed
 * unless `allowedOrigins` is set. The playground's own page is covered by playground.test.ts,
 * which connects from the server's own origin in a real browser.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConfigError, loadConfig, type RunningServer } from "../../src/server/index.js";
import { originPolicy, ownOrigins } from "../../src/server/origin.js";
import { handshake, handshakeStatus } from "../helpers/conn.js";
import { scrape, series } from "../helpers/metrics.js";
import { startTestServer } from "../helpers/server.js";

const EVIL = "https://evil.example";
const REFUSED_ORIGIN = 'open_expression_refused_connections_total{reason="origin"}';

describe("origin policy (unit)", () => {
  const local = (allowedOrigins?: string[], keysEnabled = false) => originPolicy({ allowedOrigins, keysEnabled, host: "127.0.0.1", port: 8000 });

  test("no keys, nothing configured: no Origin and the server's own origins only", () => {
    const allowed = local();
    assert.equal(allowed(undefined), true, "non-browser clients send no Origin");
    for (const own of ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "HTTP://LOCALHOST:8000"]) assert.equal(allowed(own), true, own);
    for (const other of [EVIL, "http://127.0.0.1:8001", "http://localhost", "null", "file://", "not a url", ""]) assert.equal(allowed(other), false, other);
  });

  test("listed origins are added, * allows all", () => {
    const listed = local(["https://app.example"]);
    assert.equal(listed("https://app.example"), true);
    assert.equal(listed("https://app.example:443"), true, "default port is the same origin");
    assert.equal(listed("http://app.example"), false, "scheme is part of the origin");
    assert.equal(listed(EVIL), false);
    assert.equal(listed("http://127.0.0.1:8000"), true, "the server's own origin stays allowed");
    assert.equal(local(["*"])(EVIL), true);
  });

  test("with API keys every origin is allowed unless origins are configured", () => {
    assert.equal(local(undefined, true)(EVIL), true);
    assert.equal(local(["https://app.example"], true)(EVIL), false);
    assert.equal(local(["https://app.example"], true)("https://app.example"), true);
  });

  test("own origins come from the bound address, not from the request", () => {
    assert.deepEqual(ownOrigins("10.0.0.5", 9000), ["http://10.0.0.5:9000", "https://10.0.0.5:9000"]);
    assert.ok(ownOrigins("::1", 9000).includes("http://[::1]:9000"));
    assert.ok(ownOrigins("0.0.0.0", 9000).includes("http://localhost:9000"));
  });

  test("configuration: env var and overrides, invalid origins are a ConfigError", () => {
    assert.equal(loadConfig({}, {}).allowedOrigins, undefined);
    assert.deepEqual(loadConfig({}, { OPEN_EXPRESSION_ALLOWED_ORIGINS: "https://A.example:443, http://b.example:8080" }).allowedOrigins, [
      "https://a.example",
      "http://b.example:8080",
    ]);
    assert.deepEqual(loadConfig({}, { OPEN_EXPRESSION_ALLOWED_ORIGINS: "*" }).allowedOrigins, ["*"]);
    assert.throws(() => loadConfig({}, { OPEN_EXPRESSION_ALLOWED_ORIGINS: "evil.example" }), ConfigError);
  });
});

describe("origin policy on a server without API keys", () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test("no Origin (SDKs, CLI) and the server's own origin (the playground) upgrade", async () => {
    assert.equal(await handshakeStatus(server.streamUrl), 101);
    assert.equal(await handshakeStatus(server.streamUrl, { origin: server.url }), 101);
    assert.equal(await handshakeStatus(server.streamUrl, { origin: server.url.replace("127.0.0.1", "localhost") }), 101);
  });

  test("another origin gets 403 with a coded JSON body, is counted, and the server stays usable", async () => {
    const before = series(await scrape(server.url), REFUSED_ORIGIN) ?? 0;
    const refused = await handshake(server.streamUrl, { origin: EVIL });
    assert.equal(refused.status, 403);
    assert.equal(refused.body?.code, "forbidden_origin");
    assert.match(String(refused.body?.error), /--allowed-origins/);
    assert.equal(series(await scrape(server.url), REFUSED_ORIGIN), before + 1);
    assert.equal(await handshakeStatus(server.streamUrl, { origin: server.url }), 101);
  });
});

describe("origin policy with configured origins and with API keys", () => {
  const servers: RunningServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const start = async (options: Parameters<typeof startTestServer>[0]) => {
    const server = await startTestServer({ threads: 1, ...options });
    servers.push(server);
    return server;
  };

  test("--allowed-origins adds an origin; * allows any", async () => {
    const listed = await start({ allowedOrigins: ["https://app.example"] });
    assert.equal(await handshakeStatus(listed.streamUrl, { origin: "https://app.example" }), 101);
    assert.equal(await handshakeStatus(listed.streamUrl, { origin: listed.url }), 101);
    assert.equal(await handshakeStatus(listed.streamUrl, { origin: EVIL }), 403);
    const any = await start({ allowedOrigins: ["*"] });
    assert.equal(await handshakeStatus(any.streamUrl, { origin: EVIL }), 101);
  });

  test("with API keys any origin may connect with a valid key, unless origins are configured", async () => {
    const headers = { "X-Hume-Api-Key": "origin-key" };
    const keyed = await start({ apiKeys: ["origin-key"] });
    assert.equal(await handshakeStatus(keyed.streamUrl, { origin: EVIL, headers }), 101);
    assert.equal(await handshakeStatus(keyed.streamUrl, { origin: EVIL }), 401, "the key is still required");
    const keyedListed = await start({ apiKeys: ["origin-key"], allowedOrigins: ["https://app.example"] });
    assert.equal(await handshakeStatus(keyedListed.streamUrl, { origin: EVIL, headers }), 403);
    assert.equal(await handshakeStatus(keyedListed.streamUrl, { origin: "https://app.example", headers }), 101);
  });
});
