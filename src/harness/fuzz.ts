/**
 * `npm run fuzz`: hostile inputs against a server (its own on loopback unless --url). Every
 * message must get exactly one valid reply in order (or, for an oversize or non-UTF-8 text
 * frame, the close code the protocol prescribes); afterwards the server must be healthy, still
 * answer a normal message, and its RSS must come back near the baseline. Exit code 0 = passed.
 */
import { Command, Option } from "commander";
import { performance } from "node:perf_hooks";
import { buildCorpus, makeSeeds } from "./fuzz-corpus.js";
import { normalWorks, runAbandoned, runCloseCase, runFlood, runFragmented, runReplyCases, runSlowReader, Tally, type PhaseContext } from "./fuzz-phases.js";
import { loadMedia } from "./media.js";
import { num, round, writeJson } from "./report.js";
import { healthy, keyHeaders, serverRss, startTarget } from "./server.js";
import { prng } from "./traffic.js";

interface FuzzFlags {
  url?: string;
  apiKey?: string;
  count: number;
  flood: number;
  seed: number;
  connections: number;
  window: number;
  maxMessageBytes: number;
  maxRssGrowthPct: number;
  only?: string;
  out: string;
}

const program = new Command()
  .name("fuzz")
  .description("hostile inputs against a server; checks one coded reply per message, health and memory")
  .option("--url <url>", "server to fuzz; default: start one on a free loopback port")
  .addOption(new Option("--api-key <key>", "API key for --url").env("OPEN_EXPRESSION_API_KEY"))
  .option("--count <n>", "hostile messages in the corpus, besides the pipelined flood", num("count", 1), 10_000)
  .option("--flood <n>", "messages pipelined at once on one connection", num("flood", 0), 3000)
  .option("--seed <n>", "corpus seed", num("seed", 0), 1)
  .option("--connections <n>", "connections sending the corpus", num("connections", 1), 8)
  .option("--window <n>", "messages in flight per connection", num("window", 1), 16)
  .option("--max-message-bytes <n>", "the server's frame limit (for the oversize cases)", num("max-message-bytes", 1024), Number(process.env.OPEN_EXPRESSION_MAX_MESSAGE_BYTES) || 32 * 1024 * 1024)
  .option("--max-rss-growth-pct <n>", "RSS growth after the run over the warmed-up baseline that still passes", num("max-rss-growth-pct", 0), 50)
  .option("--only <categories>", "comma-separated corpus categories to run (e.g. image-bomb,large); the extra phases are skipped")
  .option("--out <file>", "JSON report", "artifacts/fuzz.json");

const flags = program.parse().opts<FuzzFlags>();
const headers = keyHeaders(flags.apiKey);

const target = await startTarget(flags.url);
const started = performance.now();
const tally = new Tally();
const { failures } = tally;
const ctx: PhaseContext = { url: target.streamUrl, headers, tally };
try {
  const [media, seeds] = await Promise.all([loadMedia(), makeSeeds()]);
  const only = flags.only?.split(",").map((c) => c.trim());
  const corpus = buildCorpus(seeds, { count: flags.count, seed: flags.seed, maxMessageBytes: flags.maxMessageBytes }).filter((c) => !only || only.includes(c.category));
  // Cheap and expensive cases interleaved, reproducibly.
  const rnd = prng(flags.seed + 7);
  const replyCases = corpus.filter((c) => c.close === undefined).map((c) => ({ c, k: rnd() })).sort((a, b) => a.k - b.k).map((x) => x.c);
  const closeCases = corpus.filter((c) => c.close !== undefined);
  console.log(`server ${target.streamUrl}${target.pid ? ` (pid ${target.pid})` : ""}; corpus: ${replyCases.length} reply cases, ${closeCases.length} close cases, flood ${flags.flood}`);

  // The baseline is the working set of a server that has already seen every model and the
  // largest legal inputs once: WebAssembly memory (the face model) and the allocator keep their
  // high-water mark by design. What must not happen is growth past that over the whole run.
  for (let i = 0; i < 2; i++) await normalWorks(ctx, media);
  const warmup = corpus.filter((c) => c.close === undefined && (c.category === "large" || c.category === "image-bomb"));
  await runReplyCases(ctx, warmup, flags.connections, flags.window);
  tally.reset();
  await normalWorks(ctx, media);
  const rssBaseline = await serverRss(target);
  let rssPeak = rssBaseline ?? 0;
  const sampler = setInterval(() => void serverRss(target).then((m) => m !== undefined && (rssPeak = Math.max(rssPeak, m))), 500);

  const phases: Record<string, number> = {};
  const phase = async (name: string, run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    phases[name] = round((performance.now() - t) / 1000, 1);
    console.log(`  ${name}: ${phases[name]} s, RSS ${(await serverRss(target)) ?? "?"} MiB, ${failures.length} failures so far`);
  };
  let flood = { e0902: 0 };
  await phase("reply cases", () => runReplyCases(ctx, replyCases, flags.connections, flags.window));
  await phase("close cases", async () => {
    for (const c of closeCases) await runCloseCase(ctx, c);
  });
  if (!only) {
    if (flags.flood > 0) await phase("pipelined flood", async () => (flood = await runFlood(ctx, flags.flood, media)));
    await phase("abandoned connections", () => runAbandoned(ctx, media, 20));
    await phase("slow reader", () => runSlowReader(ctx, 60));
    await phase("fragmented frames", () => runFragmented(ctx, 50));
  }
  clearInterval(sampler);

  const crashedDuring = target.exitCode() !== undefined;
  const isHealthy = !crashedDuring && (await healthy(target));
  const broken = isHealthy ? await normalWorks(ctx, media) : ["server not healthy"];
  // Memory comes back: allow the allocator up to 30 s to hand back what the run took.
  const limit = rssBaseline !== undefined ? rssBaseline * (1 + flags.maxRssGrowthPct / 100) : undefined;
  let rssAfter = await serverRss(target);
  for (let i = 0; i < 30 && limit !== undefined && rssAfter !== undefined && rssAfter > limit; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rssAfter = await serverRss(target);
  }
  const rssOk = limit === undefined || rssAfter === undefined || rssAfter <= limit;
  const crashed = target.exitCode() !== undefined;
  const passed = failures.length === 0 && !crashed && isHealthy && broken.length === 0 && rssOk;

  const seconds = round((performance.now() - started) / 1000, 1);
  console.log(`\nfuzz: ${tally.hostileSent} hostile messages in ${seconds} s`);
  console.log(`  by category: ${Object.entries(tally.byCategory).map(([k, v]) => `${k} ${v.sent}${v.failed ? ` (${v.failed} failed)` : ""}`).join(", ")}`);
  console.log(`  replies: ${Object.entries(tally.replyCodes).sort().map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(`  pipelined flood: ${flags.flood} messages, ${flood.e0902} answered E0902 (over the per-connection limit)`);
  console.log(`  failures (lost, extra, malformed or misordered replies, wrong closes): ${failures.length}`);
  for (const f of failures.slice(0, 15)) console.log(`    [${f.category}] ${f.name}: ${f.problem}`);
  console.log(`  server: ${crashed ? `CRASHED (exit ${target.exitCode()})` : "up"}, /healthz ${isHealthy ? "ok" : "FAILED"}, normal messages ${broken.length ? `FAILED: ${broken.join("; ")}` : "ok"}`);
  console.log(`  server RSS MiB: baseline ${rssBaseline ?? "?"}, peak ${round(rssPeak, 1)}, after ${rssAfter ?? "?"} (limit ${limit !== undefined ? round(limit, 1) : "?"}) ${rssOk ? "ok" : "NOT BACK NEAR BASELINE"}`);
  if (target.problems.length) console.log(`  server warnings/errors logged: ${target.problems.length}`);
  console.log(passed ? "PASSED" : "FAILED");

  const report = {
    harness: "fuzz",
    date: new Date().toISOString(),
    passed,
    seconds,
    phases,
    options: { count: flags.count, only, flood: flags.flood, seed: flags.seed, connections: flags.connections, window: flags.window, maxRssGrowthPct: flags.maxRssGrowthPct },
    hostileMessages: tally.hostileSent,
    byCategory: tally.byCategory,
    replies: tally.replyCodes,
    floodE0902: flood.e0902,
    failures,
    server: { crashed, healthy: isHealthy, normalMessages: broken.length === 0 ? "ok" : broken, problemsLogged: target.problems.length, firstProblems: target.problems.slice(0, 20) },
    rssMiB: { baseline: rssBaseline, peak: round(rssPeak, 1), after: rssAfter, limit: limit !== undefined ? round(limit, 1) : undefined },
  };
  console.log(`wrote ${writeJson(flags.out, report)}`);
  await target.stop();
  process.exit(passed ? 0 : 1);
} catch (err) {
  console.error(`fuzz: ${(err as Error).stack ?? err}`);
  await target.stop();
  process.exit(2);
}
