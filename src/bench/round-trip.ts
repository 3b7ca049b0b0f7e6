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
 * `warmup` round trips, then `iterations` measured ones. Closes the socket.
 */
export async function measureRoundTrips(url: string, frame: string, iterations: number, warmup = 300): Promise<Summary> {
  const ws = await openSocket(url);
  const once = () =>
    new Promise<number>((resolve) => {
      const t = performance.now();
      ws.once("message", () => resolve(performance.now() - t));
      ws.send(frame);
    });
  for (let i = 0; i < warmup; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) samples.push(await once());
  ws.close(1000);
  return summarize(samples);
}
