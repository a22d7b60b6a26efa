// The durable inbox through its public API and the files it leaves on disk: payload segments, derived delivery
// status, pruning, damage, the version-2 → 3 migration and a restart.
import { openSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync, writeSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayError } from '../src/errors.ts';
import { Inbox, type InboxOptions, type JobRow, type NewDelivery, type NewJob } from '../src/inbox/inbox.ts';
import { tempDir } from './helper.ts';
import { ghcrPackageJson, GHCR_IMAGE } from './github-payloads.ts';

const IMAGE = GHCR_IMAGE;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fresh data dir, removed after the test. */
function dataDir(): string {
  const dir = tempDir('relay-inbox-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An open, ready inbox, closed after the test (closing twice is harmless). */
async function openInbox(dir: string, options: Partial<InboxOptions> = {}): Promise<Inbox> {
  const inbox = new Inbox({ dataDir: dir, maxPending: 1_000, coalesceWindowMs: 0, ...options });
  cleanups.push(() => inbox.close());
  await inbox.ready();
  return inbox;
}

/** What GHCR sends for one tag of a many-layered image, as the JSON text the inbox stores (~16 KB). */
function ghcrJson(tag: string, image = IMAGE): string {
  return ghcrPackageJson({ image, tag, layers: 32 });
}

/**
 * A segment size that holds three of those payloads: a segment rolls over before an append once it is at or past
 * the limit, so with 2.5 payloads' worth the third append still goes in and the fourth starts a new segment.
 */
const THREE_PAYLOADS_PER_SEGMENT = Math.ceil(2.5 * Buffer.byteLength(ghcrJson('3.0.0')));

function job(tag: string, options: { targetKey?: string; image?: string } = {}): NewJob {
  return { targetKey: options.targetKey ?? 'log:0', target: JSON.stringify({ log: {} }), image: options.image ?? IMAGE, tag };
}

/** The payload goes in as freshly encoded bytes: accept() may transfer (detach) their buffer. */
function incoming(id: string, json: string, receivedAt: number, jobs: readonly NewJob[] = []): NewDelivery {
  return { id, hookId: '510077311', event: 'package', action: 'published', receivedAt, payload: new TextEncoder().encode(json), jobs };
}

function segmentFiles(dir: string): string[] {
  return readdirSync(join(dir, 'payloads'))
    .filter((name) => name.endsWith('.seg'))
    .sort();
}

const segmentFile = (segment: number) => `${String(segment).padStart(12, '0')}.seg`;

interface DeliveryRow {
  payload: string;
  body: Uint8Array | null;
  seg: number | null;
  seg_offset: number | null;
  seg_length: number | null;
}

/** Runs `read` on a read-only connection of the inbox database (next to the inbox's own connections). */
function readDb<T>(dir: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(dir, 'inbox.sqlite'), { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function rowOf(dir: string, id: string): DeliveryRow | undefined {
  return readDb(dir, (db) => db.prepare('SELECT payload, body, seg, seg_offset, seg_length FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined);
}

function countDeliveries(dir: string, id: string): number {
  return readDb(dir, (db) => Number((db.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE id = ?').get(id) as { n: number }).n));
}

/** Claims the (targetKey, image) group now and records `outcome` for its winner. */
async function forward(inbox: Inbox, targetKey: string, image: string, outcome: Parameters<Inbox['complete']>[1]): Promise<JobRow> {
  const claim = await inbox.claimGroup(targetKey, image, Date.now(), new Set());
  expect(claim).toBeDefined();
  await inbox.complete(claim!.winner, outcome, Date.now());
  return claim!.winner;
}

/** The error payloadOf throws, for inspection. */
function payloadError(inbox: Inbox, id: string): RelayError {
  try {
    inbox.payloadOf(id);
  } catch (error) {
    expect(error).toBeInstanceOf(RelayError);
    return error as RelayError;
  }
  throw new Error(`payloadOf(${id}) did not throw`);
}

const statuses = (inbox: Inbox) => Object.fromEntries(inbox.list(undefined, 100).map((d) => [d.id, d.status]));

describe('inbox payloads', () => {
  it('gives back every accepted payload byte for byte, from a segment file rather than SQLite', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir);
    const t0 = Date.now() - 60_000;
    const sent = new Map<string, string>();
    for (let i = 0; i < 5; i++) sent.set(`d-${i}`, ghcrJson(`1.0.${i}`));
    // Accepted in one turn of the event loop: one group commit.
    const stored = await Promise.all([...sent].map(([id, json], i) => inbox.accept(incoming(id, json, t0 + i, i % 2 === 0 ? [job(`1.0.${i}`)] : []))));
    expect(stored).toEqual([true, true, true, true, true]);

    for (const [id, json] of sent) {
      expect(json.length).toBeGreaterThan(15_000);
      const got = inbox.payloadOf(id);
      expect(got?.event).toBe('package');
      expect(got?.payload.equals(Buffer.from(json))).toBe(true);
      const row = rowOf(dir, id)!;
      expect(row.payload).toBe('');
      expect(row.body).toBeNull();
      expect(row.seg).toBe(1);
      expect(row.seg_length).toBe(Buffer.byteLength(json));
    }
    expect(segmentFiles(dir)).toEqual([segmentFile(1)]);
    expect(statSync(join(dir, 'payloads', segmentFile(1))).size).toBe([...sent.values()].reduce((n, json) => n + Buffer.byteLength(json), 0));
    expect(inbox.payloadOf('never-seen')).toBeUndefined();
  });

  it('resolves false for a duplicate id and keeps the first delivery, one row', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir);
    const first = ghcrJson('2.0.0');
    expect(await inbox.accept(incoming('dup', first, Date.now(), [job('2.0.0')]))).toBe(true);
    expect(await inbox.accept(incoming('dup', ghcrJson('2.0.1'), Date.now(), [job('2.0.1')]))).toBe(false);
    // The same id twice in one batch: only one can win.
    const same = await Promise.all([inbox.accept(incoming('twice', first, Date.now())), inbox.accept(incoming('twice', first, Date.now()))]);
    expect(same.toSorted()).toEqual([false, true]);

    expect(countDeliveries(dir, 'dup')).toBe(1);
    expect(countDeliveries(dir, 'twice')).toBe(1);
    expect(inbox.payloadOf('dup')?.payload.toString('utf8')).toBe(first);
    expect(inbox.list(undefined, 10).find((d) => d.id === 'dup')?.jobs.map((j) => j.tag)).toEqual(['2.0.0']);
    expect(inbox.pendingJobs).toBe(1);
  });
});

describe('inbox segments', () => {
  it('rolls over past segmentBytes, and prune deletes the old segments of finished deliveries but never the newest', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir, { segmentBytes: THREE_PAYLOADS_PER_SEGMENT });
    const t0 = Date.now() - 60_000;
    const sent = new Map<string, string>();
    // One at a time: a segment rolls over before an append once it is past the limit (three payloads each).
    for (let i = 0; i < 8; i++) {
      const json = ghcrJson(`3.0.${i}`);
      sent.set(`d-${i}`, json);
      expect(await inbox.accept(incoming(`d-${i}`, json, t0 + i, i % 2 === 0 ? [job(`3.0.${i}`)] : []))).toBe(true);
    }
    expect(segmentFiles(dir)).toEqual([segmentFile(1), segmentFile(2), segmentFile(3)]);
    for (const [id, json] of sent) expect(inbox.payloadOf(id)?.payload.toString('utf8')).toBe(json);

    // The four without jobs are done at once and go; d-0 (segment 1) still waits, so every segment stays.
    expect(await inbox.prune(Date.now() + 1)).toEqual({ deliveries: 4, segments: 0 });
    expect(segmentFiles(dir)).toHaveLength(3);
    expect(inbox.payloadOf('d-0')?.payload.toString('utf8')).toBe(sent.get('d-0'));

    // One forward finishes the four jobs (coalesced into one winner).
    await forward(inbox, 'log:0', IMAGE, { kind: 'done' });
    expect(inbox.list('pending', 10)).toEqual([]);
    expect(await inbox.prune(Date.now() + 1)).toEqual({ deliveries: 4, segments: 2 });
    expect(segmentFiles(dir)).toEqual([segmentFile(3)]);
    for (const id of sent.keys()) expect(inbox.payloadOf(id)).toBeUndefined();

    // New deliveries still go to the kept (newest) segment, and a second prune has nothing to delete.
    const json = ghcrJson('3.1.0');
    expect(await inbox.accept(incoming('after', json, Date.now()))).toBe(true);
    expect(segmentFiles(dir)).toEqual([segmentFile(3)]);
    expect(inbox.payloadOf('after')?.payload.toString('utf8')).toBe(json);
    expect(await inbox.prune(0)).toEqual({ deliveries: 0, segments: 0 });
  });

  it('keeps the segment a pending delivery points into, and every newer one, until it is finished', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir, { segmentBytes: THREE_PAYLOADS_PER_SEGMENT });
    const t0 = Date.now() - 60_000;
    const sent = new Map<string, string>();
    for (let i = 0; i < 9; i++) {
      const json = ghcrJson(`4.0.${i}`);
      sent.set(`d-${i}`, json);
      // d-4 (in segment 2) waits for another target; the rest have nothing to do.
      expect(await inbox.accept(incoming(`d-${i}`, json, t0 + i, i === 4 ? [job('4.0.4', { targetKey: 'slow' })] : []))).toBe(true);
    }
    expect(segmentFiles(dir)).toEqual([segmentFile(1), segmentFile(2), segmentFile(3)]);
    expect(rowOf(dir, 'd-4')?.seg).toBe(2);

    expect(await inbox.prune(Date.now() + 1)).toEqual({ deliveries: 8, segments: 1 });
    expect(segmentFiles(dir)).toEqual([segmentFile(2), segmentFile(3)]);
    expect(inbox.payloadOf('d-4')?.payload.toString('utf8')).toBe(sent.get('d-4'));
    expect(inbox.list(undefined, 10).map((d) => [d.id, d.status])).toEqual([['d-4', 'pending']]);

    await forward(inbox, 'slow', IMAGE, { kind: 'done' });
    expect(await inbox.prune(Date.now() + 1)).toEqual({ deliveries: 1, segments: 1 });
    // The newest segment stays (it is where the next payload goes) even with no row pointing into it.
    expect(segmentFiles(dir)).toEqual([segmentFile(3)]);
    expect(inbox.list(undefined, 10)).toEqual([]);
  });

  it('prunes only deliveries received before the cutoff', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir, { segmentBytes: 1 });
    const now = Date.now();
    expect(await inbox.accept(incoming('old', ghcrJson('5.0.0'), now - 10_000))).toBe(true);
    expect(await inbox.accept(incoming('recent', ghcrJson('5.0.1'), now - 1_000))).toBe(true);
    expect(await inbox.accept(incoming('newest', ghcrJson('5.0.2'), now))).toBe(true);
    expect(segmentFiles(dir)).toHaveLength(3);
    expect(await inbox.prune(now - 5_000)).toEqual({ deliveries: 1, segments: 1 });
    expect(inbox.list(undefined, 10).map((d) => d.id)).toEqual(['newest', 'recent']);
    expect(inbox.payloadOf('recent')?.payload.toString('utf8')).toBe(ghcrJson('5.0.1'));
  });

  it('keeps a failed winner while a newer delivery coalesced into it is kept, so that one stays failed', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir);
    const t0 = Date.now() - 60_000;
    // The tagged delivery wins over the newer untagged one (a tag is preferred), then fails for good.
    expect(await inbox.accept(incoming('tagged-old', ghcrJson('1.0.0'), t0, [job('1.0.0')]))).toBe(true);
    expect(await inbox.accept(incoming('untagged-new', ghcrJson(''), t0 + 30_000, [job('')]))).toBe(true);
    const winner = await forward(inbox, 'log:0', IMAGE, { kind: 'failed', error: 'answered 404' });
    expect(winner.deliveryId).toBe('tagged-old');
    expect(statuses(inbox)).toEqual({ 'tagged-old': 'failed', 'untagged-new': 'failed' });

    // Past the old one's retention but not the new one's: the winner must stay, or the new one would read as done.
    expect(await inbox.prune(t0 + 10_000)).toEqual({ deliveries: 0, segments: 0 });
    expect(inbox.list('failed', 10).map((d) => d.id)).toEqual(['untagged-new', 'tagged-old']);
    // Once both are past retention, both go.
    expect((await inbox.prune(t0 + 40_000)).deliveries).toBe(2);
    expect(inbox.list(undefined, 10)).toEqual([]);
  });
});

describe('inbox damage', () => {
  it('refuses to return a payload whose bytes changed, were cut short or whose segment file is gone (409)', async () => {
    const dir = dataDir();
    // Every append past 1 byte rolls over: each delivery gets its own segment file.
    const inbox = await openInbox(dir, { segmentBytes: 1 });
    const sent = new Map<string, string>();
    for (const id of ['flipped', 'truncated', 'deleted', 'intact']) {
      const json = ghcrJson(`6.0.${sent.size}`);
      sent.set(id, json);
      expect(await inbox.accept(incoming(id, json, Date.now()))).toBe(true);
    }
    expect(segmentFiles(dir)).toHaveLength(4);
    const pathOf = (id: string) => join(dir, 'payloads', segmentFile(rowOf(dir, id)!.seg!));

    // One byte in the middle of the stored payload.
    const flipped = rowOf(dir, 'flipped')!;
    const at = flipped.seg_offset! + Math.floor(flipped.seg_length! / 2);
    const fd = openSync(pathOf('flipped'), 'r+');
    try {
      const byte = Buffer.alloc(1);
      expect(readSync(fd, byte, 0, 1, at)).toBe(1);
      byte[0] = byte[0]! ^ 0x01;
      expect(writeSync(fd, byte, 0, 1, at)).toBe(1);
    } finally {
      closeSync(fd);
    }
    const truncated = rowOf(dir, 'truncated')!;
    truncateSync(pathOf('truncated'), truncated.seg_offset! + truncated.seg_length! - 1);
    unlinkSync(pathOf('deleted'));

    const cases = [
      ['flipped', /CRC/],
      ['truncated', /ends before byte/],
      ['deleted', /missing/],
    ] as const;
    for (const [id, reason] of cases) {
      const error = payloadError(inbox, id);
      expect(error.code).toBe('RELAY_PAYLOAD_UNREADABLE');
      expect(error.statusCode).toBe(409);
      expect(error.message).toContain(id);
      expect(error.message).toMatch(reason);
    }
    // The damage stays with those deliveries.
    expect(inbox.payloadOf('intact')?.payload.toString('utf8')).toBe(sent.get('intact'));
    expect(inbox.list(undefined, 10)).toHaveLength(4);
  });

  it('takes a redelivery of a damaged delivery as new: its bytes are replaced and its jobs queued again', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir, { segmentBytes: 1 });
    const json = ghcrJson('7.0.0');
    const t0 = Date.now() - 10_000;
    expect(await inbox.accept(incoming('lost', json, t0, [job('7.0.0')]))).toBe(true);
    expect(await inbox.accept(incoming('kept', ghcrJson('7.0.1'), t0, [job('7.0.1')]))).toBe(true);
    // Both forwarded; then the first one's segment is lost.
    await forward(inbox, 'log:0', IMAGE, { kind: 'done' });
    expect(inbox.list('done', 10).map((d) => d.id).sort()).toEqual(['kept', 'lost']);
    unlinkSync(join(dir, 'payloads', segmentFile(rowOf(dir, 'lost')!.seg!)));
    expect(payloadError(inbox, 'lost').code).toBe('RELAY_PAYLOAD_UNREADABLE');

    // GitHub's "Redeliver" sends the same id again: accepted (not a duplicate), readable, pending once more.
    expect(await inbox.accept(incoming('lost', json, Date.now(), [job('7.0.0')]))).toBe(true);
    expect(inbox.payloadOf('lost')?.payload.toString('utf8')).toBe(json);
    expect(inbox.list('pending', 10).map((d) => d.id)).toEqual(['lost']);
    expect(inbox.pendingJobs).toBe(1);
    // An intact delivery sent again is still a duplicate, and changes nothing.
    expect(await inbox.accept(incoming('kept', ghcrJson('7.0.1'), Date.now(), [job('7.0.1')]))).toBe(false);
    expect(inbox.list('done', 10).map((d) => d.id)).toEqual(['kept']);
  });
});

describe('inbox delivery status', () => {
  it('derives each delivery status from its jobs and the winners they were coalesced into', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir);
    const t0 = Date.now() - 60_000;
    const at = (i: number) => t0 + i * 1_000;
    const accept = (id: string, i: number, jobs: NewJob[]) => inbox.accept(incoming(id, ghcrJson(`7.0.${i}`), at(i), jobs));
    const imageB = 'ghcr.io/acme/b';
    const imageC = 'ghcr.io/acme/c';

    expect(await accept('no-jobs', 0, [])).toBe(true);
    expect(await accept('waiting', 1, [job('7.0.1', { targetKey: 'a' })])).toBe(true);
    for (const i of [2, 3, 4]) expect(await accept(`b-${i}`, i, [job(`7.0.${i}`, { targetKey: 'b', image: imageB })])).toBe(true);
    for (const i of [5, 6, 7]) expect(await accept(`c-${i}`, i, [job(`7.0.${i}`, { targetKey: 'c', image: imageC })])).toBe(true);
    expect(statuses(inbox)).toEqual({ 'no-jobs': 'done', waiting: 'pending', 'b-2': 'pending', 'b-3': 'pending', 'b-4': 'pending', 'c-5': 'pending', 'c-6': 'pending', 'c-7': 'pending' });

    // A claim folds the group into its newest job; the others wait on that winner.
    const b = await inbox.claimGroup('b', imageB, Date.now(), new Set());
    expect(b?.winner.deliveryId).toBe('b-4');
    expect(b?.coalesced).toBe(2);
    expect(inbox.list(undefined, 100).find((d) => d.id === 'b-2')?.jobs[0]).toMatchObject({ status: 'coalesced', coalescedInto: b!.winner.id });
    expect(inbox.list('pending', 100).map((d) => d.id)).toEqual(['c-7', 'c-6', 'c-5', 'b-4', 'b-3', 'b-2', 'waiting']);

    // A retry keeps its delivery pending.
    const waiting = inbox.due(Date.now(), 100).find((j) => j.deliveryId === 'waiting')!;
    await inbox.complete(waiting, { kind: 'retry', error: 'HTTP 503', nextAttemptAt: Date.now() + 60_000 }, Date.now());
    expect(inbox.list(undefined, 100).find((d) => d.id === 'waiting')).toMatchObject({ status: 'pending', jobs: [{ status: 'pending', attempts: 1, lastError: 'HTTP 503' }] });

    await inbox.complete(b!.winner, { kind: 'done' }, Date.now());
    const c = await forward(inbox, 'c', imageC, { kind: 'failed', error: 'HTTP 404 no such Warehouse' });
    expect(c.deliveryId).toBe('c-7');

    expect(statuses(inbox)).toEqual({ 'no-jobs': 'done', waiting: 'pending', 'b-2': 'done', 'b-3': 'done', 'b-4': 'done', 'c-5': 'failed', 'c-6': 'failed', 'c-7': 'failed' });
    expect(inbox.list('pending', 10).map((d) => d.id)).toEqual(['waiting']);
    expect(inbox.list('failed', 10).map((d) => d.id)).toEqual(['c-7', 'c-6', 'c-5']);
    expect(inbox.list('failed', 2).map((d) => d.id)).toEqual(['c-7', 'c-6']);
    expect(inbox.list('done', 10).map((d) => d.id)).toEqual(['b-4', 'b-3', 'b-2', 'no-jobs']);
    expect(inbox.list('done', 1).map((d) => d.id)).toEqual(['b-4']);
    expect(inbox.list(undefined, 100).map((d) => d.id)).toEqual(['c-7', 'c-6', 'c-5', 'b-4', 'b-3', 'b-2', 'waiting', 'no-jobs']);
    expect(inbox.list(undefined, 3).map((d) => [d.id, d.status])).toEqual([
      ['c-7', 'failed'],
      ['c-6', 'failed'],
      ['c-5', 'failed'],
    ]);
    expect(inbox.list(undefined, 100).find((d) => d.id === 'c-7')).toMatchObject({
      receivedAt: new Date(at(7)).toISOString(),
      jobs: [{ status: 'failed', attempts: 1, lastError: 'HTTP 404 no such Warehouse', coalescedInto: null }],
    });
  });
});

/** The schema of a relay before segment files (user_version 2), exactly as it created it. */
const SCHEMA_V2 = `
CREATE TABLE deliveries (id TEXT PRIMARY KEY, hook_id TEXT, event TEXT NOT NULL, action TEXT NOT NULL, received_at INTEGER NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL, body BLOB) STRICT;
CREATE INDEX deliveries_status ON deliveries (status, received_at);
CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE, target_key TEXT NOT NULL, target TEXT NOT NULL, image TEXT NOT NULL, tag TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT, status TEXT NOT NULL, coalesced_into INTEGER, finished_at INTEGER, UNIQUE (delivery_id, target_key)) STRICT;
CREATE INDEX jobs_due ON jobs (status, next_attempt_at);
CREATE INDEX jobs_group ON jobs (status, target_key, image);
CREATE INDEX jobs_coalesced ON jobs (coalesced_into) WHERE coalesced_into IS NOT NULL;
`;

/** A version-2 inbox: `legacy-text` (plain JSON, one done job) and `legacy-deflated` (deflated body, one pending job). */
function writeVersion2(dir: string, t0: number): { text: string; deflated: string } {
  const text = ghcrJson('0.9.0');
  const deflated = ghcrJson('0.9.1');
  const db = new DatabaseSync(join(dir, 'inbox.sqlite'));
  try {
    db.exec('PRAGMA journal_mode=WAL');
    db.exec(SCHEMA_V2);
    const delivery = db.prepare('INSERT INTO deliveries (id, hook_id, event, action, received_at, payload, status, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    delivery.run('legacy-text', '510077311', 'package', 'published', t0, text, 'done', null);
    delivery.run('legacy-deflated', '510077311', 'package', 'published', t0 + 1, '', 'pending', deflateRawSync(Buffer.from(deflated)));
    const jobs = db.prepare(
      'INSERT INTO jobs (delivery_id, target_key, target, image, tag, created_at, attempts, next_attempt_at, status, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    jobs.run('legacy-text', 'log:0', '{"log":{}}', IMAGE, '0.9.0', t0, 1, t0, 'done', t0 + 10);
    jobs.run('legacy-deflated', 'log:0', '{"log":{}}', IMAGE, '0.9.1', t0 + 1, 0, t0 + 1, 'pending', null);
    db.exec('PRAGMA user_version = 2');
  } finally {
    db.close();
  }
  return { text, deflated };
}

describe('inbox migration', () => {
  it('opens a version-2 inbox: old payloads read back exactly, statuses are derived, the pending job is still due', async () => {
    const dir = dataDir();
    const t0 = Date.now() - 60_000;
    const old = writeVersion2(dir, t0);
    const inbox = await openInbox(dir);

    expect(inbox.payloadOf('legacy-text')?.payload.toString('utf8')).toBe(old.text);
    expect(inbox.payloadOf('legacy-deflated')?.payload.toString('utf8')).toBe(old.deflated);
    expect(inbox.list(undefined, 10).map((d) => [d.id, d.status])).toEqual([
      ['legacy-deflated', 'pending'],
      ['legacy-text', 'done'],
    ]);
    expect(inbox.list('pending', 10).map((d) => d.id)).toEqual(['legacy-deflated']);
    expect(inbox.list('done', 10).map((d) => d.id)).toEqual(['legacy-text']);
    expect(inbox.pendingJobs).toBe(1);
    expect(inbox.due(Date.now() + 10_000, 10).map((j) => [j.deliveryId, j.tag, j.event])).toEqual([['legacy-deflated', '0.9.1', 'package']]);

    const schema = readDb(dir, (db) => ({
      version: (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version,
      columns: (db.prepare('PRAGMA table_info(deliveries)').all() as { name: string }[]).map((c) => c.name),
      indexes: (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).all() as { name: string }[]).map((i) => i.name),
    }));
    expect(schema.version).toBe(3);
    expect(schema.columns).not.toContain('status');
    expect(schema.columns).toEqual(expect.arrayContaining(['payload', 'body', 'seg', 'seg_offset', 'seg_length', 'seg_crc']));
    expect(schema.indexes).not.toContain('deliveries_status');
    expect(schema.indexes).not.toContain('jobs_group');
    // Jobs now point at a row of `targets`; the old key and JSON moved there.
    expect(readDb(dir, (db) => (db.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name))).toEqual(
      expect.not.arrayContaining(['target_key', 'target']),
    );
    expect(readDb(dir, (db) => db.prepare('SELECT key, target FROM targets').all())).toEqual([{ key: 'log:0', target: JSON.stringify({ log: {} }) }]);

    // The old pending job is forwarded and finished like any other.
    await forward(inbox, 'log:0', IMAGE, { kind: 'done' });
    expect(inbox.list('pending', 10)).toEqual([]);
  });

  it('accepts new deliveries next to the rows of a version-2 inbox', async () => {
    const dir = dataDir();
    const t0 = Date.now() - 60_000;
    const old = writeVersion2(dir, t0);
    const inbox = await openInbox(dir);
    const json = ghcrJson('1.0.0');

    expect(await inbox.accept(incoming('new', json, Date.now(), [job('1.0.0')]))).toBe(true);
    expect(inbox.payloadOf('new')?.payload.toString('utf8')).toBe(json);
    expect(rowOf(dir, 'new')).toMatchObject({ payload: '', body: null, seg: 1 });
    expect(inbox.payloadOf('legacy-text')?.payload.toString('utf8')).toBe(old.text);
    expect(inbox.list(undefined, 10).map((d) => [d.id, d.status])).toEqual([
      ['new', 'pending'],
      ['legacy-deflated', 'pending'],
      ['legacy-text', 'done'],
    ]);
  });

  it('refuses an inbox written by a newer relay, saying so', async () => {
    const dir = dataDir();
    const db = new DatabaseSync(join(dir, 'inbox.sqlite'));
    db.exec('PRAGMA journal_mode=WAL');
    db.exec('PRAGMA user_version = 99');
    db.close();

    let error: unknown;
    try {
      const inbox = new Inbox({ dataDir: dir, maxPending: 10, coalesceWindowMs: 0 });
      cleanups.push(() => inbox.close());
      await inbox.ready();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RelayError);
    expect((error as RelayError).code).toBe('RELAY_INBOX');
    // The reason is there, in the cause...
    expect(((error as RelayError).cause as Error | undefined)?.message).toMatch(/written by a newer relay/);
    // ...but the relay's boot (src/main.ts) prints only the message and the hint: the operator must see it there.
    expect(`${(error as RelayError).message} ${(error as RelayError).hint ?? ''}`).toMatch(/written by a newer relay/);
    // Left as it was: the newer relay can still open it.
    expect(readDb(dir, (d) => (d.prepare('PRAGMA user_version').get() as { user_version: number }).user_version)).toBe(99);
  });
});

describe('inbox restart', () => {
  it('reads everything back after a restart and keeps appending to the newest segment', async () => {
    const dir = dataDir();
    const options = { segmentBytes: 100_000 };
    const t0 = Date.now() - 60_000;
    const sent = new Map([
      ['done', ghcrJson('8.0.0')],
      ['failed', ghcrJson('8.0.1')],
      ['pending', ghcrJson('8.0.2')],
      ['no-jobs', ghcrJson('8.0.3')],
    ]);
    const first = await openInbox(dir, options);
    expect(await first.accept(incoming('done', sent.get('done')!, t0, [job('8.0.0', { targetKey: 'done' })]))).toBe(true);
    expect(await first.accept(incoming('failed', sent.get('failed')!, t0 + 1, [job('8.0.1', { targetKey: 'failed' })]))).toBe(true);
    expect(await first.accept(incoming('pending', sent.get('pending')!, t0 + 2, [job('8.0.2', { targetKey: 'pending' })]))).toBe(true);
    expect(await first.accept(incoming('no-jobs', sent.get('no-jobs')!, t0 + 3))).toBe(true);
    await forward(first, 'done', IMAGE, { kind: 'done' });
    await forward(first, 'failed', IMAGE, { kind: 'failed', error: 'HTTP 404' });
    const before = statuses(first);
    expect(before).toEqual({ done: 'done', failed: 'failed', pending: 'pending', 'no-jobs': 'done' });
    await first.close();

    const sizeBefore = statSync(join(dir, 'payloads', segmentFile(1))).size;
    const second = await openInbox(dir, options);
    for (const [id, json] of sent) expect(second.payloadOf(id)?.payload.toString('utf8')).toBe(json);
    expect(statuses(second)).toEqual(before);
    expect(second.pendingJobs).toBe(1);
    expect(second.due(Date.now(), 10).map((j) => j.deliveryId)).toEqual(['pending']);
    expect(await second.accept(incoming('done', ghcrJson('8.9.9'), Date.now()))).toBe(false);

    const json = ghcrJson('8.1.0');
    expect(await second.accept(incoming('after-restart', json, Date.now()))).toBe(true);
    expect(segmentFiles(dir)).toEqual([segmentFile(1)]);
    // Appended after what was there (the duplicate's unreferenced bytes included), nothing overwritten.
    const row = rowOf(dir, 'after-restart')!;
    expect(row.seg).toBe(1);
    expect(row.seg_offset).toBeGreaterThanOrEqual(sizeBefore);
    expect(second.payloadOf('after-restart')?.payload.toString('utf8')).toBe(json);
    for (const [id, text] of sent) expect(second.payloadOf(id)?.payload.toString('utf8')).toBe(text);
  });
});

describe('inbox coalescing', () => {
  it('folds a group larger than one slice into a single winner', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir);
    const t0 = Date.now() - 60_000;
    // 600 jobs for one (target, image): more than two slices of 256.
    await Promise.all(Array.from({ length: 600 }, (_, i) => inbox.accept(incoming(`burst-${i}`, '{}', t0 + i, [job(`3.0.${i}`)]))));
    expect(inbox.pendingJobs).toBe(600);
    const claim = await inbox.claimGroup('log:0', IMAGE, Date.now(), new Set());
    expect(claim?.winner.tag).toBe('3.0.599');
    expect(claim?.coalesced).toBe(599);
    expect(inbox.pendingJobs).toBe(1);
    expect(inbox.due(Date.now() + 10_000, 10).map((j) => j.deliveryId)).toEqual(['burst-599']);
    await inbox.complete(claim!.winner, { kind: 'done' }, Date.now());
    expect(inbox.list('pending', 1000)).toEqual([]);
    expect(inbox.list('done', 1000)).toHaveLength(600);
  });
});

describe('inbox targets', () => {
  it('forwards pending jobs with the newest definition of their target after the routes file changed it', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir, { coalesceWindowMs: 60_000 });
    const key = 'kargoWebhook:https://receiver.example/github/abc';
    const before = JSON.stringify({ kargoWebhook: { url: 'https://receiver.example/github/abc', secretEnv: 'OLD_SECRET' } });
    const after = JSON.stringify({ kargoWebhook: { url: 'https://receiver.example/github/abc', secretEnv: 'NEW_SECRET' } });
    const now = Date.now();
    expect(await inbox.accept(incoming('a', '{}', now, [{ targetKey: key, target: before, image: IMAGE, tag: '1.0.0' }]))).toBe(true);
    expect(inbox.due(now + 61_000, 10).map((j) => [j.deliveryId, j.targetKey, j.target])).toEqual([['a', key, before]]);
    // The relay restarted with a fixed routes file: the next delivery carries the new definition, and the old job follows it.
    expect(await inbox.accept(incoming('b', '{}', now + 1, [{ targetKey: key, target: after, image: IMAGE, tag: '1.0.1' }]))).toBe(true);
    expect(inbox.due(now + 61_000, 10).map((j) => [j.deliveryId, j.target])).toEqual([
      ['a', after],
      ['b', after],
    ]);
    expect(readDb(dir, (db) => Number((db.prepare('SELECT COUNT(*) AS n FROM targets').get() as { n: number }).n))).toBe(1);
    // And the admin listing still names each job's target by its key.
    expect(inbox.list(undefined, 10).flatMap((d) => d.jobs.map((j) => j.target))).toEqual([key, key]);
  });
});

describe('inbox checkpoints', () => {
  it('copies committed pages into the database file beside the writer, long before the automatic threshold', async () => {
    const dir = dataDir();
    const inbox = await openInbox(dir);
    const before = statSync(join(dir, 'inbox.sqlite')).size;
    const now = Date.now();
    // ~1 MB of WAL: far below the writer's automatic checkpoint (16,000 pages), so only the checkpoint thread copies it.
    await Promise.all(Array.from({ length: 400 }, (_, i) => inbox.accept(incoming(`c-${i}`, '{}', now + i, [job(`1.0.${i}`)]))));
    const deadline = Date.now() + 5_000;
    while (statSync(join(dir, 'inbox.sqlite')).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(join(dir, 'inbox.sqlite')).size).toBeGreaterThan(before);
    // What a reader of the database file alone sees includes the rows.
    expect(readDb(dir, (db) => Number((db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n))).toBe(400);
  });
});
