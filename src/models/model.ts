/**
 * The one interface every model implements. A model is loaded once per inference worker
 * and then asked to predict on already-decoded input, so it never sees base64, sockets or
 * wire validation. Keep this file small: it is the extension point for new models.
 */

export interface EmotionScore {
  name: string;
  score: number;
}

/** Decoded input handed to a model. Which kinds a model accepts is declared in `accepts`. */
export type ModelInput =
  | { kind: "text"; text: string }
  | {
      kind: "image";
      bytes: Uint8Array;
      /** Frame number within a video message; absent (0 on the wire) for a still image. */
      frame?: number;
      /** Seconds from the start of the video; absent (null on the wire) for a still image. */
      time?: number;
      /**
       * The caller gives out face ids itself (a video's frames run in parallel, and ids must
       * follow frame order): predictions carry their face descriptor instead (face model only).
       */
      deferIdentity?: boolean;
    }
  | {
      /**
       * One message's audio in stream time (seconds of audio received on the connection since
       * it opened or since the last reset_stream). Audio models report predictions whose
       * `time {begin, end}` overlaps the new audio [newSec, startSec + samples.length / sampleRate].
       */
      kind: "audio";
      /** Mono samples: window context from earlier messages, then this message's new audio. */
      samples: Float32Array;
      sampleRate: number;
      /** stream time (s) of samples[0] */
      startSec: number;
      /** stream time (s) where this message's new audio begins; samples before it are context from earlier messages */
      newSec: number;
      /** speech/non-speech regions from Silero VAD over `samples`, in stream time */
      speech: { begin: number; end: number }[];
    }
  | { kind: "facemesh"; faces: number[][][] };

export type InputKind = ModelInput["kind"];

/** A warning a model returns instead of (or next to) predictions, e.g. W0103 no faces. */
export interface ModelWarning {
  code: string;
  message: string;
}

export interface ModelResult<P> {
  predictions: P[];
  warning?: ModelWarning;
}

/**
 * Per-connection state a model may read and update (face identities, audio context).
 * It is owned by the session and passed in with every call; models must not keep
 * per-connection data anywhere else, so nothing leaks between connections.
 */
export type SessionState = Record<string, unknown>;

export interface Model<Config, Prediction> {
  /** Wire name of the model, e.g. "language". */
  readonly name: string;
  /** Input kinds this model accepts; the session checks this before calling predict (E0102). */
  readonly accepts: readonly InputKind[];
  /** The emotion label set, in output order. */
  readonly labels: readonly string[];
  /** Load weights. Called once per worker before the first predict. */
  load(): Promise<void>;
  predict(input: ModelInput, config: Config, state: SessionState): Promise<ModelResult<Prediction>>;
}
