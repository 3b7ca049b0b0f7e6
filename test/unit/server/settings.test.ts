/** The settings schema: the README's table is its copy, and values are read and checked by it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { readmeTable } from "../../../src/docs/settings-table.js";
import { packageRoot } from "../../../src/package-paths.js";
import { ConfigError, DEFAULT_CONFIG, loadConfig } from "../../../src/server/config.js";
import { allSettings, LIMIT_SETTINGS, SERVER_SETTINGS, settingsTable } from "../../../src/server/settings.js";

test("the README's configuration table is the one the schema generates (npm run docs:settings)", () => {
  const readme = readFileSync(`${packageRoot}/README.md`, "utf8");
  assert.equal(readmeTable(readme), settingsTable());
  // Every variable the schema declares is in it once.
  for (const { setting } of allSettings()) assert.equal(settingsTable().split(`\`${setting.env}\``).length, 2, setting.env);
});

test("defaults, then the environment, then explicit options; bad values name their source", () => {
  assert.equal(DEFAULT_CONFIG.port, SERVER_SETTINGS.port.default);
  assert.equal(DEFAULT_CONFIG.limits.maxAudioMs, LIMIT_SETTINGS.maxAudioMs.default);
  const env = { OPEN_EXPRESSION_PORT: "9001", OPEN_EXPRESSION_METRICS: "off", OPEN_EXPRESSION_MAX_AUDIO_MS: "7000", OPEN_EXPRESSION_API_KEYS: "a, b" };
  const fromEnv = loadConfig({}, env);
  assert.deepEqual([fromEnv.port, fromEnv.metrics, fromEnv.limits.maxAudioMs, fromEnv.apiKeys], [9001, false, 7000, ["a", "b"]]);
  assert.equal(loadConfig({ port: 9002 }, env).port, 9002);
  assert.equal(loadConfig({}, { PORT: "9003" }).port, 9003);
  assert.throws(() => loadConfig({}, { OPEN_EXPRESSION_THREADS: "-1" }), (e: unknown) => e instanceof ConfigError && /OPEN_EXPRESSION_THREADS must be a non-negative integer/.test(e.message));
  assert.throws(() => loadConfig({}, { OPEN_EXPRESSION_METRICS: "maybe" }), /OPEN_EXPRESSION_METRICS must be on or off/);
  assert.throws(() => loadConfig({ port: 70_000 }, {}), /port must be 0-65535, got 70000/);
});
