/**
 * `npm run bench [-- language | face | audio | overhead | batch | batch-redis | encoder-batch] [--quick]`: prints a table and writes JSON to artifacts/bench/.
 * Speed targets are checked here, not in timed tests, because timings depend on the machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../package-paths.js";
import { benchAudio, type AudioBench } from "./audio.js";
import { benchBatch, type BatchBench } from "./batch.js";
import { benchBatchRedis, type BatchRedisBench } from "./batch-redis.js";
import { benchEncoderBatch } from "./encoder-batch.js";
import { benchFace, type FaceBench } from "./face.js";
import { benchLanguage } from "./language.js";
import { benchOverhead, type OverheadRow } from "./overhead.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const which = args.filter((a) => !a.startsWith("--"));
const benches: Record<string, () => Promise<unknown>> = {
  language: () => benchLanguage({ quick }),
  face: () => benchFace({ quick }),
  audio: () => benchAudio({ quick }),
  overhead: () => benchOverhead({ quick }),
  batch: () => benchBatch({ quick }),
  "batch-redis": () => benchBatchRedis({ quick, cores: availableParallelism() }),
  "encoder-batch": () => benchEncoderBatch({ quick }),
};
const selected = which.length ? which : Object.keys(benches);

const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? "unknown", node: process.version };
console.log(`machine: ${machine.cores} cores, ${machine.cpu}, node ${machine.node}${quick ? " (quick run)" : ""}`);

for (const name of selected) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark "${name}"; available: ${Object.keys(benches).join(", ")}`);
    process.exit(2);
  }
  const result = await bench();
  const out = join(packageRoot, "artifacts", "bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), JSON.stringify({ machine, date: new Date().toISOString(), result }, null, 2));
  print(name, result);
  console.log(`wrote artifacts/bench/${name}.json`);
}

function print(name: string, result: unknown): void {
  if (name === "audio") return printAudio(result as AudioBench);
  if (name === "overhead") return printOverhead(result as OverheadRow[]);
  if (name === "face") return printFace(result as FaceBench);
  if (name === "batch") return printBatch(result as BatchBench);
  if (name === "batch-redis") return printBatchRedis(result as BatchRedisBench);
  if (name !== "language") return console.log(JSON.stringify(result, null, 2));
  const r = result as Awaited<ReturnType<typeof benchLanguage>>;
  const row = (label: string, s: { p50: number; p95: number; p99: number }) =>
    `| ${label.padEnd(52)} | ${s.p50.toFixed(1).padStart(8)} | ${s.p95.toFixed(1).padStart(8)} | ${s.p99.toFixed(1).padStart(8)} |`;
  console.log(`\nlanguage: "${r.input.text}" (${r.input.words} words; each message gets a distinct number appended)`);
  console.log(`| ${"measure (ms)".padEnd(52)} | ${"p50".padStart(8)} | ${"p95".padStart(8)} | ${"p99".padStart(8)} |`);
  console.log(`|${"-".repeat(54)}|${"-".repeat(10)}|${"-".repeat(10)}|${"-".repeat(10)}|`);
  console.log(row("bare model, sentence, in process", r.bareModelMs));
  console.log(row("bare model, the same sentence again (cached embedding)", r.bareModelRepeatedMs));
  console.log(row("end to end, sentence, 1 connection (target 15)", r.sentenceEndToEndMs));
  console.log(row("end to end, word, 1 connection (target 25)", r.wordEndToEndMs));
  console.log(row(`under load, ${r.throughput.connections} connections x ${r.throughput.inFlightPerConnection} in flight`, r.throughput.latencyMs));
  console.log(`throughput: ${r.throughput.perSecond} messages/s (target 150; ${r.throughput.messages} in ${r.throughput.seconds} s, ${r.throughput.errors} errors)`);
  console.log(`server start-up to ready: ${r.startupToReadyMs.threads1} ms (1 thread), ${r.startupToReadyMs.threads2} ms (2 threads)`);
  console.log(`server RSS: ${r.rssMb.threads1} MB (1 thread), ${r.rssMb.threads2} MB (2 threads): ${r.rssMb.perExtraWorker} MB per extra worker`);
}

function printAudio(r: AudioBench): void {
  const row = (label: string, s: { p50: number; p95: number; p99: number }) =>
    `| ${label.padEnd(58)} | ${s.p50.toFixed(1).padStart(8)} | ${s.p95.toFixed(1).padStart(8)} | ${s.p99.toFixed(1).padStart(8)} |`;
  console.log(`\n| ${"measure (ms)".padEnd(58)} | ${"p50".padStart(8)} | ${"p95".padStart(8)} | ${"p99".padStart(8)} |`);
  console.log(`|${"-".repeat(60)}|${"-".repeat(10)}|${"-".repeat(10)}|${"-".repeat(10)}|`);
  console.log(row("5 s WAV, prosody + burst, end to end (target p50 80)", r.wav.endToEndMs));
  for (const [stage, s] of Object.entries(r.wav.bare)) console.log(row(`  bare: ${stage}`, s));
  console.log(row("same speech, 48 kHz stereo WAV (ffmpeg decode), end to end", r.wav48k.endToEndMs));
  console.log(row(`5 s 640x480 MP4 (3 faces), face @3 fps + prosody, e2e (target 500)`, r.mp4.endToEndMs));
  for (const [stage, s] of Object.entries(r.mp4.bare)) console.log(row(`  bare: ${stage}${stage === "faceAllFrames" ? ` (${r.mp4.frames} frames)` : ""}`, s));
  console.log(row(`same, cropped to ${r.mp4OneFace.faces} face(s), e2e`, r.mp4OneFace.endToEndMs));
}

function printFace(r: FaceBench): void {
  const row = (label: string, s: { p50: number; p95: number; p99: number }) =>
    `| ${label.padEnd(52)} | ${s.p50.toFixed(1).padStart(8)} | ${s.p95.toFixed(1).padStart(8)} | ${s.p99.toFixed(1).padStart(8)} |`;
  console.log(`\nface: ${r.input}`);
  console.log(`| ${"measure (ms)".padEnd(52)} | ${"p50".padStart(8)} | ${"p95".padStart(8)} | ${"p99".padStart(8)} |`);
  console.log(`|${"-".repeat(54)}|${"-".repeat(10)}|${"-".repeat(10)}|${"-".repeat(10)}|`);
  console.log(row("end to end, face: {} (target 20)", r.endToEndMs.plain));
  console.log(row("end to end, facs + descriptions", r.endToEndMs.facsDescriptions));
  console.log(row("end to end, identify_faces + facs + descriptions (40)", r.endToEndMs.idsFacsDescriptions));
  for (const [stage, s] of Object.entries(r.bareMs)) console.log(row(`  bare, one thread: ${stage}`, s));
  console.log(row(`under load, ${r.throughput.connections} connections x ${r.throughput.inFlightPerConnection} in flight`, r.throughput.latencyMs));
  console.log(`throughput: ${r.throughput.perSecond} frames/s (target 60; ${r.throughput.messages} in ${r.throughput.seconds} s, ${r.throughput.errors} errors)`);
  console.log(`server start-up to ready: ${r.startupToReadyMs.threads1} ms (1 thread), ${r.startupToReadyMs.threads2} ms (2 threads)`);
  console.log(`server RSS: ${r.rssMb.threads1} MB (1 thread), ${r.rssMb.threads2} MB (2 threads): ${r.rssMb.perExtraWorker} MB per extra worker`);
}

function printOverhead(rows: OverheadRow[]): void {
  console.log(`\n| ${"model".padEnd(9)} | ${"input".padEnd(40)} | ${"bare p50".padStart(9)} | ${"e2e p50".padStart(9)} | ${"e2e/bare".padStart(8)} |`);
  console.log(`|${"-".repeat(11)}|${"-".repeat(42)}|${"-".repeat(11)}|${"-".repeat(11)}|${"-".repeat(10)}|`);
  for (const r of rows) {
    console.log(`| ${r.model.padEnd(9)} | ${r.input.padEnd(40)} | ${r.bareMs.p50.toFixed(2).padStart(9)} | ${r.endToEndMs.p50.toFixed(2).padStart(9)} | ${`${r.ratio}x`.padStart(8)} |`);
  }
  console.log("target: end-to-end p50 within 1.5x the bare time at low load (ms)");
}

function printBatch(r: BatchBench): void {
  const ms = (s: { p50: number; p95: number; n: number }) => `p50 ${s.p50.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms (${s.n} jobs)`;
  const media = (m: { seconds: number; mediaSecondsPerSecond: number }) => `${m.seconds.toFixed(1)} s: ${m.mediaSecondsPerSecond.toFixed(2)} media-seconds per second`;
  console.log(`\n| ${"measure".padEnd(66)} | result`);
  console.log(`|${"-".repeat(68)}|${"-".repeat(48)}`);
  console.log(`| ${"one photo (1920x1280, three faces), face: submit to COMPLETED".padEnd(66)} | ${ms(r.photoSubmitToCompletedMs)}`);
  console.log(`| ${"  of which the queue (submit to COMPLETED minus the job's own run)".padEnd(66)} | ${ms(r.photoQueueOverheadMs)}`);
  console.log(`| ${"60 s speech WAV, prosody + burst".padEnd(66)} | ${media(r.speech60s)}`);
  console.log(`| ${"60 s 640x480 one-face video, face at 3 fps + prosody".padEnd(66)} | ${media(r.video60sOneFace)}`);
  console.log(`| ${`a mix of ${r.mix.jobs} jobs submitted at once (${r.mix.mediaSeconds} media-seconds)`.padEnd(66)} | ${r.mix.seconds.toFixed(1)} s: ${r.mix.jobsPerMinute.toFixed(1)} jobs/min, ${r.mix.mediaSecondsPerSecond.toFixed(2)} media-s/s`);
}

function printBatchRedis(r: BatchRedisBench): void {
  console.log(`\nmix submitted at once: ${r.mix.video60sOneFace} x 60 s one-face video (face + prosody), ${r.mix.speech60s} x 60 s speech (prosody + burst), ${r.mix.photos} x photo (face)`);
  console.log(`| ${"server processes on Redis".padEnd(30)} | ${"seconds".padStart(8)} | ${"jobs/min".padStart(8)} | ${"media-s/s".padStart(9)} | ${"jobs per process".padEnd(16)} | ${"busy cores".padStart(10)} | ${"server cores".padStart(12)} |`);
  console.log(`|${"-".repeat(32)}|${"-".repeat(10)}|${"-".repeat(10)}|${"-".repeat(11)}|${"-".repeat(18)}|${"-".repeat(12)}|${"-".repeat(14)}|`);
  for (const l of r.layouts) {
    const label = `${l.processes} x ${l.threadsPerProcess} thread${l.threadsPerProcess > 1 ? "s" : ""}`;
    console.log(`| ${label.padEnd(30)} | ${l.seconds.toFixed(1).padStart(8)} | ${l.jobsPerMinute.toFixed(1).padStart(8)} | ${l.mediaSecondsPerSecond.toFixed(2).padStart(9)} | ${l.jobsPerProcess.join(" / ").padEnd(16)} | ${(l.machineBusyCores?.toFixed(2) ?? "n/a").padStart(10)} | ${(l.serverCores?.toFixed(2) ?? "n/a").padStart(12)} |`);
  }
  const reruns = r.layouts.reduce((n, l) => n + l.reruns, 0);
  if (reruns) console.log(`${reruns} job run(s) repeated after a lock expired: the numbers include that lost work`);
  console.log(`two one-thread processes vs one: ${r.twoProcessSpeedup}x jobs/min`);
}
