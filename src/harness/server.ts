/**
 * The server under test. By default each harness starts its own `open-expression serve` from
 * the sources on a free loopback port (so the numbers are for the code in this checkout, never
 * a stale build) and stops it afterwards; `--url` points at a running server instead.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../models/assets.js";

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
    const httpUrl = url.replace(/^ws/, "http").replace(/\/v0\/stream\/models\/?$/, "").replace(/\/$/, "");
    return { httpUrl, streamUrl: httpUrl.replace(/^http/, "ws") + "/v0/stream/models", exitCode: () => undefined, problems: [], stop: async () => {} };
  }
  const child = spawn(process.execPath, ["--import", "tsx", join(packageRoot, "src/cli/main.ts"), "serve", "--port", "0"], {
    cwd: packageRoot,
    // The harness's own connections pause between phases; they are not idle clients to drop.
    env: { ...process.env, OPEN_EXPRESSION_IDLE_TIMEOUT_MS: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let exit: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = code ?? (signal ? -1 : null);
      resolve();
    }),
  );
  const problems: string[] = [];
  const httpUrl = await new Promise<string>((resolve, reject) => {
    const giveUp = (err: Error) => {
      child.kill("SIGKILL"); // never leave a half-started server behind
      reject(err);
    };
    const timer = setTimeout(() => giveUp(new Error("server did not start within 120 s")), 120_000);
    child.once("exit", (code) => reject(new Error(`server exited during start-up with code ${code}`)));
    let listening: string | undefined;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let entry: { level?: number; msg?: string; url?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if ((entry.level ?? 0) >= 40) problems.push(line.slice(0, 500));
      if (entry.url && !listening) listening = entry.url;
      if (entry.msg === "models loaded" && listening) {
        clearTimeout(timer);
        resolve(listening);
      }
    });
  });
  return {
    httpUrl,
    streamUrl: httpUrl.replace(/^http/, "ws") + "/v0/stream/models",
    pid: child.pid,
    exitCode: () => exit,
    problems,
    stop: async () => {
      if (exit !== undefined) return;
      child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(forced);
    },
  };
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
