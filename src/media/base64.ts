import { ErrorCode, ProtocolError, messages } from "../protocol/index.js";

const DATA_URL_PREFIX = /^data:[^,]*;base64,/i;
// Standard or URL-safe alphabet, optional padding. Buffer.from(s, "base64") silently skips bad
// characters, so validation is done first to give the client a clear E0201 instead of garbage.
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Strips an optional `data:*;base64,` prefix (browsers' FileReader adds one). */
export function stripDataUrl(data: string): string {
  return data.replace(DATA_URL_PREFIX, "");
}

export function isBase64(data: string): boolean {
  const compact = data.replace(/\s+/g, "");
  return compact.length % 4 !== 1 && BASE64.test(compact);
}

export function decodeBase64(data: string): Uint8Array {
  const body = stripDataUrl(data).replace(/\s+/g, "");
  if (!isBase64(body)) throw new ProtocolError(ErrorCode.InvalidBase64, messages.invalidBase64());
  const bytes = Buffer.from(body, "base64");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
