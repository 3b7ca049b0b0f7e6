/**
 * Which browser origins may open a WebSocket. Browsers send `Origin` on every WebSocket
 * handshake and let any page open `ws://127.0.0.1:PORT`, so a server without API keys would
 * otherwise measure for any web page the user happens to visit (the reason Jupyter and dev
 * servers check it). Non-browser clients (the SDKs, the CLI) send no `Origin` and are never
 * affected.
 *
 * - `allowedOrigins` unset, no API keys: no `Origin`, or the server's own origin (the
 *   playground) only.
 * - `allowedOrigins` unset, API keys configured: every origin; the key is the protection.
 * - `allowedOrigins` set: no `Origin`, the server's own origin, and the listed ones; `*` allows
 *   every origin.
 */

export interface OriginPolicyOptions {
  /** Extra origins from configuration, e.g. "https://app.example" or "*"; undefined = not set. */
  allowedOrigins: readonly string[] | undefined;
  keysEnabled: boolean;
  /** The address the server is bound to and its port (for its own origin). */
  host: string;
  port: number;
}

/** Loopback names a browser on this machine may use to reach a loopback-bound server. */
const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

/**
 * The server's own origins: what `window.location.origin` is on a page it served. Built from
 * the bound address rather than the request's `Host` header, which a DNS-rebinding page controls.
 */
export function ownOrigins(host: string, port: number): string[] {
  const bound = host.includes(":") ? `[${host}]` : host;
  const hosts = host === "0.0.0.0" || host === "::" ? LOOPBACK_HOSTS : [...new Set([bound, ...(isLoopbackName(host) ? LOOPBACK_HOSTS : [])])];
  return hosts.flatMap((h) => [`http://${h}:${port}`, `https://${h}:${port}`]);
}

function isLoopbackName(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** Lower-cased scheme://host[:port] as browsers serialise it, or undefined when unparsable. */
export function normalizeOrigin(origin: string): string | undefined {
  if (origin === "*") return "*";
  try {
    const url = new URL(origin);
    return url.origin === "null" ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

export type OriginCheck = (origin: string | undefined) => boolean;

export function originPolicy({ allowedOrigins, keysEnabled, host, port }: OriginPolicyOptions): OriginCheck {
  if (allowedOrigins === undefined && keysEnabled) return () => true;
  const allowed = new Set([...ownOrigins(host, port), ...(allowedOrigins ?? [])]);
  if (allowed.has("*")) return () => true;
  return (origin) => {
    if (origin === undefined) return true;
    const normalized = normalizeOrigin(origin);
    return normalized !== undefined && allowed.has(normalized);
  };
}
