/**
 * The embedded job store: one SQLite file (better-sqlite3) holding jobs, their inputs and their
 * results, so all three survive a restart. SQLite's own locking makes it safe for several server
 * processes on one machine (`serve --workers N`) to share the file.
 *
 * Exactly-once completion rests on leases: a worker claims a job by writing its own owner id and
 * a lease expiry in one transaction, renews the lease while it works, and may only complete or
 * fail a job whose lease it still holds. A job whose worker died (SIGKILL, crash) keeps an expired
 * lease and is claimed again by the next worker; its attempts are counted so a job that kills
 * its worker every time ends FAILED instead of looping.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { FileInfo, InferenceRequest, JobStatus, ListQuery } from "./schema.js";

/** One input of a job, in the order the predictions report them. */
export type JobInput =
  | { kind: "file"; info: FileInfo; bytes: Uint8Array }
  | { kind: "url"; url: string }
  | { kind: "text"; text: string };

export interface JobRecord {
  id: string;
  keyId: string;
  request: InferenceRequest;
  files: FileInfo[];
  status: JobStatus;
  createdMs: number;
  startedMs?: number;
  endedMs?: number;
  numPredictions?: number;
  numErrors?: number;
  message?: string;
  attempts: number;
}

export interface NewJob {
  id: string;
  keyId: string;
  request: InferenceRequest;
  inputs: JobInput[];
  createdMs: number;
}

export interface Claim {
  job: JobRecord;
  /** Set when this claim took over a job whose earlier run never finished. */
  retried: boolean;
}

interface JobRow {
  id: string;
  key_id: string;
  request: string;
  files: string;
  status: JobStatus;
  created_ms: number;
  started_ms: number | null;
  ended_ms: number | null;
  num_predictions: number | null;
  num_errors: number | null;
  message: string | null;
  attempts: number;
}

interface InputRow {
  kind: JobInput["kind"];
  info: string | null;
  bytes: Buffer | null;
  value: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  request TEXT NOT NULL,
  files TEXT NOT NULL,
  status TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER,
  ended_ms INTEGER,
  num_predictions INTEGER,
  num_errors INTEGER,
  message TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until INTEGER,
  predictions TEXT
);
CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (status, created_ms);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (key_id, created_ms);
CREATE TABLE IF NOT EXISTS inputs (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  kind TEXT NOT NULL,
  info TEXT,
  bytes BLOB,
  value TEXT,
  PRIMARY KEY (job_id, idx)
);
`;

const SORT_COLUMNS = { created: "created_ms", started: "started_ms", ended: "ended_ms" } as const;

export class JobStore {
  private constructor(private readonly db: BetterSqlite3.Database) {}

  /** Opens (creating when missing) `jobs.sqlite` in `dir`. */
  static async open(dir: string): Promise<JobStore> {
    mkdirSync(dir, { recursive: true });
    // Imported here, not at the top: a build without the native module still serves streaming.
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(join(dir, "jobs.sqlite"));
    // WAL: readers (status polls) never wait for the writer; synchronous=NORMAL is still
    // crash-safe in WAL mode (a power cut may lose the last commits, a process crash loses none).
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    // Several processes share the file: wait for a lock instead of failing at once.
    db.pragma("busy_timeout = 5000");
    db.exec(SCHEMA);
    return new JobStore(db);
  }

  create(job: NewJob): void {
    const files = job.inputs.flatMap((i) => (i.kind === "file" ? [i.info] : []));
    const insertJob = this.db.prepare(
      "INSERT INTO jobs (id, key_id, request, files, status, created_ms) VALUES (?, ?, ?, ?, 'QUEUED', ?)",
    );
    const insertInput = this.db.prepare("INSERT INTO inputs (job_id, idx, kind, info, bytes, value) VALUES (?, ?, ?, ?, ?, ?)");
    this.db.transaction(() => {
      insertJob.run(job.id, job.keyId, JSON.stringify(job.request), JSON.stringify(files), job.createdMs);
      job.inputs.forEach((input, idx) => {
        if (input.kind === "file") insertInput.run(job.id, idx, "file", JSON.stringify(input.info), Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength), null);
        else insertInput.run(job.id, idx, input.kind, null, null, input.kind === "url" ? input.url : input.text);
      });
    })();
  }

  /** A job by id; with `keyId`, only a job that key created. */
  get(id: string, keyId?: string): JobRecord | undefined {
    const row = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
    if (!row || (keyId !== undefined && row.key_id !== keyId)) return undefined;
    return toRecord(row);
  }

  list(keyId: string, q: ListQuery): JobRecord[] {
    const where = ["key_id = ?"];
    const args: (string | number)[] = [keyId];
    if (q.status.length > 0) {
      where.push(`status IN (${q.status.map(() => "?").join(", ")})`);
      args.push(...q.status);
    }
    if (q.when && q.timestamp_ms !== undefined) {
      where.push(q.when === "created_before" ? "created_ms < ?" : "created_ms > ?");
      args.push(q.timestamp_ms);
    }
    const column = SORT_COLUMNS[q.sort_by];
    const direction = q.direction === "asc" ? "ASC" : "DESC";
    const sql = `SELECT * FROM jobs WHERE ${where.join(" AND ")} ORDER BY ${column} ${direction}, created_ms ${direction} LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as JobRow[]).map(toRecord);
  }

  inputs(id: string): JobInput[] {
    const rows = this.db.prepare("SELECT kind, info, bytes, value FROM inputs WHERE job_id = ? ORDER BY idx").all(id) as InputRow[];
    return rows.map((r): JobInput => {
      if (r.kind === "file") return { kind: "file", info: JSON.parse(r.info ?? "{}") as FileInfo, bytes: new Uint8Array(r.bytes ?? Buffer.alloc(0)) };
      if (r.kind === "url") return { kind: "url", url: r.value ?? "" };
      return { kind: "text", text: r.value ?? "" };
    });
  }

  /** The stored predictions JSON of a COMPLETED job. */
  predictions(id: string): string | undefined {
    const row = this.db.prepare("SELECT predictions FROM jobs WHERE id = ? AND status = 'COMPLETED'").get(id) as { predictions: string | null } | undefined;
    return row?.predictions ?? undefined;
  }

  /**
   * Claims the oldest job that is queued or whose lease has expired. A job already run
   * `maxAttempts` times is failed instead of claimed (and the next one is looked at).
   */
  claim(owner: string, leaseMs: number, maxAttempts: number, now = Date.now()): Claim | undefined {
    const pick = this.db.prepare(
      "SELECT * FROM jobs WHERE status = 'QUEUED' OR (status = 'IN_PROGRESS' AND lease_until < ?) ORDER BY created_ms LIMIT 1",
    );
    const take = this.db.prepare(
      "UPDATE jobs SET status = 'IN_PROGRESS', started_ms = COALESCE(started_ms, ?), attempts = attempts + 1, lease_owner = ?, lease_until = ? WHERE id = ?",
    );
    const giveUp = this.db.prepare(
      "UPDATE jobs SET status = 'FAILED', ended_ms = ?, started_ms = COALESCE(started_ms, ?), message = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
    );
    // IMMEDIATE: the write lock is taken before the read, so two processes never pick the same job.
    return this.db.transaction((): Claim | undefined => {
      for (;;) {
        const row = pick.get(now) as JobRow | undefined;
        if (!row) return undefined;
        if (row.attempts >= maxAttempts) {
          giveUp.run(now, now, `The job was interrupted ${row.attempts} times (server crash or shutdown) and was not retried again.`, row.id);
          continue;
        }
        take.run(now, owner, now + leaseMs, row.id);
        const job = toRecord({ ...row, status: "IN_PROGRESS", started_ms: row.started_ms ?? now, attempts: row.attempts + 1 });
        return { job, retried: row.status === "IN_PROGRESS" };
      }
    }).immediate();
  }

  /** Extends the lease; false when this owner no longer holds the job. */
  renew(id: string, owner: string, leaseMs: number, now = Date.now()): boolean {
    const r = this.db.prepare("UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'IN_PROGRESS'").run(now + leaseMs, id, owner);
    return r.changes === 1;
  }

  /** COMPLETED with its predictions, only if `owner` still holds the job: at most once per job. */
  complete(id: string, owner: string, predictions: string, counts: { predictions: number; errors: number }, now = Date.now()): boolean {
    const r = this.db
      .prepare(
        "UPDATE jobs SET status = 'COMPLETED', ended_ms = ?, predictions = ?, num_predictions = ?, num_errors = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'IN_PROGRESS'",
      )
      .run(now, predictions, counts.predictions, counts.errors, id, owner);
    return r.changes === 1;
  }

  fail(id: string, owner: string, message: string, now = Date.now()): boolean {
    const r = this.db
      .prepare("UPDATE jobs SET status = 'FAILED', ended_ms = ?, message = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'IN_PROGRESS'")
      .run(now, message, id, owner);
    return r.changes === 1;
  }

  /** Puts a job this owner holds back in the queue (graceful shutdown): the run does not count. */
  release(id: string, owner: string): boolean {
    const r = this.db
      .prepare("UPDATE jobs SET status = 'QUEUED', attempts = MAX(0, attempts - 1), lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'IN_PROGRESS'")
      .run(id, owner);
    return r.changes === 1;
  }

  /** Jobs per status, for the metrics. */
  countByStatus(): Record<JobStatus, number> {
    const out: Record<JobStatus, number> = { QUEUED: 0, IN_PROGRESS: 0, COMPLETED: 0, FAILED: 0 };
    for (const r of this.db.prepare("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").all() as { status: JobStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  close(): void {
    this.db.close();
  }
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    keyId: row.key_id,
    request: JSON.parse(row.request) as InferenceRequest,
    files: JSON.parse(row.files) as FileInfo[],
    status: row.status,
    createdMs: row.created_ms,
    attempts: row.attempts,
    ...(row.started_ms !== null && { startedMs: row.started_ms }),
    ...(row.ended_ms !== null && { endedMs: row.ended_ms }),
    ...(row.num_predictions !== null && { numPredictions: row.num_predictions }),
    ...(row.num_errors !== null && { numErrors: row.num_errors }),
    ...(row.message !== null && { message: row.message }),
  };
}
