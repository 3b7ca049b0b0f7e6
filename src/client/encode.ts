/** Turning the inputs of `sendFile` / `sendFacemesh` into the base64 the protocol carries. */
import { nodeImport } from "./node-only.js";

/** What `sendFile` accepts: a file path (Node only), raw bytes, or a Blob/File (browser). */
export type FileInput = string | Uint8Array | Blob;

export async function readFileInput(file: FileInput): Promise<Uint8Array> {
  if (typeof file === "string") {
    if (typeof process === "undefined" || typeof process.versions?.node !== "string") {
      throw new TypeError("sendFile(path) needs Node; in the browser pass a Blob, File or Uint8Array");
    }
    const { readFile } = await nodeImport<typeof import("node:fs/promises")>("node:fs/promises");
    return new Uint8Array(await readFile(file));
  }
  if (file instanceof Uint8Array) return file;
  return new Uint8Array(await file.arrayBuffer());
}

export function toBase64(bytes: Uint8Array): string {
  if (typeof Buffer !== "undefined") return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  // Browsers: btoa takes a binary string; build it in slices so large files don't overflow the stack.
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function utf8Base64(text: string): string {
  return toBase64(new TextEncoder().encode(text));
}
