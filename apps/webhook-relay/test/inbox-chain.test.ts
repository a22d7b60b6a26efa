// Status and pruning through a coalescing chain, at the inbox API (issue 13, defect 1): F → W1 → W2, where a tagged
// winner that was retried (W1) is coalesced into a newer tagged one (W2). F must read as W2 does, and W2 must stay
// while F is retained, even though W2's only direct follower (W1) is past retention.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Inbox, type NewDelivery, type NewJob } from '../src/inbox/inbox.ts';
import { tempDir } from './helper.ts';
import { ghcrPackageJson, GHCR_IMAGE } from './github-payloads.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openInbox(): Promise<Inbox> {
  const dir = tempDir('relay-chain-inbox-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const inbox = new Inbox({ dataDir: dir, maxPending: 1_000, coalesceWindowMs: 0 });
  cleanups.push(() => inbox.close());
  await inbox.ready();
  return inbox;
}

const job = (tag: string): NewJob => ({ targetKey: 'log:0', target: JSON.stringify({ log: {} }), image: GHCR_IMAGE, tag });
const incoming = (id: string, tag: string, receivedAt: number): NewDelivery => ({
  id,
  hookId: '1',
  event: 'package',
  action: 'published',
  receivedAt,
  payload: new TextEncoder().encode(ghcrPackageJson({ tag })),
  jobs: [job(tag)],
});
const statuses = (inbox: Inbox) => Object.fromEntries(inbox.list(undefined, 100).map((d) => [d.id, d.status]));

describe('a coalescing chain of two steps', () => {
  it('reports the carrying job\'s status for every link, lists them by it, and prunes the carrier only with the last link', async () => {
    const inbox = await openInbox();
    const t0 = Date.now() - 60_000;
    expect(await inbox.accept(incoming('w1', '1.0.0', t0))).toBe(true);
    expect(await inbox.accept(incoming('f', '', t0 + 30_000))).toBe(true);
    // W1 (tagged) wins over the newer untagged F, and is retried.
    const first = await inbox.claimGroup('log:0', GHCR_IMAGE, Date.now(), new Set());
    expect(first).toMatchObject({ winner: { deliveryId: 'w1' }, coalesced: 1 });
    await inbox.complete(first!.winner, { kind: 'retry', error: 'answered 500', nextAttemptAt: 0 }, Date.now());
    // W2 (tagged, newer than W1) arrives: W1 is folded into it.
    expect(await inbox.accept(incoming('w2', '1.0.1', t0 + 5_000))).toBe(true);
    const second = await inbox.claimGroup('log:0', GHCR_IMAGE, Date.now(), new Set());
    expect(second).toMatchObject({ winner: { deliveryId: 'w2' }, coalesced: 1 });
    expect(statuses(inbox)).toEqual({ f: 'pending', w2: 'pending', w1: 'pending' });
    expect(inbox.list('pending', 10).map((d) => d.id).sort()).toEqual(['f', 'w1', 'w2']);
    expect(inbox.list('done', 10)).toEqual([]);

    await inbox.complete(second!.winner, { kind: 'failed', error: 'gave up' }, Date.now());
    expect(statuses(inbox)).toEqual({ f: 'failed', w2: 'failed', w1: 'failed' });
    expect(inbox.list('failed', 10).map((d) => d.id).sort()).toEqual(['f', 'w1', 'w2']);
    expect(inbox.list('done', 10)).toEqual([]);
    expect(inbox.get('f')?.status).toBe('failed');

    // W1 and W2 are past retention, F is not: the whole chain F reads through stays.
    expect(await inbox.prune(t0 + 10_000)).toEqual({ deliveries: 0, segments: 0 });
    expect(statuses(inbox)).toEqual({ f: 'failed', w2: 'failed', w1: 'failed' });
    expect((await inbox.prune(t0 + 40_000)).deliveries).toBe(3);
  });
});
