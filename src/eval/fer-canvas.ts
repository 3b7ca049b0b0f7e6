/**
 * A FER2013 crop as the face evaluations show it to the server's detector: the 48 px face
 * upscaled to 160 px (cubic) and centred on a 256 px canvas whose border repeats the crop's edges,
 * so the face fills about 60% of the frame, as a close-up would.
 */
import sharp from "sharp";
import type { RgbImage } from "../models/face/mediapipe/image.js";
import { ferImage, FER_SIDE, type FerData } from "../training/facemesh/fer.js";

export const UPSCALE = 160;
export const CANVAS = 256;

export async function ferOnCanvas(data: FerData, index: number): Promise<RgbImage> {
  const pad = (CANVAS - UPSCALE) / 2;
  const { data: rgb } = await sharp(Buffer.from(ferImage(data, index)), { raw: { width: FER_SIDE, height: FER_SIDE, channels: 1 } })
    .resize(UPSCALE, UPSCALE, { kernel: "cubic" })
    .extend({ top: pad, bottom: pad, left: pad, right: pad, extendWith: "copy" })
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: CANVAS, height: CANVAS, data: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength) };
}
