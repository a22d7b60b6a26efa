// Two built relays (node dist/main.js) as the replicas of one StatefulSet: one Lease API, one GitHub, one Kargo. Only
// the Lease holder sweeps; when it is killed the other takes over once the lease expired, and when it is stopped
// (SIGTERM) it leaves the Service first, keeps accepting during its shutdown delay and hands the Lease over at once.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitHubApiPeer } from './peers/github-api.ts';
import { KargoReceiverPeer } from './peers/kargo-receiver.ts';
import { LeaseApiPeer } from './peers/lease-api.ts';
import { delivery, tempDir, waitFor, type SignedDelivery } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';
import { RECEIVER_SECRET, requireBuiltRelay, startRelayProcess, type RelayProcess } from './relay-process.ts';

const NS = 'kargo-ns';
const LEASE = 'kargo-webhook-relay-sweeper';
const HOOK = 'repos/acme/app/hooks/42';
// One image per delivery, so none is coalesced into another: each must reach Kargo itself.
const IMAGES = Array.from({ length: 6 }, (_, i) => `ghcr.io/acme/app-${i}`);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(requireBuiltRelay);

interface Cluster {
  readonly lease: LeaseApiPeer;
  readonly leaseUrl: string;
  readonly github: GitHubApiPeer;
  readonly kargo: KargoReceiverPeer;
  /** GitHub API URL per replica (the same peer on one port each, so each replica's calls can be told apart). */
  readonly githubUrls: string[];
  /** Hook-delivery list calls (one per sweep) by replica index. */
  readonly sweeps: number[];
  /** The relays GitHub delivers to, round robin like their Service. */
  readonly service: string[];
  readonly dir: string;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function cluster(replicas: number): Promise<Cluster> {
  const dir = tempDir('relay-ha-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const lease = new LeaseApiPeer(NS, LEASE);
  const leaseUrl = await lease.listen();
  cleanups.push(() => lease.close());
  const kargo = new KargoReceiverPeer({ secret: RECEIVER_SECRET, warehouses: IMAGES.map((repoURL, i) => ({ namespace: 'acme', name: `app-${i}`, repoURL })) });
  await kargo.listen();
  cleanups.push(() => kargo.close());
  const service: string[] = [];
  let next = 0;
  const github = new GitHubApiPeer(HOOK, () => service[next++ % service.length] ?? 'http://127.0.0.1:9/none');
  const sweeps = Array.from({ length: replicas }, () => 0);
  const githubUrls: string[] = [];
  const handlers = github.server.listeners('request') as ((req: IncomingMessage, res: unknown) => void)[];
  for (let i = 0; i < replicas; i++) {
    const server = i === 0 ? github.server : createServer();
    if (i > 0) for (const h of handlers) server.on('request', h);
    server.on('request', (req: IncomingMessage) => {
      if (req.method === 'GET' && (req.url ?? '').startsWith(`/${HOOK}/deliveries?`)) sweeps[i]! += 1;
    });
    githubUrls.push(await listen(server));
    if (i > 0) cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  }
  cleanups.push(() => github.close());
  return { lease, leaseUrl, github, kargo, githubUrls, sweeps, service, dir };
}

async function replica(c: Cluster, index: number, env: Record<string, string> = {}): Promise<RelayProcess> {
  const identity = `kargo-webhook-relay-${index}`;
  const dir = tempDir(`relay-ha-${index}-`);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const relay = await startRelayProcess(
    dir,
    c.kargo,
    IMAGES,
    {
      KUBECONFIG: c.lease.writeKubeconfig(c.dir, c.leaseUrl, identity),
      GITHUB_TOKEN: c.github.token,
      GITHUB_HOOK_REPO: 'acme/app',
      GITHUB_HOOK_ID: '42',
      GITHUB_API_URL: c.githubUrls[index]!,
      RELAY_SWEEP_INTERVAL_MS: '1000',
      RELAY_SWEEPER_LEASE_NAME: LEASE,
      RELAY_SWEEPER_LEASE_NAMESPACE: NS,
      RELAY_SWEEPER_LEASE_IDENTITY: identity,
      // Short, in client-go's proportions, with room for a loaded machine.
      RELAY_SWEEPER_LEASE_DURATION_SECONDS: '3',
      RELAY_SWEEPER_LEASE_RENEW_DEADLINE_MS: '2000',
      RELAY_SWEEPER_LEASE_RETRY_PERIOD_MS: '250',
      ...env,
    },
    (kill) => cleanups.push(kill),
  );
  c.service[index] = `${relay.url}/webhooks/github`;
  return relay;
}

async function leaderGauge(relay: RelayProcess): Promise<number> {
  const res = await request(`${relay.url}/metrics`);
  const text = await res.body.text();
  return Number(/^relay_sweeper_leader (\d+)$/m.exec(text)?.[1] ?? 'NaN');
}

/** Deliveries GitHub failed to make (every replica was down): the sweeper's work. */
function missed(c: Cluster, images: readonly string[]): SignedDelivery[] {
  return images.map((image) => {
    const d = delivery('package', ghcrPackage({ image, tag: '1.0.0' }));
    c.github.recordFailed(d.headers['x-github-delivery']!, 'package', d.headers, d.body);
    return d;
  });
}

const forwarded = (c: Cluster, ds: readonly SignedDelivery[]) => ds.every((d) => (c.kargo.countsByDelivery().get(d.headers['x-github-delivery']!) ?? 0) >= 1);

describe('two relay replicas sharing the sweeper Lease', () => {
  it('only the holder sweeps; after it is killed the other takes over once the lease expired and recovers what was missed', async () => {
    const c = await cluster(2);
    const relays = [await replica(c, 0), await replica(c, 1)];
    const lost = missed(c, IMAGES.slice(0, 3));
    await waitFor(() => c.lease.spec()?.holderIdentity?.startsWith('kargo-webhook-relay-'), 10_000, 'a Lease holder');
    const leader = c.lease.spec()!.holderIdentity === 'kargo-webhook-relay-0' ? 0 : 1;
    const follower = 1 - leader;
    await waitFor(() => forwarded(c, lost), 15_000, 'the missed deliveries redelivered and forwarded');
    // Several sweep intervals more: still one sweeper.
    await waitFor(() => c.sweeps[leader]! >= 3, 10_000, 'three sweeps');
    expect(c.sweeps[follower]).toBe(0);
    expect(c.github.redeliveryRequests).toHaveLength(3);
    expect(await leaderGauge(relays[leader]!)).toBe(1);
    expect(await leaderGauge(relays[follower]!)).toBe(0);
    expect(c.lease.spec()).toMatchObject({ holderIdentity: `kargo-webhook-relay-${leader}`, leaseTransitions: 0 });

    // The leader's node dies: no release, the follower must wait for the lease to expire.
    relays[leader]!.child.kill('SIGKILL');
    await once(relays[leader]!.child, 'exit');
    c.service.splice(leader, 1, c.service[follower]!);
    await waitFor(() => c.lease.spec()?.holderIdentity === `kargo-webhook-relay-${follower}`, 10_000, 'the follower takes the Lease');
    const lastRenewal = c.lease.writes.filter((w) => w.user === `kargo-webhook-relay-${leader}`).at(-1)!;
    const takeover = c.lease.writes.find((w) => w.user === `kargo-webhook-relay-${follower}`)!;
    expect(takeover.at - lastRenewal.at).toBeGreaterThanOrEqual(3_000);
    expect(takeover.spec).toMatchObject({ leaseDurationSeconds: 3, leaseTransitions: 1 });
    await waitFor(async () => (await leaderGauge(relays[follower]!)) === 1, 5_000, 'the follower reports itself the sweeper');

    // Missed while the leader was gone: the new holder sweeps them in.
    const later = missed(c, IMAGES.slice(3, 5));
    await waitFor(() => forwarded(c, later), 15_000, 'the new sweeper recovers them');
    expect(c.sweeps[follower]).toBeGreaterThan(0);
    expect(c.github.redeliveryRequests).toHaveLength(5);
    for (const d of [...lost, ...later]) expect(c.kargo.countsByDelivery().get(d.headers['x-github-delivery']!), d.headers['x-github-delivery']).toBe(1);
  }, 60_000);

  it('SIGTERM: readiness 503 at once, deliveries still accepted during the shutdown delay, the Lease released and taken over at once', async () => {
    const c = await cluster(2);
    // A 30 s lease: a takeover within seconds can only come from the release.
    const slow = { RELAY_SWEEPER_LEASE_DURATION_SECONDS: '30', RELAY_SHUTDOWN_DELAY_MS: '1500' };
    const first = await replica(c, 0, slow);
    await waitFor(() => c.lease.spec()?.holderIdentity === 'kargo-webhook-relay-0', 10_000, 'replica 0 holds the Lease');
    const second = await replica(c, 1, slow);
    await waitFor(() => c.lease.requests.some((r) => r.user === 'kargo-webhook-relay-1' && r.method === 'GET' && r.status === 200), 10_000, 'replica 1 reads the Lease');
    expect((await request(`${first.url}/readyz`)).statusCode).toBe(200);

    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    await waitFor(async () => (await request(`${first.url}/readyz`)).statusCode === 503, 1_000, 'readiness turns 503');
    // Endpoints are still catching up: a delivery that arrives now is stored and forwarded, not refused.
    const late = delivery('package', ghcrPackage({ image: IMAGES[5]!, tag: '2.0.0' }));
    const res = await request(`${first.url}/webhooks/github`, { method: 'POST', headers: late.headers, body: late.body });
    expect(res.statusCode).toBe(202);
    await res.body.dump();
    const [code] = (await once(first.child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1_500);
    expect(c.kargo.countsByDelivery().get(late.headers['x-github-delivery']!)).toBe(1);
    const release = c.lease.writes.find((w) => w.user === 'kargo-webhook-relay-0' && w.spec.holderIdentity === '');
    expect(release?.spec).toMatchObject({ leaseDurationSeconds: 1 });
    await waitFor(() => c.lease.spec()?.holderIdentity === 'kargo-webhook-relay-1', 10_000, 'replica 1 takes over');
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    expect(c.lease.spec()).toMatchObject({ leaseDurationSeconds: 30, leaseTransitions: 1 });
    expect(first.logs.join('')).toContain('released the sweeper lease');
    expect(await leaderGauge(second)).toBe(1);
  }, 60_000);

  it('exits 1 at boot when the Lease is configured with a kubeconfig client-node would refuse', async () => {
    const c = await cluster(1);
    const dir = tempDir('relay-ha-bad-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const error = await startRelayProcess(dir, c.kargo, IMAGES, { GITHUB_TOKEN: c.github.token, GITHUB_HOOK_REPO: 'acme/app', GITHUB_HOOK_ID: '42', RELAY_SWEEPER_LEASE_NAME: LEASE, RELAY_SWEEPER_LEASE_NAMESPACE: NS, KUBECONFIG: `${dir}/missing-kubeconfig.yaml` }, (kill) =>
      cleanups.push(kill),
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/relay exited with 1:[\s\S]*webhook-relay: sweeper lease kargo-ns\/kargo-webhook-relay-sweeper: cannot use KUBECONFIG .*missing-kubeconfig\.yaml/);
  });
});
