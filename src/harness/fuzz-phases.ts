/**
 * The phases of a fuzz run: the corpus over several connections, frames the server must answer
 * by closing, a pipelined flood, abandoned connections, a client that stops reading, and
 * fragmented frames. Each records what it saw in a Tally.
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { ErrorCode, ErrorReply, PredictionsReply } from "../protocol/index.js";
import type { FuzzCase } from "./fuzz-corpus.js";
import { requestFor, type Kind, type Media } from "./media.js";

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

export interface Failure {
  category: string;
  name: string;
  problem: string;
}
/** What the fuzz run has seen so far: messages by category, replies by code, failures. */
export class Tally {
  failures: Failure[] = [];
  replyCodes: Record<string, number> = {};
  byCategory: Record<string, { sent: number; failed: number }> = {};
  hostileSent = 0;

  fail(category: string, name: string, problem: string): void {
    this.failures.push({ category, name, problem: problem.slice(0, 300) });
    (this.byCategory[category] ??= { sent: 0, failed: 0 }).failed++;
  }

  sent(category: string, n = 1): void {
    (this.byCategory[category] ??= { sent: 0, failed: 0 }).sent += n;
    this.hostileSent += n;
  }

  count(code: string): void {
    this.replyCodes[code] = (this.replyCodes[code] ?? 0) + 1;
  }

  /** Starts counting afresh (after the warm-up). */
  reset(): void {
    this.byCategory = {};
    this.replyCodes = {};
    this.hostileSent = 0;
  }

  /** The problem with a reply to `c`, or undefined when it is a valid, matching reply. */
  check(c: { payloadId?: string }, text: string): string | undefined {
    return checkReply(this, c, text);
  }
}

export interface PhaseContext {
  url: string;
  headers?: Record<string, string>;
  tally: Tally;
}

function checkReply(tally: Tally, c: { payloadId?: string }, text: string): string | undefined {
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return `reply is not JSON: ${text.slice(0, 100)}`;
  }
  if (typeof reply !== "object" || reply === null || Array.isArray(reply)) return `reply is not an object: ${text.slice(0, 100)}`;
  if ("error" in reply) {
    const e = ErrorReply.safeParse(reply);
    if (!e.success) return `malformed error reply: ${text.slice(0, 200)}`;
    if (!KNOWN_CODES.has(e.data.code)) return `unknown error code ${e.data.code}`;
    tally.count(e.data.code);
  } else {
    if (!PredictionsReply.safeParse(reply).success) return `malformed reply: ${text.slice(0, 200)}`;
    tally.count("ok");
  }
  const echoed = (reply as { payload_id?: unknown }).payload_id;
  if (c.payloadId !== undefined && echoed !== c.payloadId) return `payload_id ${JSON.stringify(echoed)?.slice(0, 40)} instead of ${c.payloadId.slice(0, 40)}`;
  return undefined;
}

function open(ctx: PhaseContext): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(ctx.url, { headers: ctx.headers, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const sendFrame = (ws: WebSocket, c: FuzzCase) => ws.send(c.frame, { binary: Boolean(c.binary) });

/** Sends the reply-expecting cases over `connections` sockets, `window` in flight on each. */
export async function runReplyCases(ctx: PhaseContext, cases: FuzzCase[], connections: number, window: number): Promise<void> {
  let nextCase = 0;
  const REPLY_TIMEOUT_MS = 120_000;
  const worker = async () => {
    while (nextCase < cases.length) {
      const ws = await open(ctx);
      const inFlight: { c: FuzzCase; at: number }[] = [];
      await new Promise<void>((resolve) => {
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearInterval(watchdog);
          resolve();
        };
        const pump = () => {
          while (inFlight.length < window && nextCase < cases.length && ws.readyState === WebSocket.OPEN) {
            const c = cases[nextCase++] as FuzzCase;
            ctx.tally.sent(c.category);
            inFlight.push({ c, at: performance.now() });
            sendFrame(ws, c);
          }
          if (inFlight.length === 0 && nextCase >= cases.length) {
            ws.close(1000);
            finish();
          }
        };
        ws.on("message", (data) => {
          const head = inFlight.shift();
          if (!head) return ctx.tally.fail("protocol", "unsolicited", `reply with nothing outstanding: ${String(data).slice(0, 100)}`);
          const problem = ctx.tally.check(head.c, String(data));
          if (problem) ctx.tally.fail(head.c.category, head.c.name, problem);
          pump();
        });
        ws.on("error", () => {});
        ws.on("close", (code, reason) => {
          // A connection the server closed while replies were owed: each is a lost reply.
          for (const { c } of inFlight.splice(0)) ctx.tally.fail(c.category, c.name, `connection closed with ${code} ${String(reason)} before the reply`);
          finish();
        });
        const watchdog = setInterval(() => {
          const head = inFlight[0];
          if (head && performance.now() - head.at > REPLY_TIMEOUT_MS) {
            for (const { c } of inFlight.splice(0)) ctx.tally.fail(c.category, c.name, `no reply within ${REPLY_TIMEOUT_MS / 1000} s`);
            ws.terminate();
          }
        }, 1000);
        pump();
      });
    }
  };
  let lastReport = 0;
  const progress = setInterval(() => {
    if (nextCase - lastReport >= 1000) {
      lastReport = nextCase;
      console.log(`  ${nextCase}/${cases.length} sent, ${ctx.tally.failures.length} failures`);
    }
  }, 2000);
  await Promise.all(Array.from({ length: connections }, worker));
  clearInterval(progress);
}

/** Cases the server must answer by closing: nothing else may arrive first. */
export async function runCloseCase(ctx: PhaseContext, c: FuzzCase): Promise<void> {
  ctx.tally.sent(c.category);
  const ws = await open(ctx);
  const result = await new Promise<{ code?: number; replies: number }>((resolve) => {
    let replies = 0;
    const timer = setTimeout(() => {
      ws.terminate();
      resolve({ replies });
    }, 20_000);
    ws.on("message", () => replies++);
    ws.on("error", () => {});
    ws.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, replies });
    });
    sendFrame(ws, c);
  });
  if (result.code !== c.close || result.replies > 0) ctx.tally.fail(c.category, c.name, `expected close ${c.close} and no reply; got close ${result.code ?? "none"} after ${result.replies} replies`);
  else ctx.tally.count(`close ${c.close}`);
}

/** Thousands of messages pipelined at once: every one answered, in order; excess gets E0902. */
export async function runFlood(ctx: PhaseContext, n: number, media: Media): Promise<{ e0902: number }> {
  const ws = await open(ctx);
  const ids: string[] = [];
  let e0902 = 0;
  const kinds: (Kind | "reset" | "job")[] = ["text", "text", "text", "reset", "job"];
  const done = new Promise<void>((resolve) => {
    let i = 0;
    const timer = setTimeout(() => {
      ctx.tally.fail("flood", "pipelined", `${ids.length - i} replies missing after 180 s`);
      ws.terminate();
    }, 180_000);
    ws.on("message", (data) => {
      const id = ids[i++];
      const problem = ctx.tally.check({ payloadId: id }, String(data));
      if (problem) ctx.tally.fail("flood", `message ${i}`, problem);
      if (String(data).includes('"E0902"')) e0902++;
      if (i === ids.length) {
        clearTimeout(timer);
        ws.close(1000);
        resolve();
      }
    });
    ws.on("close", () => {
      clearTimeout(timer);
      if (i < ids.length) ctx.tally.fail("flood", "pipelined", `closed with ${ids.length - i} replies missing`);
      resolve();
    });
  });
  for (let k = 0; k < n; k++) {
    const id = `flood${k}`;
    ids.push(id);
    const kind = kinds[k % kinds.length] as (typeof kinds)[number];
    ws.send(kind === "reset" ? JSON.stringify({ reset_stream: true, payload_id: id }) : kind === "job" ? JSON.stringify({ job_details: true, payload_id: id }) : requestFor(media, kind, k, id));
  }
  ctx.tally.sent("flood", n);
  await done;
  return { e0902 };
}

/** Clients that vanish mid-request (no close handshake) while the server is working for them. */
export async function runAbandoned(ctx: PhaseContext, media: Media, connections: number): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const ws = await open(ctx);
      ws.on("error", () => {});
      for (let k = 0; k < 5; k++) ws.send(requestFor(media, (["image", "audio", "text"] as const)[k % 3] ?? "text", i + k, `gone${i}-${k}`));
      await new Promise((r) => setTimeout(r, i % 2 ? 0 : 50));
      ws.terminate();
    }),
  );
  ctx.tally.sent("abandoned", connections * 5);
}

/** A client that stops reading: word-level replies pile up; all arrive once it reads again. */
export async function runSlowReader(ctx: PhaseContext, n: number): Promise<void> {
  const ws = await open(ctx);
  const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  socket.pause();
  const text = "I love it but I also hate it, and that is confusing. ".repeat(180);
  let got = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      ctx.tally.fail("slow-reader", "paused reader", `${n - got} replies missing after 120 s`);
      ws.terminate();
      resolve();
    }, 120_000);
    ws.on("message", (data) => {
      const problem = ctx.tally.check({ payloadId: `slow${got}` }, String(data));
      if (problem) ctx.tally.fail("slow-reader", `message ${got}`, problem);
      if (++got === n) {
        clearTimeout(timer);
        ws.close(1000);
        resolve();
      }
    });
  });
  for (let k = 0; k < n; k++) ws.send(JSON.stringify({ models: { language: { granularity: "word" } }, raw_text: true, data: text, payload_id: `slow${k}` }));
  ctx.tally.sent("slow-reader", n);
  await new Promise((r) => setTimeout(r, 3000));
  socket.resume();
  await done;
}

/** Messages split over WebSocket continuation frames, including a split inside a UTF-8 character. */
export async function runFragmented(ctx: PhaseContext, n: number): Promise<void> {
  const ws = await open(ctx);
  const replies: string[] = [];
  const all = new Promise<void>((resolve) => ws.on("message", (d) => replies.push(String(d)) === n && resolve()));
  for (let k = 0; k < n; k++) {
    const bytes = Buffer.from(JSON.stringify({ models: { language: {} }, raw_text: true, data: `Fragmented 🙂 message ${k}, so happy!`, payload_id: `frag${k}` }));
    const cuts = [0, ...[1, 2, 3].map((j) => Math.floor((bytes.length * j) / 4) + (k % 3)), bytes.length];
    for (let j = 0; j + 1 < cuts.length; j++) ws.send(bytes.subarray(cuts[j], cuts[j + 1]), { fin: j + 2 === cuts.length });
  }
  ctx.tally.sent("fragmented", n);
  await Promise.race([all, new Promise((r) => setTimeout(r, 30_000))]);
  for (let k = 0; k < n; k++) {
    const problem = replies[k] === undefined ? "no reply" : ctx.tally.check({ payloadId: `frag${k}` }, replies[k] as string);
    if (problem) ctx.tally.fail("fragmented", `message ${k}`, problem);
  }
  ws.close(1000);
}

/** One normal message of each kind on a fresh connection; the names of the kinds that failed. */
export async function normalWorks(ctx: PhaseContext, media: Media): Promise<string[]> {
  const ws = await open(ctx);
  const broken: string[] = [];
  for (const kind of ["text", "image", "audio"] as const) {
    const reply = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), 60_000);
      ws.once("message", (d) => {
        clearTimeout(timer);
        resolve(String(d));
      });
      ws.send(requestFor(media, kind, 0, `normal-${kind}`));
    });
    const block = kind === "text" ? "language" : kind === "image" ? "face" : "prosody";
    const parsed = (() => {
      try {
        return JSON.parse(reply) as Record<string, { predictions?: unknown[] } | undefined>;
      } catch {
        return {};
      }
    })();
    if (!Array.isArray(parsed[block]?.predictions) || (kind !== "audio" && parsed[block]!.predictions!.length === 0)) broken.push(`${kind}: ${reply.slice(0, 200)}`);
  }
  ws.close(1000);
  return broken;
}

