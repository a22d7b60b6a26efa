// The inbox's SQLite schema, connection settings and every write, run only by the writer thread (writer-thread.ts).
import { closeSync, fdatasyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { inflateRawSync } from 'node:zlib';
import { readSegment, SegmentError, type SegmentRef, type SegmentWriter } from './segments.ts';

export const JobStatus = { Pending: 'pending', Done: 'done', Failed: 'failed', Coalesced: 'coalesced' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** Derived from a delivery's jobs when read (DELIVERY_STATUS), never stored. */
export type DeliveryStatus = 'pending' | 'done' | 'failed';

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
 * 2 dropped the redundant `jobs_delivery` index; 3 moved new payloads to segment files (`seg*` columns) and stopped
 * storing a delivery's status (it is derived from its jobs when read). Rows written by earlier versions keep their
 * `payload`/`body` and are read as before.
 */
const SCHEMA_VERSION = 3;

/**
 * Jobs point at their target by number: the key and JSON of a target (a receiver URL, ~250 bytes) stored in every
 * job and in two of its indexes made each delivery ~3 pages of B-tree instead of ~1 (measured: 64-connection
 * acks/s 6.0k → 7.7k with short keys). The newest definition of a key is the one pending jobs are forwarded with.
 */
function jobsTable(name: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  target_id INTEGER NOT NULL REFERENCES targets (id),
  image TEXT NOT NULL,
  tag TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  status TEXT NOT NULL,
  coalesced_into INTEGER,
  finished_at INTEGER,
  UNIQUE (delivery_id, target_id)
) STRICT;`;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  hook_id TEXT,
  event TEXT NOT NULL,
  action TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  payload TEXT NOT NULL DEFAULT '',
  body BLOB,
  seg INTEGER,
  seg_offset INTEGER,
  seg_length INTEGER,
  seg_crc INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS targets (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL
) STRICT;
${jobsTable('jobs')}
`;

/** The inbox on disk is from a newer relay: refusing is the only safe answer (its meaning of a row may differ). */
export class InboxVersionError extends Error {
  override name = 'InboxVersionError';
}

/**
 * Brings a database of any earlier version to SCHEMA_VERSION, in one transaction. Indexes are chosen for the
 * acknowledgement path: every index on \`deliveries\` or \`jobs\` is one more B-tree page written per delivery.
 */
function migrate(db: DatabaseSync, dataDir: string): void {
  const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (version > SCHEMA_VERSION) {
    throw new InboxVersionError(`the inbox was written by a newer relay (schema ${version}; this one knows up to ${SCHEMA_VERSION}); run that version or move ${dataDir} aside`);
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(SCHEMA);
    const columns = new Set((db.prepare('PRAGMA table_info(deliveries)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.has('body')) db.exec('ALTER TABLE deliveries ADD COLUMN body BLOB');
    for (const column of ['seg', 'seg_offset', 'seg_length', 'seg_crc']) if (!columns.has(column)) db.exec(`ALTER TABLE deliveries ADD COLUMN ${column} INTEGER`);
    // Version 3: a delivery's status is derived from its jobs (DELIVERY_STATUS); keeping a copy in the row cost an
    // update of the row and of its index for every delivery a forward finished or a claim coalesced.
    db.exec('DROP INDEX IF EXISTS deliveries_status');
    if (columns.has('status')) db.exec('ALTER TABLE deliveries DROP COLUMN status');
    // Listing newest first and pruning by age; times only grow, so inserts touch the rightmost page.
    db.exec('CREATE INDEX IF NOT EXISTS deliveries_received ON deliveries (received_at)');
    // Pruning deletes a segment file once no row points into it or any older one: MIN(seg) must not scan the table.
    db.exec('CREATE INDEX IF NOT EXISTS deliveries_seg ON deliveries (seg) WHERE seg IS NOT NULL');
    // Version 3: jobs refer to a row of `targets` instead of carrying the target's key and JSON.
    const jobColumns = new Set((db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name));
    if (jobColumns.has('target_key')) {
      db.exec(`INSERT INTO targets (key, target) SELECT j.target_key, j.target FROM jobs j
               WHERE j.id = (SELECT MAX(id) FROM jobs WHERE target_key = j.target_key) ON CONFLICT (key) DO NOTHING`);
      db.exec(jobsTable('jobs_v3'));
      db.exec(`INSERT INTO jobs_v3 (id, delivery_id, target_id, image, tag, created_at, attempts, next_attempt_at, last_error, status, coalesced_into, finished_at)
               SELECT j.id, j.delivery_id, t.id, j.image, j.tag, j.created_at, j.attempts, j.next_attempt_at, j.last_error, j.status, j.coalesced_into, j.finished_at
               FROM jobs j JOIN targets t ON t.key = j.target_key`);
      db.exec('DROP TABLE jobs');
      db.exec('ALTER TABLE jobs_v3 RENAME TO jobs');
    }
    db.exec('CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_at)');
    // Claims look for the pending jobs of one (target, image); finished jobs leave this index instead of moving in it.
    db.exec('DROP INDEX IF EXISTS jobs_group');
    db.exec(`CREATE INDEX IF NOT EXISTS jobs_pending_group ON jobs (target_id, image, created_at) WHERE status = 'pending'`);
    // The jobs coalesced into a winner (a delivery's status, listing); without it that scanned the whole table.
    db.exec('CREATE INDEX IF NOT EXISTS jobs_coalesced ON jobs (coalesced_into) WHERE coalesced_into IS NOT NULL');
    // Version 2: lookups by delivery use UNIQUE (delivery_id, target); a second random-keyed index on
    // delivery_id cost one more page write per job on the acknowledgement path (measured: −5 to −8 µs per delivery).
    db.exec('DROP INDEX IF EXISTS jobs_delivery');
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** Payload segment files live here, beside the database. */
export const segmentsDir = (dataDir: string) => join(dataDir, 'payloads');

export interface PayloadRow {
  readonly payload: string;
  readonly body: Uint8Array | null;
  readonly seg: number | null;
  readonly seg_offset: number | null;
  readonly seg_length: number | null;
  readonly seg_crc: number | null;
}

/**
 * The stored JSON bytes: from its segment file (version 3 on), else `body` (deflated, versions 1–2), else the
 * plain `payload` column of version-0 rows. Throws SegmentError when the segment is gone or damaged.
 */
export function payloadFromRow(dataDir: string, row: PayloadRow): Buffer {
  const ref = segmentRefOf(row);
  if (ref !== undefined) return readSegment(segmentsDir(dataDir), ref);
  return row.body === null ? Buffer.from(row.payload, 'utf8') : inflateRawSync(row.body);
}

/** Where a row's payload lives in the segment files; undefined for rows of versions 0–2 (payload in the row). */
function segmentRefOf(row: Pick<PayloadRow, 'seg' | 'seg_offset' | 'seg_length' | 'seg_crc'>): SegmentRef | undefined {
  return row.seg === null ? undefined : { segment: row.seg, offset: Number(row.seg_offset), length: Number(row.seg_length), crc: Number(row.seg_crc) };
}

/** Opens (creating or migrating) the inbox database; both threads call it, the writer thread first. */
export function openInboxDatabase(dataDir: string, options: { migrate: boolean }): DatabaseSync {
  mkdirSync(dataDir, { recursive: true });
  const db = new DatabaseSync(join(dataDir, 'inbox.sqlite'));
  try {
    configure(db, options.migrate, dataDir);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function configure(db: DatabaseSync, migrateSchema: boolean, dataDir: string): void {
  db.exec('PRAGMA journal_mode = WAL');
  // FULL fsyncs the WAL on every commit that accepts deliveries: an acknowledged delivery survives power loss, not
  // only a crash. The worker's bookkeeping switches to NORMAL for its own commits (InboxWrites.#transaction).
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 5000');
  // Checkpoints run on their own thread (checkpoint-thread.ts); this automatic one, at ~64 MB of WAL, is only the
  // backstop should that thread be gone. After a checkpoint the WAL is truncated back to the size limit below.
  db.exec('PRAGMA wal_autocheckpoint = 16000');
  db.exec('PRAGMA journal_size_limit = 67108864');
  // 8 MB of page cache per connection (default 2 MB): the hot index pages stay in memory under a flood.
  db.exec('PRAGMA cache_size = -2048');
  db.exec('PRAGMA temp_store = MEMORY');
  if (migrateSchema) migrate(db, dataDir);
}

const JOB_COLUMNS = `j.id, j.delivery_id AS deliveryId, t.key AS targetKey, t.target, j.image, j.tag, j.created_at AS createdAt, j.attempts, d.event`;
const JOB_FROM = 'jobs j JOIN deliveries d ON d.id = j.delivery_id JOIN targets t ON t.id = j.target_id';

/** Longest coalescing chain the status queries follow (a guard: chains grow by one per retry that met new deliveries). */
const MAX_CHAIN = 100_000;

/**
 * A delivery's status, derived from its jobs (`d` is the delivery), each followed through `coalesced_into` to the job
 * that actually carries it — the whole chain, not one step: a winner that was retried can itself be coalesced into a
 * newer delivery, and so on. Pending while any carrying job is pending; failed if any failed; else done, including a
 * delivery without jobs (or whose carrying job was pruned). Read paths only: nothing on the acknowledgement path.
 */
const DELIVERY_STATUS = `(WITH RECURSIVE carried (id, status, into_id, depth) AS (
    SELECT j.id, j.status, j.coalesced_into, 0 FROM jobs j WHERE j.delivery_id = d.id
    UNION ALL
    SELECT w.id, w.status, w.coalesced_into, c.depth + 1 FROM carried c JOIN jobs w ON w.id = c.into_id
    WHERE c.status = 'coalesced' AND c.depth < ${MAX_CHAIN})
  SELECT CASE WHEN MAX(status = 'pending') = 1 THEN 'pending' WHEN MAX(status = 'failed') = 1 THEN 'failed' ELSE 'done' END FROM carried)`;

const DELIVERY_COLUMNS = `d.id, d.hook_id, d.event, d.action, d.received_at, ${DELIVERY_STATUS} AS status`;

/**
 * Deliveries that may have one of `statuses` (pending or failed): those with such a job, or with a job coalesced —
 * through any number of winners — into such a job. Walked from the jobs side (jobs_due, then jobs_coalesced
 * backwards) so a listing never walks every delivery.
 */
const CANDIDATES = (statuses: string) => `WITH RECURSIVE carriers (id) AS (
    SELECT id FROM jobs WHERE status IN (${statuses})
    UNION SELECT j.id FROM carriers c JOIN jobs j ON j.coalesced_into = c.id)
  SELECT j.delivery_id FROM carriers c JOIN jobs j ON j.id = c.id`;

/**
 * The listing filters, as parameters ?2–?4 of every listing statement: received at or after ?2 and before ?3 (epoch
 * ms; the whole range when not filtered, so the received_at index serves the range and the order), and a job whose
 * image contains ?4 ('' for any).
 */
const LIST_FILTER = `d.received_at >= ?2 AND d.received_at < ?3 AND (?4 = '' OR EXISTS (SELECT 1 FROM jobs fj WHERE fj.delivery_id = d.id AND instr(fj.image, ?4) > 0))`;

/** The image a delivery was routed for ('' when no route matched: it has no jobs); all jobs of a delivery share it. */
const DELIVERY_IMAGE = `COALESCE((SELECT image FROM jobs ij WHERE ij.delivery_id = d.id ORDER BY ij.id LIMIT 1), '')`;

export const READ_SQL = {
  exists: 'SELECT 1 FROM deliveries WHERE id = ?',
  // Per image, the tag of the newest stored tagged delivery (SQLite's bare column takes the row MAX picked); read
  // once at start, so a restarted replica reports the newest push it kept, not nothing.
  lastPushes: `SELECT j.image AS image, j.tag AS tag, MAX(d.received_at) AS receivedAt FROM jobs j JOIN deliveries d ON d.id = j.delivery_id
        WHERE j.tag <> '' GROUP BY j.image`,
  due: `SELECT ${JOB_COLUMNS} FROM ${JOB_FROM}
        WHERE j.status = 'pending' AND j.next_attempt_at <= ? ORDER BY j.next_attempt_at, j.id LIMIT ?`,
  nextDue: `SELECT MIN(next_attempt_at) AS at FROM jobs WHERE status = 'pending'`,
  oldestPending: `SELECT MIN(created_at) AS at FROM jobs WHERE status = 'pending'`,
  countPending: `SELECT COUNT(*) AS n FROM jobs WHERE status = 'pending'`,
  payload: 'SELECT event, payload, body, seg, seg_offset, seg_length, seg_crc FROM deliveries WHERE id = ?',
  one: `SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = ?`,
  // Listings: ?1 limit, ?2–?4 LIST_FILTER, ?5 status.
  listAll: `SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE ${LIST_FILTER} ORDER BY d.received_at DESC LIMIT ?1`,
  listCandidates: `SELECT * FROM (SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id IN (${CANDIDATES('?5')}) AND ${LIST_FILTER})
                   WHERE status = ?5 ORDER BY received_at DESC LIMIT ?1`,
  // Most deliveries are done: walking newest first finds `limit` of them quickly.
  listDone: `SELECT * FROM (SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE ${LIST_FILTER} ORDER BY d.received_at DESC) WHERE status = 'done' LIMIT ?1`,
  // Totals for the dashboard, without deriving the status of every delivery (most are done): all deliveries per
  // image, then the status of only those that may be pending or failed (found from the jobs side, like listCandidates).
  totalsByImage: `SELECT ${DELIVERY_IMAGE} AS image, COUNT(*) AS n FROM deliveries d GROUP BY image`,
  openByImage: `SELECT image, status, COUNT(*) AS n FROM (SELECT ${DELIVERY_IMAGE} AS image, ${DELIVERY_STATUS} AS status FROM deliveries d
                WHERE d.id IN (${CANDIDATES(`'pending', 'failed'`)})) WHERE status <> 'done' GROUP BY image, status`,
  jobsOf: `SELECT j.id, t.key AS target, j.image, j.tag, j.status, j.attempts, j.last_error AS lastError, j.coalesced_into AS coalescedInto,
                  j.created_at AS createdAt, j.next_attempt_at AS nextAttemptAt, j.finished_at AS finishedAt
           FROM jobs j JOIN targets t ON t.id = j.target_id WHERE j.delivery_id = ? ORDER BY j.id`,
} as const;

/** Every write of the inbox, on one connection, so writes never wait for each other's locks. */
export class InboxWrites {
  readonly #db: DatabaseSync;
  readonly #segments: SegmentWriter;
  readonly #coalesceWindowMs: number;
  /** key → row of `targets`, as committed; cleared when a transaction rolls back. */
  readonly #targets = new Map<string, { id: number; target: string }>();
  #synchronous: 'FULL' | 'NORMAL' = 'FULL';
  readonly #stmt: Record<
    | 'insertDelivery'
    | 'insertJob'
    | 'winner'
    | 'coalesce'
    | 'finish'
    | 'retry'
    | 'exists'
    | 'upsertJob'
    | 'prune'
    | 'countPending'
    | 'oldestSegment'
    | 'target'
    | 'insertTarget'
    | 'updateTarget'
    | 'segmentOf'
    | 'repoint',
    StatementSync
  >;

  constructor(db: DatabaseSync, segments: SegmentWriter, coalesceWindowMs: number) {
    this.#db = db;
    this.#segments = segments;
    this.#coalesceWindowMs = coalesceWindowMs;
    this.#stmt = {
      insertDelivery: db.prepare(
        // ON CONFLICT (id), not OR IGNORE: only a known id is a duplicate; any other constraint failing is an error,
        // never a delivery silently answered "duplicate". `payload` is named: inboxes from version 2 have no default.
        `INSERT INTO deliveries (id, hook_id, event, action, received_at, payload, seg, seg_offset, seg_length, seg_crc) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ),
      insertJob: db.prepare(
        `INSERT INTO jobs (delivery_id, target_id, image, tag, created_at, next_attempt_at, status)
         VALUES (?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT (delivery_id, target_id) DO NOTHING`,
      ),
      // The winner alone, then one UPDATE for the rest: a flood for one image must not be read into memory.
      winner: db.prepare(
        `SELECT ${JOB_COLUMNS} FROM ${JOB_FROM}
         WHERE j.status = 'pending' AND j.target_id = ? AND j.image = ? AND j.created_at <= ? AND j.id NOT IN (SELECT value FROM json_each(?))
         ORDER BY (j.tag <> '') DESC, j.created_at DESC, j.id DESC LIMIT 1`,
      ),
      // At most ?7 rows per statement: a flood for one image is folded in slices, so accepts are not held behind one
      // long UPDATE (measured: 1,500 jobs in one UPDATE held the writer thread 26–87 ms).
      coalesce: db.prepare(
        `UPDATE jobs SET status = 'coalesced', coalesced_into = ?1, finished_at = ?2
         WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND target_id = ?3 AND image = ?4 AND created_at <= ?5 AND id <> ?1
                      AND id NOT IN (SELECT value FROM json_each(?6)) LIMIT ?7)`,
      ),
      finish: db.prepare('UPDATE jobs SET status = ?, attempts = attempts + 1, last_error = ?, finished_at = ? WHERE id = ?'),
      retry: db.prepare('UPDATE jobs SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?'),
      exists: db.prepare(READ_SQL.exists),
      upsertJob: db.prepare(
        `INSERT INTO jobs (delivery_id, target_id, image, tag, created_at, next_attempt_at, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')
         ON CONFLICT (delivery_id, target_id) DO UPDATE SET status = 'pending', attempts = 0, last_error = NULL, coalesced_into = NULL,
           finished_at = NULL, image = excluded.image, tag = excluded.tag, created_at = excluded.created_at, next_attempt_at = excluded.next_attempt_at`,
      ),
      // A winner's delivery stays while a delivery coalesced into it — directly or through other winners — does: their
      // status is read through it.
      prune: db.prepare(
        `DELETE FROM deliveries AS d WHERE d.received_at < ?1 AND ${DELIVERY_STATUS} <> 'pending'
         AND NOT EXISTS (WITH RECURSIVE followers (id) AS (
                           SELECT j.id FROM jobs w JOIN jobs j ON j.coalesced_into = w.id WHERE w.delivery_id = d.id
                           UNION SELECT j.id FROM followers f JOIN jobs j ON j.coalesced_into = f.id)
                         SELECT 1 FROM followers f JOIN jobs j ON j.id = f.id JOIN deliveries o ON o.id = j.delivery_id WHERE o.received_at >= ?1)`,
      ),
      countPending: db.prepare(READ_SQL.countPending),
      oldestSegment: db.prepare('SELECT MIN(seg) AS seg FROM deliveries WHERE seg IS NOT NULL'),
      target: db.prepare('SELECT id, target FROM targets WHERE key = ?'),
      insertTarget: db.prepare('INSERT INTO targets (key, target) VALUES (?, ?) RETURNING id'),
      updateTarget: db.prepare('UPDATE targets SET target = ? WHERE id = ?'),
      segmentOf: db.prepare('SELECT seg, seg_offset, seg_length, seg_crc FROM deliveries WHERE id = ?'),
      repoint: db.prepare('UPDATE deliveries SET seg = ?, seg_offset = ?, seg_length = ?, seg_crc = ? WHERE id = ?'),
    };
  }

  /**
   * `durable` commits fsync the WAL (synchronous=FULL): accepting a delivery, because GitHub is told it is safe.
   * The worker's bookkeeping (claims, outcomes, replays, pruning) commits without its own fsync (NORMAL): a crash
   * of the process loses none of it (WAL mode), and what a power cut could take back — a claim, a "done" — only
   * means one more forward, which at-least-once allows. The next durable commit syncs it along (measured: the
   * per-forward fsyncs were ~20% of the writer thread at saturation).
   */
  #transaction<T>(work: () => T, durable = true): T {
    const synchronous = durable ? 'FULL' : 'NORMAL';
    if (this.#synchronous !== synchronous) {
      this.#db.exec(`PRAGMA synchronous = ${synchronous}`);
      this.#synchronous = synchronous;
    }
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = work();
      this.#db.exec('COMMIT');
      return value;
    } catch (error) {
      // Ids of targets inserted in this transaction are gone with it.
      this.#targets.clear();
      try {
        this.#db.exec('ROLLBACK');
      } catch {
        // The failed statement may already have ended the transaction.
      }
      throw error;
    }
  }

  /** The id of the target row for `key`, inserted or brought up to date with `target` (inside a transaction). */
  #targetId(key: string, target: string): number {
    let row = this.#knownTarget(key);
    if (row === undefined) {
      row = { id: Number((this.#stmt.insertTarget.get(key, target) as { id: number }).id), target };
      this.#targets.set(key, row);
    }
    if (row.target !== target) {
      // The routes file changed this target (a secret's env var, a CA file): pending jobs follow the new definition.
      this.#stmt.updateTarget.run(target, row.id);
      row.target = target;
    }
    return row.id;
  }

  /** The target row for `key` (cached once read), or undefined when none was ever stored. */
  #knownTarget(key: string): { id: number; target: string } | undefined {
    const cached = this.#targets.get(key);
    if (cached !== undefined) return cached;
    const stored = this.#stmt.target.get(key) as { id: number; target: string } | undefined;
    if (stored === undefined) return undefined;
    const row = { id: Number(stored.id), target: stored.target };
    this.#targets.set(key, row);
    return row;
  }

  /** One transaction (one fsync) for the whole batch; per delivery, whether it was new. */
  accept(batch: readonly NewDelivery[]): { stored: boolean[]; added: number } {
    // Bytes first, synced, then the rows that point at them: a committed row always has its payload on disk.
    // (A duplicate's bytes are appended too and never referenced; redeliveries are rare, a lookup per delivery is not.)
    const refs = this.#segments.append(batch.map((d) => d.payload));
    this.#segments.sync();
    return this.#transaction(() => {
      const stored: boolean[] = [];
      let added = 0;
      for (const [i, d] of batch.entries()) {
        const ref = refs[i]!;
        const inserted = this.#stmt.insertDelivery.run(d.id, d.hookId ?? null, d.event, d.action, d.receivedAt, ref.segment, ref.offset, ref.length, ref.crc).changes > 0;
        if (!inserted) {
          const healed = this.#heal(d, ref);
          stored.push(healed);
          if (healed) added += d.jobs.length;
          continue;
        }
        stored.push(true);
        const due = d.receivedAt + this.#coalesceWindowMs;
        for (const job of d.jobs) added += Number(this.#stmt.insertJob.run(d.id, this.#targetId(job.targetKey, job.target), job.image, job.tag, d.receivedAt, due).changes);
      }
      return { stored, added };
    });
  }

  /**
   * A redelivery of an id whose stored bytes are missing or damaged replaces them and queues its jobs again, so
   * GitHub's "Redeliver" repairs what a lost segment broke. Any other known id stays a duplicate. Runs only for
   * duplicates, which are rare: one read of the stored bytes.
   */
  #heal(d: NewDelivery, ref: SegmentRef): boolean {
    const row = this.#stmt.segmentOf.get(d.id) as Pick<PayloadRow, 'seg' | 'seg_offset' | 'seg_length' | 'seg_crc'> | undefined;
    const stored = row === undefined ? undefined : segmentRefOf(row);
    if (stored === undefined) return false;
    try {
      readSegment(this.#segments.dir, stored);
      return false;
    } catch (error) {
      if (!(error instanceof SegmentError)) throw error;
    }
    this.#stmt.repoint.run(ref.segment, ref.offset, ref.length, ref.crc, d.id);
    for (const job of d.jobs) this.#stmt.upsertJob.run(d.id, this.#targetId(job.targetKey, job.target), job.image, job.tag, d.receivedAt, d.receivedAt + this.#coalesceWindowMs);
    return true;
  }

  /**
   * See Inbox.claimGroup: picks the winner and folds up to `slice` jobs into it; `more` says whether a full slice was
   * folded (call coalesceMore until it is false).
   */
  claimGroup(targetKey: string, image: string, now: number, exclude: readonly number[], slice: number): { winner: JobRow; coalesced: number; more: boolean } | undefined {
    const targetId = this.#knownTarget(targetKey)?.id;
    if (targetId === undefined) return undefined;
    const skip = JSON.stringify(exclude);
    const winner = this.#stmt.winner.get(targetId, image, now, skip) as JobRow | undefined;
    if (winner === undefined) return undefined;
    const coalesced = this.#coalesce(winner.id, targetId, image, now, skip, slice);
    return { winner, coalesced, more: coalesced === slice };
  }

  /** The next slice of a claim; returns how many jobs it folded into the winner. */
  coalesceMore(winnerId: number, targetKey: string, image: string, now: number, exclude: readonly number[], slice: number): number {
    const targetId = this.#knownTarget(targetKey)?.id;
    return targetId === undefined ? 0 : this.#coalesce(winnerId, targetId, image, now, JSON.stringify(exclude), slice);
  }

  #coalesce(winnerId: number, targetId: number, image: string, now: number, skip: string, slice: number): number {
    return this.#transaction(() => Number(this.#stmt.coalesce.run(winnerId, now, targetId, image, now, skip, slice).changes), false);
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
      return finished;
    }, false);
  }

  /** Re-queues a delivery; undefined when the id is unknown, else the new pending count. */
  replay(id: string, jobs: readonly NewJob[], now: number): number | undefined {
    if (this.#stmt.exists.get(id) === undefined) return undefined;
    this.#transaction(() => {
      for (const job of jobs) this.#stmt.upsertJob.run(id, this.#targetId(job.targetKey, job.target), job.image, job.tag, now, now);
    }, false);
    return Number((this.#stmt.countPending.get() as { n: number }).n);
  }

  /** Deletes finished deliveries received before `before`, then every payload segment no remaining row points into. */
  prune(before: number): { deliveries: number; segments: number } {
    const deliveries = this.#transaction(() => Number(this.#stmt.prune.run(before).changes), false);
    const oldest = (this.#stmt.oldestSegment.get() as { seg: number | null }).seg;
    // Rows only ever point into segments up to the current one; with none left, all older files can go.
    return { deliveries, segments: this.#segments.deleteBefore(oldest ?? this.#segments.current) };
  }

  /**
   * Readiness: the database still takes a write lock, and `probeBytes` can be written and synced beside the payload
   * segments (then removed). A full disk fails the second even while the first still works; that is what makes
   * accepting (and so POST) fail with 503.
   */
  writable(probeBytes: number): boolean {
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#db.exec('ROLLBACK');
    } catch {
      return false;
    }
    if (probeBytes <= 0) return true;
    const file = join(this.#segments.dir, '.ready-probe');
    let fd: number | undefined;
    try {
      fd = openSync(file, 'w');
      const chunk = Buffer.alloc(Math.min(probeBytes, 64 * 1024));
      for (let written = 0; written < probeBytes; ) written += writeSync(fd, chunk, 0, Math.min(chunk.length, probeBytes - written));
      fdatasyncSync(fd);
      return true;
    } catch {
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
      rmSync(file, { force: true });
    }
  }

  close(): void {
    try {
      this.#segments.close();
    } finally {
      this.#db.close();
    }
  }
}
