/**
 * Face identity across the frames of one connection: each face's 1024-d descriptor (Human's
 * faceres) is matched by cosine similarity against the identities seen so far in the session.
 * State lives in the session's `state` object (structured-cloned to and from the worker), so
 * descriptors are Float32Arrays (cheap to clone) and their number is capped.
 */

/** Cosine similarity at or above which two descriptors are the same person (MODEL_CARD.md). */
export const SAME_PERSON_THRESHOLD = 0.72;
/** Identities remembered per connection; the least recently seen is forgotten beyond this. */
export const MAX_IDENTITIES = 100;
/** Weight of a new sighting in the running mean descriptor of an identity. */
const UPDATE_WEIGHT = 0.2;

export interface Identity {
  id: string;
  /** Unit-length running mean descriptor. */
  embedding: Float32Array;
  lastSeen: number;
}

export interface IdentityState {
  identities: Identity[];
  /** Next number for "face_N"; never reused, so a forgotten id is never given to someone else. */
  next: number;
  clock: number;
}

export function emptyIdentityState(): IdentityState {
  return { identities: [], next: 0, clock: 0 };
}

/** Reads the identity state from the session state, tolerating anything malformed. */
export function identityStateOf(value: unknown): IdentityState {
  if (typeof value !== "object" || value === null) return emptyIdentityState();
  const v = value as Partial<IdentityState>;
  if (!Array.isArray(v.identities) || typeof v.next !== "number" || typeof v.clock !== "number") return emptyIdentityState();
  const identities = v.identities.filter(
    (i): i is Identity => typeof i?.id === "string" && i.embedding instanceof Float32Array && typeof i.lastSeen === "number",
  );
  return { identities, next: v.next, clock: v.clock };
}

export function normalize(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += (v[i] ?? 0) ** 2;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(v, (x) => x / norm);
}

/** Cosine similarity of two descriptors (any scale). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Gives each face of one frame an id. Pairs are taken best-first, and an identity matches at
 * most one face per frame, because two faces in the same frame are two people.
 * Mutates `state` and returns the ids in the order of `descriptors`.
 */
export function assignIdentities(
  state: IdentityState,
  descriptors: ArrayLike<number>[],
  threshold = SAME_PERSON_THRESHOLD,
  cap = MAX_IDENTITIES,
): string[] {
  state.clock++;
  const units = descriptors.map(normalize);
  const pairs: { face: number; ident: number; sim: number }[] = [];
  units.forEach((u, face) =>
    state.identities.forEach((ident, i) => {
      const sim = cosine(u, ident.embedding);
      if (sim >= threshold) pairs.push({ face, ident: i, sim });
    }),
  );
  pairs.sort((a, b) => b.sim - a.sim);
  const ids: (string | undefined)[] = units.map(() => undefined);
  const usedIdent = new Set<number>();
  for (const p of pairs) {
    const ident = state.identities[p.ident];
    const unit = units[p.face];
    if (ids[p.face] !== undefined || usedIdent.has(p.ident) || !ident || !unit) continue;
    usedIdent.add(p.ident);
    ids[p.face] = ident.id;
    ident.embedding = normalize(ident.embedding.map((x, k) => (1 - UPDATE_WEIGHT) * x + UPDATE_WEIGHT * (unit[k] ?? 0)));
    ident.lastSeen = state.clock;
  }
  return units.map((unit, face) => {
    const known = ids[face];
    if (known !== undefined) return known;
    const id = `face_${state.next++}`;
    state.identities.push({ id, embedding: unit, lastSeen: state.clock });
    if (state.identities.length > cap) {
      // Forget the least recently seen identity (never one seen in this frame: those are newest).
      let oldest = 0;
      state.identities.forEach((x, i) => {
        if (x.lastSeen < (state.identities[oldest]?.lastSeen ?? Infinity)) oldest = i;
      });
      state.identities.splice(oldest, 1);
    }
    return id;
  });
}

/** A face prediction whose id is still to be given (a video frame's face, with its descriptor). */
export interface DeferredFacePrediction {
  face_id: string;
  descriptor: number[];
}

/**
 * Gives ids to the faces of a video's frames that were measured in parallel: frame by frame, in
 * order, exactly as if the frames had been measured one after another. Returns the predictions
 * without their descriptors and the updated identity state.
 */
export function assignDeferredIdentities<P extends DeferredFacePrediction>(
  stateValue: unknown,
  frames: readonly (readonly P[])[],
): { state: IdentityState; frames: Omit<P, "descriptor">[][] } {
  const state = identityStateOf(stateValue);
  const out = frames.map((faces) => {
    const ids = faces.length > 0 ? assignIdentities(state, faces.map((f) => f.descriptor)) : [];
    return faces.map(({ descriptor: _descriptor, ...rest }, i) => ({ ...rest, face_id: ids[i] ?? "unknown" }));
  });
  return { state, frames: out };
}
