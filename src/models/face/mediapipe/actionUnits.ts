/**
 * FACS action units and Hume's expression descriptions, read from MediaPipe's 52 blendshapes.
 * Pure functions; the table, sources and left-out units are in ACTION_UNITS.md beside this file.
 * Bilateral units average the subject's left and right sides. Descriptions are combinations of
 * units: "and" is the minimum (a soft conjunction in [0, 1]), so a description is never larger
 * than any unit it needs.
 */
import type { FACS_36, DESCRIPTIONS_27 } from "../../../protocol/labels.js";
import type { Blendshapes } from "./blendshapes.js";

export type FacsName = (typeof FACS_36)[number];
export type DescriptionName = (typeof DESCRIPTIONS_27)[number];

const mean = (...v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/** Each unit this model measures, with the blendshape(s) that measure it. */
const UNITS = {
  "AU1 Inner Brow Raise": (b) => b.browInnerUp,
  "AU2 Outer Brow Raise": (b) => mean(b.browOuterUpLeft, b.browOuterUpRight),
  "AU4 Brow Lowerer": (b) => mean(b.browDownLeft, b.browDownRight),
  "AU5 Upper Lid Raise": (b) => mean(b.eyeWideLeft, b.eyeWideRight),
  "AU7 Lids Tight": (b) => mean(b.eyeSquintLeft, b.eyeSquintRight),
  "AU10 Upper Lip Raiser": (b) => mean(b.mouthUpperUpLeft, b.mouthUpperUpRight),
  "AU12 Lip Corner Puller": (b) => mean(b.mouthSmileLeft, b.mouthSmileRight),
  "AU14 Dimpler": (b) => mean(b.mouthDimpleLeft, b.mouthDimpleRight),
  "AU15 Lip Corner Depressor": (b) => mean(b.mouthFrownLeft, b.mouthFrownRight),
  "AU16 Lower Lip Depress": (b) => mean(b.mouthLowerDownLeft, b.mouthLowerDownRight),
  "AU17 Chin Raiser": (b) => b.mouthShrugLower,
  "AU18 Lip Pucker": (b) => b.mouthPucker,
  "AU20 Lip Stretch": (b) => mean(b.mouthStretchLeft, b.mouthStretchRight),
  "AU22 Lip Funneler": (b) => b.mouthFunnel,
  "AU24 Lip Presser": (b) => mean(b.mouthPressLeft, b.mouthPressRight),
  // Parted lips show up as jawOpen, or with the jaw still as the lower lip pulled down.
  "AU25 Lips Part": (b) => clamp01(Math.max(b.jawOpen - b.mouthClose, mean(b.mouthLowerDownLeft, b.mouthLowerDownRight))),
  "AU26 Jaw Drop": (b) => b.jawOpen,
  "AU28 Lips Suck": (b) => mean(b.mouthRollUpper, b.mouthRollLower),
  "AU43 Eye Closure": (b) => mean(b.eyeBlinkLeft, b.eyeBlinkRight),
} satisfies Partial<Record<FacsName, (b: Blendshapes) => number>>;

export type MeasuredUnit = keyof typeof UNITS;
export const MEASURED_UNITS = Object.keys(UNITS) as MeasuredUnit[];

/**
 * Units of Hume's set that this model cannot measure, and why. AU6, AU9 and AU34 have
 * blendshapes (cheekSquint, noseSneer, cheekPuff) that stay at 0 in MediaPipe itself.
 */
export const UNMEASURED_UNITS = {
  "AU6 Cheek Raise": "cheekSquint* is always 0.000 in MediaPipe (upstream mediapipe #4450)",
  "AU9 Nose Wrinkle": "noseSneer* is always 0.000 in MediaPipe (upstream mediapipe #4450)",
  "AU11 Nasolabial Furrow Deepener": "no blendshape",
  "AU19 Tongue Show": "no blendshape",
  "AU23 Lip Tightener": "no clean blendshape (mouthPress* is AU24)",
  "AU27 Mouth Stretch": "jawOpen is AU26; no separate measure",
  "AU32 Bite": "no blendshape",
  "AU34 Puff": "cheekPuff stays near 0 in MediaPipe (upstream mediapipe #4436)",
  "AU37 Lip Wipe": "no blendshape",
  "AU38 Nostril Dilate": "no blendshape",
  "AU53 Head Up": "head pose, not a blendshape",
  "AU54 Head Down": "head pose, not a blendshape",
  "Hand over Mouth": "needs a hand detector",
  "Hand over Eyes": "needs a hand detector",
  "Hand over Forehead": "needs a hand detector",
  "Hand over Face": "needs a hand detector",
  "Hand touching Face / Head": "needs a hand detector",
} satisfies Record<Exclude<FacsName, MeasuredUnit>, string>;

export type Units = Record<MeasuredUnit, number>;

export function actionUnits(b: Blendshapes): Units {
  return Object.fromEntries(MEASURED_UNITS.map((name) => [name, clamp01(UNITS[name](b))])) as Units;
}

const DESCRIPTIONS = {
  Smile: (u) => u["AU12 Lip Corner Puller"],
  Grin: (u) => Math.min(u["AU12 Lip Corner Puller"], u["AU25 Lips Part"]),
  // A smile that narrows the eyes; eyeSquint stands in for the unmeasurable AU6.
  Beaming: (u) => Math.min(u["AU12 Lip Corner Puller"], u["AU7 Lids Tight"]),
  Laugh: (u) => Math.min(u["AU12 Lip Corner Puller"], u["AU26 Jaw Drop"]),
  // ARKit's own name for the lip-corner depressor is mouthFrown.
  Frown: (u) => u["AU15 Lip Corner Depressor"],
  Scowl: (u) => Math.min(u["AU4 Brow Lowerer"], u["AU7 Lids Tight"]),
  "Jaw drop": (u) => u["AU26 Jaw Drop"],
  "Eyes closed": (u) => u["AU43 Eye Closure"],
  Squint: (u) => Math.min(u["AU7 Lids Tight"], 1 - u["AU43 Eye Closure"]),
  Pout: (u) => u["AU18 Lip Pucker"],
  "Wide-eyed": (u) => u["AU5 Upper Lid Raise"],
  Gasp: (u) => Math.min(u["AU26 Jaw Drop"], mean(u["AU1 Inner Brow Raise"], u["AU2 Outer Brow Raise"])),
  Grimace: (u) => Math.min(u["AU20 Lip Stretch"], u["AU7 Lids Tight"]),
  Sulking: (u) => Math.min(u["AU15 Lip Corner Depressor"], u["AU17 Chin Raiser"]),
} satisfies Partial<Record<DescriptionName, (u: Units) => number>>;

export type MeasuredDescription = keyof typeof DESCRIPTIONS | "Smirk";
export const MEASURED_DESCRIPTIONS = [...Object.keys(DESCRIPTIONS), "Smirk"] as MeasuredDescription[];

export type Descriptions = Record<MeasuredDescription, number>;

/** Descriptions from the units, plus Smirk, which needs the sides apart: a one-sided lip-corner pull or dimple. */
export function descriptions(b: Blendshapes, units: Units = actionUnits(b)): Descriptions {
  const out = Object.fromEntries(Object.entries(DESCRIPTIONS).map(([name, f]) => [name, clamp01(f(units))])) as Descriptions;
  out.Smirk = clamp01(Math.max(Math.abs(b.mouthSmileLeft - b.mouthSmileRight), Math.abs(b.mouthDimpleLeft - b.mouthDimpleRight)));
  return out;
}
