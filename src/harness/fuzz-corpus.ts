/**
 * The fuzz corpus: hostile frames, made fresh from a seed on each run. Every case expects
 * exactly one reply (any valid reply: an error with a known code, or predictions) except the
 * few that the protocol answers by closing the connection (oversize frame 1009, a text frame
 * that is not UTF-8 1007, as RFC 6455 requires).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { bombImages, malformedAv } from "./fuzz-media.js";
import { ffmpegPath } from "../media/ffmpeg.js";
import { FACE_PHOTOS, syntheticWav } from "./media.js";
import { prng } from "./traffic.js";

export interface FuzzCase {
  category: string;
  name: string;
  frame: string | Buffer;
  /** Send as a binary frame (a Buffer is sent as a text frame unless this is set). */
  binary?: boolean;
  /** The payload_id the reply must echo, when the frame is a JSON object carrying one. */
  payloadId?: string;
  /** Close code the server must answer with instead of a reply. */
  close?: number;
}

export interface Seeds {
  jpeg: Buffer;
  png: Buffer;
  smallJpeg: Buffer;
  wav: Buffer;
  mp3: Buffer;
  ogg: Buffer;
  mp4: Buffer;
  webm: Buffer;
}

/** Small real media to mutate: a face photo, a second of sound, a one-second video. */
export async function makeSeeds(): Promise<Seeds> {
  const photo = readFileSync(join(FACE_PHOTOS, "sample1.jpg"));
  const jpeg = await sharp(photo).resize(320).jpeg({ quality: 80 }).toBuffer();
  const png = await sharp(photo).resize(160).png().toBuffer();
  const smallJpeg = await sharp(photo).resize(96).jpeg({ quality: 70 }).toBuffer();
  const wav = syntheticWav(1, 140);
  const dir = mkdtempSync(join(tmpdir(), "oe-fuzz-"));
  try {
    const ff = (args: string[], out: string) => {
      execFileSync(ffmpegPath, ["-hide_banner", "-loglevel", "error", "-y", ...args, join(dir, out)]);
      return readFileSync(join(dir, out));
    };
    const wavPath = join(dir, "in.wav");
    writeFileSync(wavPath, wav);
    const photoPath = join(dir, "photo.jpg");
    writeFileSync(photoPath, smallJpeg);
    return {
      jpeg,
      png,
      smallJpeg,
      wav,
      mp3: ff(["-i", wavPath, "-c:a", "libmp3lame", "-b:a", "32k"], "a.mp3"),
      ogg: ff(["-i", wavPath, "-c:a", "libopus", "-b:a", "24k"], "a.ogg"),
      mp4: ff(["-loop", "1", "-framerate", "5", "-i", photoPath, "-i", wavPath, "-vf", "scale=96:-2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-t", "1", "-shortest"], "v.mp4"),
      webm: ff(["-loop", "1", "-framerate", "5", "-i", photoPath, "-i", wavPath, "-vf", "scale=96:-2", "-c:v", "libvpx", "-c:a", "libopus", "-t", "1", "-shortest", "-f", "webm"], "v.webm"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const b64 = (b: Buffer) => b.toString("base64");

/** Messages for every model combination worth trying on hostile media. */
const MODEL_SETS: Record<string, unknown>[] = [
  { face: {} },
  { prosody: {}, burst: {} },
  { language: {} },
  { facemesh: {} },
  { face: {}, prosody: {}, burst: {}, language: {}, facemesh: {} },
];

/** Magic numbers that make the sniffer pick each media type, followed by random bytes. */
const MAGICS: Record<string, Buffer> = {
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  png: Buffer.from("89504e470d0a1a0a", "hex"),
  gif: Buffer.from("GIF89a"),
  webp: Buffer.concat([Buffer.from("RIFF"), Buffer.from([0xff, 0xff, 0, 0]), Buffer.from("WEBPVP8 ")]),
  bmp: Buffer.from("BM"),
  tiff: Buffer.from([0x49, 0x49, 0x2a, 0x00]),
  avif: Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), Buffer.from("ftypavif")]),
  wav: Buffer.concat([Buffer.from("RIFF"), Buffer.from([0xff, 0xff, 0, 0]), Buffer.from("WAVEfmt ")]),
  mp3: Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00"),
  mp3frame: Buffer.from([0xff, 0xfb, 0x90, 0x64]),
  ogg: Buffer.from("OggS\x00\x02"),
  flac: Buffer.from("fLaC\x00\x00\x00\x22"),
  aac: Buffer.from([0xff, 0xf1, 0x50, 0x80]),
  mp4: Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from("ftypisom\x00\x00\x02\x00isomiso2mp41")]),
  m4a: Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from("ftypM4A \x00\x00\x02\x00M4A mp42isom")]),
  mov: Buffer.concat([Buffer.from([0, 0, 0, 0x14]), Buffer.from("ftypqt  \x00\x00\x02\x00qt  ")]),
  webm: Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84]).subarray(0, 12),
  avi: Buffer.concat([Buffer.from("RIFF"), Buffer.from([0xff, 0xff, 0, 0]), Buffer.from("AVI LIST")]),
  zip: Buffer.from("PK\x03\x04"),
  gzip: Buffer.from([0x1f, 0x8b, 0x08]),
  pdf: Buffer.from("%PDF-1.7\n"),
  none: Buffer.alloc(0),
};

/** Values no field expects. */
const HOSTILE_VALUES: [string, string][] = [
  ["1e308", "1e308"],
  ["-1e308", "-1e308"],
  ["1e999", "1e999"],
  ["-0", "-0"],
  ["2^53+1", "9007199254740993"],
  ["1000-digit number", "9".repeat(1000)],
  ["tiny", "1e-400"],
  ["negative", "-1"],
  ["string", '"12"'],
  ["true", "true"],
  ["null", "null"],
  ["array", "[1,2,3]"],
  ["object", '{"a":{"b":{}}}'],
  ["long string", JSON.stringify("x".repeat(5000))],
  ["NUL", '"\\u0000"'],
  ["lone surrogate", '"\\ud800"'],
  ["__proto__", '{"__proto__":{"polluted":true}}'],
  ["deep array", "[".repeat(500) + "]".repeat(500)],
];

/** Where those values go: a path in an otherwise valid language message. */
const FIELDS: string[][] = [
  ["models"],
  ["models", "language"],
  ["models", "language", "granularity"],
  ["models", "language", "sentiment"],
  ["models", "language", "toxicity"],
  ["models", "language", "identify_speakers"],
  ["models", "face"],
  ["models", "face", "fps_pred"],
  ["models", "face", "prob_threshold"],
  ["models", "face", "identify_faces"],
  ["models", "face", "min_face_size"],
  ["models", "face", "save_faces"],
  ["models", "face", "descriptions"],
  ["models", "face", "facs"],
  ["models", "prosody"],
  ["models", "burst"],
  ["models", "facemesh"],
  ["models", "unknown_model"],
  ["stream_window_ms"],
  ["reset_stream"],
  ["raw_text"],
  ["job_details"],
  ["payload_id"],
  ["data"],
  ["unexpected_field"],
];

export interface CorpusOptions {
  /** Total number of reply-expecting cases, not counting the pipelined flood. */
  count: number;
  seed: number;
  /** Largest frame the server accepts (an oversize case is one byte more). */
  maxMessageBytes: number;
}

export function buildCorpus(seeds: Seeds, o: CorpusOptions): FuzzCase[] {
  const rnd = prng(o.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: T[]): T => xs[int(xs.length)] as T;
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  let id = 0;
  const nextId = () => `fz${++id}`;
  const cases: FuzzCase[] = [];
  const json = (category: string, name: string, body: Record<string, unknown>) => {
    const payloadId = nextId();
    cases.push({ category, name, frame: JSON.stringify({ ...body, payload_id: payloadId }), payloadId });
  };
  const validText = (pid: string) => JSON.stringify({ models: { language: { granularity: "word" } }, raw_text: true, data: "What a wonderful, awful day.", payload_id: pid });

  // --- Fixed cases: each kind of hostile input at least once. ---
  // Bomb and truncated images.
  for (const [name, image] of bombImages(seeds)) json("image-bomb", name, { models: { face: {} }, data: b64(image) });
  for (const cut of [1, 2, 3, 8, 16, 64, 200, 500, 1000, 2000, 4000, 8000]) {
    if (cut < seeds.jpeg.length) json("image-truncated", `jpeg cut at ${cut}`, { models: { face: {} }, data: b64(seeds.jpeg.subarray(0, cut)) });
    if (cut < seeds.png.length) json("image-truncated", `png cut at ${cut}`, { models: { face: {} }, data: b64(seeds.png.subarray(0, cut)) });
  }
  // Malformed audio and video.
  for (const [name, media] of malformedAv(seeds, bytes)) {
    for (const models of [{ prosody: {}, burst: {} }, { face: {}, prosody: {} }]) json("av-malformed", name, { models, data: b64(media) });
  }
  // Deep nesting, as the whole frame and inside fields.
  for (const depth of [64, 1000, 10_000, 100_000, 1_000_000]) {
    cases.push({ category: "deep-nesting", name: `array depth ${depth}`, frame: "[".repeat(depth) + "]".repeat(depth) });
    cases.push({ category: "deep-nesting", name: `object depth ${depth}`, frame: '{"a":'.repeat(depth) + "1" + "}".repeat(depth) });
    const pid = nextId();
    cases.push({ category: "deep-nesting", name: `models depth ${depth}`, frame: `{"payload_id":"${pid}","models":${'{"language":'.repeat(depth)}{}${"}".repeat(depth)},"data":"hi"}`, payloadId: pid });
    const pid2 = nextId();
    cases.push({ category: "deep-nesting", name: `unknown field depth ${depth}`, frame: `{"payload_id":"${pid2}","x":${"[".repeat(depth)}${"]".repeat(depth)},"models":{"language":{}},"raw_text":true,"data":"hi"}`, payloadId: pid2 });
  }
  // Big but legal frames: text over its limit, base64 garbage, a long payload_id.
  const big = Math.min(o.maxMessageBytes - 1024, 24 * 1024 * 1024);
  json("large", "text just under the frame limit", { models: { language: {} }, raw_text: true, data: "a".repeat(big) });
  json("large", "random bytes just under the frame limit", { models: { face: {}, prosody: {} }, data: b64(bytes(Math.floor((big * 3) / 4) - 64)) });
  const longId = "p".repeat(100_000);
  cases.push({ category: "large", name: "100 kB payload_id", frame: JSON.stringify({ models: { language: {} }, raw_text: true, data: "hi", payload_id: longId }), payloadId: longId });
  // Frames the protocol answers with a close.
  cases.push({ category: "oversize", name: "one byte over the frame limit", frame: Buffer.alloc(o.maxMessageBytes + 1, 0x61), close: 1009 });
  cases.push({ category: "oversize", name: "binary frame over the limit", frame: bytes(o.maxMessageBytes + 1), binary: true, close: 1009 });
  cases.push({ category: "invalid-utf8", name: "text frame that is not UTF-8", frame: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), close: 1007 });
  cases.push({ category: "invalid-utf8", name: "overlong encoding in a text frame", frame: Buffer.from([0x22, 0xc0, 0xaf, 0x22]), close: 1007 });
  // Frames and fields that are almost right.
  for (const frame of ["", " ", "null", "0", "-1", "1e999", "true", '"str"', "[]", "{}", "[{}]", "{}{}", '{"a":1,}', "{'a':1}", "{a:1}", "\ufeff{}", '{"data":"hi"} // c', "NaN", "Infinity", '{"models":{"language":{}},"data":"hi","raw_text":true,"data":"dup"}']) {
    cases.push({ category: "json-edge", name: JSON.stringify(frame).slice(0, 40), frame });
  }

  // --- Generated cases, until the count is reached. ---
  const generators: [number, () => void][] = [
    // Broken JSON: a valid message cut, bytes flipped, bytes inserted.
    [30, () => {
      const base = validText("x");
      const kind = int(3);
      let frame: string;
      if (kind === 0) frame = base.slice(0, int(base.length));
      else if (kind === 1) {
        const a = [...base];
        const at = int(a.length);
        a[at] = String.fromCharCode(int(128));
        frame = a.join("");
      } else {
        const at = int(base.length);
        frame = base.slice(0, at) + pick(["{", "}", "[", "]", '"', ",", ":", "\\", "\u0000", "\n"]) + base.slice(at);
      }
      cases.push({ category: "json-syntax", name: "mutated message", frame });
    }],
    // Random printable and random unicode strings.
    [10, () => {
      const n = 1 + int(200);
      let s = "";
      for (let i = 0; i < n; i++) s += String.fromCodePoint(rnd() < 0.8 ? 32 + int(95) : 0x80 + int(0x2ff00));
      cases.push({ category: "json-syntax", name: "random string", frame: s.replace(/[\ud800-\udfff]/g, "?") });
    }],
    // Wrong types and huge numbers in every field.
    [25, () => {
      const field = pick(FIELDS);
      const [label, raw] = pick(HOSTILE_VALUES);
      const pid = field[0] === "payload_id" ? undefined : nextId();
      const marker = "__HOSTILE__";
      const msg: Record<string, unknown> = { models: { language: {}, face: {} }, raw_text: true, data: "I am so happy today." };
      let node = msg;
      field.forEach((k, i) => {
        if (i === field.length - 1) node[k] = marker;
        else {
          if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
          node = node[k] as Record<string, unknown>;
        }
      });
      if (pid) msg.payload_id = pid;
      const frame = JSON.stringify(msg).replace(`"${marker}"`, raw);
      cases.push({ category: "wrong-type", name: `${field.join(".")} = ${label}`, frame, payloadId: pid });
    }],
    // Random bytes behind every media magic, for every model set.
    [20, () => {
      const magic = pick(Object.keys(MAGICS));
      const size = pick([0, 1, 16, 100, 1000, 10_000, 60_000]);
      json("random-media", `${magic} + ${size} random bytes`, { models: pick(MODEL_SETS), data: b64(Buffer.concat([MAGICS[magic] as Buffer, bytes(size)])) });
    }],
    // Real media with random bytes overwritten.
    [8, () => {
      const [name, seed] = pick(Object.entries(seeds) as [string, Buffer][]);
      const copy = Buffer.from(seed);
      const flips = 1 + int(20);
      for (let i = 0; i < flips; i++) copy[int(copy.length)] = int(256);
      json("corrupted-media", `${name} with ${flips} bytes changed`, { models: pick(MODEL_SETS), data: b64(copy) });
    }],
    // Bad base64 and data URLs.
    [5, () => {
      const data = pick(["%%%%", "a", "ab=", "====", "YWJj\u0000", "data:image/png;base64,", "data:;base64,@@@", "data:image/jpeg;base64," + b64(bytes(50)), b64(bytes(30)).replace(/[A-Z]/g, "*"), " " + b64(bytes(12)) + " \n"]);
      json("base64", `data ${JSON.stringify(data).slice(0, 30)}`, { models: pick(MODEL_SETS), data });
    }],
    // Invalid UTF-8: in binary frames (decoded with replacement characters), and as media bytes.
    [8, () => {
      const bad = Buffer.concat([Buffer.from('{"models":{"language":{}},"raw_text":true,"data":"'), bytes(1 + int(40)).map((b) => b | 0x80), Buffer.from('"}')]);
      if (rnd() < 0.5) cases.push({ category: "invalid-utf8", name: "binary frame, invalid UTF-8 in a string", frame: bad, binary: true });
      else if (rnd() < 0.5) cases.push({ category: "invalid-utf8", name: "binary frame, random bytes", frame: bytes(1 + int(500)), binary: true });
      else json("invalid-utf8", "invalid UTF-8 as text data", { models: { language: {} }, data: b64(Buffer.concat([Buffer.from("Hello "), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc])])) });
    }],
    // Facemesh arrays of the wrong shape.
    [5, () => {
      const shapes = [[], [[]], [[[]]], [[[1, 2]]], [[["a", "b", "c"]]], [[[1e308, -1e308, 0]]], Array.from({ length: 50 }, () => [[0, 0, 0]]), [Array.from({ length: 478 }, () => [NaN, 0, 0])], [Array.from({ length: 478 }, () => [0, 0, 0])], [Array.from({ length: 5000 }, () => [1, 1, 1])]];
      json("facemesh", "malformed mesh", { models: { facemesh: {} }, data: JSON.stringify(pick(shapes)) });
    }],
    // Protocol-level oddities in an otherwise valid message.
    [6, () => {
      const variants: Record<string, unknown>[] = [
        { reset_stream: true },
        { job_details: true },
        { reset_stream: true, job_details: true, models: { prosody: {} }, data: b64(seeds.wav) },
        { models: {}, data: "hi" },
        { models: null, data: "hi" },
        { data: null },
        { models: { language: {} }, raw_text: true, data: "" },
        { models: { language: {} }, raw_text: true, data: "   \n\t  " },
        { models: { language: { granularity: "word" } }, raw_text: true, data: "🙂".repeat(3000) },
        { models: { language: {} }, raw_text: true, data: "a".repeat(10_001) },
        { models: { prosody: {} }, stream_window_ms: 499, data: b64(seeds.wav) },
        { models: { prosody: {} }, stream_window_ms: 10_000, data: b64(seeds.wav) },
        { models: { face: {} }, raw_text: true, data: b64(seeds.smallJpeg) },
      ];
      json("protocol", "odd but well-formed", pick(variants));
    }],
  ];
  const totalWeight = generators.reduce((s, [w]) => s + w, 0);
  while (cases.filter((c) => c.close === undefined).length < o.count) {
    let r = rnd() * totalWeight;
    for (const [w, gen] of generators) {
      r -= w;
      if (r < 0) {
        gen();
        break;
      }
    }
  }
  return cases;
}
