/**
 * MediaPipe's blendshape model (52 ARKit-style scores from 146 landmarks' x, y in pixels). The
 * subset, its order and the names are MediaPipe's (face_blendshapes_graph.cc).
 */
import { NUM_LANDMARKS } from "./landmarks.js";
import { run } from "./session.js";

export const BLENDSHAPE_SUBSET = [
  0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
  81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160,
  161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295,
  296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382,
  384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
] as const;

/** Left and Right are the subject's sides. `_neutral` is MediaPipe's "ignore it" output. */
export const BLENDSHAPE_NAMES = [
  "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
  "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
  "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
  "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight",
  "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel", "mouthLeft",
  "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight",
  "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
  "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight",
] as const;

export type BlendshapeName = (typeof BLENDSHAPE_NAMES)[number];
export type Blendshapes = Record<BlendshapeName, number>;

/** `points`: 478 x (x, y, z) in image pixels, as faceLandmarks returns them. */
export async function blendshapes(points: Float32Array): Promise<Blendshapes> {
  if (points.length !== NUM_LANDMARKS * 3) throw new Error(`expected ${NUM_LANDMARKS} landmarks`);
  const input = new Float32Array(BLENDSHAPE_SUBSET.length * 2);
  BLENDSHAPE_SUBSET.forEach((k, j) => {
    input[2 * j] = points[3 * k] ?? 0;
    input[2 * j + 1] = points[3 * k + 1] ?? 0;
  });
  const out = await run("face_blendshapes.onnx", input, [1, BLENDSHAPE_SUBSET.length, 2]);
  const scores = Object.values(out)[0];
  if (!scores || scores.length !== BLENDSHAPE_NAMES.length) throw new Error("unexpected blendshape output");
  return Object.fromEntries(BLENDSHAPE_NAMES.map((n, i) => [n, scores[i] ?? 0])) as Blendshapes;
}
