/**
 * Video for the face model: frames sampled at the face config's `fps_pred` with ffmpeg, as PNG
 * images with their frame number and time. The sound track goes through `decodeSound` instead.
 */
import { ErrorCode, ProtocolError, messages } from "../protocol/index.js";
import { DURATION_TOLERANCE_MS, decodeFailure } from "./audio.js";
import { probeMedia, runFfmpeg, type MediaProbe } from "./ffmpeg.js";
import type { MediaLimits } from "./limits.js";

export interface VideoFrame {
  /** PNG bytes. */
  bytes: Uint8Array;
  /** Index of the frame among the frames sampled from this message (0-based). */
  frame: number;
  /** Seconds from the start of the video. */
  time: number;
  /** Frame pixels per video pixel (< 1 when the frame was scaled down); boxes divide by it. */
  scale: number;
}

/** `fps_pred` when the client sends none (the stream spec's default). */
export const DEFAULT_FPS_PRED = 3;
/**
 * Frames are scaled down to this longest side: the face detector works at 256 px, and 300 PNG
 * frames of a full-HD video would hold hundreds of MB in memory.
 */
const MAX_FRAME_SIDE = 960;

/**
 * Samples frames at `fpsPred` frames a second (0: every frame). At most `limits.maxVideoFrames`
 * frames are returned; a video whose frames run past `limits.maxVideoMs` is E0204.
 */
export async function extractFrames(
  bytes: Uint8Array,
  fpsPred: number | null | undefined,
  limits: MediaLimits,
  /** The stream listing when the caller already has it (intake probes every video once). */
  known?: MediaProbe,
): Promise<VideoFrame[]> {
  const probe =
    known ??
    (await probeMedia(bytes, limits.decodeTimeoutMs).catch((err: unknown) => {
      throw decodeFailure(err, "video");
    }));
  if (!probe.video) throw new ProtocolError(ErrorCode.UnknownMediaFormat, "The video could not be decoded: it has no video stream.");
  if (probe.durationSec !== undefined && probe.durationSec * 1000 > limits.maxVideoMs + DURATION_TOLERANCE_MS) {
    throw new ProtocolError(ErrorCode.VideoTooLong, messages.videoTooLong(limits.maxVideoMs));
  }
  // A rate at or above the video's own means every frame: the fps filter would duplicate frames.
  const requested = fpsPred ?? DEFAULT_FPS_PRED;
  const fps = probe.video.fps !== undefined && requested >= probe.video.fps ? 0 : requested;
  const { width, height } = probe.video;
  const scale = Math.min(1, MAX_FRAME_SIDE / Math.max(width, height));
  const filters = [...(fps > 0 ? [`fps=${fps}`] : []), ...(scale < 1 ? [`scale=${even(width * scale)}:${even(height * scale)}`] : [])];
  // One frame past the limit tells "too long" apart from "exactly at the limit".
  const framesWanted = limits.maxVideoFrames + 1;
  const args = [
    "-hide_banner", "-nostdin", "-loglevel", "error", "-i", "INPUT", "-map", "0:v:0", "-an",
    "-t", String(limits.maxVideoMs / 1000 + 1),
    ...(filters.length ? ["-vf", filters.join(",")] : ["-vsync", "passthrough"]),
    "-frames:v", String(framesWanted), "-c:v", "png", "-f", "image2pipe", "pipe:1",
  ];
  // A PNG of the scaled frame is at most about 3 bytes a pixel plus headers.
  const frameBytes = Math.ceil(width * scale * height * scale * 3.1) + 4096;
  let out: Buffer;
  try {
    out = await runFfmpeg(bytes, args, { timeoutMs: limits.decodeTimeoutMs, maxBytes: frameBytes * framesWanted });
  } catch (err) {
    throw decodeFailure(err, "video");
  }
  const pngs = splitPngs(out);
  if (pngs.length === 0) throw new ProtocolError(ErrorCode.UnknownMediaFormat, "The video could not be decoded: no frames.");
  // Every frame: times from the stream's stated rate (25 when ffmpeg states none, as for
  // MediaRecorder's variable-rate WebM, where these times are approximate).
  const rate = fps > 0 ? fps : (probe.video.fps ?? 25);
  const frames = pngs.map((png, i) => ({ bytes: png, frame: i, time: Math.round((i / rate) * 1000) / 1000, scale }));
  // Containers without a stated duration (MediaRecorder WebM) are measured by their frames.
  const last = frames[frames.length - 1];
  if (fps > 0 && last && last.time * 1000 > limits.maxVideoMs) throw new ProtocolError(ErrorCode.VideoTooLong, messages.videoTooLong(limits.maxVideoMs));
  return frames.slice(0, limits.maxVideoFrames);
}

const even = (x: number) => Math.max(2, Math.round(x / 2) * 2);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Splits ffmpeg's image2pipe stream of PNGs by walking chunk headers up to each IEND. */
export function splitPngs(buf: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  while (start + PNG_SIGNATURE.length <= buf.length && buf.subarray(start, start + 8).equals(PNG_SIGNATURE)) {
    let pos = start + 8;
    let done = false;
    while (pos + 12 <= buf.length) {
      const len = buf.readUInt32BE(pos);
      const type = buf.toString("latin1", pos + 4, pos + 8);
      pos += 12 + len;
      if (type === "IEND") {
        done = true;
        break;
      }
    }
    if (!done || pos > buf.length) break;
    out.push(new Uint8Array(buf.subarray(start, pos)));
    start = pos;
  }
  return out;
}
