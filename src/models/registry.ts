/**
 * Which models this build has. Adding a model = one folder under models/ plus one line here.
 * Models that the protocol names but this build lacks are listed as unavailable, so the server
 * answers them with a coded error (E0901) instead of inventing output.
 */
import type { ModelName } from "../protocol/index.js";
import type { Model } from "./model.js";

/** Configs differ per model; the session has validated them against the wire schema already. */
export type AnyModel = Model<unknown, unknown>;

const loaders: Partial<Record<ModelName, () => Promise<AnyModel>>> = {
  language: async () => (await import("./language/index.js")).languageModel,
  face: async () => (await import("./face/index.js")).faceModel,
  facemesh: async () => (await import("./facemesh/index.js")).facemeshModel,
  prosody: async () => (await import("./prosody/index.js")).prosodyModel,
  burst: async () => (await import("./burst/index.js")).burstModel,
};

export function isAvailable(name: ModelName): boolean {
  return loaders[name] !== undefined;
}

export const AVAILABLE_MODELS = (Object.keys(loaders) as ModelName[]).sort();

export async function loadModel(name: ModelName): Promise<AnyModel> {
  const loader = loaders[name];
  if (!loader) throw new Error(`model ${name} is not available in this build`);
  const model = await loader();
  await model.load();
  return model;
}
