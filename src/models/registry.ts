/**
 * Which models this build can run, and how a worker loads each (the model code stays out of the
 * main thread and out of the browser). Adding a model: one line here, after its descriptor is in
 * `catalog.ts`; the compiler asks for the line. A model the protocol names but this build lacks
 * is `undefined`, so the server answers it with a coded error (E0901) instead of inventing output.
 */
import { MODEL_NAMES, type DescriptorOf, type ModelName } from "./catalog.js";
import type { Model } from "./model.js";

type Loaders = { [K in ModelName]: (() => Promise<Model<DescriptorOf<K>>>) | undefined };

const loaders: Loaders = {
  face: async () => (await import("./face/index.js")).faceModel,
  language: async () => (await import("./language/index.js")).languageModel,
  prosody: async () => (await import("./prosody/index.js")).prosodyModel,
  burst: async () => (await import("./burst/index.js")).burstModel,
  facemesh: async () => (await import("./facemesh/index.js")).facemeshModel,
};

export const AVAILABLE_MODELS: ModelName[] = MODEL_NAMES.filter((m) => loaders[m] !== undefined).sort();

export async function loadModel<K extends ModelName>(name: K): Promise<Model<DescriptorOf<K>>> {
  const loader: Loaders[K] = loaders[name];
  if (!loader) throw new Error(`model ${name} is not available in this build`);
  const model = await loader();
  await model.load();
  return model;
}

export function isAvailable(name: ModelName): boolean {
  return loaders[name] !== undefined;
}
