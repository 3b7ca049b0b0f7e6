/**
 * Runs one message's decoded media through its models, by what each declares: inputs that
 * several models read go to one worker task (with the stages they declare, e.g. speech regions);
 * a video's frames run one by one through the models that declare the frames stage, followed by
 * their per-message step here on the main thread. Knows no model by name.
 */
import type { StreamWindow } from "../media/audio.js";
import type { VideoFrame } from "../media/video.js";
import { descriptorOf, type ConfigOf, type DescriptorOf, type ModelName, type PredictionOf } from "../models/catalog.js";
import type { FrameOutcome, ModelState } from "../models/descriptor.js";
import type { CarryOf, ModelInput, ModelResult } from "../models/model.js";
import { putJob, type JobResults, type ModelJobs, type ModelRunner } from "../inference/task.js";
import { isErrorCode, ProtocolError, type ModelBlock, type ModelsConfig } from "../protocol/index.js";
import { AUDIO_SAMPLE_RATE } from "../primitives.js";
import { takesSound, type Decoded, type VideoFrames } from "./decode.js";

/** Each requested model's block of the reply. */
export type Blocks = { [K in ModelName]?: ModelBlock<PredictionOf<K>> };

/** What the pipeline needs from the connection: the pool, and the state that lives there. */
export interface PipelineContext {
  runner: ModelRunner;
  /** The connection's state for one model (kept between messages; never shared across connections). */
  stateOf(model: ModelName): ModelState;
  setState(model: ModelName, state: ModelState): void;
  /** This message's audio window given its new sound; moves stream time. */
  pushAudio(sound: Float32Array): StreamWindow;
}

export async function runModels(decoded: Decoded, models: readonly ModelName[], config: ModelsConfig, ctx: PipelineContext): Promise<Blocks> {
  // Only audio that reaches the models enters the stream (and moves stream time): a video's
  // sound waits until its frames have decoded too, so a message answered with a decoding error
  // never moves stream time. Meanwhile the frames already run through their models.
  const sound = decoded.sound;
  const audio = sound
    ? (async (): Promise<ModelInput> => {
        await Promise.all(Object.values(decoded.frames).map((v) => v.done));
        return { kind: "audio", sampleRate: AUDIO_SAMPLE_RATE, ...ctx.pushAudio(sound) };
      })()
    : undefined;

  const framed = models.filter((m) => decoded.frames[m] !== undefined);
  const soundModels = models.filter((m) => !framed.includes(m) && takesSound(m));
  const direct = models.filter((m) => !framed.includes(m) && !soundModels.includes(m));

  const blocks: Blocks = {};
  const runs: Promise<void>[] = framed.map(async (m) => {
    const video = decoded.frames[m];
    if (video) setBlock(blocks, m, await runFrames(m, video, config, ctx));
  });
  if (soundModels.length > 0) {
    runs.push((async () => {
      const input = await audio;
      if (!input) throw new Error(`no sound for ${soundModels.join(", ")}`);
      await runTask(input, soundModels, config, ctx, blocks);
    })());
  }
  if (direct.length > 0) {
    const input = decoded.input;
    if (!input) throw new Error(`no input for ${direct.join(", ")}`);
    runs.push(runTask(input, direct, config, ctx, blocks));
  }
  await Promise.all(runs);
  // Replies list the models in catalogue order, whatever finished first.
  const ordered: Blocks = {};
  for (const m of models) setBlock(ordered, m, blocks[m]);
  return ordered;
}

/** Sets a model's block; the cast is the generic-key write `putJob` explains (inference/task.ts). */
function setBlock<K extends ModelName>(blocks: Blocks, model: K, block: ModelBlock<PredictionOf<K>> | undefined): void {
  if (block) (blocks as Record<ModelName, unknown>)[model] = block;
}

function blockOf<P, C>(r: ModelResult<P, C> | undefined): ModelBlock<P> | undefined {
  if (!r) return undefined;
  return r.warning ? { predictions: r.predictions, warning: r.warning.message, code: r.warning.code } : { predictions: r.predictions };
}

function addJob<K extends ModelName>(jobs: ModelJobs, model: K, config: ModelsConfig, ctx: PipelineContext): void {
  const own: ConfigOf<K> | null | undefined = config[model];
  if (own != null) putJob(jobs, { model, config: own, state: ctx.stateOf(model) });
}

/** One worker round trip for one input and the models that read it; coded model errors end the message. */
async function runTask(input: ModelInput, models: readonly ModelName[], config: ModelsConfig, ctx: PipelineContext, blocks: Blocks): Promise<void> {
  const jobs: ModelJobs = {};
  for (const m of models) addJob(jobs, m, config, ctx);
  const { results } = await ctx.runner.run({ input, jobs });
  let error: Error | undefined;
  for (const m of models) error ??= keep(m, results, ctx);
  if (error) throw error;
  for (const m of models) collect(m, results, blocks);
}

function collect<K extends ModelName>(model: K, results: JobResults, blocks: Blocks): void {
  setBlock(blocks, model, blockOf(results[model]?.result));
}

/** Keeps the model's new state; returns its coded error, if it raised one. */
function keep<K extends ModelName>(model: K, results: JobResults, ctx: PipelineContext): Error | undefined {
  const r = results[model];
  if (!r) return new Error(`the worker returned no result for ${model}`);
  ctx.setState(model, r.state);
  return r.error && codedError(r.error);
}

function codedError(error: { code: string; message: string }): Error {
  return isErrorCode(error.code) ? new ProtocolError(error.code, error.message) : new Error(`${error.code}: ${error.message}`);
}

/**
 * A video's frames through one model as they come out of the decoder: up to one frame per pool
 * thread in flight, a new one starting as soon as any finishes, and never more, so other
 * connections' work still gets a turn on the pool. Then the model's per-message step, in frame
 * order, with the connection's state.
 */
async function runFrames<K extends ModelName>(model: K, video: VideoFrames, config: ModelsConfig, ctx: PipelineContext): Promise<ModelBlock<PredictionOf<K>>> {
  const descriptor = descriptorOf(model);
  const own: ConfigOf<K> | null | undefined = config[model];
  const stage = descriptor.stages?.videoFrames;
  if (own == null || !stage) throw new Error(`${model} takes no video frames`);
  const outcomes: FrameOutcome<PredictionOf<K>, CarryOf<DescriptorOf<K>>>[] = [];
  const measure = async (f: VideoFrame) => {
    const jobs: ModelJobs = {};
    putJob(jobs, { model, config: own, state: ctx.stateOf(model) });
    const { results } = await ctx.runner.run({ input: { kind: "image", bytes: f.bytes, frame: f.frame, time: f.time }, jobs });
    const error = keep(model, results, ctx);
    if (error) throw error;
    const r = results[model];
    if (r) outcomes[f.frame] = { scale: f.scale, predictions: r.result.predictions, ...(r.result.carry && { carry: r.result.carry }) };
  };
  let next = 0;
  const lane = async () => {
    for (let f = await video.feed.at(next++); f; f = await video.feed.at(next++)) await measure(f);
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, ctx.runner.threads) }, lane));
  } catch (err) {
    await video.done; // a decoding failure is the message's error, not what a model made of part of it
    throw err;
  }
  // The feed hands over exactly the frames `done` settles with, so each has its outcome.
  const frames = (await video.done).map((f) => outcomes[f.frame] ?? { scale: f.scale, predictions: [] });
  const state = ctx.stateOf(model);
  const predictions = stage.finish(frames, own, state);
  ctx.setState(model, state);
  if (predictions.length > 0) return { predictions };
  return { predictions: [], warning: descriptor.nothingFound.message, code: descriptor.nothingFound.code };
}
