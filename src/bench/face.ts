/**
 * Face benchmark: one face in a 640x480 JPEG (a webcam frame) end to end over loopback with
 * `face: {}` and with identities, FACS and descriptions; aggregate frames per second with 8
 * connections; the bare stages in process on one thread; server start-up and memory with 1 and
 * 2 inference workers. (The three-face video with prosody is in the audio benchmark.)
 */
import sharp from "sharp";
import { decodeImage } from "../media/image.js";
import { expressionProbs, expressionRegion } from "../models/face/expression.js";
import { faceDescriptors } from "../models/face/faceres.js";
import { DETECT_OPTIONS, faceModel } from "../models/face/index.js";
import { blendshapes } from "../models/face/mediapipe/blendshapes.js";
import { detectFaces } from "../models/face/mediapipe/detector.js";
import { cropRegion, faceLandmarks } from "../models/face/mediapipe/landmarks.js";
import { BENCH_PHOTO, ONE_FACE_CROP } from "./media.js";
import { closedLoop, measureRoundTrips } from "./round-trip.js";
import { withTwoThreadServer, type Footprint } from "./server-process.js";
import { timeCalls as time, type Summary } from "./stats.js";

export interface FaceBench extends Footprint {
  input: string;
  bareMs: Record<string, Summary>;
  endToEndMs: { plain: Summary; facsDescriptions: Summary; idsFacsDescriptions: Summary };
  throughput: Awaited<ReturnType<typeof closedLoop>>;
}

const frame = (photo: Buffer, face: Record<string, unknown>) => JSON.stringify({ models: { face }, data: photo.toString("base64") });

export async function benchFace(opts: { quick?: boolean } = {}): Promise<FaceBench> {
  const n = opts.quick ? 20 : 100;
  const photo = await sharp(BENCH_PHOTO).extract(ONE_FACE_CROP).resize(640, 480).jpeg({ quality: 90 }).toBuffer();
  await faceModel.load();
  const image = await decodeImage(photo);
  const [detection] = await detectFaces(image, DETECT_OPTIONS);
  if (!detection) throw new Error("no face on the benchmark frame");
  const landmarks = await faceLandmarks(image, cropRegion(detection));
  const bareMs = {
    decode: await time(n, () => decodeImage(photo), 5),
    "detector, as served (a close-up skips the tile pass)": await time(n, () => detectFaces(image, DETECT_OPTIONS), 5),
    "detector with the tile pass": await time(n, () => detectFaces(image, { ...DETECT_OPTIONS, skipTilesFor: undefined }), 5),
    expression: await time(n, () => expressionProbs(image, [expressionRegion(detection)]), 5),
    landmarks: await time(n, () => faceLandmarks(image, cropRegion(detection)), 5),
    blendshapes: await time(n, () => blendshapes(landmarks.points), 5),
    descriptor: await time(n, () => faceDescriptors(image, [detection]), 5),
    "face: {} in process": await time(n, () => faceModel.predict({ kind: "image", bytes: photo }, {}, {}), 5),
  };
  return withTwoThreadServer(async (server) => {
    const plainFrame = frame(photo, {});
    return {
      input: "640x480 JPEG, one face",
      bareMs,
      endToEndMs: {
        plain: await measureRoundTrips(server.streamUrl, plainFrame, n, 20),
        facsDescriptions: await measureRoundTrips(server.streamUrl, frame(photo, { facs: {}, descriptions: {} }), n, 20),
        idsFacsDescriptions: await measureRoundTrips(server.streamUrl, frame(photo, { identify_faces: true, facs: {}, descriptions: {} }), n, 20),
      },
      throughput: await closedLoop(server.streamUrl, () => plainFrame, 8, 2, opts.quick ? 5 : 15),
    };
  });
}
