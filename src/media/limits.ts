/** Per-message media limits. Defaults are the documented limits of the official service. */
export interface MediaLimits {
  /** Unicode characters (code points) of text per message. */
  maxTextChars: number;
  maxAudioMs: number;
  maxVideoMs: number;
  maxImageWidth: number;
  maxImageHeight: number;
  maxFacemeshFaces: number;
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
};
