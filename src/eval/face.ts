/**
 * `npm run eval -- face [--limit N] [--skip-detector]`: FER2013 PrivateTest through
 * 1. Human's expression model on the crops directly (Human's preprocessing, see emotion.ts);
 * 2. the full server path on each crop, upscaled and padded: detector + expression (`face: {}`),
 *    and detector + mesh + expression (what identities, FACS or descriptions switch on);
 * 3. the facemesh classifier on meshes extracted from each crop (if weights exist).
 * Prints a table and writes artifacts/eval/face.json.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import sharp from "sharp";
import { packageRoot, weightsPath } from "../package-paths.js";
import { emotionProbs, FER_ORDER } from "../models/face/emotion.js";
import { detectFaces, loadFaceRuntime } from "../models/face/index.js";
import { tfOf } from "../models/face/human.js";
import { loadFacemeshClassifier } from "../models/facemesh/classifier.js";
import { meshFeatures } from "../models/facemesh/features.js";
import { extractMeshes, ferBatchTensor } from "../training/facemesh/extract.js";
import { ferImage, FER_SIDE, loadFer, trainDuplicates, type FerData } from "../training/facemesh/fer.js";
import { argmax, metrics, type Metrics } from "../training/facemesh/metrics.js";

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

async function direct(data: FerData, n: number): Promise<{ m: Metrics; dedup: Metrics & { images: number }; msPerImage: number }> {
  const { human, emotion } = await loadFaceRuntime();
  const tf = tfOf(human);
  const pred: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i += 64) {
    const idx = Array.from({ length: Math.min(64, n - i) }, (_, k) => i + k);
    const batch = ferBatchTensor(tf, data, idx, FER_SIDE);
    for (const row of await emotionProbs(tf, emotion, batch)) pred.push(argmax(row));
    batch.dispose();
  }
  const msPerImage = (performance.now() - start) / n;
  const truth = Array.from(data.labels.subarray(0, n));
  const dups = trainDuplicates(data.split);
  const keep = truth.map((_, i) => i).filter((i) => !dups.has(i));
  const dedup = metrics(keep.map((i) => truth[i] ?? 0), keep.map((i) => pred[i] ?? 0), FER_ORDER.length);
  return { m: metrics(truth, pred, FER_ORDER.length), dedup: { ...dedup, images: keep.length }, msPerImage };
}

/** Side the 48 px crop is upscaled to, and the canvas it is centred on (face ~ 60% of the frame). */
const UPSCALE = 160;
const CANVAS = 256;

/**
 * The server's path: `mesh` false is `face: {}` (the detector's box is the crop), true is what
 * `identify_faces`, `facs` or `descriptions` switch on (the mesh's box is the crop).
 */
async function detectorPath(data: FerData, n: number, mesh: boolean) {
  const { human, emotion } = await loadFaceRuntime();
  // The descriptor is only for identities and iris only for FACS; neither changes the crop.
  human.config.face.description = { ...human.config.face.description, enabled: false };
  human.config.face.iris = { ...human.config.face.iris, enabled: false };
  human.config.face.mesh = { ...human.config.face.mesh, enabled: mesh };
  const tf = tfOf(human);
  const truth: number[] = [];
  const pred: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const pad = (CANVAS - UPSCALE) / 2;
    const { data: rgb } = await sharp(Buffer.from(ferImage(data, i)), { raw: { width: FER_SIDE, height: FER_SIDE, channels: 1 } })
      .resize(UPSCALE, UPSCALE, { kernel: "cubic" })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, extendWith: "copy" })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    const faces = await detectFaces(human, new Uint8Array(rgb), CANVAS, CANVAS);
    const best = faces.sort((a, b) => b.boxScore - a.boxScore)[0];
    if (best?.tensor) {
      const [probs] = await emotionProbs(tf, emotion, best.tensor);
      if (probs) {
        truth.push(data.labels[i] ?? 0);
        pred.push(argmax(probs));
      }
    }
    for (const f of faces) f.tensor?.dispose();
  }
  const ms = (performance.now() - start) / n;
  return { detected: truth.length, detectionRate: truth.length / n, m: metrics(truth, pred, FER_ORDER.length), msPerImage: ms };
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

export async function evalFace(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const data = loadFer("privatetest");
  const n = Math.min(args.limit, data.count);
  console.log(`FER2013 PrivateTest: ${n} images`);
  const d = await direct(data, n);
  console.log(`direct: acc ${pct(d.m.accuracy)} macro-F1 ${d.m.macroF1.toFixed(3)} (${d.msPerImage.toFixed(2)} ms/image)`);
  const det = args.skipDetector ? undefined : await detectorPath(data, n, false);
  if (det) console.log(`detector: detected ${pct(det.detectionRate)}, acc on detected ${pct(det.m.accuracy)} (${det.msPerImage.toFixed(1)} ms/image)`);
  const detMesh = args.skipDetector ? undefined : await detectorPath(data, n, true);
  if (detMesh) console.log(`detector + mesh: detected ${pct(detMesh.detectionRate)}, acc on detected ${pct(detMesh.m.accuracy)} (${detMesh.msPerImage.toFixed(1)} ms/image)`);
  const mesh = await facemeshPath(data, n);
  const rows: [string, string, string, string, string][] = [
    ["path", "coverage", "accuracy", "macro-F1", "ms/image"],
    ["expression model, crops direct", "100%", pct(d.m.accuracy), d.m.macroF1.toFixed(3), d.msPerImage.toFixed(2)],
    ["  same, without train duplicates", `${d.dedup.images} images`, pct(d.dedup.accuracy), d.dedup.macroF1.toFixed(3), ""],
  ];
  if (det) rows.push(["detector + expression (face: {})", `${pct(det.detectionRate)} detected`, pct(det.m.accuracy), det.m.macroF1.toFixed(3), det.msPerImage.toFixed(1)]);
  if (detMesh) rows.push(["detector + mesh + expression (ids/FACS)", `${pct(detMesh.detectionRate)} detected`, pct(detMesh.m.accuracy), detMesh.m.macroF1.toFixed(3), detMesh.msPerImage.toFixed(1)]);
  if (mesh) rows.push(["facemesh classifier", `${pct(mesh.extractionRate)} meshes`, pct(mesh.m.accuracy), mesh.m.macroF1.toFixed(3), mesh.msPerImage.toFixed(2)]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | "));
  const f1s = (m: Metrics) => FER_ORDER.map((l, i) => `${l} ${(m.perClassF1[i] ?? 0).toFixed(2)}`).join(", ");
  console.log(`per-class F1, direct: ${f1s(d.m)}`);
  if (det) console.log(`per-class F1, detector: ${f1s(det.m)}`);
  if (detMesh) console.log(`per-class F1, detector + mesh: ${f1s(detMesh.m)}`);
  if (mesh) console.log(`per-class F1, facemesh: ${f1s(mesh.m)}`);
  const out = { dataset: "FER2013 PrivateTest", images: n, labels: FER_ORDER, direct: d, detector: det ?? null, detectorMesh: detMesh ?? null, facemesh: mesh ?? null, preprocessing: { detectorUpscale: UPSCALE, detectorCanvas: CANVAS } };
  const dir = join(packageRoot, "artifacts", "eval");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "face.json"), JSON.stringify(out, null, 1) + "\n");
  console.log("wrote artifacts/eval/face.json");
}
