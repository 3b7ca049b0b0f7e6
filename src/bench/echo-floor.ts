/**
 * The transport floor: round-trip time of the same frame through a bare `ws` echo server in
 * another process. No server of ours can answer faster than this, so it tells how much of the
 * end-to-end time is ours (validation, sniffing, the worker hop) and how much is the socket.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { packageRoot } from "../package-paths.js";
import { measureRoundTrips } from "./round-trip.js";
import type { Summary } from "./stats.js";

const ECHO_SERVER = `
const { WebSocketServer } = require("ws");
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
wss.on("listening", () => console.log(wss.address().port));
wss.on("connection", (ws) => ws.on("message", (data) => ws.send(data.toString())));
`;

export async function echoFloor(frame: string, iterations: number): Promise<Summary> {
  const child = spawn(process.execPath, ["-e", ECHO_SERVER], { cwd: packageRoot, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once("line", resolve));
    return await measureRoundTrips(`ws://127.0.0.1:${port}`, frame, iterations);
  } finally {
    child.kill();
  }
}
