/**
 * The `face` model's declaration: options, prediction shape, labels, how a video's frames are
 * gathered (identities in frame order, boxes in the video's pixels) and its CLI table.
 */
import { z } from "zod";
import { EmotionScore } from "../../primitives.js";
import { warnings } from "../../protocol/errors.js";
import { BoundingBox, Toggle } from "../../protocol/shapes.js";
import { defineModel, type FrameOutcome, type ModelState } from "../descriptor.js";
import { FACE_EMOTION_LABELS } from "./labels.js";
import { assignDeferredIdentities } from "./identity.js";

export const FaceConfig = z.object({
  fps_pred: z.number().min(0).max(60).nullish(),
  prob_threshold: z.number().min(0).max(1).nullish(),
  identify_faces: z.boolean().nullish(),
  min_face_size: z.number().min(0).nullish(),
  facs: Toggle,
  descriptions: Toggle,
  save_faces: z.boolean().nullish(),
});
export type FaceConfig = z.infer<typeof FaceConfig>;

export const FacePrediction = z.object({
  frame: z.number(),
  time: z.number().nullable(),
  bbox: BoundingBox,
  prob: z.number(),
  face_id: z.string(),
  emotions: z.array(EmotionScore),
  facs: z.array(EmotionScore).optional(),
  descriptions: z.array(EmotionScore).optional(),
});
export type FacePrediction = z.infer<typeof FacePrediction>;

/** What a video frame sends along with each face when ids are on: its 1024-d descriptor. */
export type FaceDescriptorVector = number[];

/** Boxes found on a scaled-down frame, in the video's own pixels (what the client sent). */
function inVideoPixels(p: FacePrediction, scale: number): FacePrediction {
  if (scale === 1) return p;
  const { x, y, w, h } = p.bbox;
  return { ...p, bbox: { x: Math.round(x / scale), y: Math.round(y / scale), w: Math.round(w / scale), h: Math.round(h / scale) } };
}

/**
 * A video's frames ran in parallel; here, in frame order, boxes go back to video pixels and ids
 * are given as if the frames had been measured one after another.
 */
function finishVideo(frames: readonly FrameOutcome<FacePrediction, FaceDescriptorVector>[], config: FaceConfig, state: ModelState): FacePrediction[] {
  const perFrame = frames.map((f) => f.predictions.map((p) => inVideoPixels(p, f.scale)));
  if (!config.identify_faces) return perFrame.flat();
  const withDescriptors = perFrame.map((faces, i) => faces.map((p, j) => ({ ...p, descriptor: frames[i]?.carry?.[j] ?? [] })));
  const assigned = assignDeferredIdentities(state.identities, withDescriptors);
  state.identities = assigned.state;
  return assigned.frames.flat();
}

export const face = defineModel({
  name: "face",
  config: FaceConfig,
  prediction: FacePrediction,
  accepts: ["image", "video"],
  labels: FACE_EMOTION_LABELS,
  nothingFound: warnings.noFaces,
  stages: { videoFrames: { fps: (config) => config.fps_pred, finish: finishVideo } },
  table: (predictions, cells) => ({
    head: ["#", "frame", "face", "box (x,y,w,h)", "prob", cells.topHead],
    rows: predictions.map((p, i) => {
      const box = [p.bbox.x, p.bbox.y, p.bbox.w, p.bbox.h].map((v) => Math.round(v)).join(",");
      return [String(i + 1), String(p.frame), p.face_id, box, p.prob.toFixed(3), cells.top(p.emotions)];
    }),
  }),
});
