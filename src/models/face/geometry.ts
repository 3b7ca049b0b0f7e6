/**
 * FACS action units and face descriptions from the 478-point MediaPipe mesh. Only units with a
 * direct geometric reading are produced (see MODEL_CARD.md for what is left out and why).
 * Every distance is divided by the inter-ocular distance (IOD, between the eye centres) after
 * the face is rotated so the eyes are level, so the numbers do not depend on image size or roll.
 * Baselines and ranges are documented next to UNITS and in MODEL_CARD.md.
 */

type P3 = readonly (number | undefined)[];

/** MediaPipe face mesh indices (subject's right = image left in a selfie-free photo). */
export const LM = {
  rightEyeOuter: 33, rightEyeInner: 133, rightEyeTop: 159, rightEyeBottom: 145,
  leftEyeOuter: 263, leftEyeInner: 362, leftEyeTop: 386, leftEyeBottom: 374,
  rightBrowInner: 107, rightBrowOuter: 70, leftBrowInner: 336, leftBrowOuter: 300,
  mouthRight: 61, mouthLeft: 291, lipInnerTop: 13, lipInnerBottom: 14,
  forehead: 10, chin: 152, noseTip: 1,
} as const;

export interface FaceMetrics {
  /** Eye opening / eye width, mean of both eyes. */
  eyeOpen: number;
  /** Height of the inner / outer brow above the eye-corner line, per IOD. */
  browInner: number;
  browOuter: number;
  /** How far the mouth corners sit above the centre of the lips, per IOD (negative: below). */
  cornerLift: number;
  mouthWidth: number;
  /** Gap between the inner lips, per IOD. */
  lipGap: number;
  /** Head pitch in radians from the chin-forehead axis; positive = head tilted back (up). */
  pitch: number;
}

function at(mesh: readonly P3[], i: number): P3 {
  const p = mesh[i];
  if (!p) throw new Error(`mesh has no landmark ${i}`);
  return p;
}
const mid = (a: P3, b: P3): [number, number] => [((a[0] ?? 0) + (b[0] ?? 0)) / 2, ((a[1] ?? 0) + (b[1] ?? 0)) / 2];

/** Raw geometric measurements of one mesh (pixel or any consistent units). */
export function measure(mesh: readonly P3[]): FaceMetrics {
  const rEye = mid(at(mesh, LM.rightEyeOuter), at(mesh, LM.rightEyeInner));
  const lEye = mid(at(mesh, LM.leftEyeOuter), at(mesh, LM.leftEyeInner));
  const dx = lEye[0] - rEye[0];
  const dy = lEye[1] - rEye[1];
  const iod = Math.hypot(dx, dy) || 1;
  const cos = dx / iod;
  const sin = dy / iod;
  // Level the eyes and scale so IOD = 1; y grows downwards as in the image.
  const c = mid(at(mesh, LM.rightEyeOuter), at(mesh, LM.leftEyeOuter));
  const q = (i: number): [number, number] => {
    const p = at(mesh, i);
    const x = (p[0] ?? 0) - c[0];
    const y = (p[1] ?? 0) - c[1];
    return [(x * cos + y * sin) / iod, (-x * sin + y * cos) / iod];
  };
  const dist = (a: number, b: number): number => Math.hypot(q(a)[0] - q(b)[0], q(a)[1] - q(b)[1]);
  const eye = (top: number, bottom: number, outer: number, inner: number) => dist(top, bottom) / (dist(outer, inner) || 1);
  const eyeLineY = (q(LM.rightEyeOuter)[1] + q(LM.rightEyeInner)[1] + q(LM.leftEyeOuter)[1] + q(LM.leftEyeInner)[1]) / 4;
  const lipCentreY = (q(LM.lipInnerTop)[1] + q(LM.lipInnerBottom)[1]) / 2;
  const f = at(mesh, LM.forehead);
  const ch = at(mesh, LM.chin);
  return {
    eyeOpen: (eye(LM.rightEyeTop, LM.rightEyeBottom, LM.rightEyeOuter, LM.rightEyeInner) + eye(LM.leftEyeTop, LM.leftEyeBottom, LM.leftEyeOuter, LM.leftEyeInner)) / 2,
    browInner: eyeLineY - (q(LM.rightBrowInner)[1] + q(LM.leftBrowInner)[1]) / 2,
    browOuter: eyeLineY - (q(LM.rightBrowOuter)[1] + q(LM.leftBrowOuter)[1]) / 2,
    cornerLift: lipCentreY - (q(LM.mouthRight)[1] + q(LM.mouthLeft)[1]) / 2,
    mouthWidth: dist(LM.mouthRight, LM.mouthLeft),
    lipGap: dist(LM.lipInnerTop, LM.lipInnerBottom),
    // Mesh z grows away from the camera: with the head tilted back the forehead recedes.
    pitch: Math.atan2((f[2] ?? 0) - (ch[2] ?? 0), Math.hypot((ch[0] ?? 0) - (f[0] ?? 0), (ch[1] ?? 0) - (f[1] ?? 0))),
  };
}

/**
 * Neutral values: medians over the 22 faces of the face-api sample photos (Human's iris-refined
 * meshes, which the server uses), cross-checked against FER2013 PublicTest "neutral" crops.
 */
export const BASELINE = { eyeOpen: 0.36, browInner: 0.34, browOuter: 0.25, cornerLift: 0.01, lipGap: 0.02, pitch: -0.08 } as const;

/**
 * Each unit is a linear ramp on one measurement: score 0 at `from`, 1 at `to`. `from` sits a
 * little past the baseline so ordinary landmark jitter on a neutral face scores 0; `to` is about
 * the 90th percentile of the expressive class in FER2013 PublicTest (e.g. happy for AU12,
 * surprise for AU1/AU2/AU5) or, for eyes and jaw, the clearly closed / dropped value.
 */
export const UNITS = {
  "AU1 Inner Brow Raise": { metric: "browInner", from: 0.38, to: 0.5 },
  "AU2 Outer Brow Raise": { metric: "browOuter", from: 0.29, to: 0.41 },
  "AU4 Brow Lowerer": { metric: "browInner", from: 0.3, to: 0.2 },
  "AU5 Upper Lid Raise": { metric: "eyeOpen", from: 0.42, to: 0.52 },
  "AU12 Lip Corner Puller": { metric: "cornerLift", from: 0.03, to: 0.13 },
  "AU15 Lip Corner Depressor": { metric: "cornerLift", from: -0.01, to: -0.07 },
  "AU25 Lips Part": { metric: "lipGap", from: 0.04, to: 0.1 },
  "AU26 Jaw Drop": { metric: "lipGap", from: 0.12, to: 0.35 },
  "AU43 Eye Closure": { metric: "eyeOpen", from: 0.24, to: 0.1 },
  "AU53 Head Up": { metric: "pitch", from: 0.02, to: 0.27 },
  "AU54 Head Down": { metric: "pitch", from: -0.18, to: -0.43 },
} as const satisfies Record<string, { metric: keyof FaceMetrics; from: number; to: number }>;

/** Linear ramp from `from` (score 0) to `to` (score 1), clamped; works in either direction. */
export function ramp(value: number, from: number, to: number): number {
  const t = (value - from) / (to - from);
  return Math.round(Math.min(1, Math.max(0, t)) * 1e4) / 1e4;
}

export function facsScores(m: FaceMetrics): { name: string; score: number }[] {
  return Object.entries(UNITS).map(([name, u]) => ({ name, score: ramp(m[u.metric], u.from, u.to) }));
}

export function descriptionScores(m: FaceMetrics): { name: string; score: number }[] {
  const au = Object.fromEntries(facsScores(m).map((s) => [s.name, s.score]));
  const get = (k: string) => au[k] ?? 0;
  const smile = get("AU12 Lip Corner Puller");
  return [
    { name: "Eyes closed", score: get("AU43 Eye Closure") },
    { name: "Frown", score: Math.max(get("AU4 Brow Lowerer"), get("AU15 Lip Corner Depressor")) },
    { name: "Grin", score: Math.min(smile, get("AU25 Lips Part")) },
    { name: "Jaw drop", score: get("AU26 Jaw Drop") },
    { name: "Smile", score: smile },
    { name: "Wide-eyed", score: get("AU5 Upper Lid Raise") },
  ];
}
