import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { summarize, type Summary } from "./stats.js";

export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/**
 * One frame at a time on one connection (the latency a single client sees): a warm-up of
 * `warmup` round trips, then `iterations` measured ones. `frame` is the same frame every time, or
 * makes a new one per message (e.g. distinct texts, so no cache answers). Closes the socket.
 */
export async function measureRoundTrips(url: string, frame: string | (() => string), iterations: number, warmup = 300): Promise<Summary> {
  const ws = await openSocket(url);
  const next = typeof frame === "string" ? () => frame : frame;
  const once = () =>
    new Promise<number>((resolve) => {
      const t = performance.now();
      ws.once("message", () => resolve(performance.now() - t));
      ws.send(next());
    });
  for (let i = 0; i < warmup; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) samples.push(await once());
  ws.close(1000);
  return summarize(samples);
}

/**
 * Closed loop: each of `connections` sockets keeps `depth` frames in flight for `seconds`
 * (a new frame as each reply arrives). Replies carrying an error are counted.
 */
export async function closedLoop(url: string, nextFrame: () => string, connections: number, depth: number, seconds: number) {
  const sockets = await Promise.all(Array.from({ length: connections }, () => openSocket(url)));
  const latencies: number[] = [];
  let messages = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    sockets.map(
      (ws: WebSocket) =>
        new Promise<void>((resolve) => {
          const sentAt: number[] = [];
          const send = () => {
            sentAt.push(performance.now());
            ws.send(nextFrame());
          };
          ws.on("message", (data) => {
            const t0 = sentAt.shift() ?? performance.now();
            latencies.push(performance.now() - t0);
            messages++;
            if (String(data).includes('"error"')) errors++;
            if (performance.now() < end) send();
            else if (sentAt.length === 0) resolve();
          });
          for (let i = 0; i < depth; i++) send();
        }),
    ),
  );
  for (const ws of sockets) ws.close(1000);
  return { connections, inFlightPerConnection: depth, seconds, messages, perSecond: Math.round(messages / seconds), errors, latencyMs: summarize(latencies) };
}
