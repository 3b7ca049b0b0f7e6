/**
 * The playground page in a real browser against the real server and models: each mode must show
 * real predictions (coloured words, a face box with its id, a prosody segment), a wrong key must
 * show HTTP 401, and every mode is saved as a screenshot under artifacts/playground/. The HTTP
 * side of serving the page (content types, caching, no path traversal) is checked first.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { packageRoot } from "../../src/package-paths.js";
import type { RunningServer } from "../../src/server/index.js";
import { buildWeb } from "../../src/web/build.js";
import { browserMissing, launchBrowser, makeFakeMedia, type FakeMedia } from "../helpers/browser.js";
import { startTestServer } from "../helpers/server.js";

const KEY = "playground-key";
const SHOTS = join(packageRoot, "artifacts", "playground");

describe("playground page over HTTP", () => {
  test("browsers get the page at /, API clients keep the JSON at / and /info", async () => {
    const page = await fetch(`${server.url}/`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(page.headers.get("cache-control"), "no-cache");
    assert.equal(page.headers.get("vary"), "accept", "caches keep the page and the JSON apart");
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    assert.ok(html.includes(`assets/${script}`), "index.html points at the built script");
    assert.doesNotMatch(html, /https?:\/\//, "the page loads nothing from elsewhere");
    for (const accept of [undefined, "application/json"]) {
      const res = await fetch(`${server.url}/`, accept ? { headers: { accept } } : {});
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(res.headers.get("vary"), "accept");
      assert.equal(((await res.json()) as { stream: string }).stream, "/v0/stream/models");
    }
    const info = await fetch(`${server.url}/info`, { headers: { accept: "text/html" } });
    assert.equal(((await info.json()) as { name: string }).name, "open-expression");
  });

  test("assets: content type, immutable caching, ETag revalidation, HEAD, no traversal", async () => {
    const asset = await fetch(`${server.url}/assets/${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(asset.headers.get("cache-control") ?? "", /immutable/);
    const body = await asset.text();
    assert.ok(body.length > 1000);
    const etag = asset.headers.get("etag") ?? "";
    assert.equal((await fetch(`${server.url}/assets/${script}`, { headers: { "if-none-match": etag } })).status, 304);
    const head = await fetch(`${server.url}/assets/${script}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(Buffer.byteLength(body)));
    assert.equal((await fetch(`${server.url}/assets/${script}`, { method: "POST" })).status, 405);
    for (const path of [
      "/assets/../../package.json",
      "/assets/..%2f..%2fpackage.json",
      "/assets/%2e%2e/index.html",
      "/assets/.hidden.js",
      "/assets/index.html", // the page is served at / only
      "/assets/nope-AAAAAAAA.js",
      "/assets/sub/dir.js",
      "/package.json",
    ]) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
    }
  });

  test("plain HTTP on the stream path answers 401 for a wrong key and 426 for a good one", async () => {
    assert.equal((await fetch(`${server.url}/v0/stream/models`, { headers: { "x-hume-api-key": "wrong" } })).status, 401);
    assert.equal((await fetch(`${server.url}/v0/stream/models`, { headers: { "x-hume-api-key": KEY } })).status, 426);
  });
});

// On a developer computer without chromium the browser tests skip with the reason; in CI (CI set,
// as CI services do) they run regardless, so a missing browser fails loudly instead of passing.
const inCi = Boolean(process.env.CI) && process.env.CI !== "false";
const skipBrowser = inCi ? false : browserMissing;

// One build and one server (its models loaded once) for the HTTP and the browser tests.
let server: RunningServer;
let script = "";
before(async () => {
  script = (await buildWeb()).assets.script;
  server = await startTestServer({ apiKeys: [KEY] });
});
after(async () => {
  await server?.close();
});

describe("playground in a real browser", { skip: skipBrowser }, () => {
  let media: FakeMedia;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    media = makeFakeMedia();
    browser = await launchBrowser(media);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    // Console errors too (a CSP violation shows up only there), except the refused handshakes
    // and key checks of the wrong-key test, which the browser logs itself.
    page.on("console", (msg) => {
      if (msg.type() === "error" && !/\b401\b|HTTP Authentication failed/.test(msg.text())) pageErrors.push(msg.text());
    });
    page.setDefaultTimeout(20_000);
  });
  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    media?.cleanup();
  });

  /** On a timeout, says what the page showed: its status, notices and the mode's output. */
  const explain = async (err: unknown, ...selectors: string[]): Promise<never> => {
    const shown = await Promise.all(["#status-detail", "#notices", ...selectors].map(async (sel) => `${sel}: ${(await page.textContent(sel).catch(() => "?"))?.slice(0, 400)}`));
    throw new Error(`${err instanceof Error ? err.message.split("\n")[0] : String(err)}\n${shown.join("\n")}`);
  };
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const connect = async (key: string) => {
    await page.fill("#api-key", key);
    await page.click("#connect");
  };

  test("a missing or wrong API key shows HTTP 401 with its code", async () => {
    await page.goto(`${server.url}/#text`);
    // The page connects on load; without a key this server refuses.
    await page.waitForSelector("#status[data-status=failed]");
    assert.match(await page.textContent("#status-detail") ?? "", /401.*needs an API key/);
    await connect("not-the-key");
    await page.waitForFunction(() => document.querySelector("#status-detail")?.textContent?.includes("rejected this API key"));
    const notice = await page.textContent("#notices .notice.error");
    assert.match(notice ?? "", /HTTP 401/);
    assert.match(notice ?? "", /rejected this API key/);
    await shot("wrong-key");
  });

  test("text: words coloured by their top emotion, with sentiment", async () => {
    await connect(KEY);
    await page.waitForSelector("#status[data-status=connected]");
    await page.selectOption("#text-granularity", "word");
    const text = "Thank you so much, I love this! But the traffic was awful and I am furious.";
    await page.fill("#text-input", text);
    // The reply to this text (not to the sample text the page starts with) is drawn.
    await page.waitForFunction((t) => document.querySelector("#text-output")?.textContent === t && document.querySelectorAll("#text-output mark[data-emotion]").length >= 10, text);
    const marks = await page.$$eval("#text-output mark", (ms) => ms.map((m) => ({ text: m.textContent, emotion: (m as HTMLElement).dataset.emotion, bg: getComputedStyle(m).backgroundColor })));
    assert.ok(marks.length >= 10, `${marks.length} words marked`);
    assert.ok(marks.some((m) => m.text === "Thank"), "the words themselves are marked");
    assert.ok(new Set(marks.map((m) => m.emotion)).size >= 2, "different words get different top emotions");
    assert.ok(new Set(marks.map((m) => m.bg)).size >= 2, "and different colours");
    assert.match((await page.textContent("#text-sentiment-value")) ?? "", /^\d\.\d \((negative|neutral|positive)\)$/);
    assert.match((await page.textContent("#latency")) ?? "", /^\d+ ms$/);
    await shot("text");
    await page.selectOption("#text-granularity", "sentence");
    await page.waitForFunction(() => document.querySelectorAll("#text-output mark").length === 2);
  });

  test("camera: face boxes with ids over the video, top emotions per face", async () => {
    await page.click("#tab-camera");
    await page.click("#camera-toggle");
    await page.waitForSelector("#camera-faces .face-card", { timeout: 30_000 }).catch((err: unknown) => explain(err, "#camera-info", "#camera-faces"));
    const ids = await page.$$eval("#camera-faces .face-card", (cards) => cards.map((c) => (c as HTMLElement).dataset.faceId ?? ""));
    assert.ok(ids.length >= 2, `faces found: ${ids.join(", ")}`);
    assert.ok(ids.every((id) => id.length > 0));
    assert.equal(new Set(ids).size, ids.length, "each face has its own id");
    assert.ok((await page.$$("#camera-faces .face-card .bar")).length >= ids.length * 3, "emotion bars per face");
    // The boxes are drawn: the overlay has the frame's size and painted pixels.
    const painted = await page.$eval("#camera-overlay", (c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
      return { n, w: canvas.width, h: canvas.height };
    });
    assert.deepEqual([painted.w, painted.h], [640, 480]);
    assert.ok(painted.n > 500, `${painted.n} overlay pixels drawn`);
    // Identities are stable across frames: wait for a second reply and compare.
    const sent = await page.textContent("#camera-info");
    await page.waitForFunction((before) => document.querySelector("#camera-info")?.textContent !== before, sent);
    await page.waitForTimeout(1200);
    const again = await page.$$eval("#camera-faces .face-card", (cards) => cards.map((c) => (c as HTMLElement).dataset.faceId ?? ""));
    assert.deepEqual([...again].sort(), [...ids].sort(), "the same faces keep their ids");
    await shot("camera");
    await page.click("#camera-toggle");
  });

  test("microphone: prosody segments on the timeline, in stream time", async () => {
    await page.click("#tab-microphone");
    await page.click("#mic-toggle");
    // A few seconds of speech, so the timeline (and its screenshot) shows more than one segment.
    await page
      .waitForFunction(() => document.querySelectorAll("#mic-segments .segment.speech").length >= 4, undefined, { timeout: 30_000 })
      .catch((err: unknown) => explain(err, "#mic-info", "#mic-segments", "#reply-count"));
    const spans = await page.$$eval("#mic-segments .segment.speech .span", (els) => els.map((e) => e.textContent ?? ""));
    const times = spans.map((text) => {
      const m = /^(\d+\.\d)–(\d+\.\d) s$/.exec(text);
      assert.ok(m, `segment span: ${text}`);
      return { begin: Number(m[1]), end: Number(m[2]) };
    });
    // Spans are shown to 0.1 s: a piece of a region that spans two chunks can be shorter than
    // that and show begin = end (pieces' exact times are pinned by audio-stream.test.ts).
    for (const t of times) assert.ok(t.begin >= 0 && t.end >= t.begin && t.end < 30, `${t.begin}-${t.end} s lies inside the audio sent so far`);
    assert.ok(times.some((t) => t.end > t.begin), spans.join(" | "));
    // Stream time runs on across chunks: the list (newest first) goes back in time.
    for (let i = 1; i < times.length; i++) assert.ok((times[i]?.end ?? 0) <= (times[i - 1]?.end ?? 0) + 0.05, spans.join(" | "));
    assert.match((await page.textContent("#mic-segments .segment.speech .scores")) ?? "", /^[A-Z][a-z]+ \d\.\d\d/);
    // One-second chunks: about one reply a second while recording.
    const rate = (await page.textContent("#rate")) ?? "";
    assert.ok(Number(rate) > 0, `replies per second are counted: ${rate}`);
    await shot("microphone");
    await page.click("#mic-toggle");
  });

  test("keyboard: arrow keys move between modes; phone width has no sideways scrolling", async () => {
    await page.focus("#tab-microphone");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.getAttribute("#tab-text", "aria-selected"), "true");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "tab-text");
    assert.equal(await page.isHidden("#panel-microphone"), true);
    await page.keyboard.press("Home");
    assert.equal(await page.getAttribute("#tab-camera", "aria-selected"), "true");
    await page.setViewportSize({ width: 390, height: 844 });
    for (const mode of ["camera", "microphone", "text"]) {
      await page.click(`#tab-${mode}`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${mode} fits 390 px`);
    }
    await page.screenshot({ path: join(SHOTS, "text-phone.png"), fullPage: true });
    assert.deepEqual(pageErrors, [], "no uncaught errors or console errors on the page");
  });
});
