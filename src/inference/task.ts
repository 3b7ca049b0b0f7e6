import type { ModelInput, ModelResult, SessionState } from "../models/model.js";
import type { ModelName } from "../protocol/index.js";

/** What crosses the thread boundary: plain, structured-cloneable data only. */
export interface InferenceTask {
  model: ModelName;
  input: ModelInput;
  config: unknown;
  state: SessionState;
}

export interface InferenceResult {
  result: ModelResult<unknown>;
  /**
   * A coded protocol error raised by the model (e.g. E0200 for an image that fails to decode).
   * Errors lose their class crossing the thread boundary, so the code travels as data.
   */
  error?: { code: string; message: string };
  /** The session state as the model left it; the session keeps it for the next message. */
  state: SessionState;
  /** Time spent inside the model, for metrics and benchmarks. */
  modelMs: number;
}
