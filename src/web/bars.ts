/** Emotion scores as labelled horizontal bars (HTML, so the numbers are real text for readers). */
import type { EmotionScore } from "../client/index.js";
import { el, fmt } from "./dom.js";
import { strong, top } from "./palette.js";

export function bars(emotions: readonly EmotionScore[], n: number): HTMLElement {
  const list = el("ul", "bars");
  for (const e of top(emotions, n)) {
    const row = el("li", "bar");
    const track = el("span", "track");
    const fill = el("span", "fill");
    fill.style.width = `${Math.max(1, Math.min(100, e.score * 100)).toFixed(1)}%`;
    fill.style.background = strong(e.name);
    track.append(fill);
    row.append(el("span", "name", e.name), track, el("span", "value", fmt(e.score)));
    list.append(row);
  }
  return list;
}

/** A few named scores as small chips, e.g. the strongest FACS units or descriptions. */
export function chips(label: string, scores: readonly EmotionScore[] | undefined, n: number): HTMLElement | undefined {
  if (!scores?.length) return undefined;
  const wrap = el("p", "chips");
  wrap.append(el("span", "chips-label", `${label}:`));
  for (const s of top(scores, n)) wrap.append(el("span", "chip", `${s.name} ${fmt(s.score)}`));
  return wrap;
}
