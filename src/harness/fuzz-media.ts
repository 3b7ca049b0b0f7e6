/**
 * Hostile media for the fuzz corpus: image headers that promise huge canvases (with valid
 * checksums, so no decoder rejects them early), a real decompression bomb inside the size
 * limit, and audio/video that lie about their format or stop short.
 */
import { crc32, deflateSync } from "node:zlib";
import type { Seeds } from "./fuzz-corpus.js";
import { encodeWav } from "../media/wav.js";

/** Images whose headers promise far more pixels than they carry, or more than the limit. */
export function bombImages(seeds: Seeds): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  // A PNG claiming 50000 x 50000, with a valid header checksum (so no decoder rejects it early).
  const png = Buffer.from(seeds.png);
  png.writeUInt32BE(50_000, 16);
  png.writeUInt32BE(50_000, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  out.push(["png header 50000x50000 (crc fixed)", png]);
  const pngBadCrc = Buffer.from(png);
  pngBadCrc.writeUInt32BE(0, 29);
  out.push(["png header 50000x50000 (bad crc)", pngBadCrc]);
  // A real decompression bomb inside the size limit: 2999 x 2999 of zeros, a few kB compressed.
  out.push(["png 2999x2999 of zeros", pngOf(2999, 2999)]);
  out.push(["png 3001x1 (over the width limit)", pngOf(3001, 1)]);
  out.push(["png 1x1", pngOf(1, 1)]);
  // JPEG: rewrite the first SOF marker's dimensions.
  const jpeg = Buffer.from(seeds.jpeg);
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(60_000, i + 5);
      jpeg.writeUInt16BE(60_000, i + 7);
      break;
    }
  }
  out.push(["jpeg SOF 60000x60000", jpeg]);
  // GIF logical screen 65535 x 65535.
  const gif = Buffer.concat([Buffer.from("GIF89a"), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0]), Buffer.from([0x2c, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 2, 2, 0x4c, 0x01, 0, 0x3b])]);
  out.push(["gif 65535x65535", gif]);
  // WebP VP8X canvas 16384 x 16384 (24-bit minus one fields).
  const vp8x = Buffer.alloc(30);
  vp8x.write("RIFF", 0);
  vp8x.writeUInt32LE(22, 4);
  vp8x.write("WEBPVP8X", 8);
  vp8x.writeUInt32LE(10, 16);
  vp8x.writeUIntLE(16383, 24, 3);
  vp8x.writeUIntLE(16383, 27, 3);
  out.push(["webp VP8X 16384x16384", vp8x]);
  // BMP claiming 40000 x 40000 at 32 bits.
  const bmp = Buffer.alloc(54);
  bmp.write("BM", 0);
  bmp.writeUInt32LE(54, 2);
  bmp.writeUInt32LE(54, 10);
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(40_000, 18);
  bmp.writeInt32LE(40_000, 22);
  bmp.writeUInt16LE(1, 26);
  bmp.writeUInt16LE(32, 28);
  out.push(["bmp 40000x40000 header only", bmp]);
  return out;
}

/** Audio and video that lie about themselves or stop short. */
export function malformedAv(seeds: Seeds, bytes: (n: number) => Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  const wav = (mutate: (h: Buffer) => void, pcm = seeds.wav.subarray(44)) => {
    const copy = Buffer.concat([Buffer.from(seeds.wav.subarray(0, 44)), pcm]);
    mutate(copy);
    return copy;
  };
  out.push(["wav sample rate 0", wav((h) => h.writeUInt32LE(0, 24))]);
  out.push(["wav 0 channels", wav((h) => h.writeUInt16LE(0, 22))]);
  out.push(["wav 65535 channels", wav((h) => h.writeUInt16LE(65535, 22))]);
  out.push(["wav 7 bits per sample", wav((h) => h.writeUInt16LE(7, 34))]);
  out.push(["wav sample rate 4 GHz", wav((h) => h.writeUInt32LE(0xffffffff, 24))]);
  out.push(["wav data size 4 GB", wav((h) => h.writeUInt32LE(0xffffffff, 40))]);
  out.push(["wav claims 10 hours at 1 Hz", wav((h) => (h.writeUInt32LE(1, 24), h.writeUInt32LE(2, 28)))]);
  out.push(["wav header only", seeds.wav.subarray(0, 44)]);
  out.push(["wav header cut", seeds.wav.subarray(0, 20)]);
  out.push(["wav random pcm", wav(() => {}, bytes(32_000))]);
  out.push(["wav 6 s (over the audio limit)", Buffer.from(encodeWav(new Float32Array(16_000 * 6), 16_000))]);
  for (const [name, media] of [["mp3", seeds.mp3], ["ogg", seeds.ogg], ["mp4", seeds.mp4], ["webm", seeds.webm]] as const) {
    for (const frac of [0.05, 0.3, 0.6, 0.95]) out.push([`${name} cut at ${frac * 100}%`, media.subarray(0, Math.floor(media.length * frac))]);
    const middle = Buffer.from(media);
    bytes(Math.floor(media.length / 4)).copy(middle, Math.floor(media.length / 3));
    out.push([`${name} middle quarter random`, middle]);
  }
  // An MP4 whose atoms claim sizes far past the end of the file.
  const mp4 = Buffer.from(seeds.mp4);
  for (let i = 0; i + 8 < mp4.length; i++) {
    if (mp4.toString("latin1", i + 4, i + 8) === "moov") {
      mp4.writeUInt32BE(0x7fffffff, i);
      break;
    }
  }
  out.push(["mp4 moov size 2 GB", mp4]);
  return out;
}

function pngOf(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height); // filter byte + one byte per pixel, all zero
  return Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

