import { ErrorCode, ProtocolError, messages } from "../protocol/index.js";

export const LANDMARKS_PER_FACE = 478;

/** Validates facemesh JSON: up to `maxFaces` faces of 478 finite [x, y, z] points. */
export function validateFacemesh(value: unknown[], maxFaces: number): number[][][] {
  const fail = (why: string): never => {
    throw new ProtocolError(ErrorCode.InvalidPayload, messages.invalidFacemesh(why));
  };
  if (value.length > maxFaces) fail(`${value.length} faces given, the limit is ${maxFaces}`);
  return value.map((face, f) => {
    if (!Array.isArray(face)) return fail(`face ${f} is not an array of landmarks`);
    if (face.length !== LANDMARKS_PER_FACE) {
      fail(`face ${f} has ${face.length} landmarks, expected ${LANDMARKS_PER_FACE}`);
    }
    return face.map((point: unknown, p) => {
      if (
        !Array.isArray(point) ||
        point.length !== 3 ||
        !point.every((c) => typeof c === "number" && Number.isFinite(c))
      ) {
        return fail(`face ${f}, landmark ${p} is not three finite numbers`);
      }
      return point as number[];
    });
  });
}
