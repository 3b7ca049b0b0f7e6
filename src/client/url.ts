export const STREAM_PATH = "/v0/stream/models";
export const DEFAULT_URL = "ws://127.0.0.1:8000";

/**
 * Accepts a full stream URL or a base URL (http(s), ws(s), or bare host:port) and returns the
 * `ws(s)://…/v0/stream/models` URL. A path prefix is kept, for servers behind a reverse proxy.
 */
export function normalizeUrl(input: string = DEFAULT_URL): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `ws://${input}`;
  const url = new URL(withScheme);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new TypeError(`unsupported URL scheme ${url.protocol} (use ws, wss, http or https)`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith(STREAM_PATH)) url.pathname = path;
  else if (path.endsWith("/v0/stream")) url.pathname = `${path}/models`;
  else url.pathname = `${path}${STREAM_PATH}`;
  return url.toString();
}
