/** Small DOM helpers: the page is plain DOM, no framework. */

/** The element with this id, of the expected type; a missing element is a bug in index.html. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return el;
}

/** Creates an element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** A canvas sized to its CSS box in device pixels, so drawings stay sharp on HiDPI screens. */
export function fitCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("no 2d canvas context");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width, height };
}

export const fmt = (score: number, digits = 2): string => score.toFixed(digits);

/** "Name 0.84, Name 0.10, ..." for scores already ranked. */
export const scoreList = (scores: readonly { name: string; score: number }[]): string => scores.map((s) => `${s.name} ${fmt(s.score)}`).join(", ");

/** A start/stop toggle button's label and pressed state. */
export function setRunning(button: HTMLButtonElement, running: boolean, what: string): void {
  button.textContent = `${running ? "Stop" : "Start"} ${what}`;
  button.setAttribute("aria-pressed", String(running));
}

/** Error text of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
