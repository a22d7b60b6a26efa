// The sweeper's leader election (client-go's rules, tools/leaderelection) against a loopback Lease API that answers like
// the API server: one leader among candidates, takeover only after the lease expired, release on stop.
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import pino from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { LeaseConfig } from '../src/config.ts';
import { KubernetesLeaseLock, LeaseElector, microTime } from '../src/lease.ts';
import { LeaseApiPeer } from './peers/lease-api.ts';
import { tempDir, waitFor } from './helper.ts';

const NS = 'kargo-ns';
const LEASE = 'kargo-webhook-relay-sweeper';
const BASE = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What each candidate's callbacks saw, on the test's clock (performance.now(), like the peer's). */
interface Candidate {
  readonly identity: string;
  readonly elector: LeaseElector;
  readonly events: { kind: 'started' | 'stopped'; at: number }[];
  leading(): boolean;
}

async function peerWith(): Promise<{ peer: LeaseApiPeer; url: string; dir: string }> {
  const peer = new LeaseApiPeer(NS, LEASE);
  const url = await peer.listen();
  const dir = tempDir('relay-lease-');
  cleanups.push(async () => {
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { peer, url, dir };
}

// Short but in client-go's proportions: duration > renew deadline > 1.2 × retry period.
// Generous enough that a loaded CI machine does not make a healthy leader miss its renew deadline.
const TIMING = { leaseDurationSeconds: 3, renewDeadlineMs: 2_000, retryPeriodMs: 200 };

/** A candidate with its credentials loaded first, as the relay does at boot (so no attempt pays for loading them). */
async function candidate(peer: LeaseApiPeer, url: string, dir: string, identity: string, timing: Partial<LeaseConfig> = {}): Promise<Candidate> {
  const config: LeaseConfig = { name: LEASE, namespace: NS, identity, ...TIMING, ...timing };
  const lock = new KubernetesLeaseLock({ kubeconfig: peer.writeKubeconfig(dir, url, identity), name: LEASE, namespace: NS });
  await lock.check();
  const events: Candidate['events'] = [];
  const elector = new LeaseElector(lock, config, pino({ level: 'silent' }), {
    onStartedLeading: () => events.push({ kind: 'started', at: performance.now() }),
    onStoppedLeading: () => {
      events.push({ kind: 'stopped', at: performance.now() });
    },
  });
  cleanups.push(() => elector.stop());
  return { identity, elector, events, leading: () => elector.leading };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the Lease API peer answers like the API server (so passing means something)', () => {
  it('404 then create, 409 AlreadyExists, 409 Conflict on a stale resourceVersion, 422 without one, 400 for a millisecond time, 403 elsewhere', async () => {
    const { peer, url } = await peerWith();
    peer.addUser('relay', 't');
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await request(`${url}${path}`, { method: method as 'GET', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.statusCode, body: (await res.body.json()) as { metadata?: { resourceVersion: string }; reason?: string } };
    };
    const lease = (spec: Record<string, unknown>, rv?: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LEASE, ...(rv === undefined ? {} : { resourceVersion: rv }) }, spec });
    const micro = microTime(new Date());
    expect(micro).toMatch(/\.\d{6}Z$/);
    expect((await call('GET', `${BASE}/${LEASE}`)).status).toBe(404);
    expect((await call('POST', BASE, lease({ holderIdentity: 'a', renewTime: new Date().toISOString() }))).status).toBe(400);
    expect((await call('POST', BASE, lease({ holderIdentity: 'a', leaseDurationSeconds: 0 }))).status).toBe(422);
    const created = await call('POST', BASE, lease({ holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: micro, acquireTime: micro, leaseTransitions: 0 }));
    expect(created.status).toBe(201);
    expect((await call('POST', BASE, lease({ holderIdentity: 'b' }))).body.reason).toBe('AlreadyExists');
    const rv = created.body.metadata?.resourceVersion ?? '';
    expect((await call('PUT', `${BASE}/${LEASE}`, lease({ holderIdentity: 'b' })))).toMatchObject({ status: 422 });
    expect((await call('PUT', `${BASE}/${LEASE}`, lease({ holderIdentity: 'b', renewTime: micro }, rv)))).toMatchObject({ status: 200 });
    expect((await call('PUT', `${BASE}/${LEASE}`, lease({ holderIdentity: 'c', renewTime: micro }, rv)))).toMatchObject({ status: 409, body: { reason: 'Conflict' } });
    expect(peer.spec()?.holderIdentity).toBe('b');
    expect((await call('GET', `${BASE}/other`)).status).toBe(403);
    expect((await call('POST', BASE, { ...lease({}), metadata: { name: 'other' } })).status).toBe(403);
  });
});

describe('sweeper leader election', () => {
  it('two candidates started together: one creates the Lease and renews it, the other never leads', async () => {
    const { peer, url, dir } = await peerWith();
    const a = await candidate(peer, url, dir, 'relay-0');
    const b = await candidate(peer, url, dir, 'relay-1');
    a.elector.start();
    b.elector.start();
    await waitFor(() => a.leading() || b.leading(), 5_000, 'a leader');
    // Longer than a lease duration: the follower keeps seeing renewals, so it never takes over.
    await sleep(4_000);
    const [leader, follower] = a.leading() ? [a, b] : [b, a];
    expect(leader.leading()).toBe(true);
    expect(follower.events).toEqual([]);
    expect(leader.events.map((e) => e.kind)).toEqual(['started']);
    expect(peer.writes.filter((w) => w.verb === 'create')).toHaveLength(1);
    expect(new Set(peer.writes.map((w) => w.user))).toEqual(new Set([leader.identity]));
    expect(peer.writes.length).toBeGreaterThan(5);
    const spec = peer.spec();
    expect(spec).toMatchObject({ holderIdentity: leader.identity, leaseDurationSeconds: 3, leaseTransitions: 0 });
    // Renewals move renewTime and keep acquireTime.
    expect(spec?.acquireTime).toBe(peer.writes[0]?.spec.acquireTime);
    expect(spec?.renewTime).not.toBe(spec?.acquireTime);
  });

  it('a leader cut off from the API server stops before the other takes over, which waits for the lease to expire', async () => {
    const { peer, url, dir } = await peerWith();
    const a = await candidate(peer, url, dir, 'relay-0');
    a.elector.start();
    await waitFor(() => a.leading(), 5_000, 'relay-0 leads');
    const b = await candidate(peer, url, dir, 'relay-1');
    b.elector.start();
    await waitFor(() => peer.requests.some((r) => r.user === 'relay-1' && r.status === 200), 5_000, 'relay-1 reads the Lease');
    peer.unavailableTo.add('relay-0');
    await waitFor(() => b.leading(), 10_000, 'relay-1 takes over');
    const lastRenewal = peer.writes.filter((w) => w.user === 'relay-0').at(-1)!;
    const takeover = peer.writes.find((w) => w.user === 'relay-1')!;
    // client-go's rule: only after leaseDurationSeconds without a change the candidate observed.
    expect(takeover.at - lastRenewal.at).toBeGreaterThanOrEqual(3_000);
    expect(takeover.spec).toMatchObject({ holderIdentity: 'relay-1', leaseTransitions: 1 });
    // The cut-off leader stopped within its renew deadline, before the takeover: never two sweepers.
    expect(a.events.map((e) => e.kind)).toEqual(['started', 'stopped']);
    expect(a.events[1]!.at).toBeLessThan(b.events[0]!.at);
    // Back in touch, it sees a valid Lease held by relay-1 and stays a follower.
    peer.unavailableTo.delete('relay-0');
    await sleep(3_500);
    expect(a.leading()).toBe(false);
    expect(b.leading()).toBe(true);
    expect(peer.spec()?.holderIdentity).toBe('relay-1');
  });

  it('a write between its read and its update (409 Conflict) does not make it leader; a stranger holding the Lease is respected', async () => {
    const { peer, url, dir } = await peerWith();
    const a = await candidate(peer, url, dir, 'relay-0');
    a.elector.start();
    await waitFor(() => a.leading(), 5_000, 'relay-0 leads');
    // Another holder writes the Lease (as a replica of a second installation would): relay-0's next renewal, sent
    // with the resourceVersion of its own last write, gets 409, it reads again and finds the Lease held.
    const current = peer.leases.get(LEASE)!;
    current.spec = { ...current.spec, holderIdentity: 'stranger', renewTime: microTime(new Date()), leaseDurationSeconds: 5 };
    current.metadata.resourceVersion = '99999';
    await waitFor(() => !a.leading(), 5_000, 'relay-0 gives up');
    expect(peer.requests.some((r) => r.user === 'relay-0' && r.method === 'PUT' && r.status === 409)).toBe(true);
    expect(peer.spec()?.holderIdentity).toBe('stranger');
    expect(a.events.map((e) => e.kind)).toEqual(['started', 'stopped']);
  });

  it('stop() stops the work, then releases the Lease, and the other candidate takes over at its next retry', async () => {
    const { peer, url, dir } = await peerWith();
    // A long lease: a takeover before it expires can only come from the release.
    const slow = { leaseDurationSeconds: 30, renewDeadlineMs: 2_000, retryPeriodMs: 200 };
    const a = await candidate(peer, url, dir, 'relay-0', slow);
    a.elector.start();
    await waitFor(() => a.leading(), 5_000, 'relay-0 leads');
    const b = await candidate(peer, url, dir, 'relay-1', slow);
    b.elector.start();
    await waitFor(() => peer.requests.some((r) => r.user === 'relay-1' && r.status === 200), 5_000, 'relay-1 reads the Lease');
    const stoppedAt = performance.now();
    await a.elector.stop();
    const release = peer.writes.find((w) => w.user === 'relay-0' && w.spec.holderIdentity === '');
    expect(release?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(a.events.map((e) => e.kind)).toEqual(['started', 'stopped']);
    expect(a.events[1]!.at).toBeLessThan(release!.at);
    await waitFor(() => b.leading(), 5_000, 'relay-1 takes over');
    expect(performance.now() - stoppedAt).toBeLessThan(30_000);
    expect(peer.spec()).toMatchObject({ holderIdentity: 'relay-1', leaseDurationSeconds: 30, leaseTransitions: 1 });
    // A stopped elector writes nothing more.
    const writes = peer.writes.length;
    await sleep(300);
    expect(peer.writes.slice(writes).every((w) => w.user === 'relay-1')).toBe(true);
  });

  it('a forbidden Lease (RBAC) never makes it leader and says which permission is missing', async () => {
    const { peer, url, dir } = await peerWith();
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const lock = new KubernetesLeaseLock({ kubeconfig: peer.writeKubeconfig(dir, url, 'relay-0'), name: 'not-granted', namespace: NS });
    await lock.check();
    let started = 0;
    const elector = new LeaseElector(lock, { name: 'not-granted', namespace: NS, identity: 'relay-0', ...TIMING }, log, { onStartedLeading: () => started++, onStoppedLeading: () => undefined });
    elector.start();
    cleanups.push(() => elector.stop());
    await waitFor(() => peer.requests.filter((r) => r.status === 403).length >= 3, 5_000, 'three forbidden attempts');
    expect(started).toBe(0);
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; error?: string }).filter((l) => l.msg === 'sweeper lease call failed');
    // One line for the problem, not one per retry.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.error).toMatch(/read lease kargo-ns\/not-granted: answered 403: .*forbidden.*needs get and update on leases\/not-granted and create on leases in kargo-ns/);
  });
});
