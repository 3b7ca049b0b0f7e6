/**
 * MediaPipe's 478-point face landmark model (FaceMesh V2 with irises, converted to ONNX) on a
 * square crop around a detection, rotated so the eye line is level, as MediaPipe's face
 * landmarker graph builds it: centre of the detection box, side 1.5 x its long side, rotation
 * from the subject's right eye (keypoint 0) to the left eye (keypoint 1).
 */
import type { Detection } from "./detector.js";
import { fromRegion, sampleSquare, type RgbImage, type RotatedSquare } from "./image.js";
import { output, run } from "./session.js";

const INPUT = 256;
export const NUM_LANDMARKS = 478;
/** MediaPipe's RectTransformationCalculator scale for the face landmarker's crop. */
const CROP_SCALE = 1.5;
/** MediaPipe's face presence threshold (landmarker `min_face_presence_confidence`). */
export const DEFAULT_MIN_PRESENCE = 0.5;

export interface FaceLandmarks {
  /** 478 points in image pixels: x, y, and z (depth, in the same pixel scale, relative to the face centre). */
  points: Float32Array;
  /** Probability that the crop holds a face. */
  presence: number;
  region: RotatedSquare;
}

export function cropRegion(d: Detection): RotatedSquare {
  const right = d.keypoints[0];
  const left = d.keypoints[1];
  if (!right || !left) throw new Error("detection has no eye keypoints");
  // MediaPipe: rotation = target (0) - atan2(-(y1 - y0), x1 - x0), in image coordinates with y down.
  const rotation = Math.atan2(left.y - right.y, left.x - right.x);
  return { cx: d.x + d.w / 2, cy: d.y + d.h / 2, size: Math.max(d.w, d.h) * CROP_SCALE, rotation };
}

export async function faceLandmarks(img: RgbImage, region: RotatedSquare): Promise<FaceLandmarks> {
  const input = sampleSquare(img, region, INPUT, 1 / 255, 0, "replicate");
  const out = await run("face_landmarks_detector.onnx", input, [1, INPUT, INPUT, 3]);
  const raw = output(out, "Identity");
  const presenceLogit = output(out, "Identity_1")[0] ?? -100;
  const points = new Float32Array(NUM_LANDMARKS * 3);
  const zScale = region.size / INPUT;
  for (let i = 0; i < NUM_LANDMARKS; i++) {
    const [x, y] = fromRegion(region, (raw[3 * i] ?? 0) / INPUT, (raw[3 * i + 1] ?? 0) / INPUT);
    points[3 * i] = x;
    points[3 * i + 1] = y;
    points[3 * i + 2] = (raw[3 * i + 2] ?? 0) * zScale;
  }
  return { points, presence: 1 / (1 + Math.exp(-presenceLogit)), region };
}

/** Landmarks (x, y, z triples in one array) as the facemesh payload's list of [x, y, z] points. */
export function toPoints(points: Float32Array): number[][] {
  return Array.from({ length: points.length / 3 }, (_, i) => [points[3 * i] ?? 0, points[3 * i + 1] ?? 0, points[3 * i + 2] ?? 0]);
}
