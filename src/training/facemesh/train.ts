/**
 * `npm run train -- facemesh [--epochs N] [--hidden H] [--seed S] [--limit N]`
 * 1. Extracts meshes from FER2013 train and publictest crops (extract.ts; cached under
 *    artifacts/cache/ because it is the slow part);
 * 2. turns them into geometry features (models/facemesh/features.ts), standardised on train;
 * 3. trains a one-hidden-layer MLP with AdamW (cosine schedule) and class-balanced cross-entropy, keeping the epoch
 *    with the best publictest macro-F1;
 * 4. writes weights/facemesh/{weights.bin,meta.json}.
 * Deterministic for a given seed (seeded init and shuffling, single-threaded arithmetic).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { packageRoot, weightsPath } from "../../package-paths.js";
import { FER_ORDER, FER_TO_NAME } from "../../models/facemesh/labels.js";
import { mlpForward, mlpFromFlat, mlpSize, type FacemeshMeta } from "../../models/facemesh/classifier.js";
import { FEATURE_COUNT, meshFeatures } from "../../models/facemesh/features.js";
import { extractMeshes, MESH_POINTS, MIN_FACE_FLAG } from "./extract.js";
import { loadFer, type FerSplit } from "./fer.js";
import { argmax, metrics } from "./metrics.js";

interface Args {
  epochs: number;
  hidden: number;
  seed: number;
  limit: number;
  lr: number;
  decay: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { epochs: 40, hidden: 128, seed: 1, limit: Infinity, lr: 2e-3, decay: 1e-4 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]?.replace(/^--/, "") as keyof Args | undefined;
    const v = Number(argv[++i]);
    if (!k || !(k in a) || !Number.isFinite(v)) throw new Error(`bad option ${argv[i - 1]} ${argv[i]}`);
    a[k] = v;
  }
  return a;
}

/** mulberry32: small, seedable, good enough for init and shuffling. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Dataset {
  x: Float32Array[];
  y: number[];
  total: number;
  extracted: number;
}

/** Mesh features of one split, from the cache when the cache matches the extraction settings. */
async function features(split: FerSplit, limit: number): Promise<Dataset> {
  const data = loadFer(split);
  const n = Math.min(limit, data.count);
  const cache = join(packageRoot, "artifacts", "cache", `fer-mesh-${split}-${n}.bin`);
  const per = MESH_POINTS * 3;
  let points: Float32Array;
  let flags: Float32Array;
  if (existsSync(cache)) {
    const buf = readFileSync(cache);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    flags = all.subarray(0, n);
    points = all.subarray(n);
    console.log(`${split}: ${n} meshes from cache`);
  } else {
    const start = performance.now();
    let last = 0;
    const ex = await extractMeshes(data, Array.from({ length: n }, (_, i) => i), 64, (done) => {
      if (done - last >= 4096 || done === n) {
        last = done;
        console.log(`${split}: extracted ${done}/${n} (${((performance.now() - start) / done).toFixed(1)} ms/image)`);
      }
    });
    points = ex.points;
    flags = ex.faceFlag;
    mkdirSync(dirname(cache), { recursive: true });
    const out = new Float32Array(n + points.length);
    out.set(flags, 0);
    out.set(points, n);
    writeFileSync(cache, Buffer.from(out.buffer));
  }
  const x: Float32Array[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    if ((flags[i] ?? 0) < MIN_FACE_FLAG) continue;
    const mesh = Array.from({ length: MESH_POINTS }, (_, p) => Array.from(points.subarray(i * per + p * 3, i * per + p * 3 + 3)));
    const f = meshFeatures(mesh);
    if (!f) continue;
    x.push(f);
    y.push(data.labels[i] ?? 0);
  }
  console.log(`${split}: ${x.length}/${n} valid meshes (${((100 * x.length) / n).toFixed(1)}%)`);
  return { x, y, total: n, extracted: x.length };
}

function standardize(train: Float32Array[]): { mean: Float32Array; std: Float32Array } {
  const d = FEATURE_COUNT;
  const mean = new Float32Array(d);
  const sq = new Float64Array(d);
  for (const x of train) for (let i = 0; i < d; i++) mean[i] = (mean[i] ?? 0) + (x[i] ?? 0) / train.length;
  for (const x of train) for (let i = 0; i < d; i++) sq[i] = (sq[i] ?? 0) + ((x[i] ?? 0) - (mean[i] ?? 0)) ** 2 / train.length;
  return { mean, std: Float32Array.from(sq, (v) => Math.sqrt(v) || 1) };
}

export async function trainFacemesh(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const t0 = performance.now();
  const train = await features("train", args.limit);
  const val = await features("publictest", args.limit);
  const tExtract = performance.now() - t0;
  const { mean, std } = standardize(train.x);
  const norm = (x: Float32Array) => Float32Array.from(x, (v, i) => (v - (mean[i] ?? 0)) / (std[i] ?? 1));
  const xs = train.x.map(norm);
  const vs = val.x.map(norm);
  const K = FER_ORDER.length;
  const D = FEATURE_COUNT;
  const H = args.hidden;
  // Class-balanced loss (inverse square-root frequency) so rare classes such as disgust count.
  const counts = new Array<number>(K).fill(0);
  for (const y of train.y) counts[y] = (counts[y] ?? 0) + 1;
  const cw = counts.map((c) => 1 / Math.sqrt(Math.max(1, c)));
  const cwMean = train.y.reduce((s, y) => s + (cw[y] ?? 0), 0) / train.y.length;
  const classWeight = cw.map((w) => w / cwMean);

  const rand = rng(args.seed);
  const size = mlpSize(D, H, K);
  const flat = new Float32Array(size);
  const m = mlpFromFlat(flat, D, H, K);
  const he = (fanIn: number) => () => (rand() * 2 - 1) * Math.sqrt(6 / fanIn);
  m.w1.forEach((_, i, a) => (a[i] = he(D)()));
  m.w2.forEach((_, i, a) => (a[i] = he(H)()));
  const grad = new Float32Array(size);
  const g = mlpFromFlat(grad, D, H, K);
  const m1 = new Float32Array(size);
  const m2 = new Float32Array(size);
  let step = 0;
  const batch = 128;
  const order = xs.map((_, i) => i);
  let best = { f1: -1, epoch: 0, acc: 0, params: new Float32Array(size) };
  const h = new Float32Array(H);
  const dh = new Float32Array(H);
  for (let epoch = 1; epoch <= args.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    let loss = 0;
    // Cosine learning-rate schedule: large steps early, small ones to settle at the end.
    const lr = args.lr * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / args.epochs));
    for (let b0 = 0; b0 < order.length; b0 += batch) {
      grad.fill(0);
      const idx = order.slice(b0, b0 + batch);
      for (const n of idx) {
        const x = xs[n] as Float32Array;
        const y = train.y[n] ?? 0;
        const w = (classWeight[y] ?? 1) / idx.length;
        const p = mlpForward(m, x, h);
        loss -= Math.log(Math.max(1e-9, p[y] ?? 0)) * w;
        dh.fill(0);
        for (let k = 0; k < K; k++) {
          const d = ((p[k] ?? 0) - (k === y ? 1 : 0)) * w;
          g.b2[k] = (g.b2[k] ?? 0) + d;
          for (let j = 0; j < H; j++) {
            g.w2[k * H + j] = (g.w2[k * H + j] ?? 0) + d * (h[j] ?? 0);
            dh[j] = (dh[j] ?? 0) + d * (m.w2[k * H + j] ?? 0);
          }
        }
        for (let j = 0; j < H; j++) {
          if ((h[j] ?? 0) <= 0) continue;
          const d = dh[j] ?? 0;
          g.b1[j] = (g.b1[j] ?? 0) + d;
          const row = j * D;
          for (let i = 0; i < D; i++) g.w1[row + i] = (g.w1[row + i] ?? 0) + d * (x[i] ?? 0);
        }
      }
      // AdamW.
      step++;
      const b1c = 1 - 0.9 ** step;
      const b2c = 1 - 0.999 ** step;
      for (let i = 0; i < size; i++) {
        const gi = grad[i] ?? 0;
        m1[i] = 0.9 * (m1[i] ?? 0) + 0.1 * gi;
        m2[i] = 0.999 * (m2[i] ?? 0) + 0.001 * gi * gi;
        flat[i] = (flat[i] ?? 0) * (1 - lr * args.decay) - (lr * ((m1[i] ?? 0) / b1c)) / (Math.sqrt((m2[i] ?? 0) / b2c) + 1e-8);
      }
    }
    const pred = vs.map((x) => argmax(mlpForward(m, x)));
    const mv = metrics(val.y, pred, K);
    console.log(`epoch ${epoch}: train loss ${(loss / Math.ceil(order.length / batch)).toFixed(4)}, publictest acc ${(100 * mv.accuracy).toFixed(1)}% macro-F1 ${mv.macroF1.toFixed(3)}`);
    if (mv.macroF1 > best.f1) best = { f1: mv.macroF1, epoch, acc: mv.accuracy, params: Float32Array.from(flat) };
  }
  const tTrain = performance.now() - t0 - tExtract;
  const bytes = Buffer.from(best.params.buffer);
  const meta: FacemeshMeta = {
    format: "open-expression/facemesh-mlp-v1",
    labels: FER_ORDER.map((l) => FER_TO_NAME[l]),
    inputs: D,
    hidden: H,
    mean: Array.from(mean),
    std: Array.from(std),
    weightsFile: "weights.bin",
    training: {
      data: "FER2013 train (fit) and publictest (epoch selection)",
      extraction: `Human facemesh model on each whole 48 px crop resized to 192 px; valid when face flag >= ${MIN_FACE_FLAG}`,
      train: { images: train.total, validMeshes: train.extracted },
      publictest: { images: val.total, validMeshes: val.extracted, accuracy: best.acc, macroF1: best.f1 },
      bestEpoch: best.epoch,
      args,
      classWeight,
      seconds: { extraction: Math.round(tExtract / 1000), training: Math.round(tTrain / 1000) },
      sha256: createHash("sha256").update(bytes).digest("hex"),
    },
  };
  mkdirSync(dirname(weightsPath("facemesh", "meta.json")), { recursive: true });
  writeFileSync(weightsPath("facemesh", "weights.bin"), bytes);
  writeFileSync(weightsPath("facemesh", "meta.json"), JSON.stringify(meta, null, 1) + "\n");
  console.log(`best epoch ${best.epoch}: publictest acc ${(100 * best.acc).toFixed(1)}% macro-F1 ${best.f1.toFixed(3)}; wrote weights/facemesh (${bytes.length} bytes)`);
}
