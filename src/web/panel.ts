/**
 * The connection panel: status, reply latency (last value, median and a sparkline), replies per
 * second, and a log of every error and warning with its code. Repeats of the latest notice are
 * counted on it instead of flooding the log (a silent microphone warns once a second).
 */
import type { ConnectionEvents, Notice, Status } from "./connection.js";
import { byId, el, fitCanvas } from "./dom.js";

const KEEP_LATENCIES = 60;
const RATE_WINDOW_MS = 5_000;
const MAX_NOTICES = 40;

const STATUS_TEXT: Record<Status, string> = {
  disconnected: "Disconnected",
  connecting: "Connecting…",
  connected: "Connected",
  failed: "Not connected",
};

export class Panel implements ConnectionEvents {
  private readonly statusEl = byId("status", HTMLElement);
  private readonly statusDetail = byId("status-detail", HTMLElement);
  private readonly latencyEl = byId("latency", HTMLElement);
  private readonly medianEl = byId("latency-median", HTMLElement);
  private readonly rateEl = byId("rate", HTMLElement);
  private readonly countEl = byId("reply-count", HTMLElement);
  private readonly spark = byId("latency-spark", HTMLCanvasElement);
  private readonly notices = byId("notices", HTMLOListElement);
  private readonly latencies: number[] = [];
  private readonly replyTimes: number[] = [];
  private replies = 0;
  private last: { key: string; item: HTMLLIElement; count: number } | undefined;

  constructor() {
    byId("clear-notices", HTMLButtonElement).addEventListener("click", () => {
      this.notices.replaceChildren();
      this.last = undefined;
    });
    // Messages per second decays to 0 when replies stop, so it is redrawn on a clock.
    setInterval(() => this.drawRate(), 500);
  }

  status(status: Status, detail: string): void {
    this.statusEl.textContent = STATUS_TEXT[status];
    this.statusEl.dataset.status = status;
    this.statusDetail.textContent = detail;
  }

  reply(latencyMs: number): void {
    this.replies++;
    this.replyTimes.push(performance.now());
    this.latencies.push(latencyMs);
    if (this.latencies.length > KEEP_LATENCIES) this.latencies.shift();
    this.latencyEl.textContent = `${latencyMs.toFixed(0)} ms`;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    this.medianEl.textContent = `${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(0)} ms`;
    this.countEl.textContent = String(this.replies);
    this.drawSpark();
  }

  notice(n: Notice): void {
    const key = `${n.level}|${n.code}|${n.source}|${n.message}`;
    if (this.last?.key === key && this.last.item.isConnected) {
      this.last.count++;
      const counter = this.last.item.querySelector(".count");
      if (counter) counter.textContent = `×${this.last.count}`;
      return;
    }
    const item = el("li", `notice ${n.level}`);
    item.append(
      el("span", "code", n.code),
      el("span", "source", n.source),
      el("span", "message", n.message),
      el("span", "count"),
      el("time", "when", new Date().toLocaleTimeString()),
    );
    this.notices.prepend(item);
    while (this.notices.children.length > MAX_NOTICES) this.notices.lastElementChild?.remove();
    this.last = { key, item, count: 1 };
  }

  private drawRate(): void {
    const now = performance.now();
    while ((this.replyTimes[0] ?? now) < now - RATE_WINDOW_MS) this.replyTimes.shift();
    const span = Math.min(RATE_WINDOW_MS, now - (this.replyTimes[0] ?? now)) / 1000;
    // Over the time the window actually covers (at least 1 s), so a fresh burst of replies is
    // not diluted over five seconds that had none.
    const rate = this.replyTimes.length === 0 ? 0 : this.replyTimes.length / Math.max(span, 1);
    this.rateEl.textContent = rate.toFixed(1);
  }

  /** Latency of the last replies as a small line. */
  private drawSpark(): void {
    if (!this.spark.clientWidth) return;
    const { ctx, width, height } = fitCanvas(this.spark);
    ctx.clearRect(0, 0, width, height);
    const values = this.latencies;
    const max = Math.max(...values, 1);
    const x = (i: number) => (values.length < 2 ? width : (i / (values.length - 1)) * width);
    const y = (v: number) => height - 2 - (v / max) * (height - 4);
    ctx.strokeStyle = "#1d5fa8";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
    ctx.stroke();
  }
}
