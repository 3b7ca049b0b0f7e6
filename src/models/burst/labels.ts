/**
 * The 16 call types of the Deeply Nonverbal Vocalization set, in its class-id order (these are the
 * burst model's `descriptions`), and the documented call type -> expression mapping. A mapping is
 * listed only where the call type is a conventional expression of that emotion; bodily sounds
 * (coughing, sneezing, teeth and lip sounds, throat-clearing, nose-blowing) map to nothing.
 */
export const BURST_CALL_TYPES = [
  "teeth-chattering", "teeth-grinding", "tongue-clicking", "nose-blowing", "coughing", "yawning",
  "throat-clearing", "sighing", "lip-popping", "lip-smacking", "panting", "crying", "laughing",
  "sneezing", "moaning", "screaming",
] as const;
export type BurstCallType = (typeof BURST_CALL_TYPES)[number];

/** The classifier's extra rejection class (speech fragments, noise); never emitted. */
export const NONE_LABEL = "none";

/** Call type -> [Hume expression name, share of the call type's probability]. Shares sum to 1. */
export const CALL_TO_EMOTION: Partial<Record<BurstCallType, [string, number][]>> = {
  laughing: [["Amusement", 1]],
  crying: [["Sadness", 0.5], ["Distress", 0.5]],
  screaming: [["Fear", 0.5], ["Horror", 0.5]],
  sighing: [["Tiredness", 0.5], ["Relief", 0.5]],
  yawning: [["Tiredness", 1]],
  moaning: [["Pain", 1]],
};

/** Emotion names the burst model emits, alphabetical (Hume's order convention). */
export const BURST_EMOTIONS: readonly string[] = [...new Set(Object.values(CALL_TO_EMOTION).flatMap((m) => (m ?? []).map(([e]) => e)))].sort();
