/**
 * A raw `ws` test client: queues every reply frame so tests can check exactly one reply per
 * message, in order. Shared by the protocol, CLI, face and audio tests.
 */
import assert from "node:assert/strict";
import WebSocket from "ws";

// Replies are checked field by field; a loose record keeps those checks readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Reply = Record<string, any>;

export interface Closed {
  code: number;
  reason: string;
}

/** A raw `ws` client that queues every reply frame; `ask` sends one message and awaits one reply. */
export class Conn {
  private readonly queue: Reply[] = [];
  private readonly waiters: ((r: Reply) => void)[] = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      assert.equal(isBinary, false, "replies are text frames");
      const reply = JSON.parse(String(data)) as Reply;
      const waiter = this.waiters.shift();
      if (waiter) waiter(reply);
      else this.queue.push(reply);
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static open(url: string, options?: WebSocket.ClientOptions): Promise<Conn> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new Conn(ws)));
      ws.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  next(timeoutMs = 15_000): Promise<Reply> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  ask(message: unknown, timeoutMs?: number): Promise<Reply> {
    this.send(message);
    return this.next(timeoutMs);
  }

  /** Nothing more arrives within `ms` (no stray extra reply). */
  async assertQuiet(ms = 150): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    assert.deepEqual(this.queue, [], "no unsolicited frames");
  }

  close(): void {
    this.ws.close(1000);
  }
}

export interface Handshake {
  /** 101 when it upgraded, the refusal status otherwise. */
  status: number;
  /** A refusal's body, when it is JSON. */
  body?: Reply;
  retryAfter?: string;
  /** The open socket, when it upgraded: the caller closes it. */
  ws?: WebSocket;
}

/** The outcome of a WebSocket handshake. */
export function handshake(url: string, options?: WebSocket.ClientOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once("open", () => resolve({ status: 101, ws }));
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += String(d)));
      res.on("end", () => {
        let body: Reply | undefined;
        try {
          body = JSON.parse(text) as Reply;
        } catch {
          body = undefined; // not every refusal has a JSON body
        }
        resolve({ status: res.statusCode ?? 0, ...(body && { body }), retryAfter: res.headers["retry-after"] });
        ws.terminate();
      });
    });
    ws.once("error", (err) => reject(err));
  });
}

/** HTTP status of a WebSocket handshake: 101 when it upgraded, the refusal status otherwise. */
export async function handshakeStatus(url: string, options?: WebSocket.ClientOptions): Promise<number> {
  const { status, ws } = await handshake(url, options);
  ws?.close(1000);
  return status;
}
