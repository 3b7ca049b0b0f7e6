/**
 * The CLI as a child process, run from the sources: `open-expression serve` with its JSON log
 * lines collected (so tests can wait for "models loaded", find its URL, and count who served
 * what), and `runCli` for the commands that run to an end (`measure`, `batch`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { packageRoot } from "../../src/package-paths.js";

export interface LogLine {
  msg?: string;
  worker?: number;
  pid?: number;
  url?: string;
  [key: string]: unknown;
}

/** The CLI as a child process, with its JSON log lines collected and waitable. */
export class CliProcess {
  readonly lines: LogLine[] = [];
  private listeners: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (text) => {
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        return; // not a log line
      }
      for (const l of this.listeners) l();
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static start(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    const child = spawn(process.execPath, ["--import", "tsx", join(packageRoot, "src/cli/main.ts"), "serve", ...args], {
      cwd: packageRoot,
      env: { ...process.env, OPEN_EXPRESSION_WORKERS: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr!.resume();
    return new CliProcess(child);
  }

  /** Resolves once `count` log lines match, failing after `timeoutMs`. */
  waitFor(match: (l: LogLine) => boolean, count = 1, timeoutMs = 30_000): Promise<LogLine[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines.filter(match);
        if (found.length < count) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(found);
        return true;
      };
      const listener = () => void check();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} log line(s); saw: ${this.lines.map((l) => l.msg).join(" | ")}`)), timeoutMs);
      if (!check()) this.listeners.push(listener);
    });
  }
}

/** The ws:// stream URL from a server's "listening" log line, once it has loaded its models. */
export async function readyStreamUrl(cli: CliProcess, timeoutMs = 60_000): Promise<string> {
  await cli.waitFor((l) => l.msg === "models loaded", 1, timeoutMs);
  const line = cli.lines.find((l) => typeof l.stream === "string");
  if (!line) throw new Error("no listening line");
  return line.stream as string;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `open-expression <args>` to its end, as a user's shell would. stdin gets `stdin` and is
 * then closed (commands that read `-` must not wait for a terminal); `env` is added to this
 * process's environment.
 */
export function runCli(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(packageRoot, "src/cli/main.ts"), ...args], {
      cwd: packageRoot,
      env: { ...process.env, ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}
