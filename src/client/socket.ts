/**
 * The one place that knows which WebSocket implementation runs. Node uses `ws` (loaded lazily,
 * so bundles for the browser never execute it) because only `ws` can send the X-Hume-Api-Key
 * header and report the handshake's HTTP status, which is what turns a wrong key into an
 * `AuthenticationError`. Browsers, and runtimes without `ws`, use the global WHATWG WebSocket
 * with the key in the `apikey` query parameter; there a refused handshake is indistinguishable
 * from an unreachable server, so it surfaces as a `ConnectionError` that mentions both.
 */
import { AuthenticationError, ConnectionError } from "./errors.js";
import { nodeImport } from "./node-only.js";

/** A connected socket, reduced to what the client needs. */
export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  readonly isOpen: boolean;
  /** Set by the client right after connecting; frames arriving earlier cannot exist (nothing was sent). */
  onMessage: (text: string) => void;
  onClose: (code: number, reason: string) => void;
}

export interface OpenOptions {
  url: string;
  apiKey?: string;
  /** Handshake timeout; 0 waits forever. */
  timeoutMs: number;
}

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

export async function openTransport(options: OpenOptions): Promise<Transport> {
  if (isNode) {
    const ws = await nodeImport<typeof import("ws")>("ws").catch(() => undefined);
    if (ws) return openWithWs(ws.default, options);
  }
  if (typeof globalThis.WebSocket !== "function") {
    throw new ConnectionError("no WebSocket implementation: install the 'ws' package or use a runtime with a global WebSocket");
  }
  return openWithGlobal(options);
}

function describe(url: string): string {
  return `could not connect to ${url}`;
}

function withTimeout<T>(timeoutMs: number, url: string, start: (settle: (err?: Error, value?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abort = start((err, value) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        if (done) return;
        done = true;
        abort();
        reject(new ConnectionError(`${describe(url)}: no handshake within ${timeoutMs} ms`));
      }, timeoutMs);
    }
  });
}

type WsClass = typeof import("ws").default;

function openWithWs(WS: WsClass, { url, apiKey, timeoutMs }: OpenOptions): Promise<Transport> {
  return withTimeout<Transport>(timeoutMs, url, (settle) => {
    const headers: Record<string, string> = apiKey ? { "X-Hume-Api-Key": apiKey } : {};
    const ws = new WS(url, { headers, perMessageDeflate: false });
    const transport: Transport = {
      send: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      get isOpen() {
        return ws.readyState === WS.OPEN;
      },
      onMessage: () => {},
      onClose: () => {},
    };
    ws.on("open", () => settle(undefined, transport));
    ws.on("message", (data) => {
      // The server sends text frames; binary ones are decoded the same way rather than dropped.
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      transport.onMessage(buf.toString("utf8"));
    });
    ws.on("close", (code, reason) => transport.onClose(code, reason.toString("utf8")));
    // After a failed handshake `ws` emits error and close too; the promise has settled by then.
    ws.on("error", (err: Error & { code?: string }) => {
      const why = err.code === "ECONNREFUSED" ? "connection refused" : err.message;
      settle(new ConnectionError(`${describe(url)} (${why})`, undefined, { cause: err }));
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < 2048) body += chunk;
      });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        const detail = serverMessage(body);
        if (status === 401 || status === 403) {
          settle(new AuthenticationError(`the server rejected the API key (HTTP ${status}${detail ? `: ${detail}` : ""})`));
        } else {
          settle(new ConnectionError(`${describe(url)}: the server answered HTTP ${status}${detail ? ` (${detail})` : ""} instead of upgrading to WebSocket`));
        }
        ws.terminate();
      });
    });
    return () => ws.terminate();
  });
}

/** The `error` text of a JSON error body, or the body itself, kept short. */
function serverMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && "error" in parsed && typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON: fall through
  }
  return body.trim().slice(0, 200);
}

function openWithGlobal({ url, apiKey, timeoutMs }: OpenOptions): Promise<Transport> {
  const target = new URL(url);
  if (apiKey) target.searchParams.set("apikey", apiKey);
  return withTimeout<Transport>(timeoutMs, url, (settle) => {
    const ws = new globalThis.WebSocket(target.toString());
    ws.binaryType = "arraybuffer";
    const transport: Transport = {
      send: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      get isOpen() {
        return ws.readyState === ws.OPEN;
      },
      onMessage: () => {},
      onClose: () => {},
    };
    let opened = false;
    ws.onopen = () => {
      opened = true;
      settle(undefined, transport);
    };
    ws.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (typeof data === "string") transport.onMessage(data);
      else if (data instanceof ArrayBuffer) transport.onMessage(new TextDecoder().decode(data));
    };
    ws.onerror = () => {
      if (!opened) {
        settle(new ConnectionError(`${describe(url)}: the server is unreachable or refused the handshake (for example a 401 for a wrong API key)`));
      }
    };
    ws.onclose = (event: CloseEvent) => {
      if (opened) transport.onClose(event.code, event.reason);
      else settle(new ConnectionError(`${describe(url)} (closed with code ${event.code})`, event.code));
    };
    return () => ws.close();
  });
}
