/**
 * `serve --workers N`: several server processes sharing one port through node:cluster. Sessions
 * live and die with their connection, so workers share nothing and need no coordination: the
 * primary only forks them, replaces one that dies, and passes shutdown signals on.
 */
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import type { Logger } from "../server/logger.js";

/** Exit code a worker uses for a configuration error: replacing it would fail the same way. */
export const CONFIG_ERROR_EXIT = 2;

export interface ClusterOptions {
  workers: number;
  /** Inference threads per worker as configured; 0 = share the cores out among the workers. */
  threads: number;
  log: Logger;
}

/** Longest pause before replacing a worker that keeps dying soon after it started. */
const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that lived at least this long resets the restart back-off. */
const STABLE_AFTER_MS = 60_000;
/**
 * A worker still running this long after SIGTERM is killed: its own graceful shutdown (finish
 * in-flight messages, close sockets) has time limits well inside this, so it is stuck.
 */
const KILL_AFTER_MS = 60_000;

/**
 * Runs in the primary process until every worker has exited after SIGTERM/SIGINT. Each worker
 * runs this same command line again (cluster re-executes it) and starts a normal server.
 */
export function runPrimary({ workers, threads, log }: ClusterOptions): void {
  // Without a thread count, N workers each taking one thread per core would oversubscribe the
  // CPU N times over; each worker gets its share of the cores instead.
  const env: NodeJS.ProcessEnv = {};
  if (threads === 0 && !process.env.OPEN_EXPRESSION_THREADS) {
    env.OPEN_EXPRESSION_THREADS = String(Math.max(1, Math.floor(availableParallelism() / workers)));
  }
  let stopping = false;
  let exitCode = 0;
  let rapidFailures = 0;
  const started = new Map<number, number>();

  const fork = (): Worker => {
    const worker = cluster.fork(env);
    started.set(worker.id, Date.now());
    return worker;
  };

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker.id) ?? Date.now());
    started.delete(worker.id);
    if (stopping) {
      if (code !== 0 && code !== null) exitCode = 1;
      // cluster.workers may still list this worker until its IPC channel is gone.
      const left = Object.values(cluster.workers ?? {}).filter((w) => w && w !== worker && !w.isDead());
      if (left.length === 0) {
        log.info({ exitCode }, "all workers stopped");
        process.exit(exitCode);
      }
      return;
    }
    if (code === CONFIG_ERROR_EXIT) {
      // Bad configuration (say, a non-loopback host without API keys): every worker would fail.
      log.fatal({ worker: worker.id, code }, "worker refused its configuration; stopping");
      exitCode = CONFIG_ERROR_EXIT;
      return stopAll("worker configuration error");
    }
    rapidFailures = lived >= STABLE_AFTER_MS ? 0 : rapidFailures + 1;
    const delay = rapidFailures <= 1 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** (rapidFailures - 2));
    log.warn({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delay }, "worker exited; starting a replacement");
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  const stopAll = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, "shutting down workers");
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (alive.length === 0) process.exit(exitCode);
    // SIGTERM runs each worker's own graceful shutdown (close sockets with 1001, stop the pool).
    for (const worker of alive) worker.process.kill("SIGTERM");
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (!worker) continue;
        log.error({ worker: worker.id, pid: worker.process.pid }, "worker did not stop after SIGTERM; killing it");
        exitCode = 1;
        worker.process.kill("SIGKILL");
      }
    }, KILL_AFTER_MS).unref();
  };
  process.once("SIGTERM", () => stopAll("SIGTERM"));
  process.once("SIGINT", () => stopAll("SIGINT"));

  log.info({ workers, threadsPerWorker: env.OPEN_EXPRESSION_THREADS ?? (threads || "one per core") }, "starting cluster");
  for (let i = 0; i < workers; i++) fork();
}

/** Whether this process should act as a cluster primary rather than serve itself. */
export function isClusterPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

/** Log fields that tell workers apart (the same port is served by all of them). */
export function workerBindings(): { worker: number; pid: number } | undefined {
  return cluster.isWorker && cluster.worker ? { worker: cluster.worker.id, pid: process.pid } : undefined;
}
