// The durable inbox: reads on the main thread, every write on a writer thread, with group commit for fast, durable acks.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { RelayError, RelayErrorCode } from '../errors.ts';
import type { WriterRequest, WriterResponse } from './protocol.ts';
import { DEFAULT_SEGMENT_BYTES, SegmentError } from './segments.ts';
import { InboxVersionError, openInboxDatabase, payloadFromRow, segmentsDir, READ_SQL, type DeliveryStatus, type JobRow, type JobStatus, type NewDelivery, type NewJob, type Outcome, type PayloadRow } from './store.ts';

export { JobStatus, type DeliveryStatus, type JobRow, type NewDelivery, type NewJob, type Outcome } from './store.ts';

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
    /** When the job was queued (the delivery's arrival, or its last replay), as ISO 8601. */
    readonly createdAt: string;
    /** When a pending job is tried next (null once finished). */
    readonly nextAttemptAt: string | null;
    /** When it finished: forwarded, failed for good, or coalesced into another job. */
    readonly finishedAt: string | null;
  }[];
}

interface JobViewRow {
  readonly id: number;
  readonly target: string;
  readonly image: string;
  readonly tag: string;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly coalescedInto: number | null;
  readonly createdAt: number;
  readonly nextAttemptAt: number;
  readonly finishedAt: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Listing filters: received in [since, until) (epoch ms), and routed for an image whose name contains `image`. */
export interface ListFilter {
  readonly since?: number;
  readonly until?: number;
  readonly image?: string;
}

/** Deliveries by derived status, overall and per image ('' for deliveries no route matched). */
export interface InboxTotals {
  readonly all: StatusCounts;
  readonly byImage: readonly ({ readonly image: string } & StatusCounts)[];
}

export interface StatusCounts {
  readonly total: number;
  readonly pending: number;
  readonly failed: number;
  readonly done: number;
}

export interface InboxOptions {
  readonly dataDir: string;
  readonly maxPending: number;
  readonly coalesceWindowMs: number;
  /** Payload segment files roll over past this size (default 64 MiB); pruning deletes whole files. */
  readonly segmentBytes?: number;
  /** Told when the checkpoint thread fails (the inbox keeps working; latency may suffer until it is restarted). */
  readonly onWarning?: (message: string, error: unknown) => void;
}

interface DeliveryRow {
  readonly id: string;
  readonly hook_id: string | null;
  readonly event: string;
  readonly action: string;
  readonly received_at: number;
  readonly status: DeliveryStatus;
}

interface Waiting {
  readonly delivery: NewDelivery;
  resolve(stored: boolean): void;
  reject(error: unknown): void;
}

type Request = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;

/**
 * Bytes that own their whole ArrayBuffer, so they can be transferred to the writer thread (not copied). A view
 * into a shared buffer (a socket read, Buffer's pool) is copied first: transferring would detach the others.
 */
function ownedBytes(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return whole ? bytes : new Uint8Array(bytes);
}

/** Why the inbox cannot open, with the underlying reason in the message (main prints message and hint only). */
function openError(dataDir: string, cause: unknown): RelayError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const hint = cause instanceof InboxVersionError ? 'run the newer relay, or move the data directory aside to start empty' : 'RELAY_DATA_DIR must be a writable directory';
  return new RelayError(RelayErrorCode.Inbox, `cannot open the inbox in ${dataDir}: ${reason}`, { cause, hint });
}

/**
 * Readiness probe sizes: a typical delivery while accepting works; after an accept failed (a full disk), the largest
 * body POST stores (routes/webhook.ts BODY_LIMIT), so readiness does not come back while real deliveries would
 * still be refused.
 */
const PROBE_BYTES = 16 * 1024;
const PROBE_RECOVERY_BYTES = 1024 * 1024;

/** Jobs folded into a winner per writer transaction (see the coalesce statement in store.ts). */
const COALESCE_SLICE = 256;

/** Deliveries per message to the writer thread under a burst (it merges whatever queued up into one commit). */
const POST_EVERY = 8;

// Under vitest the sources run as .ts; built, they are .js beside this file.
const THREAD_URL = new URL(`./writer-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
/** How often the checkpoint thread copies the WAL into the database (measured: 50, 100 and 250 ms perform alike). */
const CHECKPOINT_EVERY_MS = 100;
const CHECKPOINT_RESTART_MS = 30_000;
const CHECKPOINT_URL = new URL(`./checkpoint-thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Group commit: accept() queues; once per event-loop turn the queue is posted to the writer thread, which
 * commits everything that reached it while its previous commit was fsyncing as one transaction (one fsync,
 * synchronous=FULL). A resolved accept() is on disk. The event loop keeps reading, verifying and parsing
 * during the fsync.
 */
export class Inbox {
  readonly #db: DatabaseSync;
  readonly #thread: Thread;
  #checkpointer: Thread | undefined;
  readonly #options: InboxOptions;
  readonly #ready: Promise<void>;
  #queue: Waiting[] = [];
  #scheduled = false;
  #inflightBatches = 0;
  #pendingJobs: number;
  #queuedJobs = 0;
  #closed = false;
  #broken: Error | undefined;
  /** Why the last accept (or readiness probe) could not write; cleared by the next one that could. */
  #writeFailure: string | undefined;
  #nextId = 1;
  readonly #calls = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
  #listeners: (() => void)[] = [];
  /** Told after every commit that may change what a listing shows (accepts, claims, outcomes, replays, pruning). */
  #changeListeners: (() => void)[] = [];
  readonly #stmt: Record<keyof typeof READ_SQL, StatementSync>;

  constructor(options: InboxOptions) {
    this.#options = options;
    try {
      // The main connection creates and migrates the schema, then only reads (WAL readers never wait for the writer).
      this.#db = openInboxDatabase(options.dataDir, { migrate: true });
    } catch (cause) {
      throw openError(options.dataDir, cause);
    }
    const stmt: Partial<Record<keyof typeof READ_SQL, StatementSync>> = {};
    for (const [name, sql] of Object.entries(READ_SQL) as [keyof typeof READ_SQL, string][]) stmt[name] = this.#db.prepare(sql);
    this.#stmt = stmt as Record<keyof typeof READ_SQL, StatementSync>;
    this.#pendingJobs = Number((this.#stmt.countPending.get() as { n: number }).n);

    this.#thread = new Thread(THREAD_URL, {
      workerData: { dataDir: options.dataDir, coalesceWindowMs: options.coalesceWindowMs, segmentBytes: options.segmentBytes ?? DEFAULT_SEGMENT_BYTES },
      // The writer holds one batch at a time; a small heap keeps a flood from growing RSS through it.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#calls.set(0, { resolve: () => resolve(), reject });
    });
    // A rejected ready is reported by whoever awaits it; keep it from being an unhandled rejection meanwhile.
    this.#ready.catch(() => undefined);
    this.#thread.on('message', (message: WriterResponse) => {
      const call = this.#calls.get(message.id);
      if (call === undefined) return;
      this.#calls.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(new RelayError(RelayErrorCode.Inbox, `inbox write failed: ${message.error}`, { statusCode: 503, retryAfter: 5 }));
    });
    const fail = (error: Error) => {
      this.#broken ??= error;
      const wrapped = new RelayError(RelayErrorCode.Inbox, 'the inbox writer stopped', { cause: error, statusCode: 503, retryAfter: 5 });
      for (const call of this.#calls.values()) call.reject(wrapped);
      this.#calls.clear();
      for (const w of this.#queue) w.reject(wrapped);
      this.#queue = [];
    };
    this.#thread.on('error', fail);
    this.#thread.on('exit', (code) => {
      if (!this.#closed || this.#calls.size > 0) fail(new Error(`writer thread exited with code ${code}`));
    });
  }

  /** Resolves once the writer thread has opened the database (Fastify awaits it at boot). */
  async ready(): Promise<void> {
    try {
      await this.#ready;
      this.#startCheckpointer();
    } catch (cause) {
      throw openError(this.#options.dataDir, cause);
    }
  }

  #startCheckpointer(): void {
    if (this.#checkpointer !== undefined || this.#closed || this.#broken !== undefined) return;
    const thread = new Thread(CHECKPOINT_URL, {
      workerData: { dataDir: this.#options.dataDir, intervalMs: CHECKPOINT_EVERY_MS },
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    // Its loss costs latency, not data: the writer's automatic checkpoint takes over until it is back.
    thread.on('error', (error) => {
      if (this.#checkpointer !== thread) return;
      this.#checkpointer = undefined;
      this.#options.onWarning?.(`inbox checkpoint thread stopped; the writer checkpoints by itself until it restarts in ${CHECKPOINT_RESTART_MS / 1000} s`, error);
      setTimeout(() => this.#startCheckpointer(), CHECKPOINT_RESTART_MS).unref();
    });
    thread.unref();
    this.#checkpointer = thread;
  }

  async #stopCheckpointer(): Promise<void> {
    const thread = this.#checkpointer;
    if (thread === undefined) return;
    this.#checkpointer = undefined;
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    thread.postMessage({ op: 'stop' });
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    await thread.terminate();
  }

  #call<T>(request: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#closed || this.#broken !== undefined) {
      return Promise.reject(new RelayError(RelayErrorCode.Inbox, 'inbox is closed', { statusCode: 503, retryAfter: 5 }));
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#thread.postMessage({ ...request, id }, transfer);
    });
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

  /** Called after each commit that may change a delivery's status or the listing (the dashboard's live updates). */
  onChange(listener: () => void): () => void {
    this.#changeListeners.push(listener);
    return () => {
      this.#changeListeners = this.#changeListeners.filter((l) => l !== listener);
    };
  }

  #changed(): void {
    for (const l of this.#changeListeners) l();
  }

  /** Committed ids only; a race with a queued duplicate is settled by the insert (accept resolves false). */
  has(id: string): boolean {
    return this.#stmt.exists.get(id) !== undefined;
  }

  /**
   * Resolves true once the delivery is durably stored, false when its id was already there. The payload's
   * buffer may be transferred to the writer thread (detached here): the caller must not use it afterwards.
   */
  accept(delivery: NewDelivery): Promise<boolean> {
    if (this.#closed || this.#broken !== undefined) return Promise.reject(new RelayError(RelayErrorCode.Inbox, 'inbox is closed', { statusCode: 503, retryAfter: 5 }));
    this.#queuedJobs += delivery.jobs.length;
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ delivery, resolve, reject });
      // A full slice goes now: the writer starts committing it while this thread parses the rest of the burst,
      // instead of the two threads taking turns on one big batch (measured at 64 connections: ~+5% acks/s).
      if (this.#queue.length >= POST_EVERY) this.#send();
      else this.#commitNext();
    });
  }

  #commitNext(): void {
    if (this.#scheduled) return;
    // Yield once so every request already parsed in this turn of the event loop goes in the same message.
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#send();
    });
  }

  /**
   * Posts what is queued without waiting for earlier commits: the writer thread merges every accept message that
   * waited while it was committing into its next transaction (writer-thread.ts), so the group commit happens
   * there, and neither thread waits for the other to be scheduled.
   */
  #send(): void {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    this.#inflightBatches += 1;
    const queued = batch.reduce((n, w) => n + w.delivery.jobs.length, 0);
    const deliveries = batch.map((w) => ({ ...w.delivery, payload: ownedBytes(w.delivery.payload) }));
    const transfer = deliveries.map((d) => d.payload.buffer as ArrayBuffer);
    this.#call<{ stored: boolean[]; added: number }>({ op: 'accept', batch: deliveries }, transfer).then(
      ({ stored, added }) => {
        this.#inflightBatches -= 1;
        this.#queuedJobs -= queued;
        this.#pendingJobs += added;
        this.#writeFailure = undefined;
        batch.forEach((w, i) => w.resolve(stored[i] ?? false));
        if (added > 0) for (const l of this.#listeners) l();
        if (stored.includes(true)) this.#changed();
      },
      (error: unknown) => {
        this.#inflightBatches -= 1;
        this.#queuedJobs -= queued;
        const wrapped = error instanceof RelayError ? error : new RelayError(RelayErrorCode.Inbox, 'could not store deliveries', { cause: error, statusCode: 503, retryAfter: 5 });
        // The same failure that answers POST with 503 makes readiness fail until a write works again.
        this.#writeFailure = wrapped.message;
        for (const w of batch) w.reject(wrapped);
      },
    );
  }

  /** Pending jobs whose time has come, oldest first. */
  due(now: number, limit: number): JobRow[] {
    return this.#stmt.due.all(now, limit) as unknown as JobRow[];
  }

  /**
   * Picks the job to forward for `(targetKey, image)` among the pending ones received up to `now`: a tagged
   * one before an untagged one, then the newest. The others are marked coalesced into it, in one transaction; their count is returned.
   */
  async claimGroup(targetKey: string, image: string, now: number, exclude: ReadonlySet<number>): Promise<{ winner: JobRow; coalesced: number } | undefined> {
    const skip = [...exclude];
    const claim = await this.#call<{ winner: JobRow; coalesced: number; more: boolean } | undefined>({ op: 'claimGroup', targetKey, image, now, exclude: skip, slice: COALESCE_SLICE });
    if (claim === undefined) return undefined;
    let { coalesced, more } = claim;
    this.#pendingJobs -= coalesced;
    // The rest of a large group in slices: accepts queued meanwhile are committed between them.
    while (more) {
      const n = await this.#call<number>({ op: 'coalesceMore', winnerId: claim.winner.id, targetKey, image, now, exclude: skip, slice: COALESCE_SLICE });
      this.#pendingJobs -= n;
      coalesced += n;
      more = n === COALESCE_SLICE;
    }
    if (coalesced > 0) this.#changed();
    return { winner: claim.winner, coalesced };
  }

  /** Records a forward attempt's outcome (and, through the winner, that of the jobs coalesced into it). */
  async complete(job: JobRow, outcome: Outcome, now: number): Promise<void> {
    // Not `x -= await y`: that reads x before the await and would drop increments made meanwhile.
    const finished = await this.#call<number>({ op: 'complete', jobId: job.id, outcome, now });
    this.#pendingJobs -= finished;
    // A retry changes attempts and the last error, which the dashboard shows too.
    this.#changed();
  }

  nextDueAt(): number | undefined {
    const row = this.#stmt.nextDue.get() as { at: number | null } | undefined;
    return row?.at ?? undefined;
  }

  /** Bytes on disk: payload segments, and the database with its WAL (for the disk gauge; files may vanish meanwhile). */
  diskBytes(): { payloads: number; database: number } {
    const size = (path: string) => {
      try {
        return statSync(path).size;
      } catch {
        return 0;
      }
    };
    const dir = segmentsDir(this.#options.dataDir);
    let payloads = 0;
    try {
      for (const name of readdirSync(dir)) if (name.endsWith('.seg')) payloads += size(join(dir, name));
    } catch {
      // Not created yet.
    }
    const db = join(this.#options.dataDir, 'inbox.sqlite');
    return { payloads, database: size(db) + size(`${db}-wal`) };
  }

  /** Milliseconds since the oldest pending job was received (0 when none). */
  oldestPendingAge(now: number): number {
    const row = this.#stmt.oldestPending.get() as { at: number | null } | undefined;
    return row?.at == null ? 0 : Math.max(0, now - row.at);
  }

  /** Re-queues a delivery with the given jobs (current routes); false when the id is unknown. */
  async replay(id: string, jobs: readonly NewJob[], now: number): Promise<boolean> {
    const pending = await this.#call<number | undefined>({ op: 'replay', deliveryId: id, jobs, now });
    if (pending === undefined) return false;
    this.#pendingJobs = pending;
    if (jobs.length > 0) for (const l of this.#listeners) l();
    this.#changed();
    return true;
  }

  /**
   * The delivery's JSON as received (form bodies already decoded), as UTF-8 bytes; undefined when the id is not
   * stored. A payload whose segment file is missing or damaged throws a RelayError (409, RELAY_PAYLOAD_UNREADABLE).
   */
  payloadOf(id: string): { event: string; payload: Buffer } | undefined {
    const row = this.#stmt.payload.get(id) as (PayloadRow & { event: string }) | undefined;
    if (row === undefined) return undefined;
    try {
      return { event: row.event, payload: payloadFromRow(this.#options.dataDir, row) };
    } catch (error) {
      if (!(error instanceof SegmentError)) throw error;
      throw new RelayError(RelayErrorCode.PayloadUnreadable, `the stored payload of ${id} cannot be read: ${error.message}`, { statusCode: 409, cause: error });
    }
  }

  /** Per image, the newest stored tagged delivery still in the inbox (its retention): what the relay last saw. */
  lastPushes(): { image: string; tag: string; receivedAt: number }[] {
    return (this.#stmt.lastPushes.all() as { image: string; tag: string; receivedAt: number }[]).map((r) => ({ image: r.image, tag: r.tag, receivedAt: Number(r.receivedAt) }));
  }

  /**
   * Newest first; a status filter finds its deliveries from their jobs, so it stays fast with millions done. The
   * image filter matches a part of the (normalised, lower-case) image name.
   */
  list(status: DeliveryStatus | undefined, limit: number, filter: ListFilter = {}): DeliveryView[] {
    const args = [limit, filter.since ?? 0, filter.until ?? Number.MAX_SAFE_INTEGER, (filter.image ?? '').trim().toLowerCase()] as const;
    const rows = (
      status === undefined ? this.#stmt.listAll.all(...args) : status === 'done' ? this.#stmt.listDone.all(...args) : this.#stmt.listCandidates.all(...args, status)
    ) as unknown as DeliveryRow[];
    return rows.map((r) => this.#view(r));
  }

  /**
   * Deliveries by status, overall and per image. Only deliveries that may be pending or failed get their status
   * derived (walked from their jobs); the rest are done.
   */
  totals(): InboxTotals {
    const byImage = new Map<string, { total: number; pending: number; failed: number }>();
    for (const row of this.#stmt.totalsByImage.all() as { image: string; n: number }[]) byImage.set(row.image, { total: Number(row.n), pending: 0, failed: 0 });
    for (const row of this.#stmt.openByImage.all() as { image: string; status: 'pending' | 'failed'; n: number }[]) {
      const counts = byImage.get(row.image);
      if (counts !== undefined) counts[row.status] = Number(row.n);
    }
    const rows = [...byImage].map(([image, c]) => ({ image, ...c, done: c.total - c.pending - c.failed })).sort((a, b) => a.image.localeCompare(b.image));
    const sum = (key: keyof StatusCounts) => rows.reduce((n, r) => n + r[key], 0);
    return { all: { total: sum('total'), pending: sum('pending'), failed: sum('failed'), done: sum('done') }, byImage: rows };
  }

  /** One delivery with its jobs; undefined when the id is not stored. */
  get(id: string): DeliveryView | undefined {
    const row = this.#stmt.one.get(id) as unknown as DeliveryRow | undefined;
    return row === undefined ? undefined : this.#view(row);
  }

  #view(r: DeliveryRow): DeliveryView {
    return {
      id: r.id,
      hookId: r.hook_id,
      event: r.event,
      action: r.action,
      receivedAt: iso(r.received_at),
      status: r.status,
      jobs: (this.#stmt.jobsOf.all(r.id) as unknown as JobViewRow[]).map((j) => ({
        ...j,
        createdAt: iso(j.createdAt),
        nextAttemptAt: j.status === 'pending' ? iso(j.nextAttemptAt) : null,
        finishedAt: j.finishedAt === null ? null : iso(j.finishedAt),
      })),
    };
  }

  /**
   * Deletes finished deliveries older than `before` (keep them past GitHub's redelivery window for dedupe), then
   * the payload segment files nothing points into any more.
   */
  async prune(before: number): Promise<{ deliveries: number; segments: number }> {
    const pruned = await this.#call<{ deliveries: number; segments: number }>({ op: 'prune', before });
    if (pruned.deliveries > 0) this.#changed();
    return pruned;
  }

  /**
   * Readiness, on the writer's own connection: the database takes a write lock and a probe write beside the payload
   * segments succeeds. After an accept failed (the 503 a full disk gives POST), the probe is as large as the largest
   * delivery, and only its success (or an accept that succeeds) makes the inbox writable again.
   */
  async writable(): Promise<boolean> {
    if (this.#closed || this.#broken !== undefined) return false;
    const failing = this.#writeFailure !== undefined;
    const ok = await this.#call<boolean>({ op: 'writable', probeBytes: failing ? PROBE_RECOVERY_BYTES : PROBE_BYTES }).catch(() => false);
    if (ok && failing) this.#writeFailure = undefined;
    else if (!ok) this.#writeFailure ??= 'readiness probe could not write';
    return ok;
  }

  /** Why the inbox could not write the last time it tried (undefined while writes work). */
  get writeFailure(): string | undefined {
    return this.#writeFailure;
  }

  /** Commits what is queued, then closes both connections and ends the writer thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#scheduled || this.#inflightBatches > 0 || this.#queue.length > 0) {
      if (this.#broken !== undefined) break;
      await new Promise((r) => setImmediate(r));
    }
    await this.#stopCheckpointer();
    const closing = this.#broken === undefined ? this.#call<boolean>({ op: 'close' }).catch(() => false) : Promise.resolve(false);
    this.#closed = true;
    await closing;
    await this.#thread.terminate();
    this.#db.close();
  }
}
