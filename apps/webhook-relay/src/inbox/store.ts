// The inbox's SQLite schema, connection settings and every write, run only by the writer thread (writer-thread.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export const JobStatus = { Pending: 'pending', Done: 'done', Failed: 'failed', Coalesced: 'coalesced' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const DeliveryStatus = { Pending: 'pending', Done: 'done', Failed: 'failed' } as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** One forward to do, as the route matcher produced it. */
export interface NewJob {
  readonly targetKey: string;
  /** The target as JSON, so a job survives a routes-file change. */
  readonly target: string;
  readonly image: string;
  readonly tag: string;
}

export interface NewDelivery {
  readonly id: string;
  readonly hookId: string | undefined;
  readonly event: string;
  readonly action: string;
  readonly receivedAt: number;
  /**
   * The JSON GitHub sent, as UTF-8 bytes (decoded from the form field for form hooks). Bytes, not a string, so
   * the Inbox can hand them to the writer thread without a copy.
   */
  readonly payload: Uint8Array;
  readonly jobs: readonly NewJob[];
}

/** A pending job as the worker sees it; the payload is read separately, only for the job that is forwarded. */
export interface JobRow {
  readonly id: number;
  readonly deliveryId: string;
  readonly targetKey: string;
  readonly target: string;
  readonly image: string;
  readonly tag: string;
  readonly createdAt: number;
  readonly attempts: number;
  readonly event: string;
}

export type Outcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly error: string; readonly nextAttemptAt: number }
  | { readonly kind: 'failed'; readonly error: string };

/**
 * Schema version in `PRAGMA user_version`: 1 added `deliveries.body` (compressed payload) and `jobs_coalesced`;
 * 2 dropped the redundant `jobs_delivery` index.
 */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  hook_id TEXT,
  event TEXT NOT NULL,
  action TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  body BLOB
) STRICT;
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (status, received_at);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  target_key TEXT NOT NULL,
  target TEXT NOT NULL,
  image TEXT NOT NULL,
  tag TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  status TEXT NOT NULL,
  coalesced_into INTEGER,
  finished_at INTEGER,
  UNIQUE (delivery_id, target_key)
) STRICT;
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS jobs_group ON jobs (status, target_key, image);
`;

/**
 * Payloads are stored deflated: GitHub's ~16 KB package JSON shrinks to ~3 KB (level 1 costs ~40 µs), which keeps
 * a row inside one page, cuts WAL bytes and checkpoint work ~5×, and still forwards the delivery byte for byte.
 */
export function compressPayload(bytes: Uint8Array): Uint8Array {
  return deflateRawSync(bytes, { level: 1 });
}

/** The stored JSON bytes: `body` (deflated) when present, else the plain `payload` column of version-0 rows. */
export function payloadFromRow(row: { payload: string; body: Uint8Array | null }): Buffer {
  return row.body === null ? Buffer.from(row.payload, 'utf8') : inflateRawSync(row.body);
}

/** Opens (creating or migrating) the inbox database; both threads call it, the writer thread first. */
export function openInboxDatabase(dataDir: string, options: { migrate: boolean }): DatabaseSync {
  mkdirSync(dataDir, { recursive: true });
  const db = new DatabaseSync(join(dataDir, 'inbox.sqlite'));
  db.exec('PRAGMA journal_mode = WAL');
  // FULL fsyncs the WAL on every commit: an acknowledged delivery survives power loss, not only a crash.
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  // Checkpoint every ~32 MB of WAL instead of 4 MB: random UUID keys dirty one index page per delivery, and a
  // page dirtied many times between checkpoints is copied to the database once (measured: writer sys time per
  // delivery 30 → 18 µs). After a checkpoint the WAL is truncated back to this limit, not kept at its peak.
  db.exec('PRAGMA wal_autocheckpoint = 8000');
  db.exec('PRAGMA journal_size_limit = 67108864');
  // 8 MB of page cache per connection (default 2 MB): the hot index pages stay in memory under a flood.
  db.exec('PRAGMA cache_size = -2048');
  db.exec('PRAGMA temp_store = MEMORY');
  if (options.migrate) {
    db.exec(SCHEMA);
    const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    if (version < 1) {
      const columns = db.prepare('PRAGMA table_info(deliveries)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'body')) db.exec('ALTER TABLE deliveries ADD COLUMN body BLOB');
    }
    // complete() looks up the jobs coalesced into a winner; without this it scanned the whole table.
    db.exec('CREATE INDEX IF NOT EXISTS jobs_coalesced ON jobs (coalesced_into) WHERE coalesced_into IS NOT NULL');
    // Version 2: lookups by delivery use UNIQUE (delivery_id, target_key); a second random-keyed index on
    // delivery_id cost one more page write per job on the acknowledgement path (measured: −5 to −8 µs per delivery).
    db.exec('DROP INDEX IF EXISTS jobs_delivery');
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }
  return db;
}

const JOB_COLUMNS = `j.id, j.delivery_id AS deliveryId, j.target_key AS targetKey, j.target, j.image, j.tag, j.created_at AS createdAt, j.attempts, d.event`;

export const READ_SQL = {
  exists: 'SELECT 1 FROM deliveries WHERE id = ?',
  due: `SELECT ${JOB_COLUMNS} FROM jobs j JOIN deliveries d ON d.id = j.delivery_id
        WHERE j.status = 'pending' AND j.next_attempt_at <= ? ORDER BY j.next_attempt_at, j.id LIMIT ?`,
  nextDue: `SELECT MIN(next_attempt_at) AS at FROM jobs WHERE status = 'pending'`,
  oldestPending: `SELECT MIN(created_at) AS at FROM jobs WHERE status = 'pending'`,
  countPending: `SELECT COUNT(*) AS n FROM jobs WHERE status = 'pending'`,
  payload: 'SELECT event, payload, body FROM deliveries WHERE id = ?',
  listAll: 'SELECT id, hook_id, event, action, received_at, status FROM deliveries ORDER BY received_at DESC LIMIT ?',
  listByStatus: 'SELECT id, hook_id, event, action, received_at, status FROM deliveries WHERE status = ? ORDER BY received_at DESC LIMIT ?',
  jobsOf: 'SELECT id, target_key AS target, image, tag, status, attempts, last_error AS lastError, coalesced_into AS coalescedInto FROM jobs WHERE delivery_id = ? ORDER BY id',
} as const;

/**
 * A delivery's status from its jobs: pending while any (or the winner it was coalesced into) is, failed if any failed.
 * `+j.status` keeps the planner on the (delivery_id, target_key) index: left to itself it scans every pending job
 * through jobs_due.
 */
const DELIVERY_STATUS = `CASE
  WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.delivery_id = deliveries.id AND +j.status = 'pending') THEN 'pending'
  WHEN EXISTS (SELECT 1 FROM jobs j LEFT JOIN jobs w ON w.id = j.coalesced_into
               WHERE j.delivery_id = deliveries.id AND (+j.status = 'failed' OR (j.status = 'coalesced' AND w.status = 'failed'))) THEN 'failed'
  WHEN EXISTS (SELECT 1 FROM jobs j JOIN jobs w ON w.id = j.coalesced_into
               WHERE j.delivery_id = deliveries.id AND +j.status = 'coalesced' AND w.status = 'pending') THEN 'pending'
  ELSE 'done' END`;

/** Every write of the inbox, on one connection, so writes never wait for each other's locks. */
export class InboxWrites {
  readonly #db: DatabaseSync;
  readonly #coalesceWindowMs: number;
  readonly #stmt: Record<
    'insertDelivery' | 'insertJob' | 'winner' | 'coalesce' | 'refreshCoalesced' | 'finish' | 'retry' | 'affected' | 'refreshDelivery' | 'exists' | 'upsertJob' | 'prune' | 'countPending',
    StatementSync
  >;

  constructor(db: DatabaseSync, coalesceWindowMs: number) {
    this.#db = db;
    this.#coalesceWindowMs = coalesceWindowMs;
    this.#stmt = {
      insertDelivery: db.prepare('INSERT OR IGNORE INTO deliveries (id, hook_id, event, action, received_at, payload, body, status) VALUES (?, ?, ?, ?, ?, \'\', ?, ?)'),
      insertJob: db.prepare(
        `INSERT OR IGNORE INTO jobs (delivery_id, target_key, target, image, tag, created_at, next_attempt_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ),
      // The winner alone, then one UPDATE for the rest: a flood for one image must not be read into memory.
      winner: db.prepare(
        `SELECT ${JOB_COLUMNS} FROM jobs j JOIN deliveries d ON d.id = j.delivery_id
         WHERE j.status = 'pending' AND j.target_key = ? AND j.image = ? AND j.created_at <= ? AND j.id NOT IN (SELECT value FROM json_each(?))
         ORDER BY (j.tag <> '') DESC, j.created_at DESC, j.id DESC LIMIT 1`,
      ),
      coalesce: db.prepare(
        `UPDATE jobs SET status = 'coalesced', coalesced_into = ?, finished_at = ?
         WHERE status = 'pending' AND target_key = ? AND image = ? AND created_at <= ? AND id <> ? AND id NOT IN (SELECT value FROM json_each(?))`,
      ),
      // Rows whose status stays the same are not rewritten: coalescing into a pending winner leaves its
      // deliveries pending, and an UPDATE of an unchanged row still dirties its page and the status index.
      refreshCoalesced: db.prepare(
        `UPDATE deliveries SET status = s.next FROM (SELECT id, ${DELIVERY_STATUS} AS next FROM deliveries WHERE id IN (SELECT delivery_id FROM jobs WHERE coalesced_into = ?)) AS s
         WHERE deliveries.id = s.id AND deliveries.status <> s.next`,
      ),
      finish: db.prepare('UPDATE jobs SET status = ?, attempts = attempts + 1, last_error = ?, finished_at = ? WHERE id = ?'),
      retry: db.prepare('UPDATE jobs SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?'),
      affected: db.prepare('SELECT delivery_id AS id FROM jobs WHERE id = ? UNION SELECT delivery_id FROM jobs WHERE coalesced_into = ?'),
      refreshDelivery: db.prepare(
        `UPDATE deliveries SET status = s.next FROM (SELECT id, ${DELIVERY_STATUS} AS next FROM deliveries WHERE id = ?) AS s WHERE deliveries.id = s.id AND deliveries.status <> s.next`,
      ),
      exists: db.prepare(READ_SQL.exists),
      upsertJob: db.prepare(
        `INSERT INTO jobs (delivery_id, target_key, target, image, tag, created_at, next_attempt_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')
         ON CONFLICT (delivery_id, target_key) DO UPDATE SET status = 'pending', attempts = 0, last_error = NULL, coalesced_into = NULL,
           finished_at = NULL, target = excluded.target, image = excluded.image, tag = excluded.tag, created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at`,
      ),
      prune: db.prepare(`DELETE FROM deliveries WHERE status <> 'pending' AND received_at < ?`),
      countPending: db.prepare(READ_SQL.countPending),
    };
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = work();
      this.#db.exec('COMMIT');
      return value;
    } catch (error) {
      try {
        this.#db.exec('ROLLBACK');
      } catch {
        // The failed statement may already have ended the transaction.
      }
      throw error;
    }
  }

  /** One transaction (one fsync) for the whole batch; per delivery, whether it was new. */
  accept(batch: readonly NewDelivery[]): { stored: boolean[]; added: number } {
    const rows = batch.map((d) => ({ d, body: compressPayload(d.payload) }));
    return this.#transaction(() => {
      const stored: boolean[] = [];
      let added = 0;
      for (const { d, body } of rows) {
        const status = d.jobs.length === 0 ? DeliveryStatus.Done : DeliveryStatus.Pending;
        const inserted = this.#stmt.insertDelivery.run(d.id, d.hookId ?? null, d.event, d.action, d.receivedAt, body, status).changes > 0;
        stored.push(inserted);
        if (!inserted) continue;
        const due = d.receivedAt + this.#coalesceWindowMs;
        for (const job of d.jobs) added += Number(this.#stmt.insertJob.run(d.id, job.targetKey, job.target, job.image, job.tag, d.receivedAt, due).changes);
      }
      return { stored, added };
    });
  }

  /** See Inbox.claimGroup; `coalesced` counts the jobs folded into the winner. */
  claimGroup(targetKey: string, image: string, now: number, exclude: readonly number[]): { winner: JobRow; coalesced: number } | undefined {
    const skip = JSON.stringify(exclude);
    const winner = this.#stmt.winner.get(targetKey, image, now, skip) as JobRow | undefined;
    if (winner === undefined) return undefined;
    const coalesced = this.#transaction(() => {
      const n = Number(this.#stmt.coalesce.run(winner.id, now, targetKey, image, now, winner.id, skip).changes);
      // A coalesced job's delivery waits on its winner, which is pending: "pending" while it has one, else "done".
      if (n > 0) this.#stmt.refreshCoalesced.run(winner.id);
      return n;
    });
    return { winner, coalesced };
  }

  /** Records an outcome; returns how many pending jobs it finished (0 or 1). */
  complete(jobId: number, outcome: Outcome, now: number): number {
    return this.#transaction(() => {
      let finished = 0;
      if (outcome.kind === 'retry') {
        this.#stmt.retry.run(outcome.error, outcome.nextAttemptAt, jobId);
      } else {
        finished = Number(this.#stmt.finish.run(outcome.kind === 'done' ? JobStatus.Done : JobStatus.Failed, outcome.kind === 'failed' ? outcome.error : null, now, jobId).changes);
      }
      for (const { id } of this.#stmt.affected.all(jobId, jobId) as { id: string }[]) this.#stmt.refreshDelivery.run(id);
      return finished;
    });
  }

  /** Re-queues a delivery; undefined when the id is unknown, else the new pending count. */
  replay(id: string, jobs: readonly NewJob[], now: number): number | undefined {
    if (this.#stmt.exists.get(id) === undefined) return undefined;
    this.#transaction(() => {
      for (const job of jobs) this.#stmt.upsertJob.run(id, job.targetKey, job.target, job.image, job.tag, now, now);
      this.#stmt.refreshDelivery.run(id);
    });
    return Number((this.#stmt.countPending.get() as { n: number }).n);
  }

  prune(before: number): number {
    return Number(this.#stmt.prune.run(before).changes);
  }

  /** Proves the database still takes a write lock (readiness). */
  writable(): boolean {
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#db.exec('ROLLBACK');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#db.close();
  }
}
