/**
 * Audio and video benchmark: a 5-second 16 kHz speech WAV with prosody + burst (and the same
 * speech as a 48 kHz stereo WAV, which takes the ffmpeg path), and a 5-second
 * 640x480 MP4 with face at fps_pred 3 plus prosody, end to end over loopback, next to the bare
 * in-process cost of each stage for the same input.
 */
import { decodeAudio } from "../media/ffmpeg.js";
import { DEFAULT_LIMITS } from "../media/limits.js";
import { decodePcmWav } from "../media/pcm-wav.js";
import { extractFrames } from "../media/video.js";
import { burstModel } from "../models/burst/index.js";
import { faceModel } from "../models/face/index.js";
import type { ModelInput } from "../models/model.js";
import { prosodyModel } from "../models/prosody/index.js";
import { detectSpeech } from "../audio-analysis/vad/silero.js";
import { makeBenchMedia } from "./media.js";
import { measureRoundTrips } from "./round-trip.js";
import { spawnServer } from "./server-process.js";
import { timeCalls as time, type Summary } from "./stats.js";

export interface AudioBench {
  wav: { endToEndMs: Summary; bare: Record<string, Summary> };
  /** The same speech as a 48 kHz stereo WAV, which goes through ffmpeg: end to end only. */
  wav48k: { endToEndMs: Summary };
  mp4: { endToEndMs: Summary; frames: number; bare: Record<string, Summary> };
  /** The same, cropped to one face: end to end only. */
  mp4OneFace: { endToEndMs: Summary; faces: number };
}

/** A standalone clip as the audio models receive it: all new audio, with the VAD's regions. */
export async function audioInput(samples: Float32Array): Promise<ModelInput> {
  return { kind: "audio", samples, sampleRate: 16_000, startSec: 0, newSec: 0, speech: await detectSpeech(samples, 0) };
}

export async function benchAudio(opts: { quick?: boolean } = {}): Promise<AudioBench> {
  const n = opts.quick ? 5 : 20;
  const media = makeBenchMedia();
  await Promise.all([prosodyModel.load(), burstModel.load(), faceModel.load()]);

  const pcm = (await decodeAudio(media.wav)).samples;
  const input = await audioInput(pcm);
  const wavBare = {
    // The server reads a 16 kHz mono PCM WAV in process; ffmpeg is what any other format costs.
    decode: await time(n, async () => decodePcmWav(media.wav, 60)),
    ffmpegDecode: await time(n, () => decodeAudio(media.wav)),
    vad: await time(n, () => detectSpeech(pcm, 0)),
    prosody: await time(n, () => prosodyModel.predict(input, {}, {})),
    burst: await time(n, () => burstModel.predict(input, {}, {})),
  };

  const frames = await extractFrames(media.mp4, 3, DEFAULT_LIMITS);
  const track = (await decodeAudio(media.mp4)).samples;
  const trackInput = await audioInput(track);
  const faceAll = async () => {
    for (const f of frames) await faceModel.predict({ kind: "image", bytes: f.bytes, frame: f.frame, time: f.time }, {}, {});
  };
  const mp4Bare = {
    frames: await time(n, () => extractFrames(media.mp4, 3, DEFAULT_LIMITS)),
    faceAllFrames: await time(Math.max(3, n / 4), faceAll),
    decodeSound: await time(n, () => decodeAudio(media.mp4)),
    prosody: await time(n, () => prosodyModel.predict(trackInput, {}, {})),
  };

  const server = await spawnServer({ args: ["--log-level", "info"] });
  try {
    // reset_stream on every message: each is a standalone 5-second message, not a growing stream.
    const wavFrame = JSON.stringify({ models: { prosody: {}, burst: {} }, data: media.wav.toString("base64"), reset_stream: true });
    const wav48kFrame = JSON.stringify({ models: { prosody: {}, burst: {} }, data: media.wav48k.toString("base64"), reset_stream: true });
    const mp4Frame = JSON.stringify({ models: { face: { fps_pred: 3 }, prosody: {} }, data: media.mp4.toString("base64"), reset_stream: true });
    const oneFaceFrame = JSON.stringify({ models: { face: { fps_pred: 3 }, prosody: {} }, data: media.mp4OneFace.toString("base64"), reset_stream: true });
    const oneFaceFirst = (await extractFrames(media.mp4OneFace, 3, DEFAULT_LIMITS))[0];
    const faces = oneFaceFirst ? (await faceModel.predict({ kind: "image", bytes: oneFaceFirst.bytes }, {}, {})).predictions.length : 0;
    return {
      wav: { endToEndMs: await measureRoundTrips(server.streamUrl, wavFrame, n * 2, 3), bare: wavBare },
      wav48k: { endToEndMs: await measureRoundTrips(server.streamUrl, wav48kFrame, n, 2) },
      mp4: { endToEndMs: await measureRoundTrips(server.streamUrl, mp4Frame, n, 2), frames: frames.length, bare: mp4Bare },
      mp4OneFace: { endToEndMs: await measureRoundTrips(server.streamUrl, oneFaceFrame, n, 2), faces },
    };
  } finally {
    await server.stop();
  }
}
