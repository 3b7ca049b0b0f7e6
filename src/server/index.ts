export { startServer, STREAM_PATH, type RunningServer } from "./app.js";
export { loadConfig, ConfigError, DEFAULT_CONFIG, parseOrigins, type ServerConfig } from "./config.js";
export { createLogger } from "./logger.js";
