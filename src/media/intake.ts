/**
 * Turns a request's `data` into decoded media, checked against the requested models and the
 * limits. Everything here is cheap (headers, plus an ffmpeg stream listing for video
 * containers); pixels and samples are decoded later under their own limits (audio.ts, video.ts),
 * so a decompression bomb is refused before it costs anything.
 */
import { imageSize } from "image-size";
import { parseBuffer } from "music-metadata";
import {
  ErrorCode,
  MODEL_ACCEPTS,
  ProtocolError,
  messages,
  type MediaKind,
  type ModelName,
} from "../protocol/index.js";
import { decodeBase64, isBase64, stripDataUrl } from "./base64.js";
import { validateFacemesh } from "./facemesh.js";
import { DURATION_TOLERANCE_MS } from "./audio.js";
import { probeMedia, type MediaProbe } from "./ffmpeg.js";
import type { MediaLimits } from "./limits.js";
import { decodeText, parseFacemeshJson, sniff } from "./sniff.js";

export type Media =
  | { kind: "text"; text: string }
  | { kind: "facemesh"; faces: number[][][] }
  | { kind: "image"; bytes: Uint8Array; mime: string; width: number; height: number }
  | { kind: "audio"; bytes: Uint8Array; mime: string; durationMs?: number }
  /**
   * `probe`: ffmpeg's stream listing from intake, or why ffmpeg could not read the container,
   * kept so frame extraction need not probe again.
   */
  | { kind: "video"; bytes: Uint8Array; mime: string; durationMs?: number; probe: MediaProbe | Error };

export interface IntakeRequest {
  data: string;
  rawText: boolean;
  models: readonly ModelName[];
}

export async function intake(req: IntakeRequest, limits: MediaLimits): Promise<Media> {
  const media = await decode(req, limits);
  for (const model of req.models) {
    if (!MODEL_ACCEPTS[model].includes(media.kind)) {
      throw new ProtocolError(ErrorCode.IncompatibleModel, messages.incompatibleModel(model, media.kind));
    }
  }
  await enforceLimits(media, limits);
  return media;
}

async function decode(req: IntakeRequest, limits: MediaLimits): Promise<Media> {
  // Facemesh JSON is the facemesh media kind, looked for only when a model that takes it was asked for.
  const wantsFacemesh = req.models.some((m) => MODEL_ACCEPTS[m].includes("facemesh"));
  if (req.rawText) {
    // The official TS wrapper sends facemesh as base64 JSON with raw_text: true.
    if (wantsFacemesh) {
      const mesh = facemeshFrom(req.data) ?? facemeshFromBase64(req.data);
      if (mesh) return { kind: "facemesh", faces: validateFacemesh(mesh, limits.maxFacemeshFaces) };
    }
    return { kind: "text", text: req.data };
  }
  // Python 0.13 sends facemesh as raw JSON with raw_text: false.
  if (wantsFacemesh) {
    const mesh = facemeshFrom(req.data);
    if (mesh) return { kind: "facemesh", faces: validateFacemesh(mesh, limits.maxFacemeshFaces) };
  }
  return fromBytes(decodeBase64(req.data), limits);
}

/**
 * Media from a file's bytes, within the header-level limits (batch uploads; no models named, so
 * facemesh JSON is recognised as such and nothing is refused as incompatible).
 */
export async function intakeBytes(bytes: Uint8Array, limits: MediaLimits): Promise<Media> {
  const media = await fromBytes(bytes, limits);
  await enforceLimits(media, limits);
  return media;
}

async function fromBytes(bytes: Uint8Array, limits: MediaLimits): Promise<Media> {
  const sniffed = await sniff(bytes);
  if (!sniffed) throw new ProtocolError(ErrorCode.UnknownMediaFormat, messages.unknownMedia());
  switch (sniffed.kind) {
    case "text":
      return { kind: "text", text: decodeText(bytes) ?? "" };
    case "facemesh": {
      const mesh = facemeshFrom(decodeText(bytes) ?? "") ?? [];
      return { kind: "facemesh", faces: validateFacemesh(mesh, limits.maxFacemeshFaces) };
    }
    case "image": {
      const size = readImageSize(bytes);
      return { kind: "image", bytes, mime: sniffed.mime ?? "image", ...size };
    }
    case "audio":
      return { kind: "audio", bytes, mime: sniffed.mime ?? "audio", ...(await readDuration(bytes, sniffed.mime)) };
    case "video":
      return sniffVideo(bytes, sniffed.mime ?? "video", limits);
  }
}

function facemeshFrom(text: string): unknown[] | undefined {
  return parseFacemeshJson(text);
}

function facemeshFromBase64(data: string): unknown[] | undefined {
  const body = stripDataUrl(data);
  if (!isBase64(body)) return undefined;
  return parseFacemeshJson(decodeText(decodeBase64(body)) ?? "");
}

function readImageSize(bytes: Uint8Array): { width: number; height: number } {
  try {
    const { width, height, orientation } = imageSize(bytes);
    // EXIF orientations 5-8 rotate by 90 degrees, swapping what the client sees as width/height.
    const swapped = orientation !== undefined && orientation >= 5;
    return swapped ? { width: height, height: width } : { width, height };
  } catch {
    throw new ProtocolError(ErrorCode.UnknownMediaFormat, messages.imageHeaderUnreadable());
  }
}

/**
 * A "video" container may hold sound only: file-type calls MediaRecorder's audio-only WebM (and
 * some M4A) video. ffmpeg's stream list decides. When ffmpeg cannot read the container, it stays
 * video and the decoder reports the failure (E0200) after the cheap header-level limits.
 */
async function sniffVideo(bytes: Uint8Array, mime: string, limits: MediaLimits): Promise<Media> {
  const header = await readDuration(bytes, mime);
  const probe = await probeMedia(bytes, limits.decodeTimeoutMs).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  const listing = probe instanceof Error ? undefined : probe;
  const durationMs = header.durationMs ?? (listing?.durationSec !== undefined ? listing.durationSec * 1000 : undefined);
  const duration = durationMs !== undefined ? { durationMs } : {};
  if (listing && !listing.video && listing.hasAudio) return { kind: "audio", bytes, mime, ...duration };
  return { kind: "video", bytes, mime, ...duration, probe };
}

async function readDuration(bytes: Uint8Array, mime: string | undefined): Promise<{ durationMs?: number }> {
  try {
    const meta = await parseBuffer(bytes, mime ? { mimeType: mime } : undefined, { duration: true, skipCovers: true });
    const seconds = meta.format.duration;
    return seconds !== undefined && Number.isFinite(seconds) ? { durationMs: seconds * 1000 } : {};
  } catch {
    // A container we cannot read the duration of is left to the decoder, which enforces the
    // same limit on the decoded samples.
    return {};
  }
}

async function enforceLimits(media: Media, limits: MediaLimits): Promise<void> {
  switch (media.kind) {
    case "text": {
      let chars = 0;
      for (const _ of media.text) chars++;
      if (chars > limits.maxTextChars) throw new ProtocolError(ErrorCode.TextTooLong, messages.textTooLong(limits.maxTextChars));
      return;
    }
    case "image":
      if (media.width > limits.maxImageWidth || media.height > limits.maxImageHeight) {
        throw new ProtocolError(ErrorCode.ImageTooLarge, messages.imageTooLarge(limits.maxImageWidth, limits.maxImageHeight));
      }
      return;
    // The same slack as on decoded samples: a 5.000 s clip in MP3 states 5.04 s (encoder padding).
    case "audio":
      if ((media.durationMs ?? 0) > limits.maxAudioMs + DURATION_TOLERANCE_MS) throw new ProtocolError(ErrorCode.AudioTooLong, messages.audioTooLong(limits.maxAudioMs));
      return;
    case "video":
      if ((media.durationMs ?? 0) > limits.maxVideoMs + DURATION_TOLERANCE_MS) throw new ProtocolError(ErrorCode.VideoTooLong, messages.videoTooLong(limits.maxVideoMs));
      return;
    case "facemesh":
      return;
  }
}

export type { MediaKind };
