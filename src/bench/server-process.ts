/**
 * Runs the server as a separate process, as users do, so the benchmark's clients do not share
 * its event loop. Runs the compiled build (`npm run bench` builds first), or the sources
 * through tsx when there is no build.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../models/assets.js";

export interface ServerProcess {
  url: string;
  streamUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function spawnServer(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const built = join(packageRoot, "dist/cli/main.js");
  const args = existsSync(built)
    ? [built, "serve", "--port", "0", ...extraArgs]
    : ["--import", "tsx", join(packageRoot, "src/cli/main.ts"), "serve", "--port", "0", ...extraArgs];
  const child = spawn(process.execPath, args, { cwd: packageRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const found = await new Promise<{ url: string; stream: string }>((resolve, reject) => {
    let url: string | undefined;
    let loaded = false;
    child.once("exit", (code) => reject(new Error(`server exited early with code ${code}`)));
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string; stream?: string };
        if (entry.url && entry.stream) url = entry.url;
        if (entry.msg === "models loaded") loaded = true;
        if (loaded && url) resolve({ url, stream: url.replace(/^http/, "ws") + "/v0/stream/models" });
      } catch {
        // not a log line
      }
    });
  });
  return {
    url: found.url,
    streamUrl: found.stream,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
