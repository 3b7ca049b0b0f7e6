/**
 * The identity descriptor: Human's faceres network (HSE FaceRes, 1024-d) on tfjs wasm, fed the
 * crop Human itself would feed it, so the same-person threshold measured with Human
 * (identity.ts, MODEL_CARD.md) still holds: a square of 1.4 x the BlazeFace box's long side
 * around its centre, not rotated, black outside the image, resized to the network's input with
 * grey levels 0..255 (Human: blazeface.ts enlargeBox 1.4 + squarifyBox, faceres.ts enhance).
 * MediaPipe's short-range detector is the same BlazeFace family as Human's, so its box is too.
 */
import type { Detection } from "./mediapipe/detector.js";
import { sampleSquare, type RgbImage } from "./mediapipe/image.js";
import { getBareHuman, loadHumanModel, tfOf, type GraphModel, type Tensor } from "./human.js";

const BOX_SCALE = 1.4;
const DESCRIPTOR_SIZE = 1024;

let model: Promise<GraphModel> | undefined;

export function loadFaceres(): Promise<GraphModel> {
  model ??= getBareHuman().then((human) => loadHumanModel(human, "faceres"));
  model.catch(() => {
    model = undefined;
  });
  return model;
}

/** One 1024-d descriptor per detection. */
export async function faceDescriptors(img: RgbImage, detections: readonly Detection[]): Promise<Float32Array[]> {
  if (detections.length === 0) return [];
  const net = await loadFaceres();
  const tf = tfOf(await getBareHuman());
  const side = net.inputs[0]?.shape?.[1] ?? 224;
  const out: Float32Array[] = [];
  for (const d of detections) {
    const region = { cx: d.x + d.w / 2, cy: d.y + d.h / 2, size: BOX_SCALE * Math.max(d.w, d.h), rotation: 0 };
    const input = tf.tensor(sampleSquare(img, region, side, 1, 0, "zero"), [1, side, side, 3], "float32");
    let results: Tensor | Tensor[] | undefined;
    try {
      results = net.execute(input);
      const descriptor = (Array.isArray(results) ? results : [results]).find((t) => t.shape[1] === DESCRIPTOR_SIZE);
      if (!descriptor) throw new Error("faceres returned no 1024-d descriptor");
      out.push(Float32Array.from(await descriptor.data()));
    } finally {
      input.dispose();
      for (const t of Array.isArray(results) ? results : results ? [results] : []) t.dispose();
    }
  }
  return out;
}
