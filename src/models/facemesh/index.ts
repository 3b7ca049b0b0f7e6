/**
 * The `facemesh` model: expression from face-mesh geometry alone (no pixels). Each face of the
 * payload gets `{emotions}`; degenerate meshes are skipped, and W0102 is returned when no face
 * is usable. See MODEL_CARD.md.
 */
import { roundScore } from "../../primitives.js";
import type { Model, ModelInput, ModelResult } from "../model.js";
import { loadFacemeshClassifier, type FacemeshClassifier } from "./classifier.js";
import { facemesh, type FacemeshPrediction } from "./descriptor.js";
import { meshFeatures } from "./features.js";

let classifier: FacemeshClassifier | undefined;

export const facemeshModel: Model<typeof facemesh> = {
  descriptor: facemesh,
  async load() {
    classifier ??= await loadFacemeshClassifier();
  },
  async predict(input: ModelInput): Promise<ModelResult<FacemeshPrediction>> {
    if (input.kind !== "facemesh") throw new Error(`facemesh model got ${input.kind} input`);
    classifier ??= await loadFacemeshClassifier();
    const c = classifier;
    const predictions: FacemeshPrediction[] = [];
    for (const face of input.faces) {
      const features = meshFeatures(face);
      if (!features) continue;
      const probs = c.probs(features);
      const emotions = c.labels.map((name, i) => ({ name, score: roundScore(probs[i] ?? 0) }));
      predictions.push({ emotions: emotions.sort((a, b) => a.name.localeCompare(b.name)) });
    }
    if (predictions.length === 0) {
      return { predictions, warning: facemesh.nothingFound };
    }
    return { predictions };
  },
};
