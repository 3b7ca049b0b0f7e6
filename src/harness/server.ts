/**
 * The server under test. By default each harness starts its own `open-expression serve` from
 * the sources on a free loopback port (so the numbers are for the code in this checkout, never
 * a stale build) and stops it afterwards; `--url` points at a running server instead.
 */
import { readFileSync } from "node:fs";
import { spawnServer } from "../bench/server-process.js";
import { normalizeUrl, STREAM_PATH } from "../client/url.js";

export interface Target {
  /** http://host:port */
  httpUrl: string;
  /** ws://host:port/v0/stream/models */
  streamUrl: string;
  /** The server's process id when this harness started it (RSS comes from /proc then). */
  pid?: number;
  /** Set once the server process has ended (a crash, when the harness did not stop it). */
  exitCode(): number | null | undefined;
  /** Server log lines at warn level or above, for the report. */
  problems: string[];
  stop(): Promise<void>;
}

export async function startTarget(url: string | undefined, env: NodeJS.ProcessEnv = {}): Promise<Target> {
  if (url) {
    const streamUrl = normalizeUrl(url);
    const httpUrl = streamUrl.replace(/^ws/, "http").slice(0, -STREAM_PATH.length);
    return { httpUrl, streamUrl, exitCode: () => undefined, problems: [], stop: async () => {} };
  }
  const server = await spawnServer({
    fromSource: true,
    // The harness's own connections pause between phases; they are not idle clients to drop.
    env: { OPEN_EXPRESSION_IDLE_TIMEOUT_MS: "0", ...env },
  });
  return { httpUrl: server.url, streamUrl: server.streamUrl, pid: server.child.pid, exitCode: server.exitCode, problems: server.problems, stop: server.stop };
}

/** The API-key header for the harness's connections, when a key is given. */
export function keyHeaders(apiKey: string | undefined): Record<string, string> | undefined {
  return apiKey ? { "X-Hume-Api-Key": apiKey } : undefined;
}

/** Resident memory of a process in MiB, from /proc (Linux); undefined elsewhere or once it is gone. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Server RSS in MiB: /proc for a server we started; for --url, the Prometheus
 * `process_resident_memory_bytes` at /metrics when the server exposes it.
 */
export async function serverRss(target: Target): Promise<number | undefined> {
  if (target.pid !== undefined) return rssMiB(target.pid);
  try {
    const res = await fetch(`${target.httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    const m = /^process_resident_memory_bytes\s+([0-9.e+]+)/m.exec(await res.text());
    return m ? Math.round((Number(m[1]) / 1048576) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** /healthz answers 200. */
export async function healthy(target: Target): Promise<boolean> {
  const res = await fetch(`${target.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return res?.status === 200;
}
