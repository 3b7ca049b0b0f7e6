/**
 * Merges the encoder calls made in one turn of the worker's event loop into one call. The worker
 * runs a batch of messages concurrently (inference/coalesce.ts); each message asks for its own
 * sentences, and this gathers them so the encoder pays its fixed per-call cost once. The call is
 * made on the next macrotask (setImmediate), after every message of the batch has reached its
 * encoder request through the microtask queue; a lone message waits one event-loop turn.
 */
import { EMBEDDING_DIM } from "./encoder.js";

type Embed = (texts: readonly string[]) => Promise<Float32Array>;

interface Request {
  texts: readonly string[];
  resolve(rows: Float32Array): void;
  reject(err: unknown): void;
}

export function coalescing(embed: Embed): Embed {
  let pending: Request[] = [];

  async function flush(): Promise<void> {
    const requests = pending;
    pending = [];
    // A text asked for by several messages is embedded once.
    const row = new Map<string, number>();
    for (const r of requests) for (const t of r.texts) if (!row.has(t)) row.set(t, row.size);
    try {
      const rows = await embed([...row.keys()]);
      for (const r of requests) {
        const out = new Float32Array(r.texts.length * EMBEDDING_DIM);
        r.texts.forEach((t, i) => {
          const at = row.get(t)! * EMBEDDING_DIM;
          out.set(rows.subarray(at, at + EMBEDDING_DIM), i * EMBEDDING_DIM);
        });
        r.resolve(out);
      }
    } catch (err) {
      for (const r of requests) r.reject(err);
    }
  }

  return (texts) => {
    if (texts.length === 0) return Promise.resolve(new Float32Array(0));
    return new Promise<Float32Array>((resolve, reject) => {
      if (pending.length === 0) setImmediate(() => void flush());
      pending.push({ texts, resolve, reject });
    });
  };
}
