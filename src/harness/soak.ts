/**
 * `npm run soak -- --minutes N`: steady mixed load for N minutes, connections replaced every few
 * hundred messages (so per-connection leaks show), one row per minute with latency, errors and
 * server RSS; RSS growth from the first to the last minute is the headline number.
 */
import { Command, Option } from "commander";
import { loadMedia, parseMix } from "./media.js";
import { num, round, summarizeRun, writeJson, type RunSummary } from "./report.js";
import { keyHeaders, serverRss, startTarget } from "./server.js";
import { Traffic } from "./traffic.js";

interface SoakFlags {
  url?: string;
  apiKey?: string;
  minutes: number;
  rowSeconds: number;
  connections: number;
  rate: number;
  mix: string;
  reconnectEvery: number;
  out: string;
}

const program = new Command()
  .name("soak")
  .description("steady mixed load over time; per-minute latency and server RSS")
  .option("--url <url>", "server to soak; default: start one on a free loopback port")
  .addOption(new Option("--api-key <key>", "API key for --url").env("OPEN_EXPRESSION_API_KEY"))
  .option("--minutes <n>", "how long", num("minutes", 0.1), 10)
  .option("--row-seconds <n>", "length of one report row", num("row-seconds", 5), 60)
  .option("--connections <n>", "concurrent connections", num("connections", 1), 16)
  .option("--rate <n>", "messages per second over all connections", num("rate", 0.1), 10)
  .option("--mix <spec>", "weights of text, image, audio messages", "text=70,image=15,audio=15")
  .option("--reconnect-every <n>", "replace a connection after this many messages (0 = never)", num("reconnect-every", 0), 200)
  .option("--out <file>", "JSON report", "artifacts/soak.json");

const flags = program.parse().opts<SoakFlags>();
const media = await loadMedia();
const target = await startTarget(flags.url);
let interrupted = false;
process.once("SIGINT", () => (interrupted = true)); // finish the current row, then report

try {
  const traffic = new Traffic({
    url: target.streamUrl,
    connections: flags.connections,
    rate: flags.rate,
    mix: parseMix(flags.mix),
    media,
    reconnectEvery: flags.reconnectEvery || undefined,
    headers: keyHeaders(flags.apiKey),
  });
  const rssStart = await serverRss(target);
  console.log(`soak: ${flags.minutes} min at ${flags.rate}/s over ${flags.connections} connections (mix ${flags.mix}, audio ${media.audioSource}); server ${target.streamUrl}; RSS at start ${rssStart ?? "?"} MiB`);
  console.log(" row   time s    sent    recv   p50 ms   p95 ms   p99 ms  errors  lost  RSS MiB");
  const rows: (RunSummary & { row: number; endSeconds: number; rssMiB?: number })[] = [];
  const rowsWanted = Math.max(1, Math.round((flags.minutes * 60) / flags.rowSeconds));
  let elapsed = 0;
  for (let i = 1; i <= rowsWanted && !interrupted && target.exitCode() === undefined; i++) {
    const s = summarizeRun(flags.rate, await traffic.run(flags.rowSeconds, flags.rate));
    elapsed += flags.rowSeconds;
    const rss = await serverRss(target);
    rows.push({ ...s, row: i, endSeconds: elapsed, rssMiB: rss });
    const errors = Object.values(s.errors).reduce((a, b) => a + b, 0);
    const l = s.latencyMs.all;
    console.log(
      `${String(i).padStart(4)} ${String(elapsed).padStart(8)} ${String(s.sent).padStart(7)} ${String(s.received).padStart(7)} ${l.p50.toFixed(1).padStart(8)} ${l.p95.toFixed(1).padStart(8)} ${l.p99.toFixed(1).padStart(8)} ${String(errors).padStart(7)} ${String(s.lost + s.misordered).padStart(5)} ${String(rss ?? "?").padStart(8)}`,
    );
  }
  await traffic.close();
  const first = rows[0]?.rssMiB;
  const last = rows.at(-1)?.rssMiB;
  const growthPct = first !== undefined && last !== undefined ? round(((last - first) / first) * 100, 1) : undefined;
  const crashed = target.exitCode() !== undefined;
  const totals = {
    sent: rows.reduce((a, r) => a + r.sent, 0),
    received: rows.reduce((a, r) => a + r.received, 0),
    lost: rows.reduce((a, r) => a + r.lost, 0),
    misordered: rows.reduce((a, r) => a + r.misordered, 0),
    droppedConnections: rows.reduce((a, r) => a + r.droppedConnections, 0),
  };
  console.log(`\nRSS ${first ?? "?"} MiB after the first row, ${last ?? "?"} MiB after the last: growth ${growthPct ?? "?"}%`);
  console.log(`sent ${totals.sent}, received ${totals.received}, lost ${totals.lost}, misordered ${totals.misordered}, dropped connections ${totals.droppedConnections}${crashed ? `; SERVER EXITED (${target.exitCode()})` : ""}`);
  const report = {
    harness: "soak",
    date: new Date().toISOString(),
    options: { minutes: flags.minutes, rowSeconds: flags.rowSeconds, connections: flags.connections, rate: flags.rate, mix: flags.mix, reconnectEvery: flags.reconnectEvery, audio: media.audioSource },
    server: { url: target.streamUrl, startedByHarness: target.pid !== undefined, crashed, problemsLogged: target.problems.slice(0, 20) },
    rssMiB: { start: rssStart, firstRow: first, lastRow: last, growthPct },
    totals,
    rows,
  };
  console.log(`wrote ${writeJson(flags.out, report)}`);
  await target.stop();
  process.exit(!crashed && totals.lost === 0 && totals.misordered === 0 ? 0 : 1);
} catch (err) {
  console.error(`soak: ${(err as Error).stack ?? err}`);
  await target.stop();
  process.exit(2);
}
