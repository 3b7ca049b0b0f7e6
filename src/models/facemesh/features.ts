/**
 * Geometry features of one MediaPipe face mesh (the first 468 points; iris points 468-477 are
 * not used, so 468- and 478-point meshes give the same features). The mesh is centred between
 * the eyes, rotated in the image plane so the eyes are level, and scaled so the inter-ocular
 * distance is 1; then the (x, y) of selected landmarks and the distances between key points are
 * taken. Depth is not used: its scale differs between mesh producers. Returns undefined for a
 * degenerate mesh (non-finite, or eyes on top of each other).
 */

/** Brows, eyes, lips, nose, cheeks and the face outline. */
export const SHAPE_POINTS = [
  70, 63, 105, 66, 107, 55, 65, 52, 53, 46, 300, 293, 334, 296, 336, 285, 295, 282, 283, 276,
  33, 160, 158, 133, 153, 144, 159, 145, 246, 7, 263, 387, 385, 362, 380, 373, 386, 374, 466, 249,
  61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146,
  78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95,
  1, 2, 98, 327, 168, 6, 197, 4, 205, 425, 50, 280,
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
  148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
] as const;

/** Key points whose pairwise distances are features (eye lids, brows, mouth, chin, cheeks). */
export const DISTANCE_POINTS = [
  33, 133, 263, 362, 159, 145, 386, 374, 70, 105, 107, 300, 334, 336, 61, 291, 13, 14, 0, 17, 1, 152, 10, 234, 454, 205, 425,
] as const;

export const FEATURE_COUNT = SHAPE_POINTS.length * 2 + (DISTANCE_POINTS.length * (DISTANCE_POINTS.length - 1)) / 2;

const R_OUT = 33, R_IN = 133, L_OUT = 263, L_IN = 362;

/** Canonical 2D coordinates of every point, or undefined if the mesh is degenerate. */
export function normalizeMesh(mesh: readonly (readonly number[])[]): Float32Array | undefined {
  if (mesh.length < 468) return undefined;
  const xy = (i: number): [number, number] => [mesh[i]?.[0] ?? NaN, mesh[i]?.[1] ?? NaN];
  const [rox, roy] = xy(R_OUT), [rix, riy] = xy(R_IN), [lox, loy] = xy(L_OUT), [lix, liy] = xy(L_IN);
  const rx = (rox + rix) / 2, ry = (roy + riy) / 2, lx = (lox + lix) / 2, ly = (loy + liy) / 2;
  const cx = (rx + lx) / 2, cy = (ry + ly) / 2;
  const iod = Math.hypot(lx - rx, ly - ry);
  if (!Number.isFinite(iod) || iod < 1e-6) return undefined;
  // Eyes level and IOD = 1. The sign of x follows the mesh, so a mirrored mesh stays mirrored.
  const cos = (lx - rx) / iod, sin = (ly - ry) / iod;
  const out = new Float32Array(468 * 2);
  for (let i = 0; i < 468; i++) {
    const [x, y] = xy(i);
    const dx = x - cx, dy = y - cy;
    const u = (dx * cos + dy * sin) / iod, v = (-dx * sin + dy * cos) / iod;
    if (!Number.isFinite(u) || !Number.isFinite(v)) return undefined;
    out[2 * i] = u;
    out[2 * i + 1] = v;
  }
  // A mirrored mesh, or one whose y axis points up, has its chin above the eyes after the
  // rotation; reflecting v restores the canonical upright face.
  if ((out[2 * 152 + 1] ?? 0) < 0) for (let i = 0; i < 468; i++) out[2 * i + 1] = -(out[2 * i + 1] ?? 0);
  // All points on one spot or on a line is not a face.
  let spread = 0;
  for (let i = 0; i < 468; i++) spread += Math.abs(out[2 * i + 1] ?? 0);
  return spread / 468 > 0.05 ? out : undefined;
}

export function meshFeatures(mesh: readonly (readonly number[])[]): Float32Array | undefined {
  const n = normalizeMesh(mesh);
  if (!n) return undefined;
  const f = new Float32Array(FEATURE_COUNT);
  let k = 0;
  for (const p of SHAPE_POINTS) {
    f[k++] = n[2 * p] ?? 0;
    f[k++] = n[2 * p + 1] ?? 0;
  }
  for (let a = 0; a < DISTANCE_POINTS.length; a++) {
    for (let b = a + 1; b < DISTANCE_POINTS.length; b++) {
      const i = DISTANCE_POINTS[a] ?? 0, j = DISTANCE_POINTS[b] ?? 0;
      f[k++] = Math.hypot((n[2 * i] ?? 0) - (n[2 * j] ?? 0), (n[2 * i + 1] ?? 0) - (n[2 * j + 1] ?? 0));
    }
  }
  return f;
}
