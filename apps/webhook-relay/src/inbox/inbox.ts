// The durable inbox: deliveries and their forward jobs in node:sqlite, with group commit for fast, durable acks.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { RelayError, RelayErrorCode } from '../errors.ts';

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
  /** The JSON text GitHub sent (decoded from the form field for form hooks). */
  readonly payload: string;
  readonly jobs: readonly NewJob[];
}

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
  readonly payload: string;
}

export interface DeliveryView {
  readonly id: string;
  readonly hookId: string | null;
  readonly event: string;
  readonly action: string;
  readonly receivedAt: string;
  readonly status: DeliveryStatus;
  readonly jobs: readonly {
    readonly id: number;
    readonly target: string;
    readonly image: string;
    readonly tag: string;
    readonly status: JobStatus;
    readonly attempts: number;
    readonly lastError: string | null;
    readonly coalescedInto: number | null;
  }[];
}

export type Outcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly error: string; readonly nextAttemptAt: number }
  | { readonly kind: 'failed'; readonly error: string };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  hook_id TEXT,
  event TEXT NOT NULL,
  action TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL
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
CREATE INDEX IF NOT EXISTS jobs_delivery ON jobs (delivery_id);
`;

export interface InboxOptions {
  readonly dataDir: string;
  readonly maxPending: number;
  readonly coalesceWindowMs: number;
}

interface Waiting {
  readonly delivery: NewDelivery;
  resolve(stored: boolean): void;
  reject(error: unknown): void;
}

/**
 * Group commit: accept() queues the delivery and a setImmediate flush writes everything queued in one
 * transaction. With synchronous=FULL the commit fsyncs the WAL, so a resolved accept() is on disk; batching
 * makes one fsync cover every request that arrived during the previous one.
 */
export class Inbox {
  readonly #db: DatabaseSync;
  readonly #options: InboxOptions;
  #queue: Waiting[] = [];
  #flushScheduled = false;
  #pendingJobs: number;
  #queuedJobs = 0;
  #closed = false;
  #listeners: (() => void)[] = [];
  readonly #stmt: {
    insertDelivery: StatementSync;
    insertJob: StatementSync;
    exists: StatementSync;
    due: StatementSync;
    group: StatementSync;
    coalesce: StatementSync;
    finish: StatementSync;
    retry: StatementSync;
    nextDue: StatementSync;
    oldestPending: StatementSync;
    countPending: StatementSync;
    refreshDelivery: StatementSync;
  };

  constructor(options: InboxOptions) {
    this.#options = options;
    try {
      mkdirSync(options.dataDir, { recursive: true });
      this.#db = new DatabaseSync(join(options.dataDir, 'inbox.sqlite'));
      this.#db.exec('PRAGMA journal_mode = WAL');
      // FULL fsyncs the WAL on every commit: an acknowledged delivery survives power loss, not only a crash.
      this.#db.exec('PRAGMA synchronous = FULL');
      this.#db.exec('PRAGMA foreign_keys = ON');
      this.#db.exec('PRAGMA busy_timeout = 5000');
      this.#db.exec(SCHEMA);
    } catch (cause) {
      throw new RelayError(RelayErrorCode.Inbox, `cannot open the inbox in ${options.dataDir}`, { cause, hint: 'RELAY_DATA_DIR must be a writable directory' });
    }
    const db = this.#db;
    this.#stmt = {
      insertDelivery: db.prepare(
        'INSERT OR IGNORE INTO deliveries (id, hook_id, event, action, received_at, payload, status) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertJob: db.prepare(
        `INSERT OR IGNORE INTO jobs (delivery_id, target_key, target, image, tag, created_at, next_attempt_at, status)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')`,
      ),
      exists: db.prepare('SELECT 1 FROM deliveries WHERE id = ?'),
      due: db.prepare(
        `SELECT j.id, j.delivery_id AS deliveryId, j.target_key AS targetKey, j.target, j.image, j.tag, j.created_at AS createdAt, j.attempts, d.event, d.payload
         FROM jobs j JOIN deliveries d ON d.id = j.delivery_id
         WHERE j.status = 'pending' AND j.next_attempt_at <= ? ORDER BY j.next_attempt_at, j.id LIMIT ?`,
      ),
      group: db.prepare(
        `SELECT j.id, j.delivery_id AS deliveryId, j.target_key AS targetKey, j.target, j.image, j.tag, j.created_at AS createdAt, j.attempts, d.event, d.payload
         FROM jobs j JOIN deliveries d ON d.id = j.delivery_id
         WHERE j.status = 'pending' AND j.target_key = ? AND j.image = ? AND j.created_at <= ?
         ORDER BY (j.tag <> '') DESC, j.created_at DESC, j.id DESC`,
      ),
      coalesce: db.prepare(`UPDATE jobs SET status = 'coalesced', coalesced_into = ?, finished_at = ? WHERE id = ? AND status = 'pending'`),
      finish: db.prepare('UPDATE jobs SET status = ?, attempts = attempts + 1, last_error = ?, finished_at = ? WHERE id = ?'),
      retry: db.prepare('UPDATE jobs SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?'),
      nextDue: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM jobs WHERE status = 'pending'`),
      oldestPending: db.prepare(`SELECT MIN(created_at) AS at FROM jobs WHERE status = 'pending'`),
      countPending: db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE status = 'pending'`),
      refreshDelivery: db.prepare(
        `UPDATE deliveries SET status = CASE
           WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.delivery_id = deliveries.id AND j.status = 'pending') THEN 'pending'
           WHEN EXISTS (SELECT 1 FROM jobs j LEFT JOIN jobs w ON w.id = j.coalesced_into
                        WHERE j.delivery_id = deliveries.id AND (j.status = 'failed' OR (j.status = 'coalesced' AND w.status = 'failed'))) THEN 'failed'
           WHEN EXISTS (SELECT 1 FROM jobs j JOIN jobs w ON w.id = j.coalesced_into
                        WHERE j.delivery_id = deliveries.id AND j.status = 'coalesced' AND w.status = 'pending') THEN 'pending'
           ELSE 'done' END
         WHERE id = ?`,
      ),
    };
    this.#pendingJobs = Number((this.#stmt.countPending.get() as { n: number }).n);
  }

  /** Pending forward jobs, including those queued for the next commit. */
  get pendingJobs(): number {
    return this.#pendingJobs + this.#queuedJobs;
  }

  get full(): boolean {
    return this.pendingJobs >= this.#options.maxPending;
  }

  /** Called after each commit that added jobs (the worker wakes up). */
  onStored(listener: () => void): void {
    this.#listeners.push(listener);
  }

  has(id: string): boolean {
    return this.#stmt.exists.get(id) !== undefined;
  }

  /** Resolves true once the delivery is durably stored, false when its id was already there. */
  accept(delivery: NewDelivery): Promise<boolean> {
    if (this.#closed) return Promise.reject(new RelayError(RelayErrorCode.Inbox, 'inbox is closed', { statusCode: 503 }));
    this.#queuedJobs += delivery.jobs.length;
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ delivery, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    const results: boolean[] = [];
    let added = 0;
    let queued = 0;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      for (const { delivery: d } of batch) {
        queued += d.jobs.length;
        const status = d.jobs.length === 0 ? DeliveryStatus.Done : DeliveryStatus.Pending;
        const inserted = this.#stmt.insertDelivery.run(d.id, d.hookId ?? null, d.event, d.action, d.receivedAt, d.payload, status).changes > 0;
        results.push(inserted);
        if (!inserted) continue;
        for (const job of d.jobs) {
          const due = d.receivedAt + this.#options.coalesceWindowMs;
          added += Number(this.#stmt.insertJob.run(d.id, job.targetKey, job.target, job.image, job.tag, d.receivedAt, due).changes);
        }
      }
      this.#db.exec('COMMIT');
    } catch (cause) {
      try {
        this.#db.exec('ROLLBACK');
      } catch {
        // The failed statement may already have ended the transaction.
      }
      this.#queuedJobs -= batch.reduce((n, w) => n + w.delivery.jobs.length, 0);
      const error = new RelayError(RelayErrorCode.Inbox, 'could not store deliveries', { cause, statusCode: 503, retryAfter: 5 });
      for (const w of batch) w.reject(error);
      return;
    }
    this.#queuedJobs -= queued;
    this.#pendingJobs += added;
    batch.forEach((w, i) => w.resolve(results[i] ?? false));
    if (added > 0) for (const l of this.#listeners) l();
  }

  /** Pending jobs whose time has come, oldest first. */
  due(now: number, limit: number): JobRow[] {
    return this.#stmt.due.all(now, limit) as unknown as JobRow[];
  }

  /**
   * Picks the job to forward for `(targetKey, image)` among the pending ones received up to `now`: a tagged
   * one before an untagged one, then the newest. The others are marked coalesced into it, in one transaction.
   */
  claimGroup(targetKey: string, image: string, now: number, exclude: ReadonlySet<number>): { winner: JobRow; coalesced: JobRow[] } | undefined {
    const rows = (this.#stmt.group.all(targetKey, image, now) as unknown as JobRow[]).filter((r) => !exclude.has(r.id));
    const [winner, ...rest] = rows;
    if (winner === undefined) return undefined;
    if (rest.length > 0) {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        for (const r of rest) {
          this.#pendingJobs -= Number(this.#stmt.coalesce.run(winner.id, now, r.id).changes);
        }
        for (const id of new Set(rest.map((r) => r.deliveryId))) this.#stmt.refreshDelivery.run(id);
        this.#db.exec('COMMIT');
      } catch (cause) {
        this.#db.exec('ROLLBACK');
        throw new RelayError(RelayErrorCode.Inbox, 'could not coalesce jobs', { cause });
      }
    }
    return { winner, coalesced: rest };
  }

  /** Records a forward attempt's outcome (and, through the winner, that of the jobs coalesced into it). */
  complete(job: JobRow, outcome: Outcome, now: number): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      if (outcome.kind === 'retry') {
        this.#stmt.retry.run(outcome.error, outcome.nextAttemptAt, job.id);
      } else {
        this.#stmt.finish.run(outcome.kind === 'done' ? JobStatus.Done : JobStatus.Failed, outcome.kind === 'failed' ? outcome.error : null, now, job.id);
        this.#pendingJobs -= 1;
      }
      const affected = this.#db
        .prepare('SELECT DISTINCT delivery_id AS id FROM jobs WHERE id = ? OR coalesced_into = ?')
        .all(job.id, job.id) as { id: string }[];
      for (const { id } of affected) this.#stmt.refreshDelivery.run(id);
      this.#db.exec('COMMIT');
    } catch (cause) {
      this.#db.exec('ROLLBACK');
      throw new RelayError(RelayErrorCode.Inbox, 'could not record a forward outcome', { cause });
    }
  }

  nextDueAt(): number | undefined {
    const row = this.#stmt.nextDue.get() as { at: number | null } | undefined;
    return row?.at ?? undefined;
  }

  /** Milliseconds since the oldest pending job was received (0 when none). */
  oldestPendingAge(now: number): number {
    const row = this.#stmt.oldestPending.get() as { at: number | null } | undefined;
    return row?.at == null ? 0 : Math.max(0, now - row.at);
  }

  /** Re-queues a delivery with the given jobs (current routes); false when the id is unknown. */
  replay(id: string, jobs: readonly NewJob[], now: number): boolean {
    if (!this.has(id)) return false;
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const upsert = this.#db.prepare(
        `INSERT INTO jobs (delivery_id, target_key, target, image, tag, created_at, next_attempt_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')
         ON CONFLICT (delivery_id, target_key) DO UPDATE SET status = 'pending', attempts = 0, last_error = NULL, coalesced_into = NULL,
           finished_at = NULL, target = excluded.target, image = excluded.image, tag = excluded.tag, created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at`,
      );
      for (const job of jobs) upsert.run(id, job.targetKey, job.target, job.image, job.tag, now, now);
      this.#stmt.refreshDelivery.run(id);
      this.#db.exec('COMMIT');
    } catch (cause) {
      this.#db.exec('ROLLBACK');
      throw new RelayError(RelayErrorCode.Inbox, 'could not replay a delivery', { cause });
    }
    this.#pendingJobs = Number((this.#stmt.countPending.get() as { n: number }).n);
    if (jobs.length > 0) for (const l of this.#listeners) l();
    return true;
  }

  payloadOf(id: string): { event: string; payload: string } | undefined {
    return this.#db.prepare('SELECT event, payload FROM deliveries WHERE id = ?').get(id) as { event: string; payload: string } | undefined;
  }

  list(status: DeliveryStatus | undefined, limit: number): DeliveryView[] {
    const rows = (
      status === undefined
        ? this.#db.prepare('SELECT id, hook_id, event, action, received_at, status FROM deliveries ORDER BY received_at DESC LIMIT ?').all(limit)
        : this.#db.prepare('SELECT id, hook_id, event, action, received_at, status FROM deliveries WHERE status = ? ORDER BY received_at DESC LIMIT ?').all(status, limit)
    ) as { id: string; hook_id: string | null; event: string; action: string; received_at: number; status: DeliveryStatus }[];
    const jobsOf = this.#db.prepare(
      'SELECT id, target_key AS target, image, tag, status, attempts, last_error AS lastError, coalesced_into AS coalescedInto FROM jobs WHERE delivery_id = ? ORDER BY id',
    );
    return rows.map((r) => ({
      id: r.id,
      hookId: r.hook_id,
      event: r.event,
      action: r.action,
      receivedAt: new Date(r.received_at).toISOString(),
      status: r.status,
      jobs: jobsOf.all(r.id) as unknown as DeliveryView['jobs'],
    }));
  }

  /** Deletes finished deliveries older than `before` (keep them past GitHub's redelivery window for dedupe). */
  prune(before: number): number {
    return Number(this.#db.prepare(`DELETE FROM deliveries WHERE status <> 'pending' AND received_at < ?`).run(before).changes);
  }

  /** Proves the database still takes a write lock (readiness). */
  writable(): boolean {
    if (this.#closed) return false;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#db.exec('ROLLBACK');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    if (this.#queue.length > 0) this.#flush();
    this.#closed = true;
    this.#db.close();
  }
}
