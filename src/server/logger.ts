import { pino, type Logger } from "pino";

export type { Logger };

/** Structured JSON logs. Payload contents and API keys are never logged. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "open-expression" }, redact: ["req.headers['x-hume-api-key']", "key"] });
}
