/** The `facemesh` model's declaration: expression from client-sent face meshes; the generic CLI table. */
import { z } from "zod";
import { EmotionScore } from "../../primitives.js";
import { warnings } from "../../protocol/errors.js";
import { EmptyConfig } from "../../protocol/shapes.js";
import { defineModel } from "../descriptor.js";
import { FACEMESH_EMOTION_LABELS } from "./labels.js";

export const FacemeshPrediction = z.object({ emotions: z.array(EmotionScore) });
export type FacemeshPrediction = z.infer<typeof FacemeshPrediction>;

export const facemesh = defineModel({
  name: "facemesh",
  config: EmptyConfig,
  prediction: FacemeshPrediction,
  accepts: ["facemesh"],
  // Trained on the face model's FER2013 classes (MODEL_CARD.md), reported under the same names.
  labels: FACEMESH_EMOTION_LABELS,
  nothingFound: warnings.noFacemesh,
});
