/**
 * Face meshes for FER2013 crops. The 48 px crops are already tight face boxes, so the mesh model
 * runs on each whole crop as its face box (resized to the model's 192 px input) instead of on a
 * detection: batched, no detector misses, and the same for train and test. A crop counts as a
 * valid mesh when the model's own face-presence output is at least MIN_FACE_FLAG.
 */
import { getHuman, loadHumanModel, tfOf, type Tensor, type Tf } from "../../models/face/human.js";
import { ferImage, FER_SIDE, type FerData } from "./fer.js";

export const MESH_POINTS = 468;
export const MESH_INPUT = 192;
export const MIN_FACE_FLAG = 0.5;

/** Grey crops -> RGB 0..1 tensor [n, side, side, 3] (resized with bilinear when side != 48). */
export function ferBatchTensor(tf: Tf, data: FerData, idx: readonly number[], side: number): Tensor {
  const n = FER_SIDE * FER_SIDE;
  const buf = new Float32Array(idx.length * n * 3);
  idx.forEach((img, b) => {
    const px = ferImage(data, img);
    for (let p = 0; p < n; p++) {
      const v = (px[p] ?? 0) / 255;
      const o = (b * n + p) * 3;
      buf[o] = v;
      buf[o + 1] = v;
      buf[o + 2] = v;
    }
  });
  const t = tf.tensor(buf, [idx.length, FER_SIDE, FER_SIDE, 3], "float32");
  if (side === FER_SIDE) return t;
  const r = tf.image.resizeBilinear(t, [side, side], false);
  t.dispose();
  return r;
}

export interface Extracted {
  /** N x 468 x 3 in model input pixels. */
  points: Float32Array;
  faceFlag: Float32Array;
  valid: boolean[];
  mesh(i: number): number[][];
}

export async function extractMeshes(data: FerData, idx: readonly number[], batch = 64, onProgress?: (done: number) => void): Promise<Extracted> {
  const human = await getHuman();
  const tf = tfOf(human);
  const model = await loadHumanModel(human, "facemesh");
  const per = MESH_POINTS * 3;
  const points = new Float32Array(idx.length * per);
  const faceFlag = new Float32Array(idx.length);
  for (let i = 0; i < idx.length; i += batch) {
    const part = idx.slice(i, i + batch);
    const input = ferBatchTensor(tf, data, part, MESH_INPUT);
    const out = model.execute(input);
    input.dispose();
    const outs = Array.isArray(out) ? out : [out];
    const meshT = outs.find((t) => t.shape[t.shape.length - 1] === per);
    const flagT = outs.find((t) => t.shape[t.shape.length - 1] === 1);
    if (!meshT || !flagT) throw new Error("facemesh model outputs not found");
    points.set(await meshT.data(), i * per);
    faceFlag.set(await flagT.data(), i);
    for (const t of outs) t.dispose();
    onProgress?.(Math.min(i + batch, idx.length));
  }
  const valid = Array.from(faceFlag, (f) => f >= MIN_FACE_FLAG);
  const mesh = (i: number): number[][] =>
    Array.from({ length: MESH_POINTS }, (_, p) => Array.from(points.subarray(i * per + p * 3, i * per + p * 3 + 3)));
  return { points, faceFlag, valid, mesh };
}
