/**
 * Audio messages end to end: every container a client sends (generated from espeak-ng speech
 * with the server's own ffmpeg), the audio limits and their coded errors, a decoder that hangs,
 * and a connection that keeps working after each error. Until the prosody and burst models are
 * in the build, a message that passes every decoding check is answered with E0901.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AUDIO_SAMPLE_RATE, decodeSound } from "../../src/media/audio.js";
import { DecodeError, runFfmpeg } from "../../src/media/ffmpeg.js";
import { DEFAULT_LIMITS } from "../../src/media/limits.js";
import { isAvailable } from "../../src/models/registry.js";
import type { ModelName } from "../../src/protocol/index.js";
import type { RunningServer } from "../../src/server/index.js";
import { AUDIO_FORMATS, encodeAudio, espeakMissing, ffmpeg, silence, speech } from "../helpers/av.js";
import { Conn, type Reply } from "../helpers/conn.js";
import { startTestServer } from "../helpers/server.js";
import { b64, wav } from "../fixtures/media.js";

const skip = espeakMissing;
const TEXT = "The quick brown fox jumps over the lazy dog.";

/** The message passed every decoding check: predictions, or E0901 while a requested model is not in the build. */
function assertDecoded(reply: Reply, what: string, models: ModelName[] = ["prosody"]): void {
  if (models.every(isAvailable)) assert.equal(reply.error, undefined, `${what}: ${JSON.stringify(reply).slice(0, 300)}`);
  else assert.equal(reply.code, "E0901", `${what}: ${JSON.stringify(reply).slice(0, 300)}`);
}

async function assertUsable(conn: Conn): Promise<void> {
  const reply = await conn.ask({ models: { language: { granularity: "passage" } }, raw_text: true, data: "Still here, thank you!" });
  assert.equal(reply.error, undefined, JSON.stringify(reply).slice(0, 300));
  assert.equal(reply.language.predictions.length, 1);
}

async function expectCode(conn: Conn, data: Buffer, code: string, match?: RegExp): Promise<void> {
  const reply = await conn.ask({ models: { prosody: {} }, data: b64(data), payload_id: code });
  assert.equal(reply.code, code, JSON.stringify(reply).slice(0, 300));
  assert.equal(reply.payload_id, code);
  if (match) assert.match(reply.error, match);
  await assertUsable(conn);
}

describe("audio decoding (unit)", { skip }, () => {
  test("every format decodes to 16 kHz mono of about the WAV's duration", async () => {
    const wavBytes = speech(TEXT);
    const reference = (await decodeSound(wavBytes, "audio", DEFAULT_LIMITS)).length / AUDIO_SAMPLE_RATE;
    assert.ok(reference > 1.5 && reference < 5, `espeak clip is ${reference} s`);
    for (const format of Object.keys(AUDIO_FORMATS)) {
      const samples = await decodeSound(encodeAudio(wavBytes, format), "audio", DEFAULT_LIMITS);
      const seconds = samples.length / AUDIO_SAMPLE_RATE;
      // Lossy codecs add encoder priming and frame padding: tens of milliseconds.
      assert.ok(Math.abs(seconds - reference) < 0.1, `${format}: ${seconds} s vs ${reference} s`);
      let peak = 0;
      for (const x of samples) peak = Math.max(peak, Math.abs(x));
      assert.ok(peak > 0.05 && peak <= 1.01, `${format}: peak ${peak}`);
    }
  });

  test("a 6-second clip is E0203 from the decoded samples, whatever the container says", async () => {
    const long = ffmpeg([], ["-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000", "-t", "6", "-c:a", "libopus", "-f", "webm"], "webm");
    await assert.rejects(decodeSound(long, "audio", DEFAULT_LIMITS), (e: Error & { code?: string }) => e.code === "E0203");
    // Within the limit at a higher one.
    const samples = await decodeSound(long, "audio", { ...DEFAULT_LIMITS, maxAudioMs: 7000 });
    assert.ok(Math.abs(samples.length / AUDIO_SAMPLE_RATE - 6) < 0.1);
  });

  test("a decoder that runs past its time limit is killed, and says so", async () => {
    // Ten minutes of generated noise (the input file is unused): far more than 50 ms of work.
    const started = Date.now();
    await assert.rejects(
      runFfmpeg(wav(0), ["-hide_banner", "-nostdin", "-f", "lavfi", "-i", "anoisesrc=r=48000:d=600", "-f", "f32le", "pipe:1"], { timeoutMs: 50, maxBytes: 1e12 }),
      (e: unknown) => e instanceof DecodeError && e.kind === "timeout",
    );
    assert.ok(Date.now() - started < 3000, `killed after ${Date.now() - started} ms`);
  });
});

describe("audio messages on the server", { skip }, () => {
  let server: RunningServer;
  let conn: Conn;
  before(async () => {
    server = await startTestServer();
    conn = await Conn.open(server.streamUrl);
  });
  after(async () => {
    conn?.close();
    await server?.close();
  });

  test("WAV, MP3, M4A, AAC, OGG/Opus, MediaRecorder WebM/Opus, FLAC and audio-only MP4 pass every decoding check", async () => {
    const wavBytes = speech(TEXT);
    for (const format of Object.keys(AUDIO_FORMATS)) {
      const reply = await conn.ask({ models: { prosody: {}, burst: {} }, data: b64(encodeAudio(wavBytes, format)), payload_id: format });
      assert.equal(reply.payload_id, format);
      assertDecoded(reply, format, ["prosody", "burst"]);
    }
  });

  test("audio-only WebM is audio, not video: face on it is E0102 'audio'", async () => {
    const webm = encodeAudio(speech("Hello."), "webm");
    const reply = await conn.ask({ models: { face: {} }, data: b64(webm) });
    assert.equal(reply.code, "E0102", JSON.stringify(reply));
    assert.match(reply.error, /'audio'/);
    await assertUsable(conn);
  });

  test("E0200: corrupt audio (a valid container header, then garbage)", async () => {
    const m4a = encodeAudio(speech("Hello."), "m4a");
    const corrupt = Buffer.concat([m4a.subarray(0, 40), Buffer.alloc(4000, 0x5a)]);
    await expectCode(conn, corrupt, "E0200", /could not be decoded/);
    const wavBytes = speech("Hello.");
    // A RIFF/WAVE header whose format chunk names a codec nobody has.
    const badCodec = Buffer.from(wavBytes);
    badCodec.writeUInt16LE(0x7777, 20);
    await expectCode(conn, badCodec, "E0200");
  });

  test("E0203: a 6-second clip, in WAV (header) and in Opus (decoded samples); 4.9 s is fine", async () => {
    const six = concat(speech(TEXT), 6);
    await expectCode(conn, six, "E0203", /5000 milliseconds/);
    await expectCode(conn, encodeAudio(six, "ogg"), "E0203");
    assertDecoded(await conn.ask({ models: { prosody: {} }, data: b64(encodeAudio(concat(speech(TEXT), 4.9), "webm")) }), "4.9 s");
    // Exactly 5 s in every format passes, although MP3 and AAC state or decode a few ms more.
    const five = concat(speech(TEXT), 5);
    for (const format of Object.keys(AUDIO_FORMATS)) {
      assertDecoded(await conn.ask({ models: { prosody: {} }, data: b64(encodeAudio(five, format)) }), `5 s ${format}`);
    }
  });

  test("E0202: files with no samples (zero-length WAV, FLAC, M4A); digital silence is audio, not E0202", async () => {
    await expectCode(conn, wav(0), "E0202", /No audio signal/);
    await expectCode(conn, ffmpeg([wav(0)], ["-i", "IN0", "-c:a", "flac"], "flac"), "E0202");
    await expectCode(conn, ffmpeg([wav(0)], ["-i", "IN0", "-c:a", "aac"], "m4a"), "E0202");
    // Zero bytes are no media at all: they sniff as empty text, which prosody does not take.
    const empty = await conn.ask({ models: { prosody: {} }, data: "" });
    assert.ok(["E0101", "E0102"].includes(empty.code), JSON.stringify(empty));
    await assertUsable(conn);
    // Silence gets the models' no-speech / no-burst warnings instead (W0105 / W0101).
    assertDecoded(await conn.ask({ models: { prosody: {} }, data: b64(silence(2)) }), "silence");
  });

  test("a decoder that hangs past the time limit is E0200 'timed out', and the connection goes on", async () => {
    const slow = await startTestServer({ limits: { decodeTimeoutMs: 1 } });
    const c = await Conn.open(slow.streamUrl);
    try {
      await expectCode(c, speech(TEXT), "E0200", /timed out/);
      await expectCode(c, encodeAudio(speech(TEXT), "mp3"), "E0200", /timed out/);
    } finally {
      c.close();
      await slow.close();
    }
  });
});

/** `wav` trimmed or padded with silence to exactly `seconds`, as a 16 kHz WAV. */
function concat(wavBytes: Buffer, seconds: number): Buffer {
  return ffmpeg([wavBytes], ["-i", "IN0", "-af", "apad,aresample=16000", "-t", String(seconds), "-c:a", "pcm_s16le"], "wav");
}
