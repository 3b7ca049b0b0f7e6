/**
 * The page's one connection, through our SDK (`ExpressionClient`): connects, times every reply,
 * and turns error replies, warnings and connection failures into notices with their codes.
 * A browser cannot see the HTTP status of a refused WebSocket handshake, so when connecting
 * fails we ask the stream path over plain HTTP with the same key: the server answers 401 for a
 * wrong key and 426 otherwise, which is how the page can say "HTTP 401" instead of "failed".
 */
import {
  ConnectionError,
  ExpressionClient,
  ExpressionError,
  TimeoutError,
  normalizeUrl,
  type StreamReply,
} from "../client/index.js";
import { MODEL_NAMES } from "../protocol/wire.js";
import { messageOf } from "./dom.js";

export type Status = "disconnected" | "connecting" | "connected" | "failed";

export interface Notice {
  level: "error" | "warning";
  /** Protocol code (E0102, W0103), or "HTTP 401" / "connection" for connection problems. */
  code: string;
  message: string;
  /** Which mode or model it came from. */
  source: string;
}

export interface ConnectionEvents {
  status(status: Status, detail: string): void;
  notice(notice: Notice): void;
  /** Every reply, error replies included, with its round-trip time. */
  reply(latencyMs: number): void;
}

export class Connection {
  private client: ExpressionClient | undefined;
  private attempt = 0;

  constructor(private readonly events: ConnectionEvents) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Connects (closing any previous connection); resolves false when it failed (already reported). */
  async connect(url: string, apiKey: string): Promise<boolean> {
    const attempt = ++this.attempt;
    await this.disconnect(false);
    let target: string;
    try {
      target = normalizeUrl(url);
    } catch (err) {
      this.fail("connection", `The server URL is not valid: ${messageOf(err)}`, "connection");
      return false;
    }
    this.events.status("connecting", target);
    try {
      const client = await ExpressionClient.connect({
        url: target,
        apiKey: apiKey || undefined,
        timeoutMs: 15_000,
        // After the server's idle timeout (close 1000) the next send reconnects.
        reconnect: { attempts: 2, delayMs: 500 },
      });
      if (attempt !== this.attempt) {
        await client.close();
        return false;
      }
      this.client = client;
      this.events.status("connected", target);
      return true;
    } catch (err) {
      if (attempt !== this.attempt) return false;
      const why = await diagnose(target, apiKey);
      this.fail(why.code, why.message ?? messageOf(err), "connection");
      return false;
    }
  }

  async disconnect(report = true): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.close().catch(() => undefined);
    if (report) this.events.status("disconnected", "");
  }

  /**
   * Runs one request through the SDK. Resolves with the reply, or undefined when it failed;
   * failures and warnings are reported as notices either way, so callers only draw results.
   */
  async run(source: string, call: (client: ExpressionClient) => Promise<StreamReply>): Promise<StreamReply | undefined> {
    const client = this.client;
    if (!client) {
      this.events.notice({ level: "error", code: "connection", message: "Not connected: press Connect first.", source });
      return undefined;
    }
    const started = performance.now();
    try {
      const reply = await call(client);
      this.events.reply(performance.now() - started);
      this.reportWarnings(reply, source);
      return reply;
    } catch (err) {
      if (err instanceof ExpressionError) {
        this.events.reply(performance.now() - started);
        this.events.notice({ level: "error", code: err.code, message: err.message, source });
      } else if (err instanceof ConnectionError) {
        if (this.client === client) {
          this.client = undefined;
          this.fail("connection", err.message, source);
        }
      } else if (err instanceof TimeoutError) {
        this.events.notice({ level: "error", code: "timeout", message: err.message, source });
      } else {
        this.events.notice({ level: "error", code: "client", message: messageOf(err), source });
      }
      return undefined;
    }
  }

  private reportWarnings(reply: StreamReply, source: string): void {
    if (reply.warning) this.events.notice({ level: "warning", code: reply.code ?? "warning", message: reply.warning, source });
    for (const model of MODEL_NAMES) {
      const block = reply[model];
      if (block?.warning) this.events.notice({ level: "warning", code: block.code ?? "warning", message: block.warning, source: model });
    }
  }

  private fail(code: string, message: string, source: string): void {
    this.events.notice({ level: "error", code, message, source });
    this.events.status("failed", code === "connection" ? message : `${code}: ${message}`);
  }
}

/** Why a handshake failed, asked over plain HTTP (see the file comment). */
async function diagnose(streamUrl: string, apiKey: string): Promise<{ code: string; message?: string }> {
  const httpUrl = streamUrl.replace(/^ws/, "http");
  try {
    const res = await fetch(httpUrl, { headers: apiKey ? { "X-Hume-Api-Key": apiKey } : {}, cache: "no-store" });
    if (res.status === 401) {
      return {
        code: "HTTP 401",
        message: apiKey ? "Unauthorized: the server rejected this API key." : "Unauthorized: this server needs an API key.",
      };
    }
    if (res.status === 404) return { code: "HTTP 404", message: `Nothing at ${httpUrl}: check the server URL.` };
    return { code: "connection", message: `Could not open a WebSocket to ${streamUrl} (the server answered HTTP ${res.status}).` };
  } catch {
    // Unreachable, or another origin that does not let this page ask.
    return { code: "connection", message: `Could not reach ${streamUrl}: is the server running, and is the URL right?` };
  }
}
