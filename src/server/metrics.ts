/**
 * Prometheus metrics (prom-client), served at /metrics. One registry per server, so several
 * servers in one process (the tests) never share or double-register series. Labels are bounded
 * sets (model names, error codes, refusal reasons): never keys, payload ids or client addresses.
 */
import type { ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ModelName, Reply } from "../protocol/index.js";
import type { Logger } from "./logger.js";

export const METRICS_PATH = "/metrics";

/** Seconds; from sub-millisecond text up to a minute of video. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Gauges read when scraped, so they never drift from the numbers they describe. */
export interface MetricsSources {
  connections: () => number;
  queueDepth: () => number;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<"model">;
  private readonly errors: Counter<"model" | "code">;
  private readonly warnings: Counter<"model" | "code">;
  private readonly inference: Histogram<"model">;
  private readonly endToEnd: Histogram<"model">;
  private readonly workerRestarts: Counter;
  private readonly refusedConnections: Counter<"reason">;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "open_expression_connections",
      help: "Open WebSocket connections.",
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: "open_expression_queue_depth",
      help: "Messages accepted and not yet answered, across all connections (the global queue).",
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    this.messages = new Counter({
      name: "open_expression_messages_total",
      help: "Messages answered, by requested model ('none' before a model is known: bad JSON, job_details, refusals).",
      labelNames: ["model"],
      registers,
    });
    this.errors = new Counter({
      name: "open_expression_errors_total",
      help: "Error replies, by requested model ('none' when unknown) and error code.",
      labelNames: ["model", "code"],
      registers,
    });
    this.warnings = new Counter({
      name: "open_expression_warnings_total",
      help: "Warnings inside prediction replies, by model and warning code.",
      labelNames: ["model", "code"],
      registers,
    });
    this.inference = new Histogram({
      name: "open_expression_inference_seconds",
      help: "Time inside a model for one task (a message, or one video frame for face), by model.",
      labelNames: ["model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.endToEnd = new Histogram({
      name: "open_expression_message_seconds",
      help: "From a message's arrival to its reply being handed to the socket (queueing, decoding and inference), by model.",
      labelNames: ["model"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.workerRestarts = new Counter({
      name: "open_expression_worker_restarts_total",
      help: "Inference worker threads replaced after one died (crash or exit).",
      registers,
    });
    this.refusedConnections = new Counter({
      name: "open_expression_refused_connections_total",
      help: "WebSocket upgrades refused, by reason.",
      labelNames: ["reason"],
      registers,
    });
  }

  /** Counts one answered message and its latency from arrival (`seconds`). */
  message(models: readonly ModelName[], reply: Reply, seconds: number): void {
    const code = "error" in reply ? reply.code : undefined;
    if (models.length === 0) this.count("none", code, seconds);
    for (const model of models) {
      this.count(model, code, seconds);
      const warning = "error" in reply ? undefined : reply[model]?.code;
      if (warning) this.warnings.inc({ model, code: warning });
    }
  }

  private count(model: string, code: string | undefined, seconds: number): void {
    this.messages.inc({ model });
    if (code) this.errors.inc({ model, code });
    this.endToEnd.observe({ model }, seconds);
  }

  inferenceTime(model: ModelName, ms: number): void {
    this.inference.observe({ model }, ms / 1000);
  }

  workerRestarted(): void {
    this.workerRestarts.inc();
  }

  connectionRefused(reason: string): void {
    this.refusedConnections.inc({ reason });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/**
 * The body of GET /metrics (the key check is the HTTP router's; Prometheus' `authorization`
 * setting sends the key as `Authorization: Bearer`, which the key check accepts).
 */
export async function serveMetrics(res: ServerResponse, metrics: ServerMetrics, log: Logger): Promise<void> {
  try {
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { "content-type": contentType });
    res.end(body);
  } catch (err) {
    log.error({ err }, "rendering metrics failed");
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "Metrics are unavailable." }));
  }
}
