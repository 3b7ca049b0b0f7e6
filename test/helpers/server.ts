/**
 * Starts a real server (real sockets, real worker pool, real models) on a free loopback port.
 * Tests share this instead of hand-rolling servers, so they all exercise the same code path.
 */
import { createLogger, loadConfig, startServer, type RunningServer, type ServerConfig } from "../../src/server/index.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BatchConfig } from "../../src/batch/config.js";
import type { MediaLimits } from "../../src/media/limits.js";

export type TestServerOptions = Partial<Omit<ServerConfig, "limits" | "batch">> & { limits?: Partial<MediaLimits>; batch?: Partial<BatchConfig> };

export async function startTestServer(options: TestServerOptions = {}): Promise<RunningServer> {
  // Each test server gets its own batch job store, never one in the working directory.
  const batch = { dir: mkdtempSync(join(tmpdir(), "oe-batch-")), ...options.batch };
  const config = loadConfig({ port: 0, threads: 2, logLevel: process.env.TEST_LOG_LEVEL ?? "silent", ...options, batch }, {});
  const server = await startServer(config, createLogger(config.logLevel));
  await waitReady(server.url);
  return server;
}

export async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, `server at ${url} ready`, timeoutMs);
}

/** Polls `check` until it holds; throws "timed out waiting for <what>" after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
