/**
 * In-process decoding of the WAV that streaming clients send most: mono PCM at the models' rate
 * (16 kHz), as 16-bit integers or 32-bit floats, which is what our CLI, playground and SDK send
 * (`wav.ts`). It saves the ffmpeg child process a message otherwise costs (30-40 ms of a 5 s
 * clip's round trip on 2 cores). Anything else (another rate or channel count, another codec,
 * RIFX/RF64, a header the parser rejects) returns undefined and goes to ffmpeg, so its behaviour
 * is unchanged. For the accepted case the samples are the ones ffmpeg gives (int16 / 32768, float
 * as stored), which a test pins against ffmpeg's own output.
 */
import wavefile from "wavefile";
import { z } from "zod";
import { AUDIO_SAMPLE_RATE } from "../primitives.js";

const { WaveFile } = wavefile;

const PCM_INT = 1;
const PCM_FLOAT = 3;
/** WAVE_FORMAT_EXTENSIBLE: the format code is then the first field of `subformat` (ffmpeg writes float WAV so). */
const EXTENSIBLE = 0xfffe;

/** The part of wavefile's (untyped) `fmt` and `data` chunks this reads. */
const FmtSchema = z.object({
  audioFormat: z.number(),
  numChannels: z.number(),
  sampleRate: z.number(),
  bitsPerSample: z.number(),
  validBitsPerSample: z.number().optional(),
  subformat: z.array(z.number()).optional(),
});
const DataSchema = z.object({ samples: z.instanceof(Uint8Array) });

/**
 * The samples of a 16 kHz mono 16-bit or float WAV, at most `maxSeconds` of them (what ffmpeg's
 * `-t` would keep); undefined for any other input.
 */
export function decodePcmWav(bytes: Uint8Array, maxSeconds: number): Float32Array | undefined {
  if (!isRiffWave(bytes)) return undefined;
  let file: InstanceType<typeof WaveFile>;
  try {
    file = new WaveFile(bytes);
  } catch {
    return undefined; // ffmpeg decides, and words the error
  }
  if (file.container !== "RIFF") return undefined;
  const fmt = FmtSchema.safeParse(file.fmt);
  const data = DataSchema.safeParse(file.data);
  if (!fmt.success || !data.success) return undefined;
  const { numChannels, sampleRate, bitsPerSample, validBitsPerSample, subformat } = fmt.data;
  if (numChannels !== 1 || sampleRate !== AUDIO_SAMPLE_RATE) return undefined;
  const extensible = fmt.data.audioFormat === EXTENSIBLE;
  // Fewer valid bits than the container holds (24 in 32) is a layout ffmpeg handles, not this.
  if (extensible && validBitsPerSample !== bitsPerSample) return undefined;
  const audioFormat = extensible ? subformat?.[0] : fmt.data.audioFormat;
  const raw = data.data.samples;
  const width = audioFormat === PCM_INT && bitsPerSample === 16 ? 2 : audioFormat === PCM_FLOAT && bitsPerSample === 32 ? 4 : 0;
  // A zero or ragged data size is a header written before the length was known: ffmpeg reads on.
  if (width === 0 || raw.length === 0 || raw.length % width !== 0) return undefined;
  const count = Math.min(raw.length / width, Math.round(maxSeconds * AUDIO_SAMPLE_RATE));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  if (width === 2) for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true) / 32768;
  else for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** The 12-byte RIFF/WAVE signature, checked before handing bytes to the parser. */
function isRiffWave(b: Uint8Array): boolean {
  return b.length >= 44 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x41 && b[10] === 0x56 && b[11] === 0x45;
}
