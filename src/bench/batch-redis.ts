/**
 * `npm run bench -- batch-redis`: how batch throughput grows from one to two server processes
 * sharing one BullMQ queue on Redis. Starts its own `redis-server` on a loopback port (and stops
 * it), then for each layout starts the server processes with `--queue` and one shared
 * `--batch-dir`, submits a fixed mix of jobs at once (spread over the processes, as a load
 * balancer would), and times them to COMPLETED.
 *
 * The layouts: one process with one inference thread, two such processes (each process as it
 * would be on its own one-core machine), and one process with two threads (the whole machine
 * in one process), so that the gain from a second process can be told apart from the gain from
 * more threads. On a 2-core machine the processes share the same cores as each other, Redis and
 * this client, so the machine's busy cores are recorded during each mix to show where it stops.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AUDIO, FACE, MEDIA_SECONDS, VIDEO, makeBatchMedia, round2, submitJob, waitCompleted, type BatchMedia, type MixJob } from "./batch-jobs.js";
import { redisMissing, startRedis } from "./redis-server.js";
import { spawnServer, type ServerProcess } from "./server-process.js";

interface Layout {
  processes: number;
  threadsPerProcess: number;
}

const LAYOUTS: Layout[] = [
  { processes: 1, threadsPerProcess: 1 },
  { processes: 2, threadsPerProcess: 1 },
  { processes: 1, threadsPerProcess: 2 },
];

export interface LayoutResult extends Layout {
  jobs: number;
  seconds: number;
  jobsPerMinute: number;
  mediaSeconds: number;
  mediaSecondsPerSecond: number;
  /** Mix jobs each process ran (from its "batch job completed" log lines). */
  jobsPerProcess: number[];
  /** Mix jobs run again because their lock expired (a process too starved to renew it). */
  reruns: number;
  /** Busy cores of the whole machine during the mix (from /proc/stat; null elsewhere). */
  machineBusyCores: number | null;
  /** Cores the server processes and their ffmpeg children used on average during the mix (/proc; null elsewhere). */
  serverCores: number | null;
}

export interface BatchRedisBench {
  mix: { photos: number; speech60s: number; video60sOneFace: number };
  layouts: LayoutResult[];
  /** Jobs per minute of two one-thread processes over one. */
  twoProcessSpeedup: number;
}

/** The mix: long jobs first, so that no process is left with a video at the end while the other idles. */
function makeMix(media: BatchMedia, quick: boolean): MixJob[] {
  const n = quick ? { video: 1, speech: 2, photo: 4 } : { video: 2, speech: 4, photo: 8 };
  return [
    ...Array.from({ length: n.video }, (): MixJob => ["face60.mp4", media.mp4, VIDEO, MEDIA_SECONDS]),
    ...Array.from({ length: n.speech }, (): MixJob => ["speech60.wav", media.wav, AUDIO, MEDIA_SECONDS]),
    ...Array.from({ length: n.photo }, (): MixJob => ["photo.jpg", media.photo, FACE, 0]),
  ];
}

/** Busy and total jiffies of all cores since boot; undefined where /proc/stat does not exist. */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** CPU seconds of a process, its threads and its waited-for children (ffmpeg), from /proc/<pid>/stat. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are 14-17.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    return ((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100;

const sumCpu = (servers: ServerProcess[]): number | undefined => {
  let total = 0;
  for (const s of servers) {
    const t = processCpuSeconds(s.child.pid);
    if (t === undefined) return undefined;
    total += t;
  }
  return total;
};

async function runLayout(layout: Layout, redisUrl: string, mix: MixJob[], media: BatchMedia, cores: number): Promise<LayoutResult> {
  const dir = mkdtempSync(join(tmpdir(), "oe-bench-batch-redis-"));
  const completedBy: Map<string, number>[] = [];
  const resumed: string[] = [];
  const servers: ServerProcess[] = [];
  try {
    // Started one after another: model loading on 2 cores is slow enough without a race.
    for (let i = 0; i < layout.processes; i++) {
      const done = new Map<string, number>();
      completedBy.push(done);
      servers.push(
        await spawnServer({
          args: ["--queue", redisUrl, "--batch-dir", dir, "--threads", String(layout.threadsPerProcess), "--log-level", "info"],
          env: { OPEN_EXPRESSION_BATCH_CONCURRENCY: "1" },
          onLog: (l) => {
            if (typeof l.job_id !== "string") return;
            if (l.msg === "batch job completed") done.set(l.job_id, i);
            if (l.msg === "batch job resumed after an interrupted run") resumed.push(l.job_id);
          },
        }),
      );
    }
    const urls = servers.map((s) => s.url);
    // Warm every inference thread of every process: a few photo jobs each, taken by whoever is free.
    const warm = await Promise.all(Array.from({ length: 2 * layout.processes * layout.threadsPerProcess }, (_, i) => submitJob(urls[i % urls.length]!, "warm.jpg", media.photo, FACE)));
    await Promise.all(warm.map((id, i) => waitCompleted(urls[i % urls.length]!, id)));

    const before = cpuTimes();
    const serverCpuBefore = sumCpu(servers);
    const start = performance.now();
    const ids = await Promise.all(mix.map(([name, bytes, models], i) => submitJob(urls[i % urls.length]!, name, bytes, models)));
    await Promise.all(ids.map((id, i) => waitCompleted(urls[i % urls.length]!, id)));
    const seconds = (performance.now() - start) / 1000;
    const after = cpuTimes();
    const serverCpuAfter = sumCpu(servers);
    // The completion log line follows the COMPLETED state; give it a moment before counting.
    await new Promise((r) => setTimeout(r, 500));
    for (const s of servers) if (s.exitCode() !== undefined) throw new Error(`a server process exited during the mix (code ${s.exitCode()})`);
    const mediaSeconds = mix.reduce((n, m) => n + m[3], 0);
    return {
      ...layout,
      jobs: mix.length,
      seconds: round2(seconds),
      jobsPerMinute: round2((mix.length / seconds) * 60),
      mediaSeconds,
      mediaSecondsPerSecond: round2(mediaSeconds / seconds),
      jobsPerProcess: completedBy.map((done) => ids.filter((id) => done.has(id)).length),
      reruns: resumed.filter((id) => ids.includes(id)).length,
      machineBusyCores: before && after ? round2(((after.busy - before.busy) / (after.total - before.total)) * cores) : null,
      serverCores: serverCpuBefore !== undefined && serverCpuAfter !== undefined ? round2((serverCpuAfter - serverCpuBefore) / seconds) : null,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchBatchRedis({ quick, cores }: { quick: boolean; cores: number }): Promise<BatchRedisBench> {
  const missing = redisMissing();
  if (missing) throw new Error(`batch-redis needs a local Redis: ${missing}`);
  const media = makeBatchMedia();
  const mix = makeMix(media, quick);
  const redis = await startRedis();
  try {
    const layouts: LayoutResult[] = [];
    for (const layout of LAYOUTS) {
      console.log(`batch-redis: ${layout.processes} process(es) x ${layout.threadsPerProcess} thread(s), ${mix.length} jobs…`);
      layouts.push(await runLayout(layout, redis.url, mix, media, cores));
    }
    const one = layouts.find((l) => l.processes === 1 && l.threadsPerProcess === 1);
    const two = layouts.find((l) => l.processes === 2 && l.threadsPerProcess === 1);
    return {
      mix: { photos: mix.filter((m) => m[2] === FACE).length, speech60s: mix.filter((m) => m[2] === AUDIO).length, video60sOneFace: mix.filter((m) => m[2] === VIDEO).length },
      layouts,
      twoProcessSpeedup: one && two ? round2(two.jobsPerMinute / one.jobsPerMinute) : NaN,
    };
  } finally {
    await redis.stop();
  }
}
