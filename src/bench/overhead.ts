/**
 * Per-model overhead at low load: for one representative input per model, the bare in-process
 * cost of what the server must do for it (decode + VAD + model for audio, decode + model for an
 * image, the model alone for text and facemesh) against the end-to-end time one client sees over
 * loopback, one message at a time. The ratio is what the "within 1.5x" target reads.
 */
import sharp from "sharp";
import { decodeAudio } from "../media/ffmpeg.js";
import { burstModel } from "../models/burst/index.js";
import { faceModel } from "../models/face/index.js";
import { decodeRgb } from "../models/face/mediapipe/image.js";
import { toPoints } from "../models/face/mediapipe/landmarks.js";
import { analyzeFaces } from "../models/face/mediapipe/pipeline.js";
import { facemeshModel } from "../models/facemesh/index.js";
import { languageModel } from "../models/language/index.js";
import { prosodyModel } from "../models/prosody/index.js";
import { audioInput } from "./audio.js";
import { SENTENCE } from "./language.js";
import { BENCH_PHOTO, makeBenchMedia, ONE_FACE_CROP } from "./media.js";
import { measureRoundTrips } from "./round-trip.js";
import { spawnServer } from "./server-process.js";
import { timeCalls as time, type Summary } from "./stats.js";

export interface OverheadRow {
  model: string;
  input: string;
  bareMs: Summary;
  endToEndMs: Summary;
  ratio: number;
}

/** The 478-point face mesh the face pipeline finds on the photo: a real facemesh payload. */
async function meshOf(photo: Buffer): Promise<number[][][]> {
  const [face] = await analyzeFaces(await decodeRgb(photo), { blendshapes: false });
  if (!face) throw new Error("no face mesh found on the benchmark photo");
  return [toPoints(face.landmarks)];
}

export async function benchOverhead(opts: { quick?: boolean } = {}): Promise<OverheadRow[]> {
  const n = opts.quick ? 10 : 40;
  const media = makeBenchMedia();
  // One face, 640 px wide, as a webcam frame would be.
  const photo = await sharp(BENCH_PHOTO).extract(ONE_FACE_CROP).resize(640, 480).jpeg({ quality: 90 }).toBuffer();
  await Promise.all([languageModel.load(), faceModel.load(), facemeshModel.load(), prosodyModel.load(), burstModel.load()]);
  const mesh = await meshOf(photo);
  const decodedWav = async () => audioInput((await decodeAudio(media.wav)).samples);
  // Sub-millisecond models need many warm-up rounds before the JIT settles; media models few.
  const cases: { model: string; input: string; bare: () => Promise<unknown>; frame: string; warmup?: number }[] = [
    {
      model: "language", input: "20-word sentence, sentence granularity",
      bare: () => languageModel.predict({ kind: "text", text: SENTENCE }, { granularity: "sentence" }, {}),
      frame: JSON.stringify({ models: { language: { granularity: "sentence" } }, raw_text: true, data: SENTENCE }),
      warmup: 300,
    },
    {
      model: "face", input: "640x480 JPEG, one face",
      bare: () => faceModel.predict({ kind: "image", bytes: photo }, {}, {}),
      frame: JSON.stringify({ models: { face: {} }, data: photo.toString("base64") }),
    },
    {
      model: "facemesh", input: "one 478-point mesh",
      bare: () => facemeshModel.predict({ kind: "facemesh", faces: mesh }, {}, {}),
      frame: JSON.stringify({ models: { facemesh: {} }, raw_text: true, data: JSON.stringify(mesh) }),
      warmup: 300,
    },
    {
      model: "prosody", input: "5 s speech WAV (decode + VAD + model)",
      bare: async () => prosodyModel.predict(await decodedWav(), {}, {}),
      frame: JSON.stringify({ models: { prosody: {} }, data: media.wav.toString("base64"), reset_stream: true }),
    },
    {
      model: "burst", input: "5 s speech WAV (decode + VAD + model)",
      bare: async () => burstModel.predict(await decodedWav(), {}, {}),
      frame: JSON.stringify({ models: { burst: {} }, data: media.wav.toString("base64"), reset_stream: true }),
    },
  ];
  const bare = new Map<string, Summary>();
  for (const c of cases) bare.set(c.model, await time(c.warmup ? n * 10 : n, c.bare, c.warmup ?? 3));
  const server = await spawnServer({ args: ["--log-level", "info"] });
  try {
    const rows: OverheadRow[] = [];
    for (const c of cases) {
      const endToEndMs = await measureRoundTrips(server.streamUrl, c.frame, c.warmup ? n * 10 : n, c.warmup ?? 5);
      const bareMs = bare.get(c.model)!;
      rows.push({ model: c.model, input: c.input, bareMs, endToEndMs, ratio: Math.round((endToEndMs.p50 / bareMs.p50) * 100) / 100 });
    }
    return rows;
  } finally {
    await server.stop();
  }
}

