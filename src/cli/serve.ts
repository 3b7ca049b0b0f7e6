import type { Command } from "commander";
import { ConfigError, createLogger, loadConfig, startServer } from "../server/index.js";
import { fromEnvironment, parseSetting } from "../server/config.js";
import { BATCH_SETTINGS, flagHelp, flagName, SERVER_SETTINGS, type Setting } from "../server/settings.js";
import { CONFIG_ERROR_EXIT, isClusterPrimary, runPrimary, workerBindings } from "./cluster.js";

/** commander's key for a flag: "--max-connections <n>" -> "maxConnections". */
const flagKey = (flag: string): string => (flag.split(" ")[0] ?? "").replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type Flags = Record<string, string | boolean | undefined>;

/** The flags given, parsed by each setting's kind; flag names in messages (e.g. "--port must be ..."). */
function flagOverrides(settings: Readonly<Record<string, Setting>>, flags: Flags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings)) {
    if (!s.flag) continue;
    const raw = flags[flagKey(s.flag)];
    // A switch (a flag without a value, e.g. --allow-private-urls) arrives as `true`.
    const value = parseSetting(s, raw === true ? "on" : raw || undefined, flagName(s) ?? name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function registerServe(program: Command): void {
  const command = program.command("serve").description("start the streaming server (ws://HOST:PORT/v0/stream/models)");
  for (const s of [...Object.values(SERVER_SETTINGS), ...Object.values(BATCH_SETTINGS)]) if (s.flag) command.option(s.flag, flagHelp(s));
  command.action(async (flags: Flags) => {
      let config;
      let workers: number;
      try {
        const { workers: workersFlag, ...overrides } = flagOverrides(SERVER_SETTINGS, flags);
        config = loadConfig({ ...overrides, batch: flagOverrides(BATCH_SETTINGS, flags) });
        const fromEnv = fromEnvironment(SERVER_SETTINGS.workers, process.env);
        workers = (typeof workersFlag === "number" ? workersFlag : typeof fromEnv === "number" ? fromEnv : 0) || SERVER_SETTINGS.workers.default;
      } catch (err) {
        console.error(`open-expression: ${(err as Error).message}`);
        process.exit(CONFIG_ERROR_EXIT);
      }
      // With --workers N this process only supervises; each worker runs this command again.
      if (isClusterPrimary(workers)) return runPrimary({ workers, threads: config.threads, log: createLogger(config.logLevel) });
      const bindings = workerBindings();
      const log = bindings ? createLogger(config.logLevel).child(bindings) : createLogger(config.logLevel);
      try {
        const server = await startServer(config, log);
        let stopping = false;
        const stop = (signal: string) => {
          // A cluster worker can get both the terminal's SIGINT and its primary's SIGTERM.
          if (stopping) return;
          stopping = true;
          log.info({ signal }, "shutting down");
          server.close().then(() => process.exit(0), () => process.exit(1));
        };
        process.on("SIGINT", () => stop("SIGINT"));
        process.on("SIGTERM", () => stop("SIGTERM"));
      } catch (err) {
        if (err instanceof ConfigError) {
          log.fatal(err.message);
          console.error(`open-expression: ${err.message}`);
          process.exit(CONFIG_ERROR_EXIT);
        }
        throw err;
      }
    });
}
