/**
 * Worker-side stages: what a model declares it needs from the pipeline (`stages` in its
 * descriptor), computed once per task for every model of the task that declared it.
 */
import { detectSpeech } from "../audio-analysis/vad/silero.js";
import type { ModelInput } from "../models/model.js";
import { MODEL_NAMES, MODELS, type ModelName } from "../models/catalog.js";
import type { ModelJobs } from "./task.js";

/** The task's input with the declared stages' outputs added (speech regions for audio). */
export async function withStages(input: ModelInput, jobs: ModelJobs): Promise<ModelInput> {
  const speech = input.kind === "audio" && input.speech === undefined && MODEL_NAMES.some((m) => jobs[m] && needsSpeech(m));
  if (!speech) return input;
  return { ...input, speech: await detectSpeech(input.samples, input.startSec) };
}

/** The input one model sees: stage outputs only for the models that declared them. */
export function inputFor(input: ModelInput, model: ModelName): ModelInput {
  if (input.kind !== "audio" || input.speech === undefined || needsSpeech(model)) return input;
  const { speech: _speech, ...rest } = input;
  return rest;
}

function needsSpeech(model: ModelName): boolean {
  return MODELS[model].stages?.speech === true;
}
