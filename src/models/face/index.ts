/**
 * The `face` model: MediaPipe's detector on the decoded image, our expression network on each
 * face's eye-levelled crop (expression.ts), identities from Human's face descriptor on the
 * detector's box (faceres.ts), and FACS units and descriptions from MediaPipe's blendshapes on
 * its 478 landmarks (mediapipe/actionUnits.ts). See MODEL_CARD.md.
 */
import { decodeImage } from "../../media/image.js";
import { roundScore } from "../../primitives.js";
import type { ModelState } from "../descriptor.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { face as faceDescriptor, type FaceConfig, type FaceDescriptorVector, type FacePrediction } from "./descriptor.js";
import { expressionProbs, expressionRegion, namedEmotions } from "./expression.js";
import { faceDescriptors, loadFaceres } from "./faceres.js";
import { assignIdentities, identityStateOf } from "./identity.js";
import { actionUnits, descriptions } from "./mediapipe/actionUnits.js";
import { blendshapes } from "./mediapipe/blendshapes.js";
import { detectFaces, type DetectOptions, type Detection } from "./mediapipe/detector.js";
import { cropRegion, DEFAULT_MIN_PRESENCE, faceLandmarks, type FaceLandmarks } from "./mediapipe/landmarks.js";
import { DEFAULT_RETRIES } from "./mediapipe/pipeline.js";
import { session } from "./mediapipe/session.js";

/** Default `prob_threshold`: MediaPipe's own detector threshold (the spec's 0.99 is Hume's detector's scale). */
export const DEFAULT_PROB_THRESHOLD = 0.5;
/** Faces per image; the protocol's facemesh limit is 10 faces, and images follow the same cap. */
export const MAX_FACES = 10;
/**
 * A detection below this score is confirmed by the landmark model's face-presence output before
 * it is reported (a false detection on a window scores 0.54 and has presence 0.000); sure faces
 * skip that check, so `face: {}` costs no landmark run on clear faces.
 */
export const CONFIRM_BELOW = 0.8;
/**
 * The detector always proposes faces down to this score, and `prob_threshold` filters after: the
 * detector's suppression averages overlapping candidates, so proposing at the user's threshold
 * would give slightly different boxes (and face sets) at different thresholds. A threshold below
 * this floor acts as the floor.
 */
export const DETECTION_FLOOR = 0.3;
/**
 * A sure face (score >= CONFIRM_BELOW) at least a quarter of the frame's long side makes the frame
 * a close-up, and the tile pass for small faces is skipped: on a 640 x 480 webcam frame it is 11
 * of the 14 ms of detection. Faces in the six face-api group photos are 8-15% of the long side at
 * any size, so their tile pass always runs (all 22 faces found, test/e2e/face.test.ts); a group
 * photo with one face filling a quarter of the frame loses its small background faces.
 */
export const CLOSE_UP = { size: 0.25, score: CONFIRM_BELOW };

/** How the face model runs the detector on every image (the benchmark times exactly this). */
export const DETECT_OPTIONS: DetectOptions = { minScore: DETECTION_FLOOR, tiles: true, skipTilesFor: CLOSE_UP, retries: DEFAULT_RETRIES };

/** Box clamped to the image, in whole pixels. */
export function clampBox(d: Pick<Detection, "x" | "y" | "w" | "h">, width: number, height: number): FacePrediction["bbox"] {
  const x = Math.max(0, Math.min(width, d.x));
  const y = Math.max(0, Math.min(height, d.y));
  const x2 = Math.max(x, Math.min(width, d.x + d.w));
  const y2 = Math.max(y, Math.min(height, d.y + d.h));
  return { x: Math.round(x), y: Math.round(y), w: Math.round(x2 - x), h: Math.round(y2 - y) };
}

interface Found {
  detection: Detection;
  bbox: FacePrediction["bbox"];
  landmarks?: FaceLandmarks;
}

export const faceModel: Model<typeof faceDescriptor> = {
  descriptor: faceDescriptor,
  async load() {
    await Promise.all([
      session("face_detector.onnx"),
      session("face_landmarks_detector.onnx"),
      session("face_blendshapes.onnx"),
      session("expression.onnx"),
      loadFaceres(),
    ]);
  },
  async predict(input: ModelInput, config: FaceConfig, state: ModelState): Promise<ModelResult<FacePrediction, FaceDescriptorVector>> {
    if (input.kind !== "image") throw new Error(`face model got ${input.kind} input`);
    // The media decoder gives coded errors (E0200 corrupt, E0205 too large) and applies EXIF.
    const image = await decodeImage(input.bytes);
    const threshold = config.prob_threshold ?? DEFAULT_PROB_THRESHOLD;
    const minSize = config.min_face_size ?? 0;
    const geometry = Boolean(config.facs || config.descriptions);
    const detections = (await detectFaces(image, DETECT_OPTIONS))
      // Compared as reported, so a threshold copied from a reply keeps that face.
      .filter((d) => roundScore(d.score) >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, MAX_FACES);
    const found: Found[] = [];
    for (const detection of detections) {
      const bbox = clampBox(detection, image.width, image.height);
      if (Math.min(bbox.w, bbox.h) < minSize || bbox.w === 0 || bbox.h === 0) continue;
      const face: Found = { detection, bbox };
      if (geometry || detection.score < CONFIRM_BELOW) {
        face.landmarks = await faceLandmarks(image, cropRegion(detection));
        if (detection.score < CONFIRM_BELOW && face.landmarks.presence < DEFAULT_MIN_PRESENCE) continue;
      }
      found.push(face);
    }
    if (found.length === 0) return { predictions: [], warning: faceDescriptor.nothingFound };

    const emotions = await expressionProbs(image, found.map((f) => expressionRegion(f.detection)));
    const predictions: FacePrediction[] = [];
    for (const [i, f] of found.entries()) {
      const p: FacePrediction = {
        frame: input.frame ?? 0,
        time: input.time ?? null,
        bbox: f.bbox,
        prob: roundScore(f.detection.score),
        face_id: "unknown",
        emotions: namedEmotions(emotions[i] ?? new Float32Array()),
      };
      if (geometry && f.landmarks) {
        const shapes = await blendshapes(f.landmarks.points);
        const units = actionUnits(shapes);
        // Units in FACS number order, descriptions alphabetical, as the geometric version gave them.
        if (config.facs) p.facs = named(units);
        if (config.descriptions) p.descriptions = named(descriptions(shapes, units)).sort((a, b) => a.name.localeCompare(b.name));
      }
      predictions.push(p);
    }
    if (!config.identify_faces) return { predictions };

    const vectors = await faceDescriptors(image, found.map((f) => f.detection));
    if (input.frame !== undefined) {
      // A video frame: descriptors go along as plain numbers, and the descriptor's per-message
      // step gives ids in frame order after all frames (descriptor.ts, identity.ts).
      return { predictions, carry: vectors.map((v) => Array.from(v)) };
    }
    const identities = identityStateOf(state.identities);
    const ids = assignIdentities(identities, vectors);
    state.identities = identities;
    return { predictions: predictions.map((p, i) => ({ ...p, face_id: ids[i] ?? "unknown" })) };
  },
};

function named(scores: Record<string, number>): { name: string; score: number }[] {
  return Object.entries(scores).map(([name, score]) => ({ name, score: roundScore(score) }));
}
