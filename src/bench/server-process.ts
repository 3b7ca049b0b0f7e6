/**
 * Runs the server as a separate process, as users do, so the clients of a benchmark or harness
 * do not share its event loop. Runs the compiled build when there is one (`npm run bench`
 * builds first), or the sources through tsx (always, with `fromSource`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { packageRoot } from "../package-paths.js";

export interface ServerProcess {
  /** http://host:port */
  url: string;
  /** ws://host:port/v0/stream/models, as the server's start-up log states it. */
  streamUrl: string;
  child: ChildProcess;
  /** Set once the process has ended (a crash, when nobody stopped it). */
  exitCode(): number | null | undefined;
  /** Server log lines at warn level or above. */
  problems: string[];
  /** SIGTERM, then SIGKILL if it has not exited 10 s later. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Extra `serve` flags (the server must log at info level or lower: start-up is read from its log). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Run src/ through tsx even when a build exists (numbers for the code in this checkout). */
  fromSource?: boolean;
  /** Every JSON log line, parsed (to count, for example, which process ran which job). */
  onLog?: (entry: Record<string, unknown>) => void;
}

const START_TIMEOUT_MS = 120_000;

export async function spawnServer(options: SpawnOptions = {}): Promise<ServerProcess> {
  const built = join(packageRoot, "dist/cli/main.js");
  const entry = !options.fromSource && existsSync(built) ? [built] : ["--import", "tsx", join(packageRoot, "src/cli/main.ts")];
  const child = spawn(process.execPath, [...entry, "serve", "--port", "0", ...(options.args ?? [])], {
    cwd: packageRoot,
    env: { ...process.env, ...options.env },
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
  const found = await new Promise<{ url: string; stream: string }>((resolve, reject) => {
    const giveUp = (err: Error) => {
      child.kill("SIGKILL"); // never leave a half-started server behind
      reject(err);
    };
    const timer = setTimeout(() => giveUp(new Error(`server did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited during start-up with code ${code}`));
    });
    let listening: { url: string; stream: string } | undefined;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let entry: { level?: number; msg?: string; url?: string; stream?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return; // not a log line
      }
      options.onLog?.(entry as Record<string, unknown>);
      if ((entry.level ?? 0) >= 40) problems.push(line.slice(0, 500));
      if (entry.url && entry.stream && !listening) listening = { url: entry.url, stream: entry.stream };
      if (entry.msg === "models loaded" && listening) {
        clearTimeout(timer);
        resolve(listening);
      }
    });
  });
  return {
    url: found.url,
    streamUrl: found.stream,
    child,
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

/** Resident memory of the server process (all its worker threads), in MB. */
export function rssMb(server: ServerProcess): number {
  const status = readFileSync(`/proc/${server.child.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

/** Starts a server with `threads` inference workers and times it from spawn to "models loaded". */
export async function timedStart(threads: number): Promise<{ server: ServerProcess; ms: number }> {
  const t = performance.now();
  const server = await spawnServer({ args: ["--log-level", "info", "--threads", String(threads)] });
  return { server, ms: Math.round(performance.now() - t) };
}

/** What the server costs to start and to hold in memory, with 1 and 2 inference threads. */
export interface Footprint {
  startupToReadyMs: { threads1: number; threads2: number };
  rssMb: { threads1: number; threads2: number; perExtraWorker: number };
}

/**
 * Starts a 1-thread server (start-up time and memory) and stops it, then a 2-thread one, runs
 * `measure` against it and stops it: the difference in memory is what one more worker costs.
 */
export async function withTwoThreadServer<T>(measure: (server: ServerProcess) => Promise<T>): Promise<T & Footprint> {
  const one = await timedStart(1);
  const rss1 = rssMb(one.server);
  await one.server.stop();
  const two = await timedStart(2);
  try {
    const rss2 = rssMb(two.server);
    const result = await measure(two.server);
    return { ...result, startupToReadyMs: { threads1: one.ms, threads2: two.ms }, rssMb: { threads1: rss1, threads2: rss2, perExtraWorker: rss2 - rss1 } };
  } finally {
    await two.server.stop();
  }
}
