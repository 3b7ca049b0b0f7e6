/**
 * MediaPipe's face landmarker on onnxruntime-node: detector -> landmarks on a crop levelled by the
 * eye line -> 52 blendshapes. Not yet what answers `face`; the face model wires it in later.
 */
import { z } from "zod";
import { blendshapes, type Blendshapes } from "./blendshapes.js";
import { DEFAULT_MIN_SCORE, detectFaces, type Detection } from "./detector.js";
import type { RgbImage } from "./image.js";
import { cropRegion, DEFAULT_MIN_PRESENCE, faceLandmarks } from "./landmarks.js";

export const PipelineOptions = z
  .object({
    /** Detector score threshold (MediaPipe's default 0.5). */
    minScore: z.number().min(0).max(1).default(DEFAULT_MIN_SCORE),
    /** Landmark model's face-presence threshold (MediaPipe's default 0.5); 0 keeps every detection. */
    minPresence: z.number().min(0).max(1).default(DEFAULT_MIN_PRESENCE),
    /** Second detector pass on overlapping tiles, for faces small in the frame. */
    tiles: z.boolean().default(true),
    /** Second look at a frame where nothing was found, with the image shrunk by this factor inside a black border (a face filling the frame, e.g. a tight crop). */
    zoomOut: z.number().min(1).max(4).default(1.6),
    /** Skip the blendshape model (landmarks only). */
    blendshapes: z.boolean().default(true),
  })
  .strict();
export type PipelineOptions = z.input<typeof PipelineOptions>;

export interface MeshFace {
  detection: Detection;
  /** 478 x (x, y, z) in image pixels. */
  landmarks: Float32Array;
  presence: number;
  blendshapes?: Blendshapes;
}

export async function analyzeFaces(img: RgbImage, options: PipelineOptions = {}): Promise<MeshFace[]> {
  const o = PipelineOptions.parse(options);
  const faces: MeshFace[] = [];
  for (const detection of await detectFaces(img, { minScore: o.minScore, tiles: o.tiles, zoomOut: o.zoomOut })) {
    const lm = await faceLandmarks(img, cropRegion(detection));
    if (lm.presence < o.minPresence) continue;
    const face: MeshFace = { detection, landmarks: lm.points, presence: lm.presence };
    if (o.blendshapes) face.blendshapes = await blendshapes(lm.points);
    faces.push(face);
  }
  return faces;
}
