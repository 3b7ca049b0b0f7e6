/**
 * MediaPipe's BlazeFace short-range detector (converted to ONNX): SSD anchors, box and six
 * keypoint decoding, and MediaPipe's weighted non-maximum suppression, with the options of
 * MediaPipe's face detector graph. An optional second pass runs the same network on
 * overlapping tiles, because the short-range model is trained on faces that fill a good part of
 * its 128 px input and misses faces that are small in a large group photo.
 */
import { fromRegion, sampleSquare, type RgbImage, type RotatedSquare } from "./image.js";
import { output, run } from "./session.js";

const INPUT = 128;
const NUM_KEYPOINTS = 6;
const NUM_COORDS = 16;
/** MediaPipe: TensorsToDetectionsCalculator `min_score_thresh` of the face detector. */
export const DEFAULT_MIN_SCORE = 0.5;
/** MediaPipe: NonMaxSuppressionCalculator `min_suppression_threshold` (IoU). */
const NMS_IOU = 0.3;
/** The smallest tile side (pixels) worth a second pass. */
const MIN_TILE = 256;

export interface Point {
  x: number;
  y: number;
}

/** A face in image pixels. Keypoints: subject's right eye, left eye, nose tip, mouth, right ear, left ear. */
export interface Detection {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  keypoints: Point[];
}

export interface Retry {
  scale: number;
  mirror: boolean;
}

export interface DetectOptions {
  minScore?: number;
  /** Run a second pass on overlapping tiles of half the long side (finds small faces). */
  tiles?: boolean;
  /**
   * Skip the tile pass when the whole frame already holds a sure face (score at least `score`)
   * of at least `size` times the frame's long side (a webcam close-up): the pass costs six more
   * detector runs and is there for faces small in the frame. Unset: tiles whenever `tiles` is on.
   */
  skipTilesFor?: { size: number; score: number };
  /**
   * When the whole-frame pass finds nothing, look again at these views of the frame, in order,
   * until a face is found: a scale above 1 shrinks the image inside a black border (a face that
   * fills the frame), below 1 enlarges its centre; `mirror` flips it left to right (the network
   * is not quite symmetric).
   */
  retries?: readonly Retry[];
}

/** Anchor centres of the short-range model: strides 8 (2 per cell) and 16 (3 layers x 2 per cell), fixed size. */
const ANCHORS: Float32Array = (() => {
  const centres: number[] = [];
  for (const [stride, perCell] of [[8, 2], [16, 6]] as const) {
    const cells = Math.ceil(INPUT / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < perCell; k++) centres.push((x + 0.5) / cells, (y + 0.5) / cells);
      }
    }
  }
  return Float32Array.from(centres);
})();
const NUM_ANCHORS = ANCHORS.length / 2;

/** Decodes raw SSD outputs into detections in the unit square of the detector input. */
export function decode(regressors: Float32Array, scores: Float32Array, minScore: number): Detection[] {
  const found: Detection[] = [];
  for (let i = 0; i < NUM_ANCHORS; i++) {
    const logit = Math.min(Math.max(scores[i] ?? -100, -100), 100);
    const score = 1 / (1 + Math.exp(-logit));
    if (score < minScore) continue;
    const r = (k: number): number => (regressors[i * NUM_COORDS + k] ?? 0) / INPUT;
    const ax = ANCHORS[2 * i] ?? 0;
    const ay = ANCHORS[2 * i + 1] ?? 0;
    const cx = r(0) + ax;
    const cy = r(1) + ay;
    const w = r(2);
    const h = r(3);
    const keypoints: Point[] = [];
    for (let k = 0; k < NUM_KEYPOINTS; k++) keypoints.push({ x: r(4 + 2 * k) + ax, y: r(5 + 2 * k) + ay });
    found.push({ x: cx - w / 2, y: cy - h / 2, w, h, score, keypoints });
  }
  return found;
}

export function iou(a: Detection, b: Detection): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}

/** MediaPipe's WEIGHTED suppression: each kept face is the score-weighted mean of its overlapping candidates. */
export function weightedNms(candidates: Detection[], threshold = NMS_IOU): Detection[] {
  let rest = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  while (rest.length > 0) {
    const top = rest[0] as Detection;
    const group = rest.filter((d) => iou(top, d) > threshold || d === top);
    rest = rest.filter((d) => !group.includes(d));
    const total = group.reduce((s, d) => s + d.score, 0);
    const mean = (f: (d: Detection) => number): number => group.reduce((s, d) => s + f(d) * d.score, 0) / total;
    kept.push({
      x: mean((d) => d.x),
      y: mean((d) => d.y),
      w: mean((d) => d.w),
      h: mean((d) => d.h),
      score: top.score,
      keypoints: top.keypoints.map((_, k) => ({ x: mean((d) => d.keypoints[k]?.x ?? 0), y: mean((d) => d.keypoints[k]?.y ?? 0) })),
    });
  }
  return kept;
}

/** Runs the detector on one square region (letterboxed with black, as MediaPipe's keep_aspect_ratio does). */
export async function detectInRegion(img: RgbImage, region: RotatedSquare, minScore: number): Promise<Detection[]> {
  const input = sampleSquare(img, region, INPUT, 2 / 255, -1, "zero");
  const out = await run("face_detector.onnx", input, [1, INPUT, INPUT, 3]);
  return decode(output(out, "regressors"), output(out, "classificators"), minScore).map((d) => {
    const [x0, y0] = fromRegion(region, d.x, d.y);
    const [x1, y1] = fromRegion(region, d.x + d.w, d.y + d.h);
    const keypoints = d.keypoints.map((p) => {
      const [x, y] = fromRegion(region, p.x, p.y);
      return { x, y };
    });
    // In a mirrored pass the subject's right eye and ear were seen as the left ones.
    const sides = region.mirror ? [1, 0, 2, 3, 5, 4] : [0, 1, 2, 3, 4, 5];
    return {
      x: Math.min(x0, x1),
      y: Math.min(y0, y1),
      w: Math.abs(x1 - x0),
      h: Math.abs(y1 - y0),
      score: d.score,
      keypoints: sides.map((k) => keypoints[k] ?? { x: 0, y: 0 }),
    };
  });
}

/** Square tiles of half the long side, overlapping by half a tile, covering the image. */
export function tileRegions(width: number, height: number): RotatedSquare[] {
  const side = Math.max(width, height) / 2;
  const starts = (extent: number): number[] => {
    if (extent <= side) return [(extent - side) / 2];
    const n = Math.ceil((extent - side) / (side / 2)) + 1;
    return Array.from({ length: n }, (_, i) => (i * (extent - side)) / (n - 1));
  };
  const regions: RotatedSquare[] = [];
  for (const y of starts(height)) for (const x of starts(width)) regions.push({ cx: x + side / 2, cy: y + side / 2, size: side, rotation: 0 });
  return regions;
}

/**
 * Whether a tile's detection is a whole face: a face cut by a tile edge gives a misplaced box,
 * and every face smaller than half a tile lies whole inside some tile (tiles overlap by half).
 * Edges that are also image edges do not cut anything.
 */
function insideTile(d: Detection, tile: RotatedSquare, width: number, height: number): boolean {
  const half = tile.size / 2;
  const margin = 0.02 * tile.size;
  const left = tile.cx - half <= 0 || d.x >= tile.cx - half + margin;
  const top = tile.cy - half <= 0 || d.y >= tile.cy - half + margin;
  const right = tile.cx + half >= width || d.x + d.w <= tile.cx + half - margin;
  const bottom = tile.cy + half >= height || d.y + d.h <= tile.cy + half - margin;
  return left && top && right && bottom;
}

/** Drops a face whose box mostly covers a higher-scoring one (a face found at two scales). */
function dropNested(faces: Detection[]): Detection[] {
  const kept: Detection[] = [];
  for (const d of [...faces].sort((a, b) => b.score - a.score)) {
    const nested = kept.some((k) => {
      const ix = Math.max(0, Math.min(d.x + d.w, k.x + k.w) - Math.max(d.x, k.x));
      const iy = Math.max(0, Math.min(d.y + d.h, k.y + k.h) - Math.max(d.y, k.y));
      return (ix * iy) / Math.min(d.w * d.h, k.w * k.h) > 0.5;
    });
    if (!nested) kept.push(d);
  }
  return kept;
}

export async function detectFaces(img: RgbImage, options: DetectOptions = {}): Promise<Detection[]> {
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
  const whole: RotatedSquare = { cx: img.width / 2, cy: img.height / 2, size: Math.max(img.width, img.height), rotation: 0 };
  const found = await detectInRegion(img, whole, minScore);
  for (const { scale, mirror } of options.retries ?? []) {
    if (found.length > 0) break;
    found.push(...(await detectInRegion(img, { ...whole, size: whole.size * scale, mirror }, minScore)));
  }
  // Tiles smaller than the landmark model's input add false positives and no faces.
  if (!options.tiles || Math.max(img.width, img.height) / 2 < MIN_TILE) return weightedNms(found);
  const long = Math.max(img.width, img.height);
  const closeUp = options.skipTilesFor;
  if (closeUp && found.some((d) => d.score >= closeUp.score && Math.max(d.w, d.h) >= closeUp.size * long)) return weightedNms(found);
  for (const tile of tileRegions(img.width, img.height)) {
    const inTile = await detectInRegion(img, tile, minScore);
    found.push(...inTile.filter((d) => insideTile(d, tile, img.width, img.height)));
  }
  return dropNested(weightedNms(found));
}
