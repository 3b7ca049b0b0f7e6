/**
 * The expression network (ours: trained on FER2013 images with FER+ crowd votes, 8 classes, by
 * src/training/face/train_expression.py) on a crop cut the way FER2013 framed its faces: levelled
 * by the eye line and placed from the detector's eye and mouth keypoints with the proportions
 * measured on FER2013 itself (src/training/face/calibrate-crop.ts). The network standardises each
 * crop itself, so only grey levels cross this boundary.
 */
import { roundScore } from "../../primitives.js";
import type { Detection } from "./mediapipe/detector.js";
import { sampleSquare, type RgbImage, type RotatedSquare } from "./mediapipe/image.js";
import { FERPLUS_ORDER, FERPLUS_TO_NAME } from "./labels.js";
import { output, run } from "./mediapipe/session.js";

const SIDE = 48;
/**
 * FER2013's frame in units of the face size s = rms(inter-ocular, eye-to-mouth distance): the
 * frame is 2.74 s wide and its centre 0.275 s below the eye midpoint (medians over 1,974 FER2013
 * train faces; s predicts the frame with an inter-quartile spread of 18%, as well as either
 * distance alone, and moves less than either with yaw or an open mouth).
 */
const FRAME_PER_SIZE = 2.74;
const CENTRE_BELOW_EYES = 0.275;

/** The crop for one detection, from its eye and mouth keypoints. */
export function expressionRegion(d: Detection): RotatedSquare {
  const [right, left, , mouth] = d.keypoints;
  if (!right || !left || !mouth) throw new Error("detection has no eye or mouth keypoints");
  const rotation = Math.atan2(left.y - right.y, left.x - right.x);
  const iod = Math.hypot(left.x - right.x, left.y - right.y);
  const eyes = { x: (left.x + right.x) / 2, y: (left.y + right.y) / 2 };
  // Down the face: the eye line turned a quarter clockwise (image y points down).
  const down = { x: -Math.sin(rotation), y: Math.cos(rotation) };
  const eyeMouth = Math.max(0, (mouth.x - eyes.x) * down.x + (mouth.y - eyes.y) * down.y);
  const size = Math.sqrt((iod ** 2 + eyeMouth ** 2) / 2);
  const below = CENTRE_BELOW_EYES * size;
  return { cx: eyes.x + below * down.x, cy: eyes.y + below * down.y, size: FRAME_PER_SIZE * size, rotation };
}

/**
 * The crop as 48 x 48 grey levels (BT.601 luma), box-averaged from a finer sampling when the face
 * is large, so a 300 px face is smoothed the way FER2013's downscaled faces were, not aliased.
 */
export function expressionCrop(img: RgbImage, region: RotatedSquare, mirror = false): Float32Array {
  const k = Math.min(4, Math.max(1, Math.round(region.size / SIDE)));
  const fine = sampleSquare(img, { ...region, mirror }, SIDE * k, 1, 0, "replicate");
  const out = new Float32Array(SIDE * SIDE);
  const fineSide = SIDE * k;
  for (let y = 0; y < fineSide; y++) {
    for (let x = 0; x < fineSide; x++) {
      const o = (y * fineSide + x) * 3;
      const grey = 0.299 * (fine[o] ?? 0) + 0.587 * (fine[o + 1] ?? 0) + 0.114 * (fine[o + 2] ?? 0);
      const at = Math.floor(y / k) * SIDE + Math.floor(x / k);
      out[at] = (out[at] ?? 0) + grey / (k * k);
    }
  }
  return out;
}

/**
 * Class probabilities in FERPLUS_ORDER, one row per region: each face is scored as seen and
 * mirrored and the two averaged (one batch for all faces), as in the evaluation.
 */
export async function expressionProbs(img: RgbImage, regions: readonly RotatedSquare[]): Promise<Float32Array[]> {
  if (regions.length === 0) return [];
  const n = regions.length * 2;
  const input = new Float32Array(n * SIDE * SIDE);
  regions.forEach((region, i) => {
    input.set(expressionCrop(img, region), 2 * i * SIDE * SIDE);
    input.set(expressionCrop(img, region, true), (2 * i + 1) * SIDE * SIDE);
  });
  return expressionProbsOfCrops(input, n, true);
}

/** Probabilities for `count` ready 48 x 48 grey crops; `pairs`: average crops 2i and 2i + 1. */
export async function expressionProbsOfCrops(crops: Float32Array, count: number, pairs: boolean): Promise<Float32Array[]> {
  const probs = output(await run("expression.onnx", crops, [count, 1, SIDE, SIDE]), "probs");
  const k = FERPLUS_ORDER.length;
  const rows: Float32Array[] = [];
  const step = pairs ? 2 : 1;
  for (let i = 0; i < count; i += step) {
    const row = new Float32Array(k);
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let j = 0; j < step; j++) sum += probs[(i + j) * k + c] ?? 0;
      row[c] = sum / step;
    }
    rows.push(row);
  }
  return rows;
}

/** Named scores, alphabetical by output name. */
export function namedEmotions(probs: Float32Array): { name: string; score: number }[] {
  return FERPLUS_ORDER.map((label, i) => ({ name: FERPLUS_TO_NAME[label], score: roundScore(probs[i] ?? 0) })).sort((a, b) => a.name.localeCompare(b.name));
}
