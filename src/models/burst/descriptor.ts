/** The `burst` model's declaration: no options, timed predictions of nonverbal vocalisations. */
import { warnings } from "../../protocol/errors.js";
import { EmptyConfig, timeCell, TimedPrediction } from "../../protocol/shapes.js";
import { defineModel } from "../descriptor.js";
import { BURST_EMOTIONS } from "./labels.js";

export const burst = defineModel({
  name: "burst",
  config: EmptyConfig,
  prediction: TimedPrediction,
  accepts: ["audio", "video"],
  labels: BURST_EMOTIONS,
  nothingFound: warnings.noBursts,
  stages: { speech: true },
  table: (predictions, cells) => ({
    head: ["#", "time (s)", cells.topHead],
    rows: predictions.map((p, i) => [String(i + 1), timeCell(p), cells.top(p.emotions)]),
  }),
});
