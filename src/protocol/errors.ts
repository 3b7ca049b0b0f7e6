/**
 * Error and warning codes. E01xx/E02xx and W01xx are the official v0 codes; E09xx and W09xx are
 * Open Expression extensions for situations the hosted service never had (a model missing from
 * this build, an overloaded self-hosted box). Messages follow the official wording where known.
 */

export const ErrorCode = {
  /** The frame is not valid JSON. */
  InvalidJson: "E0100",
  /** The payload has a bad shape, a bad field, or no models configured. */
  InvalidPayload: "E0101",
  /** A configured model does not accept the detected media type. */
  IncompatibleModel: "E0102",
  /** The media bytes are not a format we know. */
  UnknownMediaFormat: "E0200",
  /** `data` is not valid base64. */
  InvalidBase64: "E0201",
  /** Audio models were requested but there is no audio signal. */
  NoAudioSignal: "E0202",
  AudioTooLong: "E0203",
  VideoTooLong: "E0204",
  ImageTooLarge: "E0205",
  /** Recalled (not sourced) official code for text over the character limit. */
  TextTooLong: "E0206",
  /** Extension: the model is part of the protocol but not available in this build. */
  ModelUnavailable: "E0901",
  /** Extension: the server is over its queue limits; retry later. */
  Overloaded: "E0902",
  /** Extension: the model failed on this input; the connection stays usable. */
  InferenceFailed: "E0903",
  /** Extension: the API key sent more messages per second than its rate limit; this one was not processed. */
  RateLimited: "E0904",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
/** For codes that crossed a thread boundary as plain strings. */
export function isErrorCode(code: string): code is ErrorCode {
  return ERROR_CODES.has(code);
}

export const WarningCode = {
  NoBursts: "W0101",
  NoFacemesh: "W0102",
  NoFaces: "W0103",
  /** No language to measure (empty or whitespace-only text). */
  NoText: "W0104",
  NoSpeech: "W0105",
  /** Extension: a requested sub-output (e.g. toxicity) is not available in this build. */
  FeatureUnavailable: "W0901",
} as const;
export type WarningCode = (typeof WarningCode)[keyof typeof WarningCode];

/** An error that ends one message (never the connection); `toWire` turns it into a reply. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

/**
 * The wording of every message the server sends, in one catalogue: errors (`messages`, by
 * situation) and the warnings models return (`warnings`, code and text together).
 */
export const messages = {
  invalidJson: (detail: string) => `Failed to parse the request as JSON: ${detail}`,
  notAnObject: () => "The request must be a JSON object.",
  invalidField: (where: string, detail: string) => `Invalid field '${where}': ${detail}.`,
  noData: () => "The payload has no 'data' to measure.",
  noModels: () => "No models configured: send a 'models' object such as {\"language\": {}} with the first message.",
  inferenceFailed: () => "The model failed on this input. The connection is still usable; details are in the server log.",
  connectionQueueFull: () =>
    "Too many messages are waiting on this connection; this one was not processed. Wait for replies before sending more.",
  poolQueueFull: () => "The server is busy: too many messages are waiting for a model. Retry shortly.",
  incompatibleModel: (model: string, detected: string) =>
    `Streaming payload configured with model type '${model}', which is not supported for the detected file type '${detected}'.`,
  audioTooLong: (limitMs: number) =>
    `Your audio file was too long. The limit is ${limitMs} milliseconds.`,
  videoTooLong: (limitMs: number) =>
    `Your video file was too long. The limit is ${limitMs} milliseconds. Send frames as images instead.`,
  imageTooLarge: (w: number, h: number) =>
    `Your image file was too large. The limit is ${w.toLocaleString("en-US")} x ${h.toLocaleString("en-US")} pixels.`,
  textTooLong: (limit: number) =>
    `Your text was too long. The limit is ${limit.toLocaleString("en-US")} characters.`,
  invalidBase64: () =>
    "Failed to decode the data as base64. Use raw_text to pass raw text.",
  imageHeaderUnreadable: () => "The image header could not be read.",
  imageEmpty: () => "The image is empty (zero bytes).",
  imageTooLargeToDecode: (why: string) => `Your image file was too large to decode (${why}).`,
  imageUndecodable: (why: string) => `The image could not be decoded; it may be truncated or corrupt (${why}).`,
  videoWithoutVideoStream: () => "The video could not be decoded: it has no video stream.",
  videoWithoutFrames: () => "The video could not be decoded: no frames.",
  noAudioSignal: (why: string) => `No audio signal could be inferred from the payload (${why}), but audio models were configured.`,
  decodeTimedOut: (what: string, detail: string) => `Decoding the ${what} timed out (${detail}); the file may be damaged.`,
  undecodable: (what: string) => `The ${what} could not be decoded.`,
  invalidFacemesh: (why: string) => `Invalid facemesh data: ${why}.`,
  unknownMedia: () =>
    "Failed to parse the data into a known file format (text, image, audio, video or facemesh JSON).",
  modelUnavailable: (model: string) =>
    `The '${model}' model is not available in this build of Open Expression.`,
  serverQueueFull: (limit: number) =>
    `The server is busy: ${limit.toLocaleString("en-US")} messages are already waiting across all connections; this one was not processed. Retry shortly.`,
  shuttingDown: () =>
    "The server is shutting down; this message was not processed. Reconnect and send it again.",
  rateLimited: (perSecond: number) =>
    `Too many messages for this API key (limit ${perSecond} per second); this one was not processed. Slow down and retry.`,
} as const;

/** Warnings a model returns when it found nothing to measure (or a sub-output is missing). */
export const warnings = {
  noBursts: { code: WarningCode.NoBursts, message: "No vocal bursts could be detected." },
  noFacemesh: { code: WarningCode.NoFacemesh, message: "No facemeshes could be detected." },
  noFaces: { code: WarningCode.NoFaces, message: "No faces could be detected." },
  noText: { code: WarningCode.NoText, message: "No text could be found in the payload." },
  noSpeech: { code: WarningCode.NoSpeech, message: "No speech could be detected." },
  /** Toxicity labels with training data are scored; Hume's others are named, never guessed. */
  toxicityPartial: (reported: readonly string[], unsupported: readonly string[]) => ({
    code: WarningCode.FeatureUnavailable,
    message: `Toxicity reports ${reported.join(" and ")} only; ${unsupported.join(", ")} have no training data in this build and are not scored.`,
  }),
} as const;
