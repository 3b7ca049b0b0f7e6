import type { Command } from "commander";
import { ConfigError, createLogger, loadConfig, parseOrigins, startServer } from "../server/index.js";
import { CONFIG_ERROR_EXIT, isClusterPrimary, runPrimary, workerBindings } from "./cluster.js";

interface ServeFlags {
  host?: string;
  port?: string;
  apiKeys?: string;
  apiKeysFile?: string;
  allowedOrigins?: string;
  logLevel?: string;
  threads?: string;
  idleTimeoutMs?: string;
  maxConnections?: string;
  maxConnectionsPerKey?: string;
  rateLimit?: string;
  rateBurst?: string;
  maxPendingTotal?: string;
  shutdownTimeoutMs?: string;
  workers?: string;
  // batch jobs (src/batch/config.ts)
  batchDir?: string;
  queue?: string;
  allowPrivateUrls?: boolean;
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
    .option("--allowed-origins <origins>", "comma-separated browser origins allowed to connect besides the server's own, * = any (env OPEN_EXPRESSION_ALLOWED_ORIGINS; default: none without API keys, any with them)")
    .option("--log-level <level>", "trace, debug, info, warn or error (env OPEN_EXPRESSION_LOG_LEVEL)")
    .option("--threads <n>", "inference worker threads, 0 = one per core (env OPEN_EXPRESSION_THREADS)")
    .option("--idle-timeout-ms <ms>", "close connections idle this long, 0 = never (env OPEN_EXPRESSION_IDLE_TIMEOUT_MS)")
    .option("--max-connections <n>", "open connections in total, 0 = unlimited (env OPEN_EXPRESSION_MAX_CONNECTIONS; default 4096)")
    .option("--max-connections-per-key <n>", "open connections per API key, 0 = unlimited (env OPEN_EXPRESSION_MAX_CONNECTIONS_PER_KEY)")
    .option("--rate-limit <n>", "messages per second per API key, 0 = unlimited (env OPEN_EXPRESSION_RATE_LIMIT)")
    .option("--rate-burst <n>", "messages a key may send at once before --rate-limit applies (env OPEN_EXPRESSION_RATE_BURST)")
    .option("--max-pending-total <n>", "messages waiting across all connections, 0 = unlimited (env OPEN_EXPRESSION_MAX_PENDING_TOTAL; default 16384)")
    .option("--shutdown-timeout-ms <ms>", "on SIGTERM, time to answer in-flight messages before closing (env OPEN_EXPRESSION_SHUTDOWN_TIMEOUT_MS; default 10000)")
    .option("--workers <n>", "server processes sharing the port, restarted if they die (env OPEN_EXPRESSION_WORKERS; default 1)")
    // Batch jobs (src/batch/config.ts; the other batch settings are environment variables).
    .option("--batch-dir <dir>", "directory of the embedded batch job store (env OPEN_EXPRESSION_BATCH_DIR; default data/batch)")
    .option("--queue <url>", "batch queue: redis://host:port for a shared Redis queue (env OPEN_EXPRESSION_QUEUE; default: embedded)")
    .option("--allow-private-urls", "let batch `urls` and `callback_url` reach private, loopback and link-local addresses (env OPEN_EXPRESSION_ALLOW_PRIVATE_URLS)")
    .action(async (flags: ServeFlags) => {
      let config;
      let workers: number;
      try {
        config = loadConfig({
          host: flags.host,
          port: asInt("port", flags.port),
          apiKeys: flags.apiKeys?.split(",").map((k) => k.trim()).filter(Boolean),
          apiKeysFile: flags.apiKeysFile,
          allowedOrigins: parseOrigins(flags.allowedOrigins, "--allowed-origins"),
          logLevel: flags.logLevel,
          threads: asInt("threads", flags.threads),
          idleTimeoutMs: asInt("idle-timeout-ms", flags.idleTimeoutMs),
          maxConnections: asInt("max-connections", flags.maxConnections),
          maxConnectionsPerKey: asInt("max-connections-per-key", flags.maxConnectionsPerKey),
          rateLimitPerKey: asInt("rate-limit", flags.rateLimit),
          rateBurstPerKey: asInt("rate-burst", flags.rateBurst),
          maxPendingTotal: asInt("max-pending-total", flags.maxPendingTotal),
          shutdownTimeoutMs: asInt("shutdown-timeout-ms", flags.shutdownTimeoutMs),
          batch: { dir: flags.batchDir, queueUrl: flags.queue, allowPrivateUrls: flags.allowPrivateUrls },
        });
        workers = asInt("workers", flags.workers ?? process.env.OPEN_EXPRESSION_WORKERS) || 1;
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
