/**
 * The model contract, part two: what runs in each inference worker. A model is loaded once per
 * worker and then asked to predict on already-decoded input, so it never sees base64, sockets or
 * wire validation. Its types come from its descriptor (`descriptor.ts`): config and predictions
 * are exactly the wire's, so nothing between the model and the reply needs a cast.
 */
import type { z } from "zod";
import type { TimeSpan } from "../primitives.js";
import type { AnyDescriptor, CodedWarning, ModelDescriptor, ModelState } from "./descriptor.js";

export type { ModelState } from "./descriptor.js";

/** Decoded input handed to a model. Which kinds a model accepts is declared in its descriptor. */
export type ModelInput =
  | { kind: "text"; text: string }
  | {
      kind: "image";
      bytes: Uint8Array;
      /** Frame number within a video message (the "frames of a video" stage); absent for a still image. */
      frame?: number;
      /** Seconds from the start of the video; absent for a still image. */
      time?: number;
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
      /** Speech regions (Silero VAD) over `samples`, in stream time: set by the speech stage for models that declare it. */
      speech?: TimeSpan[];
    }
  | { kind: "facemesh"; faces: number[][][] };

export interface ModelResult<P, C = never> {
  predictions: P[];
  /** A warning instead of (or next to) predictions, e.g. W0103 no faces. */
  warning?: CodedWarning;
  /** For a video frame: what the model sends along with each prediction to its per-message step. */
  carry?: C[];
}

/** What a model's video frames send along to its per-message step (its descriptor's `Carry`). */
export type CarryOf<D> = D extends ModelDescriptor<string, z.ZodType, z.ZodType, infer C> ? C : never;

export interface Model<D extends AnyDescriptor> {
  readonly descriptor: D;
  /** Load weights. Called once per worker before the first predict. */
  load(): Promise<void>;
  /**
   * `state` is this model's per-connection state (e.g. face identities), owned by the session and
   * passed in with every call; a model keeps no per-connection data anywhere else.
   */
  predict(input: ModelInput, config: z.infer<D["config"]>, state: ModelState): Promise<ModelResult<z.infer<D["prediction"]>, CarryOf<D>>>;
}
