/**
 * Server configuration: defaults, then environment variables, then explicit options (CLI flags).
 * What each setting is (name, variable, flag, default, bounds, help) is declared once, in
 * `settings.ts`; this file reads and checks values against it.
 */
import { readFileSync } from "node:fs";
import { BatchConfig, DEFAULT_BATCH_CONFIG } from "../batch/config.js";
import { DEFAULT_LIMITS, type MediaLimits } from "../media/limits.js";
import { normalizeOrigin } from "./origin.js";
import { BATCH_SETTINGS, LIMIT_SETTINGS, SERVER_SETTINGS, type Setting, type SettingName, type SettingValues } from "./settings.js";

/** The settings a running server reads (the key file is merged into `apiKeys`; `workers` is the CLI's). */
export type ServerConfig = Omit<SettingValues, "apiKeysFile" | "workers"> & { limits: MediaLimits; batch: BatchConfig };

type ConfigName = Exclude<SettingName, "apiKeysFile" | "workers">;

function defaults(): ServerConfig {
  const values: Partial<Record<ConfigName, unknown>> = {};
  for (const name of configNames()) {
    const s: Setting = SERVER_SETTINGS[name];
    if ("default" in s) values[name] = s.default;
  }
  // Every ConfigName got its declared default above, of its declared kind.
  return { ...(values as Omit<ServerConfig, "limits" | "batch">), limits: DEFAULT_LIMITS, batch: DEFAULT_BATCH_CONFIG };
}

function configNames(): ConfigName[] {
  return (Object.keys(SERVER_SETTINGS) as SettingName[]).filter((n): n is ConfigName => n !== "apiKeysFile" && n !== "workers");
}

export const DEFAULT_CONFIG: ServerConfig = defaults();

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * A setting's value from text (an environment variable or a flag), checked against its kind;
 * `label` names the source in the message (the variable, or the flag). Undefined when unset.
 */
export function parseSetting(s: Setting, raw: string | undefined, label: string): string | number | boolean | string[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  switch (s.kind) {
    case "int": {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${label} must be a non-negative integer, got "${raw}"`);
      return value;
    }
    case "bool": {
      const v = raw.toLowerCase();
      if (["1", "true", "on", "yes"].includes(v)) return true;
      if (["0", "false", "off", "no"].includes(v)) return false;
      throw new ConfigError(`${label} must be on or off, got "${raw}"`);
    }
    case "list":
      return raw.split(",").map((k) => k.trim()).filter(Boolean);
    case "origins":
      return parseOrigins(raw, label);
    default:
      return raw;
  }
}

/** A setting's value from the environment (its variable, then its fallback variable). */
export function fromEnvironment(s: Setting, env: NodeJS.ProcessEnv): ReturnType<typeof parseSetting> {
  return parseSetting(s, env[s.env], s.env) ?? (s.altEnv ? parseSetting(s, env[s.altEnv], s.altEnv) : undefined);
}

export function readKeysFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read API keys file ${path}: ${(err as Error).message}`);
  }
  // One key per line; blank lines and # comments are ignored.
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

type Overrides = Partial<Omit<ServerConfig, "limits" | "batch">> & { limits?: Partial<MediaLimits>; batch?: Partial<BatchConfig>; apiKeysFile?: string };

export function loadConfig(overrides: Overrides = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const name of configNames()) {
    if (name === "apiKeys") continue; // merged below, with the key files
    const value = fromEnvironment(SERVER_SETTINGS[name], env);
    if (value !== undefined) fromEnv[name] = value;
  }
  const limitsFromEnv: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(LIMIT_SETTINGS)) {
    const value = fromEnvironment(s, env);
    if (value !== undefined) limitsFromEnv[name] = value;
  }
  const batchFromEnv: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(BATCH_SETTINGS)) {
    const value = fromEnvironment(s, env);
    if (value !== undefined) batchFromEnv[name] = value;
  }
  const keysFile = SERVER_SETTINGS.apiKeysFile.env;
  const keys = [
    ...(env[SERVER_SETTINGS.apiKeys.env] ?? "").split(",").map((k) => k.trim()).filter(Boolean),
    ...(env[keysFile] ? readKeysFile(env[keysFile]) : []),
    ...(overrides.apiKeysFile ? readKeysFile(overrides.apiKeysFile) : []),
    ...(overrides.apiKeys ?? []),
  ];
  const { apiKeysFile: _file, batch: batchOverrides, ...rest } = overrides;
  // `fromEnv` holds values parsed by each setting's own kind (parseSetting).
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    ...(fromEnv as Partial<ServerConfig>),
    ...defined(rest),
    apiKeys: keys,
    limits: { ...DEFAULT_LIMITS, ...(limitsFromEnv as Partial<MediaLimits>), ...defined(overrides.limits ?? {}) },
    batch: batchConfig({ ...DEFAULT_BATCH_CONFIG, ...batchFromEnv, ...defined(batchOverrides ?? {}) }),
  };
  checkBounds(config);
  return config;
}

/** The batch settings checked against their schema; errors name the environment variable. */
function batchConfig(values: Record<string, unknown>): BatchConfig {
  const parsed = BatchConfig.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = String(issue?.path[0] ?? "") as keyof BatchConfig;
  throw new ConfigError(`${BATCH_SETTINGS[key]?.env ?? key}: ${issue?.message ?? "invalid"}`);
}

/** Upper bounds declared in the settings (e.g. the port's 65535). */
function checkBounds(config: ServerConfig): void {
  for (const name of configNames()) {
    const s: Setting = SERVER_SETTINGS[name];
    const value = config[name];
    if (s.kind !== "int" || s.max === undefined || typeof value !== "number") continue;
    if (!Number.isInteger(value) || value < 0 || value > s.max) throw new ConfigError(`${name} must be 0-${s.max}, got ${value}`);
  }
}

/** "a, b" -> normalised origins; "" -> undefined (not set). */
export function parseOrigins(raw: string | undefined, source: string): string[] | undefined {
  const items = (raw ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  if (items.length === 0) return undefined;
  return items.map((item) => {
    const origin = normalizeOrigin(item);
    if (!origin) throw new ConfigError(`${source}: "${item}" is not an origin (scheme://host[:port], or *)`);
    return origin;
  });
}

function defined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
