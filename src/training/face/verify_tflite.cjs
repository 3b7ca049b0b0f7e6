/**
 * Checks the converted ONNX models against the original TFLite files, tensor by tensor, on real
 * inputs: the face-api sample photos letterboxed to 128 px (detector) and face crops at 256 px
 * (landmarks). Runs the .tflite with @tensorflow/tfjs-tflite, which is not a dependency of the
 * project: install it in a scratch folder and pass that folder.
 *
 *   mkdir /tmp/tflite && cd /tmp/tflite && npm init -y && npm install --legacy-peer-deps \
 *     @tensorflow/tfjs-tflite@0.0.1-alpha.10 @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0
 *   node src/training/face/verify_tflite.cjs /tmp/tflite ../shared/models/mediapipe-face-landmarker/face_landmarker.task
 *
 * tfjs-tflite is written for browsers; the globals below (a worker-like `self`, `importScripts`
 * that evaluates its loader with the .wasm bytes read from disk, no SharedArrayBuffer so it picks
 * the single-threaded build) are what it needs in Node, and why this script is a separate,
 * CommonJS process.
 */
const { readFileSync } = require("node:fs");
const { join, basename, resolve } = require("node:path");
const { createRequire } = require("node:module");
const zlib = require("node:zlib");

const [scratch, task] = process.argv.slice(2);
if (!scratch || !task) {
  console.error("usage: node verify_tflite.cjs <folder with @tensorflow/tfjs-tflite> <face_landmarker.task>");
  process.exit(2);
}
const repo = resolve(__dirname, "../../..");
const scratchRequire = createRequire(join(resolve(scratch), "package.json"));
const repoRequire = createRequire(join(repo, "package.json"));
const wasmDir = join(resolve(scratch), "node_modules/@tensorflow/tfjs-tflite/wasm");

/** The two members of the .task zip (stored or deflated), without a zip library. */
function zipMember(zipBytes, name) {
  const eocd = zipBytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zipBytes.readUInt16LE(eocd + 10);
  let p = zipBytes.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    const method = zipBytes.readUInt16LE(p + 10);
    const size = zipBytes.readUInt32LE(p + 20);
    const nameLen = zipBytes.readUInt16LE(p + 28);
    const extra = zipBytes.readUInt16LE(p + 30);
    const comment = zipBytes.readUInt16LE(p + 32);
    const local = zipBytes.readUInt32LE(p + 42);
    if (zipBytes.toString("utf8", p + 46, p + 46 + nameLen) === name) {
      const start = local + 30 + zipBytes.readUInt16LE(local + 26) + zipBytes.readUInt16LE(local + 28);
      const data = zipBytes.subarray(start, start + size);
      return method === 0 ? data : zlib.inflateRawSync(data);
    }
    p += 46 + nameLen + extra + comment;
  }
  throw new Error(`${name} not in ${task}`);
}

async function loadTflite() {
  globalThis.self = globalThis;
  globalThis.location = { href: `file://${wasmDir}/`, origin: "file://" };
  globalThis.navigator = { userAgent: "node", hardwareConcurrency: 1 };
  globalThis.importScripts = (url) => {
    const file = join(wasmDir, basename(url));
    const code = readFileSync(file, "utf8");
    new Function("require", "__dirname", "__filename", `${code}\nself.tflite_web_api_ModuleFactory = tflite_web_api_ModuleFactory;`)(require, wasmDir, file);
    const factory = globalThis.tflite_web_api_ModuleFactory;
    const wasmBinary = readFileSync(file.replace(/\.js$/, ".wasm"));
    globalThis.tflite_web_api_ModuleFactory = (opts) => factory({ ...opts, wasmBinary });
  };
  const sab = globalThis.SharedArrayBuffer;
  delete globalThis.SharedArrayBuffer;
  const tf = scratchRequire("@tensorflow/tfjs-core");
  scratchRequire("@tensorflow/tfjs-backend-cpu");
  const tflite = scratchRequire("@tensorflow/tfjs-tflite");
  tflite.setWasmPath(`${wasmDir}/`);
  await tf.setBackend("cpu");
  const zipBytes = readFileSync(task);
  const load = async (member) => {
    const bytes = zipMember(zipBytes, member);
    return tflite.loadTFLiteModel(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), { numThreads: 1 });
  };
  const models = { detector: await load("face_detector.tflite"), landmarks: await load("face_landmarks_detector.tflite") };
  globalThis.SharedArrayBuffer = sab;
  return { tf, models };
}

async function main() {
  const { tf, models } = await loadTflite();
  const ort = repoRequire("onnxruntime-node");
  const sharp = repoRequire("sharp");
  const onnx = {
    detector: await ort.InferenceSession.create(join(repo, "weights/face-landmarker/face_detector.onnx"), { intraOpNumThreads: 1 }),
    landmarks: await ort.InferenceSession.create(join(repo, "weights/face-landmarker/face_landmarks_detector.onnx"), { intraOpNumThreads: 1 }),
  };
  const stats = {};
  const compare = async (which, input, side) => {
    const x = tf.tensor(input, [1, side, side, 3]);
    const raw = models[which].predict(x);
    const tfl = {};
    for (const [k, v] of Object.entries(raw.dataSync ? { out: raw } : raw)) tfl[k] = { data: v.dataSync(), shape: v.shape };
    const o = await onnx[which].run({ [onnx[which].inputNames[0]]: new ort.Tensor("float32", input, [1, side, side, 3]) });
    for (const name of onnx[which].outputNames) {
      // Match outputs by element count and then by name (tfjs-tflite names them by signature).
      const ours = o[name].data;
      const candidates = Object.entries(tfl).filter(([, t]) => t.data.length === ours.length);
      const [key, t] = candidates.find(([k]) => k === name) ?? candidates[0] ?? [];
      if (!t) throw new Error(`${which}: no TFLite output of ${ours.length} values for ${name}`);
      if (candidates.length > 1 && key !== name) continue; // ambiguous 1-value outputs without names
      const s = (stats[`${which}/${name}`] ??= { max: 0, sum: 0, n: 0, scale: 0 });
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs(ours[i] - t.data[i]);
        s.max = Math.max(s.max, d);
        s.sum += d;
        s.scale = Math.max(s.scale, Math.abs(t.data[i]));
      }
      s.n += ours.length;
    }
    x.dispose();
  };
  const sampleDir = join(repo, "node_modules/@vladmandic/face-api/demo");
  for (let n = 1; n <= 6; n++) {
    const file = join(sampleDir, `sample${n}.jpg`);
    // Detector: the whole photo letterboxed into 128 px, values in [-1, 1].
    const det = await sharp(file).rotate().resize(128, 128, { fit: "contain", background: "#000" }).removeAlpha().raw().toBuffer();
    await compare("detector", Float32Array.from(det, (v) => v / 127.5 - 1), 128);
    // Landmarks: a square crop around the centre of the photo at 256 px, values in [0, 1].
    const meta = await sharp(file).metadata();
    const side = Math.min(meta.width, meta.height) / 2;
    const crop = await sharp(file).rotate().extract({ left: Math.round(meta.width / 2 - side / 2), top: Math.round(meta.height / 4), width: Math.round(side), height: Math.round(side) }).resize(256, 256).removeAlpha().raw().toBuffer();
    await compare("landmarks", Float32Array.from(crop, (v) => v / 255), 256);
  }
  for (const [k, s] of Object.entries(stats)) console.log(`${k}: ${s.n} values, max |diff| ${s.max.toExponential(2)}, mean |diff| ${(s.sum / s.n).toExponential(2)}, max |value| ${s.scale.toFixed(2)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
