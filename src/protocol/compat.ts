/** Which media each model accepts, derived from the model catalogue (E0102 otherwise). */
export { MODEL_ACCEPTS } from "../models/catalog.js";
export type { MediaKind } from "../models/descriptor.js";
