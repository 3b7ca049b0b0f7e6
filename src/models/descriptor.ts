/**
 * The model contract, part one: what a model declares about itself, in one place that the
 * protocol (wire schemas, accepted media), the server (pipeline stages), the CLI (tables) and the
 * SDK all read. A descriptor is plain data plus pure functions over wire types, so it stays
 * importable in a browser; what runs in the inference workers is part two (`model.ts`).
 */
import type { z } from "zod";
import type { EmotionScore } from "../primitives.js";

/** Media kinds of the protocol, as named in E0102 messages. Video carries frames and sound. */
export type MediaKind = "text" | "image" | "audio" | "video" | "facemesh";

/** A coded warning: the wording lives in the protocol's catalogue (`protocol/errors.ts`). */
export interface CodedWarning {
  code: string;
  message: string;
}

/** Per-connection state of one model (e.g. face identities), kept by the session between messages. */
export type ModelState = Record<string, unknown>;

/** One video frame's outcome, handed to a model's per-message step. */
export interface FrameOutcome<P, C> {
  /** The decoder's scale of this frame: frame pixels = video pixels x scale. */
  scale: number;
  predictions: P[];
  /** What the model sent along with each prediction for the per-message step (same order). */
  carry?: C[];
}

/**
 * "Frames of a video": the pipeline samples the frames and runs the model on each as an image
 * (with `frame` and `time` set), up to one frame per worker thread at a time.
 */
export interface VideoFramesStage<Config, P, C> {
  /** Frames per second to sample, from the model's config; null/undefined = the decoder's default. */
  fps(config: Config): number | null | undefined;
  /**
   * Runs once per message on the main thread, after all frames, with the connection's state for
   * this model: the frames in order, exactly as if they had been measured one after another.
   */
  finish(frames: readonly FrameOutcome<P, C>[], config: Config, state: ModelState): P[];
}

/** Helpers the CLI hands to a model's table, so every table formats scores and text alike. */
export interface TableCells {
  /** The top N scores, one per line ("Joy 0.823"); N is the CLI's --top. */
  top(scores: readonly EmotionScore[], n?: number): string;
  /** Text cut to the CLI's width, whitespace flattened. */
  text(text: string): string;
  /** Header of the top-scores column, e.g. "top 3 emotions". */
  topHead: string;
}

export interface ModelDescriptor<
  Name extends string = string,
  Config extends z.ZodType = z.ZodType,
  Prediction extends z.ZodType = z.ZodType,
  Carry = unknown,
> {
  /** Wire name: the key in `models` and in the reply. */
  readonly name: Name;
  /** The model's `models.<name>` options (validated at the edge; unknown fields stripped). */
  readonly config: Config;
  /** One prediction as it appears on the wire. */
  readonly prediction: Prediction;
  /** Media kinds the model accepts (E0102 otherwise). */
  readonly accepts: readonly MediaKind[];
  /** The label set of `emotions`, in output order. */
  readonly labels: readonly string[];
  /** The warning a reply carries when the model found nothing to measure. */
  readonly nothingFound: CodedWarning;
  /** Stages the pipeline runs for this model. */
  readonly stages?: {
    /** Speech regions (VAD) over the audio window, computed in the same worker task as the model. */
    readonly speech?: true;
    /** Frames of a video, run one by one, then a per-message step on the main thread. */
    readonly videoFrames?: VideoFramesStage<z.infer<Config>, z.infer<Prediction>, Carry>;
  };
  /** The CLI table (a header, one row per prediction); absent = the generic one (row number, top scores). */
  table?(predictions: readonly z.infer<Prediction>[], cells: TableCells): { head: string[]; rows: string[][] };
}

/**
 * Any descriptor, whatever its types (for lists and lookups). Stages and tables are declared as
 * methods, so a specific descriptor is assignable to this wider type.
 */
export type AnyDescriptor = ModelDescriptor;

/** Declares a model; the identity function gives the descriptor its exact literal types. */
export function defineModel<const Name extends string, Config extends z.ZodType, Prediction extends z.ZodType, Carry = never>(
  descriptor: ModelDescriptor<Name, Config, Prediction, Carry>,
): ModelDescriptor<Name, Config, Prediction, Carry> {
  return descriptor;
}
