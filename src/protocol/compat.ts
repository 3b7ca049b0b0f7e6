import type { ModelName } from "./wire.js";

/** Media types of the protocol, as named in E0102 messages. */
export type MediaKind = "text" | "image" | "audio" | "video" | "facemesh";

/** Which detected media each model accepts (E0102 otherwise). Video carries frames and sound. */
export const MODEL_ACCEPTS: Record<ModelName, readonly MediaKind[]> = {
  face: ["image", "video"],
  language: ["text"],
  prosody: ["audio", "video"],
  burst: ["audio", "video"],
  facemesh: ["facemesh"],
};
