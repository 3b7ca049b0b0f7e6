import type { Command } from "commander";
import { ConfigError, createLogger, loadConfig, startServer } from "../server/index.js";

interface ServeFlags {
  host?: string;
  port?: string;
  apiKeys?: string;
  apiKeysFile?: string;
  logLevel?: string;
  threads?: string;
  idleTimeoutMs?: string;
}

const asInt = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
};

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("start the streaming server (ws://HOST:PORT/v0/stream/models)")
    .option("--host <host>", "address to bind (env OPEN_EXPRESSION_HOST; default 127.0.0.1)")
    .option("--port <port>", "port to listen on (env OPEN_EXPRESSION_PORT; default 8000; 0 = any free port)")
    .option("--api-keys <keys>", "comma-separated API keys (env OPEN_EXPRESSION_API_KEYS)")
    .option("--api-keys-file <path>", "file with one API key per line (env OPEN_EXPRESSION_API_KEYS_FILE)")
    .option("--log-level <level>", "trace, debug, info, warn or error (env OPEN_EXPRESSION_LOG_LEVEL)")
    .option("--threads <n>", "inference worker threads, 0 = one per core (env OPEN_EXPRESSION_THREADS)")
    .option("--idle-timeout-ms <ms>", "close connections idle this long, 0 = never (env OPEN_EXPRESSION_IDLE_TIMEOUT_MS)")
    .action(async (flags: ServeFlags) => {
      let config;
      try {
        config = loadConfig({
          host: flags.host,
          port: asInt("port", flags.port),
          apiKeys: flags.apiKeys?.split(",").map((k) => k.trim()).filter(Boolean),
          apiKeysFile: flags.apiKeysFile,
          logLevel: flags.logLevel,
          threads: asInt("threads", flags.threads),
          idleTimeoutMs: asInt("idle-timeout-ms", flags.idleTimeoutMs),
        });
      } catch (err) {
        console.error(`open-expression: ${(err as Error).message}`);
        process.exit(2);
      }
      const log = createLogger(config.logLevel);
      try {
        const server = await startServer(config, log);
        const stop = (signal: string) => {
          log.info({ signal }, "shutting down");
          server.close().then(() => process.exit(0), () => process.exit(1));
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      } catch (err) {
        if (err instanceof ConfigError) {
          log.fatal(err.message);
          console.error(`open-expression: ${err.message}`);
          process.exit(2);
        }
        throw err;
      }
    });
}
