/** onnxruntime-node sessions for the face models, one thread each (workers scale out). */
import ort from "onnxruntime-node";
import { weightsPath } from "../../../package-paths.js";

/** Each model file and the weights folder it ships in (with its licence and origin note). */
const WEIGHTS_DIRS = {
  "face_detector.onnx": "face-landmarker",
  "face_landmarks_detector.onnx": "face-landmarker",
  "face_blendshapes.onnx": "face-landmarker",
  "expression.onnx": "face-expression",
} as const;

export type ModelFile = keyof typeof WEIGHTS_DIRS;

const sessions = new Map<ModelFile, Promise<ort.InferenceSession>>();

export function session(file: ModelFile): Promise<ort.InferenceSession> {
  let s = sessions.get(file);
  if (!s) {
    s = ort.InferenceSession.create(weightsPath(WEIGHTS_DIRS[file], file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    // A failed load is not cached, so a later call can retry.
    s.catch(() => sessions.delete(file));
    sessions.set(file, s);
  }
  return s;
}

/** Runs a one-input model and returns its outputs by name. */
export async function run(file: ModelFile, input: Float32Array, dims: readonly number[]): Promise<Record<string, Float32Array>> {
  const s = await session(file);
  const name = s.inputNames[0];
  if (name === undefined) throw new Error(`${file} has no input`);
  const result = await s.run({ [name]: new ort.Tensor("float32", input, dims) });
  const out: Record<string, Float32Array> = {};
  for (const [key, tensor] of Object.entries(result)) {
    if (!(tensor.data instanceof Float32Array)) throw new Error(`${file}: output ${key} is not float32`);
    out[key] = tensor.data;
  }
  return out;
}

export function output(outputs: Record<string, Float32Array>, name: string): Float32Array {
  const v = outputs[name];
  if (!v) throw new Error(`missing model output ${name}`);
  return v;
}
