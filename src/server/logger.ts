import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Payload contents and API keys are never logged: log calls carry ids
 * (job_id per connection, request_id per message, key_id = which configured key, never the key),
 * and the redaction below is a second line of defence for a key that reaches a log call anyway.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "open-expression" },
    redact: ["req.headers['x-hume-api-key']", "req.headers.authorization", "key", "apiKey", "api_key", "apiKeys"],
  });
}
