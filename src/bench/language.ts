/**
 * Language benchmark (v2: sentence encoder + head): in-process model time, end-to-end latency
 * over loopback at sentence and word granularity, throughput with 16 connections, server
 * start-up to ready, and resident memory with 1 and 2 inference threads (the difference is what
 * one more worker costs). Every message carries a distinct sentence (a number is appended), so the
 * per-worker embedding cache never answers for the encoder; one row measures a repeated sentence.
 */
import { performance } from "node:perf_hooks";
import { languageModel } from "../models/language/index.js";
import { closedLoop, measureRoundTrips } from "./round-trip.js";
import { withTwoThreadServer, type Footprint } from "./server-process.js";
import { summarize, type Summary } from "./stats.js";

export const SENTENCE = "I am really grateful for your help today, it honestly made me feel so much calmer and happier than before.";
/** The sentence with a distinct number, so no two messages share a text (and an embedding). */
const distinct = (i: number) => `${SENTENCE.slice(0, -1)} ${i}.`;
const frame = (text: string, granularity: string) => JSON.stringify({ models: { language: { granularity } }, raw_text: true, data: text });

export interface LanguageBench extends Footprint {
  input: { text: string; words: number };
  bareModelMs: Summary;
  bareModelRepeatedMs: Summary;
  sentenceEndToEndMs: Summary;
  wordEndToEndMs: Summary;
  throughput: { connections: number; inFlightPerConnection: number; seconds: number; messages: number; perSecond: number; errors: number; latencyMs: Summary };
}

let counter = 0;

async function bareModel(iterations: number, repeated: boolean): Promise<Summary> {
  await languageModel.load();
  const run = (text: string) => languageModel.predict({ kind: "text", text }, { granularity: "sentence" }, {});
  for (let i = 0; i < 20; i++) await run(distinct(++counter));
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const text = repeated ? SENTENCE : distinct(++counter);
    const t = performance.now();
    await run(text);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

export async function benchLanguage(opts: { quick?: boolean } = {}): Promise<LanguageBench> {
  const n = opts.quick ? 50 : 300;
  const bareModelMs = await bareModel(n, false);
  const bareModelRepeatedMs = await bareModel(n, true);
  return withTwoThreadServer(async (server) => ({
    input: { text: SENTENCE, words: SENTENCE.split(/\s+/).length },
    bareModelMs,
    bareModelRepeatedMs,
    sentenceEndToEndMs: await measureRoundTrips(server.streamUrl, () => frame(distinct(++counter), "sentence"), n, 20),
    wordEndToEndMs: await measureRoundTrips(server.streamUrl, () => frame(distinct(++counter), "word"), n, 20),
    throughput: await closedLoop(server.streamUrl, () => frame(distinct(++counter), "sentence"), 16, 4, opts.quick ? 5 : 15),
  }));
}
