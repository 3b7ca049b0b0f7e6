/**
 * Requests the server makes on a user's behalf (`urls` downloads, `callback_url` posts). They
 * must not become a way into the server's own network: by default every address a host name
 * resolves to is checked at connect time (so DNS rebinding cannot slip past a check made
 * earlier), literal addresses are checked before connecting, and every redirect is followed by
 * hand and checked again. Size and time are bounded.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";

export interface UrlPolicy {
  /** Allow private, loopback and link-local addresses (deployments whose media live inside). */
  allowPrivate: boolean;
  timeoutMs: number;
  /** Largest response body accepted. */
  maxBytes: number;
  /** Which addresses are refused when private ones are not allowed; default `isPrivateAddress` (tests narrow it). */
  forbidden?: (address: string) => boolean;
}

/** Why a URL request failed, with a code for the job's error list. */
export class UrlError extends Error {
  constructor(
    readonly code: "url_forbidden" | "url_failed" | "url_too_large" | "url_timeout",
    message: string,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 5;

/** Addresses that are not the public internet (RFC 6890 special-purpose ranges). */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24],
  ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["2001:db8::", 32], ["64:ff9b::", 96], ["100::", 64],
] as const) PRIVATE.addSubnet(net, prefix, "ipv6");

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  if (family === 6) {
    // IPv4-mapped (::ffff:a.b.c.d) is the IPv4 address it maps.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return PRIVATE.check(mapped[1], "ipv4");
    return PRIVATE.check(address, "ipv6");
  }
  return PRIVATE.check(address, "ipv4");
}

/** dns.lookup that fails for forbidden addresses: the check happens on the address connected to. */
const guardedLookup = (forbiddenAddress: (address: string) => boolean): LookupFunction => (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, "", 4);
    const bad = addresses.find((a) => forbiddenAddress(a.address));
    if (bad) return callback(forbidden(hostname), "", 4);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (!first) return callback(new Error(`no address for ${hostname}`), "", 4);
    callback(null, first.address, first.family);
  });
};

function forbidden(host: string): UrlError {
  return new UrlError("url_forbidden", `The URL's host ${host} is a private, loopback or link-local address; this server does not fetch those (see --allow-private-urls).`);
}

/** Checks scheme and literal addresses before any connection is made. */
function checkTarget(url: URL, policy: UrlPolicy): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UrlError("url_forbidden", `Only http and https URLs are fetched, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  // Literal addresses are connected to without a lookup, so they are checked here.
  if (!policy.allowPrivate && isIP(host) !== 0 && (policy.forbidden ?? isPrivateAddress)(host)) throw forbidden(host);
}

interface Sent {
  response: IncomingMessage;
  url: URL;
}

/** One request, following redirects (GET only) with every hop checked. */
async function send(target: string, policy: UrlPolicy, method: "GET" | "POST", body: Buffer | undefined, signal: AbortSignal): Promise<Sent> {
  let url = new URL(target);
  for (let hop = 0; ; hop++) {
    checkTarget(url, policy);
    const options: RequestOptions = {
      method,
      signal,
      headers: { "user-agent": "open-expression-batch", ...(body && { "content-type": "application/json", "content-length": String(body.length) }) },
      ...(!policy.allowPrivate && { lookup: guardedLookup(policy.forbidden ?? isPrivateAddress) }),
    };
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, options, resolve);
      req.on("error", reject);
      req.end(body);
    }).catch((err: unknown) => {
      if (err instanceof UrlError) throw err;
      if (signal.aborted) throw new UrlError("url_timeout", `The request to ${url.host} took longer than ${policy.timeoutMs} ms.`);
      throw new UrlError("url_failed", `The request to ${url.host} failed: ${(err as Error).message}`);
    });
    const location = response.headers.location;
    if (method === "GET" && response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && location) {
      response.resume();
      if (hop >= MAX_REDIRECTS) throw new UrlError("url_failed", `More than ${MAX_REDIRECTS} redirects.`);
      url = new URL(location, url);
      continue;
    }
    return { response, url };
  }
}

/** Downloads a URL's body within the policy's size and time limits. */
export async function fetchUrl(target: string, policy: UrlPolicy): Promise<{ bytes: Uint8Array; contentType: string | undefined }> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  const { response, url } = await send(target, policy, "GET", undefined, signal);
  if (!response.statusCode || response.statusCode >= 400) {
    response.resume();
    throw new UrlError("url_failed", `${url.host} answered HTTP ${response.statusCode ?? "?"}.`);
  }
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > policy.maxBytes) {
    response.destroy();
    throw tooLarge(policy.maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > policy.maxBytes) {
        response.destroy();
        throw tooLarge(policy.maxBytes);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof UrlError) throw err;
    if (signal.aborted) throw new UrlError("url_timeout", `Downloading from ${url.host} took longer than ${policy.timeoutMs} ms.`);
    throw new UrlError("url_failed", `Downloading from ${url.host} failed: ${(err as Error).message}`);
  }
  return { bytes: new Uint8Array(Buffer.concat(chunks)), contentType: response.headers["content-type"] };
}

/** POSTs JSON; resolves with the HTTP status (redirects are not followed for a POST). */
export async function postJson(target: string, payload: unknown, policy: UrlPolicy): Promise<number> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  const { response } = await send(target, policy, "POST", Buffer.from(JSON.stringify(payload)), signal);
  response.resume();
  return response.statusCode ?? 0;
}

function tooLarge(max: number): UrlError {
  return new UrlError("url_too_large", `The download is larger than the ${max}-byte limit.`);
}
