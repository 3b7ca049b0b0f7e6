/**
 * Audio decoding through the ffmpeg binary shipped in the `@ffmpeg-installer/ffmpeg` npm package.
 * Every child process has a wall-clock limit, an output-size limit and (on Linux) a memory
 * limit, so a hostile or broken file costs a bounded amount. Input goes through a temporary file, not a pipe, because MP4/MOV
 * files with the index at the end cannot be read from a non-seekable stream.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The ffmpeg binary shipped in @ffmpeg-installer/ffmpeg. */
export const ffmpegPath = (createRequire(import.meta.url)("@ffmpeg-installer/ffmpeg") as { path: string }).path;

export type DecodeFailure = "no-audio" | "invalid" | "timeout" | "too-large" | "memory";

export class DecodeError extends Error {
  constructor(
    readonly kind: DecodeFailure,
    message: string,
  ) {
    super(message);
    this.name = "DecodeError";
  }
}

export interface DecodeAudioOptions {
  /** Output sample rate; mono float32. Default 16000. */
  sampleRate?: number;
  /** Kill ffmpeg after this long. Default 10 s. */
  timeoutMs?: number;
  /** Decode at most this many seconds; callers pass their limit plus a margin to detect "too long". */
  maxSeconds?: number;
}

export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
  durationSec: number;
}

export async function decodeAudio(bytes: Uint8Array, options: DecodeAudioOptions = {}): Promise<DecodedAudio> {
  const sampleRate = options.sampleRate ?? 16_000;
  const maxSeconds = options.maxSeconds ?? 600;
  // f32le mono: 4 bytes a sample; a small margin for resampler rounding.
  const maxBytes = Math.ceil((maxSeconds + 1) * sampleRate * 4);
  const args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-i", "INPUT", "-map", "0:a:0", "-vn", "-ac", "1", "-ar", String(sampleRate), "-t", String(maxSeconds), "-f", "f32le", "pipe:1"];
  const out = await runFfmpeg(bytes, args, { timeoutMs: options.timeoutMs ?? 10_000, maxBytes });
  const view = new Float32Array(out.buffer, out.byteOffset, Math.floor(out.byteLength / 4));
  // Output past Node's buffer-pool size has an ArrayBuffer of its own: use it as is. Small output
  // sits in the shared pool and is copied out (an hour of audio is 230 MB: no needless copy).
  const ownsBuffer = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength;
  const samples = ownsBuffer ? view : new Float32Array(view);
  return { samples, sampleRate, durationSec: samples.length / sampleRate };
}

interface RunLimits {
  timeoutMs: number;
  maxBytes: number;
  /**
   * Takes stdout as it arrives (within `maxBytes`), for callers that start work before the end;
   * runFfmpeg then keeps none of it and returns an empty buffer.
   */
  onData?: (chunk: Buffer) => void;
}

/** Runs ffmpeg with `INPUT` in `args` replaced by a temp file holding `bytes`; returns stdout. */
export async function runFfmpeg(bytes: Uint8Array, args: string[], limits: RunLimits): Promise<Buffer> {
  const { code, stdout, stderr } = await execFfmpeg(bytes, args, limits);
  if (code !== 0) {
    // "-map 0:a:0" fails this way when the container has no audio stream.
    const noAudio = /matches no streams|does not contain any stream/i.test(stderr);
    throw new DecodeError(noAudio ? "no-audio" : "invalid", noAudio ? "the media has no audio stream" : "the media could not be decoded");
  }
  return stdout;
}

export interface MediaProbe {
  /** Container duration, when the container states one (MediaRecorder WebM does not). */
  durationSec?: number;
  hasAudio: boolean;
  video?: { width: number; height: number; /** frames per second, when stated */ fps?: number };
}

/**
 * What streams the media holds, read from `ffmpeg -i` (this ffmpeg build ships no ffprobe).
 * Sniffing cannot tell: file-type calls MediaRecorder's audio-only WebM "video/webm".
 */
export async function probeMedia(bytes: Uint8Array, timeoutMs = 5_000): Promise<MediaProbe> {
  // Without an output ffmpeg prints the input description and exits 1; that is expected here.
  const { stderr } = await execFfmpeg(bytes, ["-hide_banner", "-nostdin", "-i", "INPUT"], { timeoutMs, maxBytes: 0 });
  if (!/^Input #0/m.test(stderr)) throw new DecodeError("invalid", "the media could not be decoded");
  const probe: MediaProbe = { hasAudio: /Stream #0:\d+.*: Audio: /.test(stderr) };
  const d = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  if (d) probe.durationSec = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
  // The first video stream that is not an attached picture (cover art in MP3/M4A is "Video: mjpeg ... (attached pic)").
  for (const line of stderr.split("\n")) {
    if (!/Stream #0:\d+.*: Video: /.test(line) || /attached pic/.test(line)) continue;
    const size = /, (\d{1,5})x(\d{1,5})[ ,]/.exec(line);
    if (!size) continue;
    const fps = /, (\d+(?:\.\d+)?) fps/.exec(line);
    probe.video = { width: Number(size[1]), height: Number(size[2]), ...(fps ? { fps: Number(fps[1]) } : {}) };
    break;
  }
  return probe;
}

/**
 * Memory watchdog. A crafted file can make a decoder allocate far more than its output; Node
 * cannot give one child an rlimit (no prlimit in spawn, and `ulimit -v` through a shell would
 * also cap address space that ffmpeg maps but never touches), so we watch the child's resident
 * memory in /proc/<pid>/status and kill it over the limit. Linux only: elsewhere the wall-clock
 * and output limits still apply. Checked every 20 ms, so a child can overshoot briefly.
 */
let maxRssBytes = 1024 * 1024 * 1024;
const RSS_POLL_MS = 20;

/** Resident-memory limit of each ffmpeg child, in bytes; 0 disables the watchdog. */
export function setFfmpegMemoryLimit(bytes: number): void {
  maxRssBytes = bytes;
}

function watchMemory(pid: number | undefined, onOver: (rss: number) => void): () => void {
  if (!maxRssBytes || pid === undefined || process.platform !== "linux") return () => undefined;
  const limit = maxRssBytes;
  let reading = false;
  const timer = setInterval(() => {
    if (reading) return;
    reading = true;
    readFile(`/proc/${pid}/status`, "utf8")
      .then((status) => {
        const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
        const rss = kb ? Number(kb[1]) * 1024 : 0;
        if (rss > limit) onOver(rss);
      })
      .catch(() => undefined) // the child has already exited
      .finally(() => (reading = false));
  }, RSS_POLL_MS);
  return () => clearInterval(timer);
}

interface Exec {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

async function execFfmpeg(bytes: Uint8Array, args: string[], limits: RunLimits): Promise<Exec> {
  const dir = await mkdtemp(join(tmpdir(), "oe-ffmpeg-"));
  const input = join(dir, "input");
  try {
    await writeFile(input, bytes);
    return await new Promise<Exec>((resolve, reject) => {
      const child = spawn(ffmpegPath, args.map((a) => (a === "INPUT" ? input : a)), { stdio: ["ignore", "pipe", "pipe"] });
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = "";
      let failure: DecodeError | undefined;
      const kill = (error: DecodeError) => {
        failure ??= error;
        child.kill("SIGKILL");
      };
      const timer = setTimeout(() => kill(new DecodeError("timeout", `decoding took longer than ${limits.timeoutMs} ms`)), limits.timeoutMs);
      const unwatch = watchMemory(child.pid, (rss) => kill(new DecodeError("memory", `ffmpeg used ${Math.round(rss / 2 ** 20)} MB, over its memory limit`)));
      child.stdout.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) return kill(new DecodeError("too-large", `decoded output exceeded ${limits.maxBytes} bytes`));
        if (limits.onData) limits.onData(chunk);
        else chunks.push(chunk);
      });
      child.stderr.on("data", (chunk: Buffer) => {
        // Enough for a probe's stream list; error messages are short.
        if (stderr.length < 16_384) stderr += chunk.toString("utf8");
      });
      child.on("error", (err) => kill(new DecodeError("invalid", `could not run ffmpeg: ${err.message}`)));
      child.on("close", (code) => {
        clearTimeout(timer);
        unwatch();
        if (failure) return reject(failure);
        resolve({ code, stdout: Buffer.concat(chunks), stderr });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
