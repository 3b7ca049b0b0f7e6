/**
 * `callback_url`: a POST with the job's final details when it ends, retried with exponential
 * backoff when the receiver is down or answers 5xx. Same address rules as `urls`. Delivery is
 * best effort: retries live in memory, so a callback still being retried when the server
 * stops is not sent again (the job's state itself is durable and can be polled).
 */
import type { Logger } from "../server/logger.js";
import type { JobDetails } from "./schema.js";
import { postJson, type UrlPolicy } from "./urls.js";

const ATTEMPTS = 5;
const FIRST_DELAY_MS = 500;

export async function sendCallback(url: string, details: JobDetails, policy: UrlPolicy, log: Logger, stopped: () => boolean): Promise<boolean> {
  for (let attempt = 1; attempt <= ATTEMPTS && !stopped(); attempt++) {
    try {
      const status = await postJson(url, details, policy);
      if (status >= 200 && status < 300) {
        log.info({ job_id: details.job_id, attempt }, "batch callback delivered");
        return true;
      }
      // A 4xx other than 408/429 will not get better by retrying.
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        log.warn({ job_id: details.job_id, status }, "batch callback refused by the receiver");
        return false;
      }
      log.warn({ job_id: details.job_id, status, attempt }, "batch callback failed; retrying");
    } catch (err) {
      const code = (err as { code?: string }).code;
      log.warn({ job_id: details.job_id, attempt, code, err: (err as Error).message }, "batch callback failed");
      if (code === "url_forbidden") return false;
    }
    await new Promise((r) => setTimeout(r, FIRST_DELAY_MS * 2 ** (attempt - 1)).unref());
  }
  return false;
}
