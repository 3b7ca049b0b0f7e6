/**
 * Pixel sampling for MediaPipe's models: a letterboxed square for the detector and a rotated
 * square crop for the landmark model. Both follow MediaPipe's CPU path (OpenCV warps), where
 * source pixel i sits at coordinate i (not i + 0.5) and a crop's corners map to 0 and `side`.
 * Matching that convention is what makes the landmarks, and so the blendshapes, agree with
 * MediaPipe's own pipeline.
 */
import sharp from "sharp";

/** Interleaved RGB, 8 bits per channel, in the orientation the user sees (EXIF applied). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export async function decodeRgb(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** A square region of the image, rotated by `rotation` radians about its centre (image pixels, y down). */
export interface RotatedSquare {
  cx: number;
  cy: number;
  size: number;
  rotation: number;
  /** Sample it mirrored left to right (the crop's x axis runs against the image's). */
  mirror?: boolean;
}

export type Border = "zero" | "replicate";

/**
 * Samples `region` into a side x side x 3 float tensor (NHWC), mapping each byte v to
 * v * scale + offset. Output pixel (u, v) reads the source at
 * centre + R(rotation) * ((u / side - 0.5) * size, (v / side - 0.5) * size), bilinearly.
 */
export function sampleSquare(img: RgbImage, region: RotatedSquare, side: number, scale: number, offset: number, border: Border): Float32Array {
  const out = new Float32Array(side * side * 3);
  const cos = Math.cos(region.rotation);
  const sin = Math.sin(region.rotation);
  const step = (region.mirror ? -region.size : region.size) / side;
  const { width: W, height: H, data } = img;
  const zero = offset; // a black border pixel after scaling
  for (let v = 0; v < side; v++) {
    const dy = (v / side - 0.5) * region.size;
    for (let u = 0; u < side; u++) {
      const dx = u * step - 0.5 * step * side;
      let sx = region.cx + cos * dx - sin * dy;
      let sy = region.cy + sin * dx + cos * dy;
      const o = (v * side + u) * 3;
      if (border === "zero" && (sx <= -1 || sy <= -1 || sx >= W || sy >= H)) {
        out[o] = out[o + 1] = out[o + 2] = zero;
        continue;
      }
      if (border === "replicate") {
        sx = Math.min(Math.max(sx, 0), W - 1);
        sy = Math.min(Math.max(sy, 0), H - 1);
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      // The four taps; outside taps read as black under "zero" (OpenCV's BORDER_CONSTANT) and
      // as the nearest edge pixel under "replicate".
      const a = tap(x0, y0, W, H, border);
      const b = tap(x0 + 1, y0, W, H, border);
      const c = tap(x0, y0 + 1, W, H, border);
      const d = tap(x0 + 1, y0 + 1, W, H, border);
      const wa = (1 - fx) * (1 - fy);
      const wb = fx * (1 - fy);
      const wc = (1 - fx) * fy;
      const wd = fx * fy;
      for (let ch = 0; ch < 3; ch++) {
        const value = px(data, a, ch) * wa + px(data, b, ch) * wb + px(data, c, ch) * wc + px(data, d, ch) * wd;
        out[o + ch] = value * scale + offset;
      }
    }
  }
  return out;
}

/** Byte offset of pixel (x, y), or -1 for a black pixel outside the image. */
function tap(x: number, y: number, W: number, H: number, border: Border): number {
  if (x >= 0 && y >= 0 && x < W && y < H) return (y * W + x) * 3;
  if (border === "zero") return -1;
  return (Math.min(Math.max(y, 0), H - 1) * W + Math.min(Math.max(x, 0), W - 1)) * 3;
}

function px(data: Uint8Array, at: number, ch: number): number {
  return at < 0 ? 0 : (data[at + ch] ?? 0);
}

/** Maps a point given in a region's unit square (0..1 across, 0..1 down) back to image pixels. */
export function fromRegion(region: RotatedSquare, x: number, y: number): [number, number] {
  const dx = (x - 0.5) * (region.mirror ? -region.size : region.size);
  const dy = (y - 0.5) * region.size;
  const cos = Math.cos(region.rotation);
  const sin = Math.sin(region.rotation);
  return [region.cx + cos * dx - sin * dy, region.cy + sin * dx + cos * dy];
}
