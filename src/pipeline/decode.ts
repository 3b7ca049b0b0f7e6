/**
 * From detected media to what the requested models read, by what they declare: the input itself
 * for text, image and facemesh; the sound for models that accept audio; the frames of a video for
 * models with a "frames of a video" stage. Every decoding error is coded here.
 */
import { decodeSound } from "../media/audio.js";
import type { Media } from "../media/intake.js";
import type { MediaLimits } from "../media/limits.js";
import { extractFrames, FrameFeed, type VideoFrame } from "../media/video.js";
import { descriptorOf, MODEL_ACCEPTS, type ModelName } from "../models/catalog.js";
import type { ModelInput } from "../models/model.js";
import type { ModelsConfig } from "../protocol/index.js";

/** Frames of a video being decoded: `feed` hands them over as they come, `done` settles with all. */
export interface VideoFrames {
  feed: FrameFeed;
  done: Promise<VideoFrame[]>;
}

export interface Decoded {
  /** Model input for text, image and facemesh media. */
  input?: ModelInput;
  /** This message's new audio (16 kHz mono), when models that take sound were requested. */
  sound?: Float32Array;
  /** Per model with a frames stage: its video's sampled frames, handed over while still decoding. */
  frames: Partial<Record<ModelName, VideoFrames>>;
}

/** The models that take sound (from audio, or a video's sound track). */
export function takesSound(model: ModelName): boolean {
  return MODEL_ACCEPTS[model].includes("audio");
}

/** Samples a model's frames at its own rate, if it declares the frames stage. */
function framesFor(model: ModelName, media: Media & { kind: "video" }, config: ModelsConfig, limits: MediaLimits): VideoFrames | undefined {
  const fps = fpsOf(model, config);
  if (fps === undefined) return undefined;
  const feed = new FrameFeed();
  const done = extractFrames(media.bytes, fps, limits, media.probe, (f) => feed.push(f)).finally(() => feed.end());
  done.catch(() => undefined); // read later, through `done`; unread when the sound fails first
  return { feed, done };
}

/** The frame rate a model asks for, null for the decoder's default; undefined when it takes no frames. */
function fpsOf<K extends ModelName>(model: K, config: ModelsConfig): number | null | undefined {
  const stage = descriptorOf(model).stages?.videoFrames;
  const own = config[model];
  if (!stage || own == null) return undefined;
  return stage.fps(own) ?? null;
}

export async function decodeMedia(media: Media, models: readonly ModelName[], config: ModelsConfig, limits: MediaLimits): Promise<Decoded> {
  switch (media.kind) {
    case "text":
      return { input: { kind: "text", text: media.text }, frames: {} };
    case "facemesh":
      return { input: { kind: "facemesh", faces: media.faces }, frames: {} };
    case "image":
      return { input: { kind: "image", bytes: media.bytes }, frames: {} };
    case "audio":
      // Intake already refused models that take no audio (E0102).
      return { sound: await decodeSound(media.bytes, "audio", limits), frames: {} };
    case "video": {
      // ffmpeg runs over the same bytes side by side: frames (handed to their models as they come)
      // and sound. A sound error is the message's error even if the frames fail too.
      const frames: Decoded["frames"] = {};
      for (const model of models) {
        const video = framesFor(model, media, config, limits);
        if (video) frames[model] = video;
      }
      const sound = models.some(takesSound) ? await decodeSound(media.bytes, "video", limits) : undefined;
      return { ...(sound && { sound }), frames };
    }
  }
}
