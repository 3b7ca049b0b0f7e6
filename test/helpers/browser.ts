/**
 * A real browser for the playground tests: Debian's chromium driven by playwright-core (never a
 * downloaded browser), headless, with fake camera and microphone devices fed from files made
 * here: a y4m video of a face photo and a WAV of espeak-ng speech.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { concatWav, espeakMissing, ffmpeg, silence, speech } from "./av.js";
import { sample } from "./face.js";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export const browserMissing: string | undefined = !existsSync(CHROMIUM_PATH)
  ? `chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH; .ci/run installs it in CI)`
  : espeakMissing;

export interface FakeMedia {
  dir: string;
  video: string;
  audio: string;
  cleanup(): void;
}

/**
 * `photo` (a face-api demo sample) as a short 640x480 y4m clip, and `text` spoken by espeak-ng
 * followed by a second of silence (so the voice activity detector sees each phrase end), as a
 * 48 kHz WAV. Chromium loops both files.
 */
export function makeFakeMedia(photo = 2, text = "I am so happy to see you today. This is wonderful news!"): FakeMedia {
  const dir = mkdtempSync(join(tmpdir(), "oe-playground-"));
  const video = join(dir, "camera.y4m");
  const audio = join(dir, "microphone.wav");
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    writeFileSync(video, ffmpeg([sample(photo)], [
      "-loop", "1", "-i", "IN0", "-t", "1", "-r", "5",
      "-vf", "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2",
      "-pix_fmt", "yuv420p",
    ], "y4m"));
    const spoken = concatWav([speech(text), silence(1)]);
    writeFileSync(audio, ffmpeg([spoken], ["-i", "IN0", "-ar", "48000", "-ac", "1", "-c:a", "pcm_s16le"], "wav"));
  } catch (err) {
    cleanup(); // nobody else gets the folder to clean when making the media fails
    throw err;
  }
  return { dir, video, audio, cleanup };
}

export function launchBrowser(media: FakeMedia): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${media.video}`,
      `--use-file-for-fake-audio-capture=${media.audio}`,
      "--autoplay-policy=no-user-gesture-required",
      // Headless servers: no GPU process, and no reliance on a large /dev/shm for the renderer.
      "--disable-gpu",
      "--disable-dev-shm-usage",
    ],
  });
}
