/**
 * Video for the face model: frames sampled at the face config's `fps_pred` with ffmpeg, as JPEG
 * images with their frame number and time. The sound track goes through `decodeSound` instead.
 */
import { ErrorCode, ProtocolError, messages } from "../protocol/index.js";
import { DURATION_TOLERANCE_MS, decodeFailure } from "./audio.js";
import { probeMedia, runFfmpeg, type MediaProbe } from "./ffmpeg.js";
import type { MediaLimits } from "./limits.js";

export interface VideoFrame {
  /** JPEG bytes (quality 2 of ffmpeg's 2-31 scale: well above the video's own compression). */
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
 * Frames are scaled down to this longest side: the face detector works at 256 px, and 300
 * full-HD frames would hold hundreds of MB in memory even as JPEG.
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
  /** The stream listing, or the probe's failure, when the caller has it (intake probes every video once). */
  known?: MediaProbe | Error,
  /**
   * Called with each frame as soon as ffmpeg has produced it (at most `maxVideoFrames`), so the
   * face model can start before the last frame is decoded. The returned frames are the same.
   */
  onFrame?: (frame: VideoFrame) => void,
): Promise<VideoFrame[]> {
  if (known instanceof Error) throw decodeFailure(known, "video");
  const probe =
    known ??
    (await probeMedia(bytes, limits.decodeTimeoutMs).catch((err: unknown) => {
      throw decodeFailure(err, "video");
    }));
  if (!probe.video) throw new ProtocolError(ErrorCode.UnknownMediaFormat, messages.videoWithoutVideoStream());
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
    // JPEG, not PNG: encoding 15 PNG frames of 640x480 took 260 ms (the decode itself 70 ms),
    // JPEG 10 ms, at a twentieth of the bytes; raw RGB would be as fast but 1.5 MB a frame.
    "-frames:v", String(framesWanted), "-c:v", "mjpeg", "-q:v", "2", "-f", "image2pipe", "pipe:1",
  ];
  // A JPEG at this quality is far below 3 bytes a pixel; that bound (plus headers) cannot be hit.
  const frameBytes = Math.ceil(width * scale * height * scale * 3.1) + 4096;
  // Every frame: times from the stream's stated rate (25 when ffmpeg states none, as for
  // MediaRecorder's variable-rate WebM, where these times are approximate).
  const rate = fps > 0 ? fps : (probe.video.fps ?? 25);
  const frameAt = (jpeg: Uint8Array, i: number): VideoFrame => ({ bytes: jpeg, frame: i, time: Math.round((i / rate) * 1000) / 1000, scale });
  // Frames are split off stdout as it arrives: one pass, and each is handed on at once.
  const frames: VideoFrame[] = [];
  const collect = jpegStream((jpeg, i) => {
    const frame = frameAt(jpeg, i);
    frames.push(frame);
    if (i < limits.maxVideoFrames) onFrame?.(frame);
  });
  try {
    await runFfmpeg(bytes, args, { timeoutMs: limits.decodeTimeoutMs, maxBytes: frameBytes * framesWanted, onData: collect });
  } catch (err) {
    throw decodeFailure(err, "video");
  }
  if (frames.length === 0) throw new ProtocolError(ErrorCode.UnknownMediaFormat, messages.videoWithoutFrames());
  // Containers without a stated duration (MediaRecorder WebM) are measured by their frames.
  const last = frames[frames.length - 1];
  if (fps > 0 && last && last.time * 1000 > limits.maxVideoMs) throw new ProtocolError(ErrorCode.VideoTooLong, messages.videoTooLong(limits.maxVideoMs));
  return frames.slice(0, limits.maxVideoFrames);
}

const even = (x: number) => Math.max(2, Math.round(x / 2) * 2);

/**
 * Splits ffmpeg's image2pipe stream of JPEGs. Hand-written because no library splits a JPEG
 * stream: walks the marker segments (each with its length) up to start-of-scan, then the
 * entropy-coded data, where 0xFF is always followed by 0x00 (stuffing) or a restart marker
 * unless it starts the next marker; the image ends at EOI (FF D9).
 */
export function splitJpegs(buf: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  jpegStream((jpeg) => out.push(jpeg))(buf);
  return out;
}

/**
 * `splitJpegs` over a stream: feed it stdout chunks, and `onJpeg` gets each complete image with
 * its index as soon as its last byte has arrived. Holds at most one partial image.
 */
function jpegStream(onJpeg: (jpeg: Uint8Array, index: number) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    while (start + 4 <= pending.length && pending[start] === 0xff && pending[start + 1] === 0xd8) {
      const end = jpegEnd(pending, start + 2);
      if (end < 0) break;
      onJpeg(new Uint8Array(pending.subarray(start, end)), index++);
      start = end;
    }
    pending = pending.subarray(start);
  };
}

/**
 * Frames handed over while a video is still being decoded: a reader asks for frame `i` and
 * waits until it has arrived or the extraction has ended.
 */
export class FrameFeed {
  private readonly frames: VideoFrame[] = [];
  private waiting: (() => void)[] = [];
  private ended = false;

  push(frame: VideoFrame): void {
    this.frames.push(frame);
    this.wake();
  }

  /** No more frames will come (the extraction finished or failed). */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Frame `i` once it has arrived; undefined when the extraction ended without it. */
  async at(i: number): Promise<VideoFrame | undefined> {
    while (i >= this.frames.length && !this.ended) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return this.frames[i];
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** Offset just past the EOI of the JPEG whose markers start at `pos`, or -1 when truncated. */
function jpegEnd(buf: Buffer, pos: number): number {
  while (pos + 2 <= buf.length) {
    if (buf[pos] !== 0xff) return -1;
    const marker = buf[pos + 1]!;
    if (marker === 0xd9) return pos + 2;
    if (marker === 0xff) { pos++; continue; } // fill byte
    if (pos + 4 > buf.length) return -1;
    const len = buf.readUInt16BE(pos + 2);
    pos += 2 + len;
    if (marker !== 0xda) continue;
    // Entropy-coded data after start-of-scan: skip to the next real marker.
    while (pos + 1 < buf.length && !(buf[pos] === 0xff && buf[pos + 1] !== 0x00 && (buf[pos + 1]! < 0xd0 || buf[pos + 1]! > 0xd7))) pos++;
  }
  return -1;
}
