/**
 * `tsx src/training/face/calibrate-crop.ts [--limit N]`: where FER2013's 48 px frame sits relative
 * to the detector's keypoints, so the serving crop frames a face the way the training images do.
 *
 * FER2013's faces were cut by a face detector of its time; ours is MediaPipe's. Running ours on
 * FER2013 train images gives, per image, the eye midpoint E, the eye line, and the mouth point M.
 * In the face's own axes (x along the eye line, y down) we record where the frame's centre lies
 * and how wide the frame is, in units of three candidate face sizes: the inter-ocular distance,
 * the eye-to-mouth distance, and their root-mean-square. The size with the smallest relative
 * spread predicts FER2013's framing best; its medians become the constants in
 * src/models/face/expression.ts. Train images only: the test splits choose nothing.
 */
import { performance } from "node:perf_hooks";
import { detectFaces } from "../../models/face/mediapipe/detector.js";
import { DEFAULT_RETRIES } from "../../models/face/mediapipe/pipeline.js";
import type { RgbImage } from "../../models/face/mediapipe/image.js";
import { ferImage, FER_SIDE, loadFer } from "../facemesh/fer.js";

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function quartileSpread(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.floor(p * (s.length - 1))] ?? NaN;
  return (q(0.75) - q(0.25)) / q(0.5);
}

/** A FER2013 image as RGB, enlarged so the detector sees it at a size it was trained on. */
function ferRgb(grey: Uint8Array, scale: number): RgbImage {
  const side = FER_SIDE * scale;
  const data = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = grey[Math.floor(y / scale) * FER_SIDE + Math.floor(x / scale)] ?? 0;
      data.set([v, v, v], (y * side + x) * 3);
    }
  }
  return { width: side, height: side, data };
}

async function main(): Promise<void> {
  const limitAt = process.argv.indexOf("--limit");
  const limit = limitAt > 0 ? Number(process.argv[limitAt + 1]) : 3000;
  const fer = loadFer("train");
  const scale = 4;
  const rows: { cx: number; cy: number; iod: number; em: number }[] = [];
  const start = performance.now();
  // Every 7th image spreads the sample over the file's label-mixed order.
  for (let i = 0, tried = 0; i < fer.count && tried < limit; i += 7, tried++) {
    const faces = await detectFaces(ferRgb(ferImage(fer, i), scale), { retries: DEFAULT_RETRIES });
    const face = faces.sort((a, b) => b.score - a.score)[0];
    const [r, l, , m] = face?.keypoints ?? [];
    if (!face || !r || !l || !m) continue;
    const ex = [(l.x - r.x) / scale, (l.y - r.y) / scale];
    const iod = Math.hypot(ex[0] ?? 0, ex[1] ?? 0);
    const ux = [(ex[0] ?? 0) / iod, (ex[1] ?? 0) / iod];
    const uy = [-(ux[1] ?? 0), ux[0] ?? 0];
    const E = [(r.x + l.x) / 2 / scale, (r.y + l.y) / 2 / scale];
    const toM = [m.x / scale - (E[0] ?? 0), m.y / scale - (E[1] ?? 0)];
    const em = (toM[0] ?? 0) * (uy[0] ?? 0) + (toM[1] ?? 0) * (uy[1] ?? 0);
    const toC = [FER_SIDE / 2 - (E[0] ?? 0), FER_SIDE / 2 - (E[1] ?? 0)];
    const cx = (toC[0] ?? 0) * (ux[0] ?? 0) + (toC[1] ?? 0) * (ux[1] ?? 0);
    const cy = (toC[0] ?? 0) * (uy[0] ?? 0) + (toC[1] ?? 0) * (uy[1] ?? 0);
    if (iod > 0 && em > 0) rows.push({ cx, cy, iod, em });
  }
  const sizes = {
    iod: (r: (typeof rows)[number]) => r.iod,
    eyeMouth: (r: (typeof rows)[number]) => r.em,
    rms: (r: (typeof rows)[number]) => Math.sqrt((r.iod ** 2 + r.em ** 2) / 2),
  };
  console.log(`${rows.length} faces in ${limit} images (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  console.log("size       frame/size  spread(IQR/median)  centre.x/size  centre.y/size");
  for (const [name, size] of Object.entries(sizes)) {
    const frame = rows.map((r) => FER_SIDE / size(r));
    const x = rows.map((r) => r.cx / size(r));
    const y = rows.map((r) => r.cy / size(r));
    console.log(`${name.padEnd(10)} ${median(frame).toFixed(3).padStart(10)}  ${quartileSpread(frame).toFixed(3).padStart(18)}  ${median(x).toFixed(3).padStart(13)}  ${median(y).toFixed(3).padStart(13)}`);
  }
}

await main();
