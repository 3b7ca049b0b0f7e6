/**
 * The official `hume@0.15.17` Fern-generated StreamClient pointed at our server, with replies
 * queued as the client parsed them plus their raw frames for strict checks.
 */
import assert from "node:assert/strict";
import { StreamClient } from "hume/expressionMeasurement/stream";
import * as serialization from "hume/serialization";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Reply = Record<string, any>;

export interface HumeStream {
  socket: Awaited<ReturnType<StreamClient["connect"]>>;
  /** The next reply as the client parsed it, and its raw frame. */
  next(timeoutMs?: number): Promise<{ msg: Reply; raw: string }>;
  /** Replies received and not yet taken. */
  readonly queued: number;
  errors: Error[];
}

/** `baseUrl` is ws://HOST:PORT/v0/stream; the client appends /models. */
export async function openHumeStream(baseUrl: string, apiKey: string): Promise<HumeStream> {
  const client = new StreamClient({ baseUrl });
  const socket = await client.connect({ "X-Hume-Api-Key": apiKey, reconnectAttempts: 0 });
  const parsed: Reply[] = [];
  const raw: string[] = [];
  const errors: Error[] = [];
  let wake: (() => void) | undefined;
  socket.on("message", (msg) => {
    parsed.push(msg as Reply);
    wake?.();
  });
  socket.on("error", (err) => errors.push(err));
  socket.socket.addEventListener("message", (event: { data: unknown }) => {
    raw.push(String(event.data));
  });
  await socket.waitForOpen();
  return {
    socket,
    errors,
    get queued() {
      return parsed.length;
    },
    async next(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (parsed.length === 0) {
        assert.ok(Date.now() < deadline, `reply within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      return { msg: parsed.shift()!, raw: raw.shift()! };
    },
  };
}

/** Strict parse with the client's schema: unknown keys fail, wrong types fail. */
export function strictParse(raw: string): Reply {
  const parsed = serialization.expressionMeasurement.stream.SubscribeEvent.parse(JSON.parse(raw));
  assert.ok(parsed.ok, `SubscribeEvent.parse: ${JSON.stringify(parsed.ok ? null : parsed.errors)} for ${raw.slice(0, 200)}`);
  return parsed.value as Reply;
}

/**
 * The client's own runtime options (it keeps keys it does not know, such as burst
 * `descriptions`), but with type validation on, so a wrong type on a known field fails.
 */
export function clientParse(raw: string): Reply {
  const parsed = serialization.expressionMeasurement.stream.SubscribeEvent.parse(JSON.parse(raw), { unrecognizedObjectKeys: "passthrough" });
  assert.ok(parsed.ok, `SubscribeEvent.parse: ${JSON.stringify(parsed.ok ? null : parsed.errors)} for ${raw.slice(0, 200)}`);
  return parsed.value as Reply;
}
