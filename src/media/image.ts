/**
 * Pixel decoding for image models (runs inside inference workers). The intake has already
 * checked the header dimensions; `limitInputPixels` is a second guard in case a header lied.
 */
import sharp from "sharp";
import { ErrorCode, ProtocolError, messages } from "../protocol/index.js";

export interface RgbImage {
  /** Packed RGB, 3 bytes per pixel, row-major, orientation already applied. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** Matches the protocol's 3000 x 3000 image limit. */
export const DEFAULT_MAX_PIXELS = 3000 * 3000;

/**
 * Decodes JPEG, PNG, WebP, GIF (first frame), TIFF, AVIF to RGB. EXIF orientation is applied so
 * boxes refer to the image as a viewer sees it; alpha is flattened onto white (a transparent
 * background is not black to a viewer); greyscale becomes three equal channels.
 */
export async function decodeImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbImage> {
  if (bytes.byteLength === 0) throw new ProtocolError(ErrorCode.UnknownMediaFormat, messages.imageEmpty());
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: "error", pages: 1 })
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    const why = (err as Error).message.split("\n")[0] ?? "unknown error";
    if (/pixel limit/i.test(why)) {
      throw new ProtocolError(ErrorCode.ImageTooLarge, messages.imageTooLargeToDecode(why));
    }
    throw new ProtocolError(ErrorCode.UnknownMediaFormat, messages.imageUndecodable(why));
  }
}
