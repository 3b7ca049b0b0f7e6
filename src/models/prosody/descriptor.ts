/** The `prosody` model's declaration: no options, timed predictions over VAD speech regions. */
import { warnings } from "../../protocol/errors.js";
import { EmptyConfig, timeCell, TimedPrediction } from "../../protocol/shapes.js";
import { defineModel } from "../descriptor.js";
import { PROSODY_LABELS } from "./labels.js";

export const prosody = defineModel({
  name: "prosody",
  config: EmptyConfig,
  prediction: TimedPrediction,
  accepts: ["audio", "video"],
  labels: PROSODY_LABELS,
  nothingFound: warnings.noSpeech,
  stages: { speech: true },
  table: (predictions, cells) => ({
    head: ["#", "time (s)", cells.topHead],
    rows: predictions.map((p, i) => [String(i + 1), timeCell(p), cells.top(p.emotions)]),
  }),
});
