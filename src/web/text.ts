/**
 * Text mode: typing is sent to `language` after a short pause; the reply's segments (words,
 * sentences, utterances or the passage) are drawn over the text, tinted by their top emotion,
 * with the sentiment as a 1-9 gauge. Only the newest request's reply is drawn, so a slow reply
 * to older text never overwrites a newer one.
 */
import type { Granularity, LanguagePrediction, ModelsConfig } from "../client/index.js";
import type { Connection } from "./connection.js";
import { sentimentLabel, sentimentMean } from "../protocol/labels.js";
import { byId, el, scoreList } from "./dom.js";
import { strong, tint, top } from "./palette.js";

const DEBOUNCE_MS = 300;

export class TextMode {
  private readonly input = byId("text-input", HTMLTextAreaElement);
  private readonly granularity = byId("text-granularity", HTMLSelectElement);
  private readonly sentiment = byId("text-sentiment", HTMLInputElement);
  private readonly output = byId("text-output", HTMLElement);
  private readonly legend = byId("text-legend", HTMLElement);
  private readonly gauge = byId("text-sentiment-gauge", HTMLElement);
  private readonly gaugeMarker = byId("text-sentiment-marker", HTMLElement);
  private readonly gaugeText = byId("text-sentiment-value", HTMLElement);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;

  constructor(
    private readonly conn: Connection,
    private readonly ensureConnected: () => Promise<boolean>,
  ) {
    this.input.addEventListener("input", () => this.later());
    this.granularity.addEventListener("change", () => this.later(0));
    this.sentiment.addEventListener("change", () => this.later(0));
  }

  /** Measures the current text after `delay` ms of quiet. */
  later(delay = DEBOUNCE_MS): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.measure(), delay);
  }

  private async measure(): Promise<void> {
    const text = this.input.value;
    const mine = ++this.seq;
    if (!text.trim()) return this.render(text, []);
    if (!(await this.ensureConnected())) return;
    const models: ModelsConfig = {
      language: { granularity: this.granularity.value as Granularity, sentiment: this.sentiment.checked ? {} : null },
    };
    const reply = await this.conn.run("text", (client) => client.sendText(text, { models }));
    if (mine !== this.seq || !reply) return;
    this.render(text, reply.language?.predictions ?? []);
  }

  private render(text: string, predictions: readonly LanguagePrediction[]): void {
    // Positions are code points, so the text is indexed as code points too (emoji stay whole).
    const chars = [...text];
    const parts: Node[] = [];
    let cursor = 0;
    const seen = new Map<string, number>();
    for (const p of [...predictions].sort((a, b) => a.position.begin - b.position.begin)) {
      if (p.position.begin < cursor) continue;
      if (p.position.begin > cursor) parts.push(document.createTextNode(chars.slice(cursor, p.position.begin).join("")));
      const ranked = top(p.emotions, 3);
      const best = ranked[0];
      const mark = el("mark", "measured", chars.slice(p.position.begin, p.position.end).join(""));
      if (best) {
        mark.style.background = tint(best.name, best.score);
        mark.style.borderBottomColor = strong(best.name);
        mark.dataset.emotion = best.name;
        seen.set(best.name, (seen.get(best.name) ?? 0) + 1);
      }
      const summary = scoreList(ranked);
      const level = p.sentiment ? (sentimentMean(p.sentiment) ?? 5) : undefined;
      mark.title = level === undefined ? summary : `${summary}; sentiment ${level.toFixed(1)}`;
      parts.push(mark);
      cursor = p.position.end;
    }
    if (cursor < chars.length) parts.push(document.createTextNode(chars.slice(cursor).join("")));
    this.output.replaceChildren(...parts);

    this.legend.replaceChildren(
      ...[...seen.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([name, count]) => {
          const item = el("li", "legend-item", `${name} ×${count}`);
          item.style.background = tint(name, 0.7);
          item.style.borderColor = strong(name);
          return item;
        }),
    );
    this.drawSentiment(predictions);
  }

  /** Mean level over the segments, weighted by their length in characters. */
  private drawSentiment(predictions: readonly LanguagePrediction[]): void {
    let sum = 0;
    let weight = 0;
    for (const p of predictions) {
      if (!p.sentiment) continue;
      const w = Math.max(1, p.position.end - p.position.begin);
      sum += (sentimentMean(p.sentiment) ?? 5) * w;
      weight += w;
    }
    this.gauge.hidden = weight === 0;
    if (weight === 0) return;
    const level = sum / weight;
    this.gaugeMarker.style.left = `${(((level - 1) / 8) * 100).toFixed(1)}%`;
    this.gaugeText.textContent = `${level.toFixed(1)} (${sentimentLabel(level)})`;
  }
}
