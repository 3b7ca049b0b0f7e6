/**
 * The playground's files (built by `npm run build:web` into dist/web): `index.html` at `/` and
 * everything else under `/assets/`. Asset names are checked against a strict pattern and looked
 * up in one flat folder, so no request path can reach a file outside it. Built asset names carry
 * a content hash, so they are cached for a year; the page itself is revalidated (ETag) on every
 * load, which is what makes a rebuilt page pick up its new assets.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { packageRoot } from "../package-paths.js";

export const WEB_ROOT = join(packageRoot, "dist", "web");
const ASSETS_PREFIX = "/assets/";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** One path segment of letters, digits, `_`, `-` and dots, not starting with a dot. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** `name-HASH.ext` as esbuild writes hashed outputs (8 characters of base32). */
const HASHED_NAME = /-[A-Z0-9]{8}\.[a-z]+$/;

/**
 * The page may talk to any WebSocket server the user types in (connect-src ws: wss:), reads the
 * camera and microphone through blob:/mediastream: URLs, and runs only its own scripts.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** True when the request asks for an HTML page (a browser navigating to `/`). */
function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.includes("text/html");
}

/**
 * `/` is the page for browsers and JSON for API clients: serves the page and returns true when
 * the request asks for HTML, else returns false for the caller to answer. Either way the answer
 * depends on Accept, which caches are told.
 */
export function servePageToBrowsers(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader("vary", "accept");
  if (!wantsHtml(req)) return false;
  servePage(req, res);
  return true;
}

/** Serves `index.html`; answers 503 with instructions when the page has not been built. */
function servePage(req: IncomingMessage, res: ServerResponse): void {
  sendFile(req, res, join(WEB_ROOT, "index.html"), "index.html", () => {
    res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end("The playground page is not built. Run `npm run build:web` (or `npm run build`) and reload.\n");
  });
}

/**
 * Serves `/assets/<name>` and returns true, or returns false when `pathname` is not under
 * `/assets/` (the caller answers it). Unknown or unsafe names get 404.
 */
export function serveAsset(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (!pathname.startsWith(ASSETS_PREFIX)) return false;
  const name = pathname.slice(ASSETS_PREFIX.length);
  const notFound = () => {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "Not found." }));
  };
  if (!SAFE_NAME.test(name) || name.includes("..") || !(extname(name) in CONTENT_TYPES)) {
    notFound();
    return true;
  }
  sendFile(req, res, join(WEB_ROOT, "assets", name), name, notFound);
  return true;
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, name: string, missing: () => void): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
    res.end(JSON.stringify({ error: "Method not allowed." }));
    return;
  }
  // Read per request (the files are small): a rebuilt bundle is served without a restart.
  readFile(file, (err, body) => {
    if (err) return missing();
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    const headers: Record<string, string> = {
      "content-type": CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
      "cache-control": HASHED_NAME.test(name) ? "public, max-age=31536000, immutable" : "no-cache",
      etag,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    };
    if (name === "index.html") headers["content-security-policy"] = PAGE_CSP;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    headers["content-length"] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : body);
  });
}
