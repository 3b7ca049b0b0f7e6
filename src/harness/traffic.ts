/**
 * Open-loop mixed traffic: messages leave on a fixed schedule (the target rate), whether or not
 * earlier replies have come back, so an overloaded server shows up as growing latency and
 * E0902, not as a politely slowing client. Every reply is matched to its request in order by
 * payload_id, so lost, extra and misordered replies are counted, never assumed away.
 */
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { KINDS, requestFor, type Kind, type Media, type Mix } from "./media.js";

export interface Sample {
  /** ms since the run started, when the request was sent. */
  at: number;
  kind: Kind;
  /** Round-trip latency in ms. */
  ms: number;
  /** Error code of an error reply. */
  code?: string;
}

export interface TrafficOptions {
  url: string;
  connections: number;
  /** Messages per second over all connections. */
  rate: number;
  mix: Mix;
  media: Media;
  /** Close and reopen a connection after this many messages (soak: catches per-connection leaks). */
  reconnectEvery?: number;
  headers?: Record<string, string>;
  /** How long to wait for outstanding replies after the last send. */
  drainMs?: number;
  seed?: number;
}

export interface TrafficResult {
  seconds: number;
  sent: number;
  received: number;
  lost: number;
  misordered: number;
  /** Replies with no request waiting for them. */
  unexpected: number;
  /** Connections that closed or failed while requests were outstanding. */
  droppedConnections: number;
  samples: Sample[];
}

interface Outstanding {
  id: string;
  kind: Kind;
  sentAt: number;
}

/** A small deterministic PRNG, so a run's sequence of kinds can be repeated. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

class Lane {
  ws: WebSocket | undefined;
  fifo: Outstanding[] = [];
  sentOnSocket = 0;
  retiring = false;
  opening: Promise<void> | undefined;
}

export class Traffic {
  private readonly lanes: Lane[];
  private readonly samples: Sample[] = [];
  private sent = 0;
  private received = 0;
  private misordered = 0;
  private unexpected = 0;
  private lost = 0;
  private droppedConnections = 0;
  private seq = 0;
  private start = 0;
  private readonly random: () => number;

  constructor(private readonly o: TrafficOptions) {
    this.lanes = Array.from({ length: o.connections }, () => new Lane());
    this.random = prng(o.seed ?? 42);
  }

  /** Runs for `seconds` at the target rate, then waits for the replies. Reusable for ramp steps. */
  async run(seconds: number, rate = this.o.rate): Promise<TrafficResult> {
    await Promise.all(this.lanes.map((l) => this.open(l)));
    const before = { sent: this.sent, received: this.received, misordered: this.misordered, unexpected: this.unexpected, lost: this.lost, dropped: this.droppedConnections, samples: this.samples.length };
    this.start = performance.now();
    let issued = 0;
    let next = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const elapsed = (performance.now() - this.start) / 1000;
        const due = Math.min(Math.floor(rate * Math.min(elapsed, seconds)), Math.floor(rate * seconds));
        // A connection the server dropped is reopened (and counted as dropped when it had work).
        for (const l of this.lanes) if (!l.ws && !l.opening) void this.open(l).catch(() => this.droppedConnections++);
        for (; issued < due; issued++) {
          // Round robin over connections that can take a message now.
          let lane: Lane | undefined;
          for (let k = 0; k < this.lanes.length && !lane; k++) {
            const l = this.lanes[(next + k) % this.lanes.length] as Lane;
            if (l.ws?.readyState === WebSocket.OPEN && !l.retiring) lane = l;
          }
          next = (next + 1) % this.lanes.length;
          if (!lane) break; // every connection is reopening; the schedule catches up next tick
          this.send(lane);
        }
        if (elapsed >= seconds) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
    await this.drain(this.o.drainMs ?? 30_000);
    return {
      seconds,
      sent: this.sent - before.sent,
      received: this.received - before.received,
      lost: this.lost - before.lost,
      misordered: this.misordered - before.misordered,
      unexpected: this.unexpected - before.unexpected,
      droppedConnections: this.droppedConnections - before.dropped,
      samples: this.samples.slice(before.samples),
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.lanes.map(
        (l) =>
          new Promise<void>((resolve) => {
            const ws = l.ws;
            l.ws = undefined;
            if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once("close", () => resolve());
            ws.close(1000);
            setTimeout(() => ws.terminate(), 2000).unref();
          }),
      ),
    );
  }

  private pickKind(): Kind {
    let r = this.random();
    for (const k of KINDS) {
      r -= this.o.mix[k];
      if (r < 0) return k;
    }
    return "text";
  }

  private send(lane: Lane): void {
    const kind = this.pickKind();
    const id = `m${++this.seq}`;
    lane.fifo.push({ id, kind, sentAt: performance.now() });
    lane.ws!.send(requestFor(this.o.media, kind, this.seq, id));
    this.sent++;
    lane.sentOnSocket++;
    if (this.o.reconnectEvery && lane.sentOnSocket >= this.o.reconnectEvery) lane.retiring = true;
  }

  private open(lane: Lane): Promise<void> {
    if (lane.opening) return lane.opening;
    if (lane.ws && lane.ws.readyState <= WebSocket.OPEN) return Promise.resolve();
    const ws = new WebSocket(this.o.url, { headers: this.o.headers, perMessageDeflate: false });
    lane.ws = ws;
    lane.sentOnSocket = 0;
    lane.retiring = false;
    ws.on("message", (data) => this.onReply(lane, String(data)));
    // Errors after the handshake are followed by "close", which does the accounting.
    ws.on("error", () => {});
    ws.on("close", () => {
      // A socket this lane already replaced (retired, or cut after a drain timeout) owns nothing.
      if (lane.ws !== ws) return;
      if (lane.fifo.length > 0) {
        this.droppedConnections++;
        this.lost += lane.fifo.length;
        lane.fifo = [];
      }
      lane.ws = undefined;
    });
    lane.opening = new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", (err) => reject(err));
    }).finally(() => (lane.opening = undefined));
    return lane.opening;
  }

  private onReply(lane: Lane, text: string): void {
    const now = performance.now();
    let reply: { payload_id?: unknown; code?: unknown };
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      reply = {};
    }
    const head = lane.fifo.shift();
    if (!head) {
      this.unexpected++;
      return;
    }
    this.received++;
    if (reply.payload_id !== head.id) this.misordered++;
    const sample: Sample = { at: head.sentAt - this.start, kind: head.kind, ms: now - head.sentAt };
    if (typeof reply.code === "string" && reply.code.startsWith("E")) sample.code = reply.code;
    this.samples.push(sample);
    if (lane.retiring && lane.fifo.length === 0) {
      // Replace the connection once its last reply is in: the session ends cleanly.
      const ws = lane.ws;
      lane.ws = undefined;
      ws?.close(1000);
      void this.open(lane).catch(() => this.droppedConnections++);
    }
  }

  private async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.lanes.some((l) => l.fifo.length > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const l of this.lanes) {
      if (l.fifo.length === 0) continue;
      this.lost += l.fifo.length;
      l.fifo = [];
      // Late replies for these would be misattributed: start this lane afresh.
      l.ws?.terminate();
      l.ws = undefined;
    }
  }
}
