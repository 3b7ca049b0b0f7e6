/**
 * Loads @vladmandic/human on the tfjs wasm backend from local files only. Three things are
 * needed for that to work offline in Node (and inside worker threads):
 * 1. require the node-wasm build by absolute path: the package's default entry needs
 *    tfjs-node (not installable offline) and its `exports` map hides the subpath;
 * 2. point `wasmPath` at the local tfjs-backend-wasm binaries (the default is a CDN);
 * 3. register a `file://` load router on Human's own tfjs-core instance, because tfjs would
 *    otherwise `fetch()` model URLs, and Node's fetch cannot read file URLs.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Config, FaceResult, Human } from "@vladmandic/human";
import { packageRoot } from "../../package-paths.js";

export type { FaceResult, Human };

const modulesDir = join(packageRoot, "node_modules");
export const HUMAN_MODELS_DIR = join(modulesDir, "@vladmandic/human/models");
const HUMAN_BUILD = join(modulesDir, "@vladmandic/human/dist/human.node-wasm.js");
const WASM_DIR = join(modulesDir, "@tensorflow/tfjs-backend-wasm/dist");

/** The parts of tfjs-core this project touches (Human types `tf` as `any`). */
export interface Tensor {
  readonly shape: number[];
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dispose(): void;
}
export interface GraphModel {
  readonly inputs: { shape?: number[] }[];
  execute(input: Tensor): Tensor | Tensor[];
}
export interface Tf {
  tensor(values: Uint8Array | Int32Array | Float32Array, shape: number[], dtype?: "int32" | "float32"): Tensor;
  tidy<T extends Tensor | Tensor[]>(fn: () => T): T;
  expandDims(x: Tensor, axis?: number): Tensor;
  image: { resizeBilinear(x: Tensor, size: [number, number], alignCorners?: boolean): Tensor };
  mul(a: Tensor, b: Tensor): Tensor;
  sub(a: Tensor, b: Tensor): Tensor;
  div(a: Tensor, b: Tensor): Tensor;
  sum(x: Tensor, axis?: number, keepDims?: boolean): Tensor;
  scalar(value: number): Tensor;
  io: { registerLoadRouter(router: (url: string | string[]) => unknown): void };
  loadGraphModel(url: string): Promise<GraphModel>;
  engine(): { state: { numTensors: number } };
}

/** Options that make every call a fresh, independent analysis of one still image. */
export function humanConfig(maxFaces: number): Partial<Config> {
  return {
    backend: "wasm",
    wasmPath: WASM_DIR + "/",
    modelBasePath: pathToFileURL(HUMAN_MODELS_DIR).href + "/",
    debug: false,
    async: true,
    warmup: "none",
    // Human's frame cache would return the previous result for a similar frame: every message
    // must be measured on its own.
    cacheSensitivity: 0,
    cacheModels: false,
    validateModels: false,
    filter: { enabled: false, equalization: false, flip: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: maxFaces, minConfidence: 0.2, skipFrames: 0, skipTime: 0, return: true },
      mesh: { enabled: true },
      iris: { enabled: true },
      attention: { enabled: false },
      // Emotion runs in emotion.ts on the face crop Human returns (`detector.return`), to get
      // full-precision scores (Human truncates to 2 decimals and caps at 0.99).
      emotion: { enabled: false },
      description: { enabled: true, minConfidence: 0, skipFrames: 0, skipTime: 0 },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      gear: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    gesture: { enabled: false },
  } as Partial<Config>;
}

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: unknown;
  modelInitializer?: unknown;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
}

/** Reads a tfjs graph model (model.json + shards) from disk into tfjs ModelArtifacts. */
export function loadModelArtifacts(modelJsonPath: string): Record<string, unknown> {
  const json = JSON.parse(readFileSync(modelJsonPath, "utf8")) as ModelJson;
  const dir = dirname(modelJsonPath);
  const weightSpecs: unknown[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(readFileSync(join(dir, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
    weightSpecs,
    weightData,
  };
}

function fileRouter(url: string | string[]): unknown {
  const u = Array.isArray(url) ? url[0] : url;
  if (typeof u !== "string" || !u.startsWith("file://")) return null;
  const path = fileURLToPath(u);
  return { load: async () => loadModelArtifacts(path) };
}

let instance: Promise<Human> | undefined;
let bare: Promise<Human> | undefined;

/** Faces per image; the protocol's facemesh limit is 10 faces, and images follow the same cap. */
export const MAX_FACES = 10;

export function tfOf(human: Human): Tf {
  return human.tf as Tf;
}

/** Loads one of Human's bundled graph models by name, through the file router. */
export async function loadHumanModel(human: Human, name: string): Promise<GraphModel> {
  return tfOf(human).loadGraphModel(pathToFileURL(join(HUMAN_MODELS_DIR, `${name}.json`)).href);
}

async function startHuman(config: Partial<Config>): Promise<Human> {
  const require = createRequire(import.meta.url);
  const mod = require(HUMAN_BUILD) as { Human: new (config: Partial<Config>) => Human };
  const human = new mod.Human(config);
  (human.tf as Tf).io.registerLoadRouter(fileRouter);
  await human.load();
  await human.tf.ready();
  if (human.tf.getBackend() !== "wasm") throw new Error(`Human started on backend ${String(human.tf.getBackend())}, expected wasm`);
  return human;
}

/**
 * One Human per thread (each worker thread has its own module instance and wasm memory) with its
 * face pipeline: the training and evaluation scripts that extract Human's meshes use it.
 */
export function getHuman(maxFaces = MAX_FACES): Promise<Human> {
  instance ??= startHuman(humanConfig(maxFaces));
  instance.catch(() => {
    instance = undefined;
  });
  return instance;
}

/**
 * Human's tfjs runtime with none of its models loaded: the server only borrows single graph
 * models from it (the face descriptor, see faceres.ts) and runs its own face pipeline.
 */
export function getBareHuman(): Promise<Human> {
  bare ??= startHuman({ ...humanConfig(MAX_FACES), face: { enabled: false } } as Partial<Config>);
  bare.catch(() => {
    bare = undefined;
  });
  return bare;
}
