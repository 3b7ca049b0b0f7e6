/**
 * Decides what the bytes are, without trusting `raw_text` or a file name: clients send `.txt`
 * files as base64 with `raw_text: false`, and facemesh JSON with either flag.
 */
import { fileTypeFromBuffer } from "file-type";

import type { MediaKind } from "../protocol/index.js";
export type { MediaKind };

export interface Sniffed {
  kind: MediaKind;
  /** MIME type when the container was recognised (binary media only). */
  mime?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses facemesh JSON: an array of faces, each an array of [x, y, z] points. */
export function parseFacemeshJson(text: string): unknown[] | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("[")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Text is valid UTF-8 with almost no control characters (tabs and line breaks are fine). */
export function decodeText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return undefined;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) control++;
  }
  return control <= Math.max(2, text.length * 0.01) ? text.replace(/^\uFEFF/, "") : undefined;
}

const AUDIO_ONLY_CONTAINERS = new Set(["audio/mp4", "audio/x-m4a", "audio/aac", "audio/webm"]);

export async function sniff(bytes: Uint8Array): Promise<Sniffed | undefined> {
  const type = await fileTypeFromBuffer(bytes).catch(() => undefined);
  if (type) {
    if (type.mime.startsWith("image/")) return { kind: "image", mime: type.mime };
    if (type.mime.startsWith("audio/") || AUDIO_ONLY_CONTAINERS.has(type.mime)) {
      return { kind: "audio", mime: type.mime };
    }
    if (type.mime.startsWith("video/")) return { kind: "video", mime: type.mime };
    // Other binary formats (zip, pdf, ...) are not media we can measure.
    return undefined;
  }
  const text = decodeText(bytes);
  if (text === undefined) return undefined;
  if (parseFacemeshJson(text)) return { kind: "facemesh" };
  return { kind: "text" };
}
