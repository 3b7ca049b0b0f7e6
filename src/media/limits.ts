/** Per-message media limits. Defaults are the documented limits of the official service. */
export interface MediaLimits {
  /** Unicode characters (code points) of text per message. */
  maxTextChars: number;
  maxAudioMs: number;
  maxVideoMs: number;
  maxImageWidth: number;
  maxImageHeight: number;
  maxFacemeshFaces: number;
  /** Wall-clock limit of one ffmpeg run (probe, audio decode, frame extraction); beyond it, E0200. */
  decodeTimeoutMs: number;
  /** Frames of one video message sent to the face model; later frames are not measured. */
  maxVideoFrames: number;
}

export const DEFAULT_LIMITS: MediaLimits = {
  maxTextChars: 10_000,
  maxAudioMs: 5_000,
  // The official limit behind E0204 was never documented; one minute keeps a video message
  // within the same order of cost as the other limits.
  maxVideoMs: 60_000,
  maxImageWidth: 3_000,
  maxImageHeight: 3_000,
  maxFacemeshFaces: 10,
  decodeTimeoutMs: 10_000,
  // 60 s at the default fps_pred of 3 is 180 frames; 300 leaves room for higher rates.
  maxVideoFrames: 300,
};
