/** A loopback HTTP server that records the JSON bodies a batch job's callback POSTs to it. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface CallbackReceiver {
  /** The parsed bodies, in arrival order. */
  readonly bodies: unknown[];
  url: string;
  close(): void;
}

export async function startCallbackReceiver(): Promise<CallbackReceiver> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      bodies.push(JSON.parse(body));
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { bodies, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/done`, close: () => server.close() };
}
