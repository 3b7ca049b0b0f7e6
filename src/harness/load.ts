/**
 * `npm run load`: N connections sending a mix of text, image and audio at a target rate.
 * Prints latency percentiles (overall and per kind), throughput, errors by code, lost and
 * misordered replies and server RSS; writes JSON. `--find-max` ramps the rate to find the
 * highest sustainable one, then measures at 80% of it.
 */
import { Command, Option } from "commander";
import { loadMedia, parseMix } from "./media.js";
import { clean, num, printRun, round, summarizeRun, writeJson, type RunSummary } from "./report.js";
import { keyHeaders, serverRss, startTarget, type Target } from "./server.js";
import { summarize } from "../bench/stats.js";
import { Traffic, type Sample } from "./traffic.js";

interface LoadFlags {
  url?: string;
  apiKey?: string;
  connections: number;
  rate: number;
  seconds: number;
  mix: string;
  findMax?: boolean;
  startRate: number;
  stepSeconds: number;
  maxP95Ms: number;
  out: string;
}

const program = new Command()
  .name("load")
  .description("open-loop mixed load against a server (its own on loopback unless --url)")
  .option("--url <url>", "server to load (ws:// or http://); default: start one on a free loopback port")
  .addOption(new Option("--api-key <key>", "API key for --url").env("OPEN_EXPRESSION_API_KEY"))
  .option("--connections <n>", "concurrent connections", num("connections", 1), 16)
  .option("--rate <n>", "messages per second over all connections", num("rate", 0.1), 20)
  .option("--seconds <n>", "how long to send", num("seconds", 1), 20)
  .option("--mix <spec>", "weights of text, image, audio messages", "text=70,image=15,audio=15")
  .option("--find-max", "ramp the rate until p95 or errors blow up, then measure at 80% of the last good rate")
  .option("--start-rate <n>", "first rate of --find-max", num("start-rate", 0.1), 5)
  .option("--step-seconds <n>", "length of each --find-max step", num("step-seconds", 1), 10)
  .option("--max-p95-ms <ms>", "--find-max: a step with a higher p95, or whose p95 grows by more than half (plus 50 ms) from its first half to its second, is not sustainable", num("max-p95-ms", 1), 1000)
  .option("--out <file>", "JSON report", "artifacts/load.json");

const flags = program.parse().opts<LoadFlags>();
const mix = parseMix(flags.mix);
const media = await loadMedia();
const target = await startTarget(flags.url);
const rss: { t: number; mib: number }[] = [];
const t0 = Date.now();
const sampler = setInterval(() => {
  void serverRss(target).then((mib) => mib !== undefined && rss.push({ t: round((Date.now() - t0) / 1000, 1), mib }));
}, 1000);
const stop = async (code: number) => {
  clearInterval(sampler);
  await target.stop();
  process.exit(code);
};
process.once("SIGINT", () => void stop(130));

try {
  const rssStart = await serverRss(target);
  const traffic = new Traffic({ url: target.streamUrl, connections: flags.connections, rate: flags.rate, mix, media, headers: keyHeaders(flags.apiKey) });
  console.log(`server ${target.streamUrl}${target.pid ? ` (pid ${target.pid}, started by this harness)` : ""}; audio: ${media.audioSource}; mix ${flags.mix}; ${flags.connections} connections`);

  const steps: (RunSummary & { sustainable: boolean; p95FirstHalf: number; p95SecondHalf: number })[] = [];
  let sustainableRate: number | undefined;
  let rate = flags.rate;
  if (flags.findMax) {
    const step = async (r: number) => {
      const result = await traffic.run(flags.stepSeconds, r);
      const s = summarizeRun(r, result);
      // Over capacity, the queue grows for as long as the step lasts: later messages wait
      // longer than earlier ones. A short step can end before that shows up in p95 alone.
      const half = (flags.stepSeconds * 1000) / 2;
      const p95Of = (xs: Sample[]) => summarize(xs.map((x) => x.ms)).p95;
      const firstHalf = p95Of(result.samples.filter((x) => x.at < half));
      const secondHalf = p95Of(result.samples.filter((x) => x.at >= half));
      const rising = secondHalf > 1.5 * firstHalf + 50;
      const ok = clean(s) && s.latencyMs.all.p95 <= flags.maxP95Ms && !rising;
      steps.push({ ...s, sustainable: ok, p95FirstHalf: firstHalf, p95SecondHalf: secondHalf });
      console.log(
        `  step ${round(r)}/s: p95 ${s.latencyMs.all.p95} ms (halves ${firstHalf} / ${secondHalf}), errors ${JSON.stringify(s.errors)}, lost ${s.lost}, misordered ${s.misordered} -> ${ok ? "ok" : "over"}`,
      );
      return ok;
    };
    console.log(`finding the sustainable rate (p95 <= ${flags.maxP95Ms} ms and not rising within a step, no errors, nothing lost), ${flags.stepSeconds} s steps:`);
    let good: number | undefined;
    let bad: number | undefined;
    for (let r = flags.startRate; bad === undefined && r < 100_000; r *= 1.5) {
      if (await step(r)) good = r;
      else bad = r;
    }
    // Two bisection steps between the last good and the first bad rate.
    for (let i = 0; i < 2 && good !== undefined && bad !== undefined; i++) {
      const mid = (good + bad) / 2;
      if (await step(mid)) good = mid;
      else bad = mid;
    }
    if (good === undefined) throw new Error(`even ${flags.startRate}/s is not sustainable; lower --start-rate`);
    sustainableRate = round(good);
    rate = round(0.8 * good);
    console.log(`sustainable rate: ${sustainableRate}/s; measuring at 80%: ${rate}/s for ${flags.seconds} s`);
  }

  const main = summarizeRun(rate, await traffic.run(flags.seconds, rate));
  await traffic.close();
  const rssEnd = await serverRss(target);
  printRun(flags.findMax ? `at 80% of the sustainable rate (${sustainableRate}/s)` : "load", main);
  const peak = rss.length ? Math.max(...rss.map((r) => r.mib)) : undefined;
  console.log(`  server RSS MiB: start ${rssStart ?? "?"}, peak ${peak ?? "?"}, end ${rssEnd ?? "?"}`);
  const crashed = target.exitCode() !== undefined;
  if (crashed) console.log(`  SERVER EXITED with code ${target.exitCode()}`);
  if (target.problems.length) console.log(`  server warnings/errors logged: ${target.problems.length} (first: ${target.problems[0]})`);

  const report = {
    harness: "load",
    date: new Date().toISOString(),
    server: { url: target.streamUrl, startedByHarness: target.pid !== undefined, crashed, problemsLogged: target.problems.slice(0, 20) },
    options: { connections: flags.connections, mix: flags.mix, audio: media.audioSource, seconds: flags.seconds, findMax: Boolean(flags.findMax), maxP95Ms: flags.maxP95Ms },
    sustainableRate,
    steps,
    result: main,
    rssMiB: { start: rssStart, peak, end: rssEnd, series: rss },
  };
  console.log(`\nwrote ${writeJson(flags.out, report)}`);
  await stop(!crashed && main.lost === 0 && main.misordered === 0 && main.unexpected === 0 ? 0 : 1);
} catch (err) {
  console.error(`load: ${(err as Error).message}`);
  await stop(2);
}
