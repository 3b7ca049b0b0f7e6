/**
 * A throwaway Debian `redis-server` for a benchmark or a test: started here on a free loopback port with
 * its own temporary directory and no persistence, never assumed to be running, and stopped
 * (its directory removed) by `stop()`, or killed when this process exits without calling it.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BINARY = "redis-server";
const START_TIMEOUT_MS = 20_000;

export interface RedisServer {
  /** redis://127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

/** Why Redis cannot be started here, or undefined when it can. */
export function redisMissing(): string | undefined {
  return spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0 ? undefined : `${BINARY} is not installed (Debian: apt-get install redis-server)`;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Resolves true once the server answers PING with PONG. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port, "127.0.0.1", () => s.write("PING\r\n"));
    s.setTimeout(1_000, () => s.destroy());
    s.once("data", (d) => {
      s.end();
      resolve(d.toString().startsWith("+PONG"));
    });
    s.once("error", () => resolve(false));
    s.once("close", () => resolve(false));
  });
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-redis-"));
  const port = await freePort();
  // Loopback only, nothing written to disk; noeviction as a deployment should have it.
  const child = spawn(BINARY, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction", "--dir", dir], { stdio: "ignore" });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const stop = async () => {
    process.off("exit", killOnExit);
    if (!exited) {
      child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exit;
      clearTimeout(forced);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pong(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(exited ? `${BINARY} exited during start-up` : `${BINARY} did not answer within ${START_TIMEOUT_MS / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
