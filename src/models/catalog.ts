/**
 * Every model of the protocol, by wire name, in reply order: the one list the protocol, the
 * server, the CLI and the SDK derive from (`MODEL_NAMES`, `ModelsConfig`, the reply type, the
 * accepted-media table, the CLI tables). Browser-safe: descriptors only, no model code.
 * Adding a model: its folder, one line here, and its loader in `registry.ts` (ARCHITECTURE.md).
 */
import type { z } from "zod";
import { burst } from "./burst/descriptor.js";
import type { AnyDescriptor, MediaKind, ModelDescriptor } from "./descriptor.js";
import type { CarryOf } from "./model.js";
import { face } from "./face/descriptor.js";
import { facemesh } from "./facemesh/descriptor.js";
import { language } from "./language/descriptor.js";
import { prosody } from "./prosody/descriptor.js";

/** A catalogue whose every key is its descriptor's wire name (checked by the compiler). */
function catalogue<T extends { [K in keyof T]: AnyDescriptor & { name: K } }>(models: T): T {
  return models;
}

export const MODELS = catalogue({ face, language, prosody, burst, facemesh });

export type ModelName = keyof typeof MODELS;
export type DescriptorOf<K extends ModelName> = (typeof MODELS)[K];
/** A model's `models.<name>` options after validation. */
export type ConfigOf<K extends ModelName> = z.infer<DescriptorOf<K>["config"]>;
/** One prediction of the model, as on the wire. */
export type PredictionOf<K extends ModelName> = z.infer<DescriptorOf<K>["prediction"]>;

/** Wire names in reply order. */
export const MODEL_NAMES: readonly ModelName[] = Object.values(MODELS).map((d) => d.name);

/** A model's descriptor with its types spelled through its name, so generic code keeps them apart. */
export type DescriptorFor<K extends ModelName> = ModelDescriptor<K, DescriptorOf<K>["config"], DescriptorOf<K>["prediction"], CarryOf<DescriptorOf<K>>>;

/** The descriptor of `name`, typed for that model. */
export function descriptorOf<K extends ModelName>(name: K): DescriptorFor<K> {
  // The one place the compiler needs telling: `catalogue` checked that every key holds the
  // descriptor of that name, but TypeScript cannot carry that fact to a generic K.
  return MODELS[name] as DescriptorFor<K>;
}

/** One value per model, keyed by wire name, in reply order. */
export function mapModels<V>(value: (descriptor: DescriptorOf<ModelName>) => V): Record<ModelName, V> {
  // The keys are exactly ModelName: MODELS is keyed by them (see `catalogue`).
  return Object.fromEntries(Object.values(MODELS).map((d) => [d.name, value(d)])) as Record<ModelName, V>;
}

/** Which detected media each model accepts (E0102 otherwise). */
export const MODEL_ACCEPTS: Readonly<Record<ModelName, readonly MediaKind[]>> = mapModels((d) => d.accepts);
