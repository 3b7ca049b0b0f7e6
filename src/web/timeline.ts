/**
 * The microphone's scrolling timeline, drawn by hand on a canvas: one row per prosody dimension
 * (cell strength = score, the segment's top dimension outlined), vocal bursts as marks on a row
 * of their own above, and stream time along the bottom. The last WINDOW_S seconds are shown.
 */
import type { TimedPrediction } from "../client/index.js";
import { fitCanvas } from "./dom.js";
import { ink, strong, top, topName } from "./palette.js";

const WINDOW_S = 20;
const BURST_ROW = 24;
const AXIS = 20;
const MAX_KEEP = 200;

export class Timeline {
  private segments: TimedPrediction[] = [];
  private bursts: TimedPrediction[] = [];
  private dims: string[] = [];
  private now = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset(): void {
    this.segments = [];
    this.bursts = [];
    this.now = 0;
    this.draw();
  }

  /** Adds a reply's predictions (stream time) and moves "now" to the end of the audio sent. */
  add(prosody: readonly TimedPrediction[], bursts: readonly TimedPrediction[], now: number): void {
    for (const p of prosody) for (const e of p.emotions) if (!this.dims.includes(e.name)) this.dims.push(e.name);
    this.segments = [...this.segments, ...prosody].slice(-MAX_KEEP);
    this.bursts = [...this.bursts, ...bursts].slice(-MAX_KEEP);
    this.now = Math.max(this.now, now);
    this.draw();
  }

  draw(): void {
    if (!this.canvas.clientWidth) return;
    const { ctx, width, height } = fitCanvas(this.canvas);
    ctx.clearRect(0, 0, width, height);
    const labelW = width < 420 ? 64 : 96;
    const end = Math.max(this.now, WINDOW_S);
    const start = end - WINDOW_S;
    const x = (t: number) => labelW + ((t - start) / WINDOW_S) * (width - labelW - 4);
    const rows = this.dims.length ? this.dims : ["(speech)"];
    const rowH = (height - BURST_ROW - AXIS) / rows.length;
    const rowY = (i: number) => BURST_ROW + i * rowH;

    ctx.font = "12px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    // Row labels and guide lines.
    ctx.fillStyle = "#333";
    ctx.fillText("bursts", 4, BURST_ROW / 2);
    rows.forEach((name, i) => {
      ctx.fillStyle = this.dims.length ? ink(name) : "#555";
      ctx.fillText(name, 4, rowY(i) + rowH / 2, labelW - 8);
      ctx.fillStyle = i % 2 ? "#f4f6f9" : "#fbfcfd";
      ctx.fillRect(labelW, rowY(i), width - labelW, rowH);
    });

    // Prosody segments: every dimension's score as a cell; the top one outlined.
    for (const seg of this.segments) {
      if (seg.time.end < start) continue;
      const x0 = Math.max(labelW, x(seg.time.begin));
      const x1 = Math.max(x0 + 2, x(seg.time.end));
      const best = top(seg.emotions, 1)[0]?.name;
      for (const e of seg.emotions) {
        const i = this.dims.indexOf(e.name);
        if (i < 0) continue;
        ctx.globalAlpha = 0.12 + 0.88 * Math.max(0, Math.min(1, e.score));
        ctx.fillStyle = strong(e.name);
        ctx.fillRect(x0, rowY(i) + 1, x1 - x0, rowH - 2);
        ctx.globalAlpha = 1;
        if (e.name === best) {
          ctx.strokeStyle = "#111";
          ctx.lineWidth = 2;
          ctx.strokeRect(x0 + 1, rowY(i) + 2, x1 - x0 - 2, rowH - 4);
        }
      }
    }

    // Bursts: a filled mark with the call type, coloured by its top emotion.
    for (const b of this.bursts) {
      if (b.time.end < start) continue;
      const x0 = Math.max(labelW, x(b.time.begin));
      const x1 = Math.max(x0 + 4, x(b.time.end));
      const emotion = topName(b.emotions) ?? "";
      const call = top(b.descriptions ?? [], 1)[0]?.name ?? "burst";
      ctx.fillStyle = strong(emotion);
      ctx.fillRect(x0, 3, x1 - x0, BURST_ROW - 6);
      ctx.fillStyle = "#111";
      ctx.fillText(`▲ ${call}`, x1 + 3, BURST_ROW / 2);
    }

    // Time axis and the "now" cursor.
    const axisY = height - AXIS;
    ctx.fillStyle = "#444";
    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1;
    for (let t = Math.ceil(start / 5) * 5; t <= end; t += 5) {
      ctx.beginPath();
      ctx.moveTo(x(t), BURST_ROW);
      ctx.lineTo(x(t), axisY + 4);
      ctx.stroke();
      ctx.fillText(`${t} s`, x(t) + 3, axisY + AXIS / 2);
    }
    ctx.strokeStyle = "#c2410c";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x(this.now), 0);
    ctx.lineTo(x(this.now), axisY);
    ctx.stroke();
  }
}
