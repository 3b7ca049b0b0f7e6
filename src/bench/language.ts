/**
 * Language benchmark: bare in-process model time, end-to-end latency over loopback, and
 * throughput with concurrent connections, for a 20-word sentence at sentence granularity.
 */
import { performance } from "node:perf_hooks";
import { languageModel } from "../models/language/index.js";
import { echoFloor } from "./echo-floor.js";
import { measureRoundTrips, openSocket } from "./round-trip.js";
import { spawnServer } from "./server-process.js";
import { summarize, type Summary } from "./stats.js";

export const SENTENCE = "I am really grateful for your help today, it honestly made me feel so much calmer and happier than before.";
const CONFIG = { language: { granularity: "sentence" } };
const FRAME = JSON.stringify({ models: CONFIG, raw_text: true, data: SENTENCE });

export interface LanguageBench {
  input: { text: string; words: number; granularity: string };
  bareModelMs: Summary;
  endToEndMs: Summary;
  /** A bare ws echo of the same frame: the socket's share of the end-to-end time. */
  transportFloorMs: Summary;
  throughput: { connections: number; inFlightPerConnection: number; seconds: number; messages: number; perSecond: number; errors: number; latencyMs: Summary };
  ratioE2eToBare: number;
}

async function bareModel(iterations: number): Promise<Summary> {
  await languageModel.load();
  const input = { kind: "text" as const, text: SENTENCE };
  for (let i = 0; i < 200; i++) await languageModel.predict(input, { granularity: "sentence" }, {});
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await languageModel.predict(input, { granularity: "sentence" }, {});
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

/** Closed loop: each connection keeps `depth` messages in flight for `seconds`. */
async function throughput(url: string, connections: number, depth: number, seconds: number) {
  const sockets = await Promise.all(Array.from({ length: connections }, () => openSocket(url)));
  const frame = FRAME;
  const latencies: number[] = [];
  let messages = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          const sentAt: number[] = [];
          const send = () => {
            sentAt.push(performance.now());
            ws.send(frame);
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

export async function benchLanguage(opts: { quick?: boolean } = {}): Promise<LanguageBench> {
  const n = opts.quick ? 500 : 3000;
  const bareModelMs = await bareModel(n);
  const transportFloorMs = await echoFloor(FRAME, n);
  const server = await spawnServer({ args: ["--log-level", "info"] });
  try {
    const endToEndMs = await measureRoundTrips(server.streamUrl, FRAME, n);
    const tp = await throughput(server.streamUrl, 16, 4, opts.quick ? 3 : 10);
    return {
      input: { text: SENTENCE, words: SENTENCE.split(/\s+/).length, granularity: "sentence" },
      bareModelMs,
      endToEndMs,
      transportFloorMs,
      throughput: tp,
      ratioE2eToBare: Math.round((endToEndMs.p50 / bareModelMs.p50) * 100) / 100,
    };
  } finally {
    await server.stop();
  }
}
