/**
 * API-key auth at the WebSocket handshake. Keys come from configuration; a request may carry its
 * key in the X-Hume-Api-Key header (SDKs), the api_key query parameter (Fern TS client) or the
 * apikey query parameter (browsers, which cannot set WebSocket headers).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

const digest = (key: string) => createHash("sha256").update(key, "utf8").digest();

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = [...new Set(keys.map((k) => k.trim()).filter(Boolean))].map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  get count(): number {
    return this.digests.length;
  }

  /**
   * Constant time in the key's content: both sides are hashed to 32 bytes and every configured
   * key is compared, so neither length nor the position of a match leaks through timing.
   */
  accepts(candidate: string | undefined): boolean {
    return this.identify(candidate) !== undefined;
  }

  /**
   * Which configured key `candidate` is, as an opaque label for per-key limits ("key-1" for the
   * first configured key; never the key itself), "anonymous" when auth is off, undefined when
   * the key is wrong. Same constant-time comparison as `accepts`.
   */
  identify(candidate: string | undefined): string | undefined {
    if (!this.enabled) return "anonymous";
    if (candidate === undefined) return undefined;
    const given = digest(candidate);
    let match = -1;
    this.digests.forEach((d, i) => {
      if (timingSafeEqual(d, given)) match = i;
    });
    return match >= 0 ? `key-${match + 1}` : undefined;
  }
}

/** The key a request presents, from the places the official clients put it. */
export function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers["x-hume-api-key"];
  if (typeof header === "string" && header) return header;
  for (const name of ["api_key", "apikey", "apiKey"]) {
    const value = url.searchParams.get(name);
    if (value) return value;
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice("Bearer ".length);
  return url.searchParams.get("access_token") ?? undefined;
}

/** True for addresses only this machine can reach; running without keys is allowed only there. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./i.test(h);
  return false;
}
