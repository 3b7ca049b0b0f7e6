/** Summaries, console tables and JSON files shared by the load, fuzz and soak harnesses. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { summarize, type Summary } from "../bench/stats.js";
import { KINDS, type Kind } from "./media.js";
import type { Sample, TrafficResult } from "./traffic.js";

export interface LatencyReport {
  all: Summary;
  byKind: Partial<Record<Kind, Summary>>;
}

export function latency(samples: Sample[]): LatencyReport {
  const byKind: Partial<Record<Kind, Summary>> = {};
  for (const k of KINDS) {
    const ms = samples.filter((s) => s.kind === k).map((s) => s.ms);
    if (ms.length) byKind[k] = summarize(ms);
  }
  return { all: summarize(samples.map((s) => s.ms)), byKind };
}

export function errorsByCode(samples: Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.code) out[s.code] = (out[s.code] ?? 0) + 1;
  return out;
}

export interface RunSummary {
  targetRate: number;
  seconds: number;
  sent: number;
  received: number;
  /** Replies per second over the sending window. */
  throughput: number;
  lost: number;
  misordered: number;
  unexpected: number;
  droppedConnections: number;
  errors: Record<string, number>;
  latencyMs: LatencyReport;
}

export function summarizeRun(rate: number, r: TrafficResult): RunSummary {
  return {
    targetRate: round(rate),
    seconds: r.seconds,
    sent: r.sent,
    received: r.received,
    throughput: round(r.received / r.seconds),
    lost: r.lost,
    misordered: r.misordered,
    unexpected: r.unexpected,
    droppedConnections: r.droppedConnections,
    errors: errorsByCode(r.samples),
    latencyMs: latency(r.samples),
  };
}

/** No lost, extra or misordered replies, no dropped connections, no error replies. */
export function clean(s: RunSummary): boolean {
  return s.lost === 0 && s.misordered === 0 && s.unexpected === 0 && s.droppedConnections === 0 && Object.keys(s.errors).length === 0;
}

export function printRun(title: string, s: RunSummary): void {
  console.log(`\n${title}`);
  console.log(
    `  target ${s.targetRate}/s for ${s.seconds} s: sent ${s.sent}, received ${s.received}, throughput ${s.throughput}/s, ` +
      `lost ${s.lost}, misordered ${s.misordered}, unexpected ${s.unexpected}, dropped connections ${s.droppedConnections}`,
  );
  console.log(`  errors by code: ${Object.keys(s.errors).length ? JSON.stringify(s.errors) : "none"}`);
  const rows: [string, Summary][] = [["all", s.latencyMs.all], ...KINDS.flatMap((k) => (s.latencyMs.byKind[k] ? [[k, s.latencyMs.byKind[k]] as [string, Summary]] : []))];
  console.log("  latency ms    n        p50       p95       p99");
  for (const [name, l] of rows) console.log(`  ${name.padEnd(8)} ${String(l.n).padStart(6)} ${fmt(l.p50)} ${fmt(l.p95)} ${fmt(l.p99)}`);
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-").padStart(9);
export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

export function writeJson(path: string, data: unknown): string {
  const out = resolve(path);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(data, null, 2) + "\n");
  return out;
}

/** Parses a positive number option, with the option's name in the error. */
export function num(name: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got "${value}"`);
    return n;
  };
}
