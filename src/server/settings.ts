/**
 * Every server setting, declared once: its name, environment variable, `serve` flag, default,
 * bounds and help text. `ServerConfig`, the environment reading, the `serve` options and their
 * validation messages, and the README's configuration table are all derived from this list
 * (`npm run settings:table` prints the table; a test keeps the README's copy in step).
 */
import { DEFAULT_BATCH_CONFIG, type BatchConfig } from "../batch/config.js";
import { DEFAULT_LIMITS, type MediaLimits } from "../media/limits.js";

interface Common {
  /** Environment variable (and a fallback some platforms set, e.g. PORT). */
  env: string;
  altEnv?: string;
  /** `serve` flag with its value name, e.g. "--port <port>"; absent = environment only. */
  flag?: string;
  help: string;
  /** How the README shows the default when the value itself would mislead (e.g. "one per core"). */
  defaultText?: string;
}
export interface IntSetting extends Common {
  kind: "int";
  default: number;
  /** Inclusive bounds; integers from 0 up when absent. */
  max?: number;
}
export interface BoolSetting extends Common {
  kind: "bool";
  default: boolean;
}
export interface StringSetting extends Common {
  kind: "string";
  default: string;
}
/** Comma-separated in the environment and on the command line. */
export interface ListSetting extends Common {
  kind: "list";
  default: string[];
}
/** A file path; unset by default. */
export interface PathSetting extends Common {
  kind: "path";
}
/** Comma-separated browser origins (`scheme://host[:port]`, or `*`); unset by default. */
export interface OriginsSetting extends Common {
  kind: "origins";
}
/** Free text, unset by default (e.g. the Redis URL). */
export interface OptionalSetting extends Common {
  kind: "optional";
}
export type Setting = IntSetting | BoolSetting | StringSetting | ListSetting | PathSetting | OriginsSetting | OptionalSetting;

type ValueOf<S extends Setting> = S extends IntSetting
  ? number
  : S extends BoolSetting
    ? boolean
    : S extends ListSetting
      ? string[]
      : S extends PathSetting | OptionalSetting
        ? string | undefined
        : S extends OriginsSetting
          ? string[] | undefined
          : string;

const int = (s: Omit<IntSetting, "kind">): IntSetting => ({ kind: "int", ...s });
const bool = (s: Omit<BoolSetting, "kind">): BoolSetting => ({ kind: "bool", ...s });
const string = (s: Omit<StringSetting, "kind">): StringSetting => ({ kind: "string", ...s });
const list = (s: Omit<ListSetting, "kind">): ListSetting => ({ kind: "list", ...s });
const path = (s: Omit<PathSetting, "kind">): PathSetting => ({ kind: "path", ...s });
const origins = (s: Omit<OriginsSetting, "kind">): OriginsSetting => ({ kind: "origins", ...s });
const optional = (s: Omit<OptionalSetting, "kind">): OptionalSetting => ({ kind: "optional", ...s });

/** Server settings, in the README table's order. */
export const SERVER_SETTINGS = {
  host: string({ flag: "--host <host>", env: "OPEN_EXPRESSION_HOST", default: "127.0.0.1", help: "address to bind; non-loopback addresses need API keys" }),
  port: int({ flag: "--port <port>", env: "OPEN_EXPRESSION_PORT", altEnv: "PORT", default: 8000, max: 65_535, help: "port; `0` picks a free one" }),
  apiKeys: list({ flag: "--api-keys <keys>", env: "OPEN_EXPRESSION_API_KEYS", default: [], defaultText: "none", help: "comma-separated API keys" }),
  apiKeysFile: path({ flag: "--api-keys-file <path>", env: "OPEN_EXPRESSION_API_KEYS_FILE", defaultText: "none", help: "one key per line, `#` comments" }),
  allowedOrigins: origins({
    flag: "--allowed-origins <origins>",
    env: "OPEN_EXPRESSION_ALLOWED_ORIGINS",
    defaultText: "none without API keys, any with them",
    help: "comma-separated browser origins (`scheme://host[:port]`) that may open WebSocket connections besides the server's own; `*` = any ([Origins](#origins))",
  }),
  logLevel: string({ flag: "--log-level <level>", env: "OPEN_EXPRESSION_LOG_LEVEL", default: "info", help: "JSON logs (pino); payloads and keys are never logged" }),
  threads: int({ flag: "--threads <n>", env: "OPEN_EXPRESSION_THREADS", default: 0, defaultText: "one per core", help: "inference worker threads" }),
  idleTimeoutMs: int({ flag: "--idle-timeout-ms <ms>", env: "OPEN_EXPRESSION_IDLE_TIMEOUT_MS", default: 60_000, help: "close idle connections with 1000; `0` = never" }),
  workers: int({
    flag: "--workers <n>",
    env: "OPEN_EXPRESSION_WORKERS",
    default: 1,
    help: "server processes sharing the port (node:cluster); a worker that dies is replaced; without `--threads`, each worker gets cores ÷ workers inference threads",
  }),
  maxMessageBytes: int({ env: "OPEN_EXPRESSION_MAX_MESSAGE_BYTES", default: 32 * 1024 * 1024, defaultText: "32 MiB", help: "largest WebSocket message" }),
  maxPendingPerConnection: int({ env: "OPEN_EXPRESSION_MAX_PENDING", default: 1024, help: "messages waiting per connection before `E0902`" }),
  maxConnections: int({ flag: "--max-connections <n>", env: "OPEN_EXPRESSION_MAX_CONNECTIONS", default: 4_096, help: "open connections in total; beyond it upgrades get 503; `0` = unlimited" }),
  maxConnectionsPerKey: int({ flag: "--max-connections-per-key <n>", env: "OPEN_EXPRESSION_MAX_CONNECTIONS_PER_KEY", default: 0, defaultText: "`0` (unlimited)", help: "open connections per API key; beyond it 429" }),
  rateLimitPerKey: int({ flag: "--rate-limit <n>", env: "OPEN_EXPRESSION_RATE_LIMIT", default: 0, defaultText: "`0` (unlimited)", help: "messages per second per API key; beyond it `E0904`" }),
  rateBurstPerKey: int({ flag: "--rate-burst <n>", env: "OPEN_EXPRESSION_RATE_BURST", default: 0, defaultText: "the rate", help: "messages a key may send at once before the rate applies" }),
  maxPendingTotal: int({ flag: "--max-pending-total <n>", env: "OPEN_EXPRESSION_MAX_PENDING_TOTAL", default: 16_384, help: "messages waiting across all connections before `E0902`; `0` = unlimited" }),
  shutdownTimeoutMs: int({ flag: "--shutdown-timeout-ms <ms>", env: "OPEN_EXPRESSION_SHUTDOWN_TIMEOUT_MS", default: 10_000, help: "on SIGTERM, time to answer in-flight messages before closing with 1001" }),
  metrics: bool({ env: "OPEN_EXPRESSION_METRICS", default: true, help: "`off` disables `/metrics`" }),
  // Decoding 60 s of video or 5 s of audio needs well under 200 MB; 1 GB only stops runaways.
  ffmpegMaxMemoryMb: int({ env: "OPEN_EXPRESSION_FFMPEG_MAX_MEMORY_MB", default: 1_024, help: "resident memory of one ffmpeg child (Linux); beyond it `E0200`; `0` = unlimited" }),
} as const;

/** Per-message media limits (`ServerConfig.limits`); defaults are the official service's (media/limits.ts). */
export const LIMIT_SETTINGS: { readonly [K in keyof MediaLimits]: IntSetting } = {
  maxTextChars: int({ env: "OPEN_EXPRESSION_MAX_TEXT_CHARS", default: DEFAULT_LIMITS.maxTextChars, help: "text limit (`E0206`)" }),
  maxAudioMs: int({ env: "OPEN_EXPRESSION_MAX_AUDIO_MS", default: DEFAULT_LIMITS.maxAudioMs, help: "audio limit (`E0203`)" }),
  maxVideoMs: int({ env: "OPEN_EXPRESSION_MAX_VIDEO_MS", default: DEFAULT_LIMITS.maxVideoMs, help: "video limit (`E0204`)" }),
  maxImageWidth: int({ env: "OPEN_EXPRESSION_MAX_IMAGE_WIDTH", default: DEFAULT_LIMITS.maxImageWidth, help: "image width limit (`E0205`)" }),
  maxImageHeight: int({ env: "OPEN_EXPRESSION_MAX_IMAGE_HEIGHT", default: DEFAULT_LIMITS.maxImageHeight, help: "image height limit (`E0205`)" }),
  maxFacemeshFaces: int({ env: "OPEN_EXPRESSION_MAX_FACEMESH_FACES", default: DEFAULT_LIMITS.maxFacemeshFaces, help: "faces per facemesh message" }),
  decodeTimeoutMs: int({ env: "OPEN_EXPRESSION_DECODE_TIMEOUT_MS", default: DEFAULT_LIMITS.decodeTimeoutMs, help: "time limit of one ffmpeg run (probe, audio, frames); beyond it `E0200`" }),
  maxVideoFrames: int({ env: "OPEN_EXPRESSION_MAX_VIDEO_FRAMES", default: DEFAULT_LIMITS.maxVideoFrames, help: "video frames measured per message" }),
};

/** Batch jobs (`ServerConfig.batch`); bounds are checked by the batch config schema (batch/config.ts). */
export const BATCH_SETTINGS: { readonly [K in keyof BatchConfig]-?: Setting } = {
  dir: string({ flag: "--batch-dir <dir>", env: "OPEN_EXPRESSION_BATCH_DIR", default: DEFAULT_BATCH_CONFIG.dir, help: "directory of the embedded job store (jobs, inputs, results)" }),
  queueUrl: optional({
    flag: "--queue <url>",
    env: "OPEN_EXPRESSION_QUEUE",
    defaultText: "embedded",
    help: "`redis://host:port`: BullMQ on Redis, shared by every server given the same URL (then `--batch-dir` must be a shared directory)",
  }),
  allowPrivateUrls: bool({ flag: "--allow-private-urls", env: "OPEN_EXPRESSION_ALLOW_PRIVATE_URLS", default: DEFAULT_BATCH_CONFIG.allowPrivateUrls, help: "let `urls` and `callback_url` reach private, loopback and link-local addresses" }),
  concurrency: int({ env: "OPEN_EXPRESSION_BATCH_CONCURRENCY", default: DEFAULT_BATCH_CONFIG.concurrency, help: "jobs one server runs at once" }),
  maxFileBytes: int({ env: "OPEN_EXPRESSION_BATCH_MAX_FILE_BYTES", default: DEFAULT_BATCH_CONFIG.maxFileBytes, defaultText: "64 MiB", help: "largest uploaded or downloaded file (`file_too_large`, `url_too_large`)" }),
  maxRequestBytes: int({ env: "OPEN_EXPRESSION_BATCH_MAX_REQUEST_BYTES", default: DEFAULT_BATCH_CONFIG.maxRequestBytes, defaultText: "256 MiB", help: "largest `POST /v0/batch/jobs` body (`request_too_large`)" }),
  maxFilesPerJob: int({ env: "OPEN_EXPRESSION_BATCH_MAX_FILES", default: DEFAULT_BATCH_CONFIG.maxFilesPerJob, help: "files, URLs and text items per job (`too_many_files`)" }),
  maxDurationMs: int({ env: "OPEN_EXPRESSION_BATCH_MAX_DURATION_MS", default: DEFAULT_BATCH_CONFIG.maxDurationMs, help: "longest audio or video (`E0203` / `E0204` in the file's errors)" }),
  maxVideoFrames: int({ env: "OPEN_EXPRESSION_BATCH_MAX_VIDEO_FRAMES", default: DEFAULT_BATCH_CONFIG.maxVideoFrames, help: "video frames measured per file (10 min at 3 fps); later frames are not measured" }),
  maxTextChars: int({ env: "OPEN_EXPRESSION_BATCH_MAX_TEXT_CHARS", default: DEFAULT_BATCH_CONFIG.maxTextChars, help: "characters per text item or text file" }),
  fetchTimeoutMs: int({ env: "OPEN_EXPRESSION_BATCH_FETCH_TIMEOUT_MS", default: DEFAULT_BATCH_CONFIG.fetchTimeoutMs, help: "time limit of one URL download, redirects included" }),
  leaseMs: int({ env: "OPEN_EXPRESSION_BATCH_LEASE_MS", default: DEFAULT_BATCH_CONFIG.leaseMs, help: "how long a job's claim lasts without a heartbeat before another run may take it over" }),
  maxAttempts: int({ env: "OPEN_EXPRESSION_BATCH_MAX_ATTEMPTS", default: DEFAULT_BATCH_CONFIG.maxAttempts, help: "interrupted runs of a job before it is `FAILED`" }),
};

type ServerSettings = typeof SERVER_SETTINGS;
export type SettingName = keyof ServerSettings;
/** Values of the server settings, one field per setting. */
export type SettingValues = { -readonly [K in SettingName]: ValueOf<ServerSettings[K]> };

/** Every setting with its name and group, in table order (limits after the connection settings). */
export function allSettings(): { name: string; group: "server" | "limits" | "batch"; setting: Setting }[] {
  const server = Object.entries(SERVER_SETTINGS).map(([name, setting]) => ({ name, group: "server" as const, setting }));
  const limits = Object.entries(LIMIT_SETTINGS).map(([name, setting]) => ({ name, group: "limits" as const, setting }));
  // The table lists the per-message limits right after the per-connection queue, as before.
  const at = server.findIndex((s) => s.name === "maxPendingPerConnection") + 1;
  const batch = Object.entries(BATCH_SETTINGS).map(([name, setting]) => ({ name, group: "batch" as const, setting }));
  return [...server.slice(0, at), ...limits, ...server.slice(at), ...batch];
}

/** The flag's bare name ("--port <port>" -> "--port"). */
export const flagName = (s: Setting): string | undefined => s.flag?.split(" ")[0];

function defaultCell(s: Setting): string {
  if (s.defaultText) return s.defaultText;
  switch (s.kind) {
    case "bool":
      return s.default ? "`on`" : "`off`";
    case "list":
      return s.default.length ? `\`${s.default.join(",")}\`` : "none";
    case "path":
    case "origins":
    case "optional":
      return "none";
    default:
      return `\`${s.default}\``;
  }
}

/** The README's configuration table. */
export function settingsTable(): string {
  const rows = allSettings().map(({ setting: s }) => {
    const flag = flagName(s);
    const env = `\`${s.env}\`${s.altEnv ? ` (or \`${s.altEnv}\`)` : ""}`;
    const cells = [flag ? `\`${flag}\`` : "", env, defaultCell(s), s.help];
    return `|${cells.map((c) => (c ? ` ${c} ` : " ")).join("|")}|`;
  });
  return ["| flag | environment | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** The `serve` help line of a setting: its help, environment variable and default. */
export function flagHelp(s: Setting): string {
  return `${s.help.replaceAll("`", "")} (env ${s.env}; default ${defaultCell(s).replaceAll("`", "")})`;
}
