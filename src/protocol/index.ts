export * from "./wire.js";
export * from "./errors.js";
export * from "./labels.js";
export * from "./compat.js";
