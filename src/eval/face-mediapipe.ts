/**
 * `npm run eval -- face-mediapipe [--limit N] [--repeats R]`: MediaPipe's face models on
 * onnxruntime-node (src/models/face/mediapipe/), not yet the server's face path.
 * 1. Per-stage time on one thread (ORT intra-op 1): detector, tile pass, landmarks and
 *    blendshapes per face, on the six face-api photos; min and median over repeats.
 * 2. FER2013 PrivateTest, each crop upscaled and padded as the face eval does (160 px on a 256 px
 *    canvas, edges copied): detection rate, and the mean of each action unit per FER+ majority
 *    class (the FER+ test set: crowd majority, unknown / not-a-face left out) with Cohen's d for
 *    the expected pairs.
 * Prints tables and writes artifacts/eval/face-mediapipe.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import sharp from "sharp";
import { packageRoot } from "../package-paths.js";
import { FERPLUS_ORDER, type FerPlusLabel } from "../models/face/labels.js";
import { loadFerPlus } from "../training/face/ferplus.js";
import { actionUnits, MEASURED_UNITS, type MeasuredUnit, type Units } from "../models/face/mediapipe/actionUnits.js";
import { blendshapes } from "../models/face/mediapipe/blendshapes.js";
import { detectFaces } from "../models/face/mediapipe/detector.js";
import { decodeRgb, type RgbImage } from "../models/face/mediapipe/image.js";
import { cropRegion, faceLandmarks } from "../models/face/mediapipe/landmarks.js";
import { analyzeFaces, DEFAULT_RETRIES } from "../models/face/mediapipe/pipeline.js";
import { run } from "../models/face/mediapipe/session.js";
import { loadFer } from "../training/facemesh/fer.js";
import { CANVAS, ferOnCanvas, UPSCALE } from "./fer-canvas.js";

const SAMPLE_DIR = join(packageRoot, "node_modules/@vladmandic/face-api/demo");

/** The pairs the issue names: a unit that should be higher in one FER class. */
const EXPECTED: Array<[MeasuredUnit, FerPlusLabel]> = [
  ["AU12 Lip Corner Puller", "happiness"],
  ["AU4 Brow Lowerer", "anger"],
  ["AU26 Jaw Drop", "surprise"],
  ["AU1 Inner Brow Raise", "surprise"],
  ["AU2 Outer Brow Raise", "surprise"],
  ["AU15 Lip Corner Depressor", "sadness"],
  ["AU10 Upper Lip Raiser", "disgust"],
  ["AU14 Dimpler", "contempt"],
];

function parseArgs(argv: string[]): { limit: number; repeats: number } {
  const args = { limit: Infinity, repeats: 20 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--limit") args.limit = Number(argv[++i]);
    else if (argv[i] === "--repeats") args.repeats = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return args;
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

async function time(repeats: number, f: () => Promise<unknown>): Promise<{ min: number; median: number }> {
  const ms: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return { min: Math.min(...ms), median: median(ms) };
}

async function timings(repeats: number) {
  const images: RgbImage[] = [];
  for (let n = 1; n <= 6; n++) images.push(await decodeRgb(await sharp(join(SAMPLE_DIR, `sample${n}.jpg`)).toBuffer()));
  const first = images[0] as RgbImage;
  await analyzeFaces(first); // load the sessions and warm up
  const stages: Record<string, { min: number; median: number }> = {};
  const per = async (name: string, f: (img: RgbImage) => Promise<unknown>): Promise<void> => {
    const rows = [];
    for (const img of images) rows.push(await time(repeats, () => f(img)));
    stages[name] = { min: Math.min(...rows.map((r) => r.min)), median: median(rows.map((r) => r.median)) };
  };
  await per("detector, whole frame (ms per image)", (img) => detectFaces(img, { tiles: false }));
  await per("detector, whole frame + tiles (ms per image)", (img) => detectFaces(img, { tiles: true }));
  const faces = [];
  for (const img of images) for (const d of await detectFaces(img, { tiles: true })) faces.push({ img, region: cropRegion(d) });
  const lm = [];
  for (const f of faces) lm.push(await time(repeats, () => faceLandmarks(f.img, f.region)));
  stages["landmarks (ms per face)"] = { min: Math.min(...lm.map((r) => r.min)), median: median(lm.map((r) => r.median)) };
  // The networks alone, without the crop sampling in JavaScript.
  const detIn = new Float32Array(128 * 128 * 3).fill(0.1);
  stages["detector network alone (ms)"] = await time(repeats * 5, () => run("face_detector.onnx", detIn, [1, 128, 128, 3]));
  const lmIn = new Float32Array(256 * 256 * 3).fill(0.5);
  stages["landmark network alone (ms)"] = await time(repeats * 5, () => run("face_landmarks_detector.onnx", lmIn, [1, 256, 256, 3]));
  const points = (await faceLandmarks(faces[0]!.img, faces[0]!.region)).points;
  stages["blendshapes (ms per face)"] = await time(repeats * 10, () => blendshapes(points));
  stages["action units + descriptions (ms per face)"] = await time(repeats * 10, async () => actionUnits(await blendshapes(points)));
  return { repeats, faces: faces.length, stages };
}

const cohenD = (a: number[], b: number[]): number => {
  const m = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const variance = (v: number[]): number => v.reduce((s, x) => s + (x - m(v)) ** 2, 0) / (v.length - 1);
  const pooled = Math.sqrt(((a.length - 1) * variance(a) + (b.length - 1) * variance(b)) / (a.length + b.length - 2));
  return (m(a) - m(b)) / pooled;
};

async function fer(limit: number) {
  const data = loadFer("privatetest");
  const n = Math.min(limit, data.count);
  let detected = 0;
  let kept = 0;
  const units: Array<{ label: FerPlusLabel; u: Units }> = [];
  const majority = loadFerPlus("privatetest", data.count).majority;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const img = await ferOnCanvas(data, i);
    if ((await detectFaces(img, { retries: DEFAULT_RETRIES })).length > 0) detected++;
    const [face] = (await analyzeFaces(img)).sort((a, b) => b.detection.score - a.detection.score);
    if (!face?.blendshapes) continue;
    kept++;
    const label = FERPLUS_ORDER[majority[i] ?? -1];
    if (label) units.push({ label, u: actionUnits(face.blendshapes) });
  }
  const msPerImage = (performance.now() - start) / n;
  const meanPerClass: Record<string, Record<string, number>> = {};
  for (const label of FERPLUS_ORDER) {
    const rows = units.filter((r) => r.label === label);
    meanPerClass[label] = Object.fromEntries(MEASURED_UNITS.map((u) => [u, rows.reduce((s, r) => s + r.u[u], 0) / rows.length]));
    meanPerClass[label]!["faces"] = rows.length;
  }
  const effects = EXPECTED.map(([unit, label]) => {
    const inClass = units.filter((r) => r.label === label).map((r) => r.u[unit]);
    const rest = units.filter((r) => r.label !== label).map((r) => r.u[unit]);
    const neutral = units.filter((r) => r.label === "neutral").map((r) => r.u[unit]);
    return { unit, label, dVsRest: cohenD(inClass, rest), dVsNeutral: cohenD(inClass, neutral) };
  });
  return { images: n, detected, detectionRate: detected / n, keptAfterPresence: kept, keptRate: kept / n, msPerImage, meanPerClass, effects };
}

export async function evalFaceMediapipe(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const t = await timings(args.repeats);
  console.log(`\nPer-stage time, one thread (${t.faces} faces in the six face-api photos, ${t.repeats} repeats):`);
  for (const [stage, v] of Object.entries(t.stages)) console.log(`  ${stage.padEnd(46)} min ${v.min.toFixed(2)}  median ${v.median.toFixed(2)}`);
  const f = await fer(args.limit);
  console.log(`\nFER2013 PrivateTest (${f.images} crops, ${UPSCALE} px on a ${CANVAS} px canvas), ${f.msPerImage.toFixed(1)} ms per image:`);
  console.log(`  detector finds a face: ${f.detected} (${(100 * f.detectionRate).toFixed(2)}%); kept after the face-presence check: ${f.keptAfterPresence} (${(100 * f.keptRate).toFixed(2)}%)`);
  console.log(`\nMean of each unit per FER+ majority class:`);
  console.log(`  ${"unit".padEnd(32)}${FERPLUS_ORDER.map((l) => l.slice(0, 9).padStart(10)).join("")}`);
  for (const u of [...MEASURED_UNITS, "faces"]) console.log(`  ${u.padEnd(32)}${FERPLUS_ORDER.map((l) => meanFmt(f.meanPerClass[l]?.[u])).join("")}`);
  console.log(`\nExpected pairs, Cohen's d:`);
  for (const e of f.effects) console.log(`  ${e.unit.padEnd(32)} in ${e.label.padEnd(9)} vs rest ${e.dVsRest.toFixed(2).padStart(6)}   vs neutral ${e.dVsNeutral.toFixed(2).padStart(6)}`);
  const dir = join(packageRoot, "artifacts", "eval");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "face-mediapipe.json"), JSON.stringify({ timings: t, fer2013: f, preprocessing: { upscale: UPSCALE, canvas: CANVAS } }, null, 1) + "\n");
  console.log("wrote artifacts/eval/face-mediapipe.json");
}

const meanFmt = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? "-" : v >= 1 ? v.toFixed(0) : v.toFixed(3)).padStart(10);
