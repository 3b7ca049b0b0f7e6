/**
 * `npm run eval -- face [--limit N] [--skip-detector]`: the face model's expression network.
 * 1. FER+ test (FER2013 PrivateTest images with their FER+ crowd majority, 8 classes; images
 *    whose majority is unknown or not-a-face left out, as the FER+ protocol does): crops direct.
 * 2. FER2013 PrivateTest with its original 7 labels (contempt left out of the argmax):
 *    a. crops fed directly (48 px grey, mirrored copy averaged, as served);
 *    b. the server's path: each crop upscaled and padded (160 px on a 256 px canvas, edges copied),
 *       MediaPipe's detector, the eye-levelled crop (expression.ts) and the network; and the same
 *       without levelling (rotation 0), which measures what aligning by the eyes is worth.
 * 3. The facemesh classifier on meshes extracted from each crop (if its weights exist).
 * Prints tables and writes artifacts/eval/face.json.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { packageRoot, weightsPath } from "../package-paths.js";
import { expressionProbs, expressionProbsOfCrops, expressionRegion } from "../models/face/expression.js";
import { FERPLUS_ORDER } from "../models/face/labels.js";
import { detectFaces } from "../models/face/mediapipe/detector.js";
import { DEFAULT_RETRIES } from "../models/face/mediapipe/pipeline.js";
import { loadFacemeshClassifier } from "../models/facemesh/classifier.js";
import { meshFeatures } from "../models/facemesh/features.js";
import { FER_ORDER, type FerLabel } from "../models/facemesh/labels.js";
import { extractMeshes } from "../training/facemesh/extract.js";
import { FER_TO_FERPLUS, loadFerPlus } from "../training/face/ferplus.js";
import { ferImage, FER_SIDE, loadFer, trainDuplicates, type FerData } from "../training/facemesh/fer.js";
import { argmax, metrics, type Metrics } from "../training/facemesh/metrics.js";
import { CANVAS, ferOnCanvas, UPSCALE } from "./fer-canvas.js";

interface Args {
  limit: number;
  skipDetector: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { limit: Infinity, skipDetector: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--limit") args.limit = Number(argv[++i]);
    else if (argv[i] === "--skip-detector") args.skipDetector = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return args;
}

/** FER2013 label -> the network's class index (contempt has no FER2013 counterpart). */
const FER_INDEX = Object.fromEntries(FER_ORDER.map((l) => [l, FERPLUS_ORDER.indexOf(FER_TO_FERPLUS[l])])) as Record<FerLabel, number>;

/** The network's probabilities as a FER2013 class (FER_ORDER index), contempt left out. */
function asFer(probs: Float32Array): number {
  const seven = FER_ORDER.map((l) => probs[FER_INDEX[l]] ?? 0);
  return argmax(seven);
}

/** Probabilities for every image fed directly (48 px grey, mirrored copy averaged). */
async function directProbs(data: FerData, n: number): Promise<{ probs: Float32Array[]; msPerImage: number }> {
  const probs: Float32Array[] = [];
  const side = FER_SIDE * FER_SIDE;
  const start = performance.now();
  for (let i = 0; i < n; i += 128) {
    const m = Math.min(128, n - i);
    const crops = new Float32Array(2 * m * side);
    for (let k = 0; k < m; k++) {
      const img = ferImage(data, i + k);
      for (let y = 0; y < FER_SIDE; y++) {
        for (let x = 0; x < FER_SIDE; x++) {
          const v = img[y * FER_SIDE + x] ?? 0;
          crops[2 * k * side + y * FER_SIDE + x] = v;
          crops[(2 * k + 1) * side + y * FER_SIDE + (FER_SIDE - 1 - x)] = v;
        }
      }
    }
    probs.push(...(await expressionProbsOfCrops(crops, 2 * m, true)));
  }
  return { probs, msPerImage: (performance.now() - start) / n };
}

async function detectorPath(data: FerData, n: number) {
  const truth: number[] = [];
  const levelled: number[] = [];
  const unlevelled: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const image = await ferOnCanvas(data, i);
    const faces = await detectFaces(image, { retries: DEFAULT_RETRIES });
    const best = faces.sort((a, b) => b.score - a.score)[0];
    if (!best) continue;
    const region = expressionRegion(best);
    const [a, b] = await expressionProbs(image, [region, { ...region, rotation: 0 }]);
    if (!a || !b) continue;
    truth.push(data.labels[i] ?? 0);
    levelled.push(asFer(a));
    unlevelled.push(asFer(b));
  }
  const ms = (performance.now() - start) / n;
  return { detected: truth.length, detectionRate: truth.length / n, m: metrics(truth, levelled, FER_ORDER.length), unlevelled: metrics(truth, unlevelled, FER_ORDER.length), msPerImage: ms };
}

async function facemeshPath(data: FerData, n: number) {
  if (!existsSync(weightsPath("facemesh", "meta.json"))) return undefined;
  const classifier = await loadFacemeshClassifier();
  const start = performance.now();
  const ex = await extractMeshes(data, Array.from({ length: n }, (_, i) => i));
  const truth: number[] = [];
  const pred: number[] = [];
  ex.valid.forEach((ok, i) => {
    if (!ok) return;
    const f = meshFeatures(ex.mesh(i));
    if (!f) return;
    truth.push(data.labels[i] ?? 0);
    pred.push(argmax(classifier.probs(f)));
  });
  return { extracted: truth.length, extractionRate: truth.length / n, m: metrics(truth, pred, FER_ORDER.length), msPerImage: (performance.now() - start) / n };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function table(rows: string[][]): void {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | "));
}

export async function evalFace(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const data = loadFer("privatetest");
  const n = Math.min(args.limit, data.count);
  console.log(`FER2013 PrivateTest: ${n} images`);
  const d = await directProbs(data, n);

  // FER+ test: 8 classes, crowd majority.
  const majority = loadFerPlus("privatetest", data.count).majority;
  const plusIdx = Array.from({ length: n }, (_, i) => i).filter((i) => (majority[i] ?? -1) >= 0);
  const ferplus = metrics(plusIdx.map((i) => majority[i] ?? 0), plusIdx.map((i) => argmax(d.probs[i] ?? [])), FERPLUS_ORDER.length);

  // FER2013: 7 original labels.
  const truth = Array.from(data.labels.subarray(0, n));
  const directFer = metrics(truth, d.probs.map(asFer), FER_ORDER.length);
  const dups = trainDuplicates(data.split);
  const keep = truth.map((_, i) => i).filter((i) => !dups.has(i));
  const dedup = metrics(keep.map((i) => truth[i] ?? 0), keep.map((i) => asFer(d.probs[i] ?? new Float32Array())), FER_ORDER.length);
  const det = args.skipDetector ? undefined : await detectorPath(data, n);
  const mesh = await facemeshPath(data, n);

  const rows = [
    ["test set, path", "coverage", "accuracy", "macro-F1", "ms/image"],
    ["FER+ test (8 classes, crowd majority), crops direct", `${plusIdx.length} images`, pct(ferplus.accuracy), ferplus.macroF1.toFixed(3), d.msPerImage.toFixed(2)],
    ["FER2013 PrivateTest (7 labels), crops direct", "100%", pct(directFer.accuracy), directFer.macroF1.toFixed(3), d.msPerImage.toFixed(2)],
    ["  same, without train duplicates", `${dedup.confusion.flat().reduce((s, x) => s + x, 0)} images`, pct(dedup.accuracy), dedup.macroF1.toFixed(3), ""],
  ];
  if (det) {
    rows.push(["FER2013, server path: detector + eye-levelled crop", `${pct(det.detectionRate)} detected`, pct(det.m.accuracy), det.m.macroF1.toFixed(3), det.msPerImage.toFixed(1)]);
    rows.push(["  same, crop not levelled (rotation 0)", `${pct(det.detectionRate)} detected`, pct(det.unlevelled.accuracy), det.unlevelled.macroF1.toFixed(3), ""]);
  }
  if (mesh) rows.push(["FER2013, facemesh classifier (Human meshes)", `${pct(mesh.extractionRate)} meshes`, pct(mesh.m.accuracy), mesh.m.macroF1.toFixed(3), mesh.msPerImage.toFixed(2)]);
  table(rows);
  const recall = (m: Metrics, labels: readonly string[]) => labels.map((l, i) => {
    const row = m.confusion[i] ?? [];
    const total = row.reduce((s, x) => s + x, 0);
    return `${l} ${total ? pct((row[i] ?? 0) / total) : "-"}`;
  }).join(", ");
  console.log(`per-class recall, FER+ direct: ${recall(ferplus, FERPLUS_ORDER)}`);
  console.log(`per-class recall, FER2013 direct: ${recall(directFer, FER_ORDER)}`);
  if (det) console.log(`per-class recall, FER2013 server path: ${recall(det.m, FER_ORDER)}`);
  const out = {
    dataset: "FER2013 PrivateTest (FER+ majority and original labels)",
    images: n,
    ferplus: { labels: FERPLUS_ORDER, images: plusIdx.length, ...ferplus },
    fer2013: { labels: FER_ORDER, direct: directFer, directWithoutTrainDuplicates: dedup, detector: det ?? null },
    facemesh: mesh ?? null,
    msPerImageDirect: d.msPerImage,
    preprocessing: { detectorUpscale: UPSCALE, detectorCanvas: CANVAS },
  };
  const dir = join(packageRoot, "artifacts", "eval");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "face.json"), JSON.stringify(out, null, 1) + "\n");
  console.log("wrote artifacts/eval/face.json");
}
