// A delivery's reported status follows the whole coalescing chain (issue 13, defect 1), checked against what a real
// loopback Kargo receiver got, with the built relay as a real process: failures, give-up, and SIGKILL + restart.
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KargoReceiverPeer } from './peers/kargo-receiver.ts';
import { delivery, tempDir, waitFor, type SignedDelivery } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';
import { RECEIVER_SECRET, requireBuiltRelay, startRelayProcess, type RelayProcess } from './relay-process.ts';

const ADMIN = 'chain-admin-token';
/** One image per chain length: chain length L = L+1 deliveries, each coalesced into the next. */
const CHAINS = [1, 2, 5] as const;
const IMAGES = CHAINS.map((length) => `ghcr.io/acme/chain-${length}`);

type Relay = RelayProcess;

interface ListedJob {
  readonly id: number;
  readonly status: string;
  readonly coalescedInto: number | null;
}
interface Listed {
  readonly id: string;
  readonly status: string;
  readonly jobs: readonly ListedJob[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(requireBuiltRelay);

function startRelay(dir: string, peer: KargoReceiverPeer, env: Record<string, string> = {}): Promise<Relay> {
  return startRelayProcess(dir, peer, IMAGES, { RELAY_ADMIN_TOKEN: ADMIN, RELAY_RETRY_MAX_MS: '200', ...env }, (kill) => cleanups.push(kill));
}

async function send(relay: Relay, d: SignedDelivery): Promise<number> {
  const res = await request(`${relay.url}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body });
  await res.body.dump();
  return res.statusCode;
}

async function listing(relay: Relay): Promise<Listed[]> {
  const res = await request(`${relay.url}/deliveries?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { deliveries: Listed[] }).deliveries;
}

async function peerWith(): Promise<KargoReceiverPeer> {
  const peer = new KargoReceiverPeer({ secret: RECEIVER_SECRET, warehouses: IMAGES.map((repoURL, i) => ({ namespace: 'acme', name: `chain-${i}`, repoURL })) });
  await peer.listen();
  cleanups.push(() => peer.close());
  return peer;
}

function workDir(): string {
  const dir = tempDir('relay-chain-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Builds, for each image, a chain of the given length: each delivery is sent once the previous one was tried (and
 * failed), so the worker coalesces that retrying winner into the new delivery. Waits until the listing shows it.
 */
async function buildChains(relay: Relay, peer: KargoReceiverPeer): Promise<Map<string, string[]>> {
  const chains = new Map<string, string[]>();
  for (const [c, length] of CHAINS.entries()) {
    const image = IMAGES[c]!;
    const ids: string[] = [];
    for (let i = 0; i <= length; i++) {
      const d = delivery('package', ghcrPackage({ image, tag: `1.${length}.${i}` }));
      const id = d.headers['x-github-delivery']!;
      const tried = peer.started;
      expect(await send(relay, d)).toBe(202);
      ids.push(id);
      if (i > 0) {
        const previous = ids[i - 1]!;
        await waitFor(async () => (await listing(relay)).find((l) => l.id === previous)?.jobs[0]?.status === 'coalesced', 5_000, `${previous} coalesced into ${id}`);
      }
      await waitFor(() => peer.started > tried, 5_000, `an attempt for ${id}`);
    }
    chains.set(image, ids);
  }
  return chains;
}

/** How many coalescing steps lie between a job and the job that carries it. */
function depths(listed: readonly Listed[]): Map<string, number> {
  const jobs = new Map(listed.flatMap((d) => d.jobs.map((j) => [j.id, j] as const)));
  const out = new Map<string, number>();
  for (const d of listed) {
    let depth = 0;
    for (let j = d.jobs[0]; j !== undefined && j.status === 'coalesced' && depth < 1_000; depth++) j = j.coalescedInto === null ? undefined : jobs.get(j.coalescedInto);
    out.set(d.id, depth);
  }
  return out;
}

/**
 * The oracle, independent of the relay's status query: each job is followed through `coalescedInto` to the job that
 * carries it; a delivery is `done` exactly when the receiver got the deliveries carrying all its jobs, else it must
 * be `pending` or `failed` as the carrying jobs are. Returns the mismatches as readable lines.
 */
function mismatches(listed: readonly Listed[], peer: KargoReceiverPeer): string[] {
  const jobs = new Map(listed.flatMap((d) => d.jobs.map((j) => [j.id, { ...j, deliveryId: d.id }] as const)));
  const received = new Set(peer.received.map((r) => r.deliveryId));
  const wrong: string[] = [];
  for (const d of listed) {
    const roots = d.jobs.map((job) => {
      let j: (ListedJob & { deliveryId: string }) | undefined = jobs.get(job.id);
      for (let steps = 0; j !== undefined && j.status === 'coalesced' && steps < 1_000; steps++) j = j.coalescedInto === null ? undefined : jobs.get(j.coalescedInto);
      return j;
    });
    const carried = roots.every((r) => r !== undefined && received.has(r.deliveryId));
    const expected = carried ? 'done' : roots.some((r) => r?.status === 'pending') ? 'pending' : 'failed';
    if (d.status !== expected) wrong.push(`${d.id}: reported ${d.status}, receiver says ${expected} (carried by ${roots.map((r) => r?.deliveryId ?? '?').join(',')})`);
  }
  return wrong;
}

describe('delivery status through coalescing chains (built relay, real receiver)', () => {
  it('chains of 1, 2 and 5 with a failing receiver, then give-up: no delivery reported done, all failed at the end', async () => {
    const peer = await peerWith();
    peer.mode = 'fail500';
    const relay = await startRelay(workDir(), peer, { RELAY_GIVE_UP_MS: '6000' });
    const chains = await buildChains(relay, peer);

    const during = await listing(relay);
    const depth = depths(during);
    for (const [c, length] of CHAINS.entries()) expect(depth.get(chains.get(IMAGES[c]!)![0]!), `chain for ${IMAGES[c]!}`).toBe(length);
    expect(peer.received).toHaveLength(0);
    expect(mismatches(during, peer)).toEqual([]);
    expect(during.filter((d) => d.status === 'done').map((d) => d.id)).toEqual([]);

    // Every chain's carrying job gives up within RELAY_GIVE_UP_MS of its delivery.
    const after = await waitFor<Listed[] | false>(
      async () => {
        const l = await listing(relay);
        return l.every((d) => d.status !== 'pending') && l;
      },
      15_000,
      'give-up of every chain',
    );
    expect(peer.received).toHaveLength(0);
    if (after === false) throw new Error('unreachable');
    expect(mismatches(after, peer)).toEqual([]);
    expect(after.map((d) => d.status)).toEqual(after.map(() => 'failed'));
    expect(after).toHaveLength(CHAINS.reduce((n, l) => n + l + 1, 0));
  }, 60_000);

  it('SIGKILL with chains pending, restart: status stays true while failing and after the receiver recovers', async () => {
    const peer = await peerWith();
    peer.mode = 'fail500';
    const dir = workDir();
    const first = await startRelay(dir, peer);
    const chains = await buildChains(first, peer);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    const second = await startRelay(dir, peer);
    const restarted = await listing(second);
    expect(restarted).toHaveLength(CHAINS.reduce((n, l) => n + l + 1, 0));
    expect(peer.received).toHaveLength(0);
    expect(mismatches(restarted, peer)).toEqual([]);
    expect(restarted.map((d) => d.status)).toEqual(restarted.map(() => 'pending'));

    peer.mode = 'ok';
    const settled = await waitFor<Listed[] | false>(
      async () => {
        const l = await listing(second);
        return l.every((d) => d.status === 'done') && l;
      },
      15_000,
      'every delivery done after the receiver recovers',
    );
    if (settled === false) throw new Error('unreachable');
    expect(mismatches(settled, peer)).toEqual([]);
    // Each chain was carried by one forward of its newest delivery.
    for (const ids of chains.values()) expect(peer.countsByDelivery().get(ids.at(-1)!)).toBe(1);
  }, 60_000);
});
