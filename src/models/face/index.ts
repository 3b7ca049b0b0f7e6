/**
 * The `face` model: Human's detector + mesh + descriptor on the decoded image, the FER2013
 * expression model on each face crop, identities from the descriptor, FACS and descriptions
 * from mesh geometry. See MODEL_CARD.md.
 */
import { decodeImage } from "../../media/image.js";
import { roundScore } from "../../primitives.js";
import type { ModelState } from "../descriptor.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { face as faceDescriptor, type FaceConfig, type FaceDescriptorVector, type FacePrediction } from "./descriptor.js";
import { emotionProbs, namedEmotions } from "./emotion.js";
import { descriptionScores, facsScores, measure } from "./geometry.js";
import { getHuman, loadHumanModel, tfOf, type FaceResult, type GraphModel, type Human } from "./human.js";
import { assignIdentities, identityStateOf } from "./identity.js";

/**
 * Default `prob_threshold`. The spec's 0.99 is calibrated to Hume's detector; Human's BlazeFace
 * scores clear frontal faces 0.53-0.92, so 0.99 would drop every face (MODEL_CARD.md).
 */
export const DEFAULT_PROB_THRESHOLD = 0.5;

let human: Human | undefined;
let emotionModel: GraphModel | undefined;

export async function loadFaceRuntime(): Promise<{ human: Human; emotion: GraphModel }> {
  human ??= await getHuman();
  emotionModel ??= await loadHumanModel(human, "emotion");
  return { human, emotion: emotionModel };
}

/** Detects faces on RGB pixels; face crops (`tensor`) must be disposed by the caller. */
export async function detectFaces(h: Human, rgb: Uint8Array, width: number, height: number): Promise<FaceResult[]> {
  const input = tfOf(h).tensor(rgb, [1, height, width, 3], "int32");
  try {
    // Human types its input with its own bundled tfjs types; this is the same tensor class.
    return (await h.detect(input as unknown as Parameters<Human["detect"]>[0])).face;
  } finally {
    input.dispose();
  }
}

/** Box clamped to the image, in whole pixels. */
export function clampBox(box: readonly number[], width: number, height: number): FacePrediction["bbox"] {
  const x = Math.max(0, Math.min(width, box[0] ?? 0));
  const y = Math.max(0, Math.min(height, box[1] ?? 0));
  const x2 = Math.max(x, Math.min(width, (box[0] ?? 0) + (box[2] ?? 0)));
  const y2 = Math.max(y, Math.min(height, (box[1] ?? 0) + (box[3] ?? 0)));
  return { x: Math.round(x), y: Math.round(y), w: Math.round(x2 - x), h: Math.round(y2 - y) };
}

export const faceModel: Model<typeof faceDescriptor> = {
  descriptor: faceDescriptor,
  async load() {
    await loadFaceRuntime();
  },
  async predict(input: ModelInput, config: FaceConfig, state: ModelState): Promise<ModelResult<FacePrediction, FaceDescriptorVector>> {
    if (input.kind !== "image") throw new Error(`face model got ${input.kind} input`);
    const { human: h, emotion } = await loadFaceRuntime();
    const image = await decodeImage(input.bytes);
    // The 1024-d descriptor (faceres, the costliest model per face) is only needed for ids.
    // Safe to toggle: a worker runs one task at a time.
    h.config.face.description = { ...h.config.face.description, enabled: Boolean(config.identify_faces) };
    // The mesh serves FACS and descriptions (their geometry) and identities (the descriptor's
    // threshold was calibrated on mesh-box crops); without them the detector's box is enough:
    // on FER2013 the expression accuracy is the same either way (MODEL_CARD.md), and the mesh
    // costs 12-18 ms a face. Iris refinement only moves the eye landmarks that FACS and
    // descriptions read (their baselines were measured with it) and costs as much again.
    const geometry = Boolean(config.facs || config.descriptions);
    h.config.face.mesh = { ...h.config.face.mesh, enabled: geometry || Boolean(config.identify_faces) };
    h.config.face.iris = { ...h.config.face.iris, enabled: geometry };
    const faces = await detectFaces(h, image.data, image.width, image.height);
    const threshold = config.prob_threshold ?? DEFAULT_PROB_THRESHOLD;
    const minSize = config.min_face_size ?? 0;
    const kept: { face: FaceResult; bbox: FacePrediction["bbox"]; emotions: Float32Array }[] = [];
    try {
      for (const face of faces) {
        const bbox = clampBox(face.box, image.width, image.height);
        if (face.boxScore < threshold || Math.min(bbox.w, bbox.h) < minSize || !face.tensor) continue;
        const [probs] = await emotionProbs(tfOf(h), emotion, face.tensor);
        if (probs) kept.push({ face, bbox, emotions: probs });
      }
    } finally {
      for (const face of faces) face.tensor?.dispose();
    }
    if (kept.length === 0) {
      return { predictions: [], warning: faceDescriptor.nothingFound };
    }
    let ids = kept.map(() => "unknown");
    const prediction = ({ face, bbox, emotions }: (typeof kept)[number], i: number): FacePrediction => {
      const p: FacePrediction = { frame: input.frame ?? 0, time: input.time ?? null, bbox, prob: roundScore(face.boxScore), face_id: ids[i] ?? "unknown", emotions: namedEmotions(emotions) };
      const metrics = geometry ? measure(face.mesh) : undefined;
      if (config.facs && metrics) p.facs = facsScores(metrics);
      if (config.descriptions && metrics) p.descriptions = descriptionScores(metrics);
      return p;
    };
    if (config.identify_faces && input.frame !== undefined) {
      // A video frame: descriptors go along as plain numbers, and the descriptor's per-message
      // step gives ids in frame order after all frames (descriptor.ts, identity.ts).
      return { predictions: kept.map(prediction), carry: kept.map((k) => Array.from(k.face.embedding ?? [])) };
    }
    if (config.identify_faces) {
      const identities = identityStateOf(state.identities);
      ids = assignIdentities(identities, kept.map((k) => k.face.embedding ?? []));
      state.identities = identities;
    }
    return { predictions: kept.map(prediction) };

  },
};
