/**
 * Open Expression SDK: a typed client for the v0 streaming protocol, for Node and browsers.
 *
 *   const client = await ExpressionClient.connect({ url: "ws://127.0.0.1:8000", models: { language: {} } });
 *   const reply = await client.sendText("I love this");
 *   await client.close();
 */
export { ExpressionClient } from "./client.js";
export type { ConnectOptions, OutgoingRequest, ReconnectOptions, SendOptions, StreamReply } from "./client.js";
export { AuthenticationError, ConnectionError, ExpressionError, ProtocolViolationError, TimeoutError } from "./errors.js";
export type { FileInput } from "./encode.js";
export { DEFAULT_URL, normalizeUrl } from "./url.js";
export { ErrorCode, WarningCode } from "../protocol/errors.js";
export type {
  FaceConfig,
  FacePrediction,
  Granularity,
  LanguageConfig,
  LanguagePrediction,
  ModelName,
  ModelsConfig,
  PredictionsReply,
  TimedPrediction,
  FacemeshPrediction,
  EmotionScore,
} from "../protocol/wire.js";
