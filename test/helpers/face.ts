/** Shared by the face and facemesh tests: a tiny request/reply client and test images. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { packageRoot } from "../../src/package-paths.js";
import { ferImage, loadFer, FER_SIDE, type FerData } from "../../src/training/facemesh/fer.js";

export { Conn, type Reply } from "./conn.js";

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

export const SAMPLE_DIR = join(packageRoot, "node_modules/@vladmandic/face-api/demo");
export const sample = (n: number): Buffer => readFileSync(join(SAMPLE_DIR, `sample${n}.jpg`));

/** Faces per face-api demo photo (counted by eye; every one is found by Human). */
export const SAMPLE_FACES: Record<number, number> = { 1: 3, 2: 3, 3: 3, 4: 4, 5: 5, 6: 4 };

export async function noisePng(w = 320, h = 240, seed = 1): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  let s = seed;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px[i] = s >>> 24;
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

export function flatPng(w = 320, h = 240): Promise<Buffer> {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: 90, g: 140, b: 200 } } }).png().toBuffer();
}

let privateTest: FerData | undefined;

/** One FER2013 test row as a PNG, upscaled so the detector's 256 px input sees a real face. */
export async function ferPng(index: number, side = 192): Promise<Buffer> {
  // Read the 8 MB split once per test file, not once per crop.
  const data = (privateTest ??= loadFer("privatetest"));
  const grey = Buffer.from(ferImage(data, index));
  return sharp(grey, { raw: { width: FER_SIDE, height: FER_SIDE, channels: 1 } }).resize(side, side, { kernel: "cubic" }).png().toBuffer();
}

/** A crop around a box with a margin, shifted and rescaled: the same face in a "new frame". */
export async function reframe(image: Buffer, box: { x: number; y: number; w: number; h: number }, shift: number, scale: number): Promise<Buffer> {
  const meta = await sharp(image).metadata();
  const W = meta.width ?? 0;
  const H = meta.height ?? 0;
  // A small margin, so the crop holds this face and not its neighbours in a group photo.
  const m = Math.round(box.w * 0.35);
  const left = Math.max(0, Math.round(box.x - m + shift * box.w));
  const top = Math.max(0, Math.round(box.y - m + shift * box.h));
  const width = Math.min(W - left, box.w + 2 * m);
  const height = Math.min(H - top, box.h + 2 * m);
  return sharp(image).extract({ left, top, width, height }).resize(Math.round(width * scale)).jpeg({ quality: 85 }).toBuffer();
}
