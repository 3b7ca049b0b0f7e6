/**
 * Media intake without a server: base64 decoding, type sniffing, facemesh validation and the
 * per-message limits, on bytes generated here. Each case names the error code a client sees.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeBase64, isBase64, stripDataUrl } from "../../../src/media/base64.js";
import { intake, type IntakeRequest, type Media } from "../../../src/media/intake.js";
import { DEFAULT_LIMITS, type MediaLimits } from "../../../src/media/limits.js";
import { decodeText, sniff } from "../../../src/media/sniff.js";
import { ProtocolError, type ModelName } from "../../../src/protocol/index.js";
import { b64, facemesh, noise, png, pngHeader, wav, webmHeader } from "../../fixtures/media.js";

async function intakeCode(req: Partial<IntakeRequest> & { data: string }, limits: Partial<MediaLimits> = {}): Promise<string | Media> {
  try {
    return await intake({ rawText: false, models: ["language"], ...req }, { ...DEFAULT_LIMITS, ...limits });
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `a ProtocolError, got ${String(err)}`);
    return err.code;
  }
}

/** A JPEG header (SOI, EXIF APP1 with an orientation, SOF0) declaring `width` x `height`. */
function jpegHeader(width: number, height: number, orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write("MM\0*", 0, "latin1");
  tiff.writeUInt32BE(8, 4); // IFD0 offset
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // count
  tiff.writeUInt16BE(orientation, 18);
  const exif = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), u16(exif.length + 2), exif]);
  const sof = Buffer.concat([Buffer.from([0xff, 0xc0]), u16(17), Buffer.from([8]), u16(height), u16(width), Buffer.from([3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1])]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof, Buffer.from([0xff, 0xd9])]);
}
function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

describe("base64", () => {
  test("standard, URL-safe, line-wrapped and data-URL forms decode to the same bytes", () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) & 0xff));
    const std = bytes.toString("base64");
    const wrapped = std.replace(/.{76}/g, "$&\r\n");
    for (const form of [std, bytes.toString("base64url"), wrapped, `data:application/octet-stream;base64,${std}`, `DATA:;base64,${std}`]) {
      assert.deepEqual(Buffer.from(decodeBase64(form)), bytes, form.slice(0, 40));
    }
    assert.equal(stripDataUrl("data:text/plain;base64,SGk="), "SGk=");
    assert.equal(stripDataUrl("SGk="), "SGk=");
  });

  test("invalid base64 is E0201, not silently skipped characters", () => {
    for (const bad of ["not base64!", "SGk=SGk=", "SGVsbG8=A", "SGk=====", "%%%%", "SGk*"]) {
      assert.throws(() => decodeBase64(bad), (e: unknown) => e instanceof ProtocolError && e.code === "E0201", bad);
    }
    assert.equal(isBase64("SGVsbG8="), true);
    assert.equal(isBase64("SGVsbG8"), true, "unpadded is fine when the length allows it");
    assert.equal(isBase64("SGVsb"), false, "a length of 4n+1 can never be base64");
  });
});

describe("sniffing", () => {
  test("each generated container is recognised by its bytes", async () => {
    assert.deepEqual(await sniff(png(4, 4)), { kind: "image", mime: "image/png" });
    assert.deepEqual(await sniff(pngHeader(10, 10)), { kind: "image", mime: "image/png" });
    assert.equal((await sniff(jpegHeader(10, 10, 1)))?.kind, "image");
    assert.equal((await sniff(wav(0.2)))?.kind, "audio");
    assert.deepEqual(await sniff(webmHeader(1000)), { kind: "video", mime: "video/webm" });
    assert.deepEqual(await sniff(Buffer.from("Just some text.\n")), { kind: "text" });
    assert.deepEqual(await sniff(Buffer.from(JSON.stringify(facemesh(1)))), { kind: "facemesh" });
    assert.equal(await sniff(noise(512)), undefined);
    assert.equal(await sniff(Buffer.from([0x50, 0x4b, 0x03, 0x04, ...noise(100)])), undefined, "a zip is no media");
  });

  test("text: UTF-8 with a BOM is text; invalid UTF-8 and NULs are not", () => {
    assert.equal(decodeText(Buffer.from("\uFEFFhello", "utf8")), "hello");
    assert.equal(decodeText(Buffer.from([0x68, 0x69, 0xff, 0xfe])), undefined);
    assert.equal(decodeText(Buffer.from("hi\0there")), undefined);
    assert.equal(decodeText(Buffer.from("tabs\tand\r\nlines\n")), "tabs\tand\r\nlines\n");
  });
});

describe("intake", () => {
  test("raw_text is taken as it is, even when it looks like base64 or a data URL", async () => {
    assert.deepEqual(await intakeCode({ data: "SGVsbG8=", rawText: true }), { kind: "text", text: "SGVsbG8=" });
    assert.deepEqual(await intakeCode({ data: "data:text/plain;base64,SGk=", rawText: true }), { kind: "text", text: "data:text/plain;base64,SGk=" });
  });

  test("a base64 text file is text whatever raw_text says", async () => {
    assert.deepEqual(await intakeCode({ data: b64("I love it"), rawText: false }), { kind: "text", text: "I love it" });
  });

  test("text limit counts code points: 10,000 emoji pass, 10,001 characters are E0206", async () => {
    assert.equal(((await intakeCode({ data: "😀".repeat(10_000), rawText: true })) as Media).kind, "text");
    assert.equal(((await intakeCode({ data: "é".repeat(10_000), rawText: true })) as Media).kind, "text");
    assert.equal(await intakeCode({ data: "😀".repeat(10_001), rawText: true }), "E0206");
    assert.equal(await intakeCode({ data: "a".repeat(10_001), rawText: true }), "E0206");
    assert.equal(await intakeCode({ data: b64("a".repeat(10_001)) }), "E0206");
    assert.equal(await intakeCode({ data: "a".repeat(51), rawText: true }, { maxTextChars: 50 }), "E0206");
  });

  test("model/type compatibility is E0102 with the official wording", async () => {
    await assert.rejects(intake({ data: b64(png(4, 4)), rawText: false, models: ["prosody"] }, DEFAULT_LIMITS), {
      code: "E0102",
      message: "Streaming payload configured with model type 'prosody', which is not supported for the detected file type 'image'.",
    });
    const cases: [ModelName, string, boolean, string][] = [
      ["face", "hello", true, "text"],
      ["language", b64(wav(0.2)), false, "audio"],
      ["burst", b64(png(4, 4)), false, "image"],
      ["facemesh", "hello", true, "text"],
      ["language", b64(webmHeader(500)), false, "video"],
    ];
    for (const [model, data, rawText, kind] of cases) {
      await assert.rejects(intake({ data, rawText, models: [model] }, DEFAULT_LIMITS), (e: unknown) => {
        assert.ok(e instanceof ProtocolError);
        assert.equal(e.code, "E0102");
        assert.match(e.message, new RegExp(`'${model}'.*'${kind}'`));
        return true;
      });
    }
  });

  test("images: header dimensions against the limit, with EXIF rotation swapping width and height", async () => {
    const face: ModelName[] = ["face"];
    assert.equal(await intakeCode({ data: b64(pngHeader(100_000, 100_000)), models: face }), "E0205");
    assert.equal(await intakeCode({ data: b64(pngHeader(3001, 1)), models: face }), "E0205");
    assert.equal(await intakeCode({ data: b64(pngHeader(1, 3001)), models: face }), "E0205");
    assert.deepEqual(await intakeCode({ data: b64(pngHeader(3000, 3000)), models: face }), {
      kind: "image",
      bytes: new Uint8Array(pngHeader(3000, 3000)),
      mime: "image/png",
      width: 3000,
      height: 3000,
    });
    // Orientation 6 (rotate 90°): stored 2000 x 100, shown as 100 x 2000; limits apply as shown.
    const rotated = (await intakeCode({ data: b64(jpegHeader(2000, 100, 6)), models: face })) as Media & { width: number; height: number };
    assert.deepEqual([rotated.kind, rotated.width, rotated.height], ["image", 100, 2000]);
    assert.equal(await intakeCode({ data: b64(jpegHeader(4000, 100, 6)), models: face }), "E0205");
    assert.equal(await intakeCode({ data: b64(jpegHeader(100, 2000, 6)), models: face }, { maxImageWidth: 1000 }), "E0205", "2000 wide once rotated");
    // A PNG signature with a broken header cannot be measured.
    assert.equal(await intakeCode({ data: b64(Buffer.concat([pngHeader(10, 10).subarray(0, 12), Buffer.from("XXXX")])), models: face }), "E0200");
  });

  test("audio and video durations from the container header", async () => {
    const audio = (await intakeCode({ data: b64(wav(1.5)), models: ["prosody"] })) as Media & { durationMs: number };
    assert.equal(audio.kind, "audio");
    assert.ok(Math.abs(audio.durationMs - 1500) < 1, `${audio.durationMs} ms`);
    assert.equal(await intakeCode({ data: b64(wav(5.2)), models: ["prosody"] }), "E0203");
    assert.equal(((await intakeCode({ data: b64(wav(4.9)), models: ["burst"] })) as Media).kind, "audio");
    assert.equal(await intakeCode({ data: b64(wav(2)), models: ["prosody"] }, { maxAudioMs: 1000 }), "E0203");
    assert.equal(await intakeCode({ data: b64(webmHeader(61_000)), models: ["face"] }), "E0204");
    assert.equal(((await intakeCode({ data: b64(webmHeader(59_000)), models: ["face", "prosody"] })) as Media).kind, "video");
  });

  test("facemesh: raw JSON or base64 JSON, with either raw_text; bad shapes are E0101", async () => {
    const mesh = facemesh(2);
    for (const [data, rawText] of [
      [JSON.stringify(mesh), false],
      [JSON.stringify(mesh), true],
      [b64(JSON.stringify(mesh)), true],
      [b64(JSON.stringify(mesh)), false],
      [`data:application/json;base64,${b64(JSON.stringify(mesh))}`, true],
    ] as const) {
      const media = await intakeCode({ data, rawText, models: ["facemesh"] });
      assert.deepEqual(media, { kind: "facemesh", faces: mesh }, `${data.slice(0, 20)} raw_text=${rawText}`);
    }
    assert.equal(((await intakeCode({ data: JSON.stringify(facemesh(10)), models: ["facemesh"] })) as Media).kind, "facemesh");
    for (const bad of [facemesh(11), facemesh(1, 477), [[...facemesh(1)[0]!.slice(1), [0, 0, Number.NaN]]], [[...facemesh(1)[0]!.slice(1), [0, 0]]], [5]]) {
      assert.equal(await intakeCode({ data: JSON.stringify(bad), models: ["facemesh"] }), "E0101");
      assert.equal(await intakeCode({ data: b64(JSON.stringify(bad)), rawText: true, models: ["facemesh"] }), "E0101");
    }
    // An empty list is a valid payload with no faces (the model answers with a warning).
    assert.deepEqual(await intakeCode({ data: "[]", models: ["facemesh"] }), { kind: "facemesh", faces: [] });
  });

  test("unknown bytes are E0200, bad base64 is E0201", async () => {
    assert.equal(await intakeCode({ data: b64(noise(300)) }), "E0200");
    assert.equal(await intakeCode({ data: "definitely not base64!" }), "E0201");
  });
});
