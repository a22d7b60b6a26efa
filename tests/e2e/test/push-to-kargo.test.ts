// Story step 4 across processes: the rendered relay routes drive the BUILT relay, which refreshes the rendered
// Warehouse through a loopback Kubernetes API — at least once, never twice per delivery, nothing lost in an outage.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseRelayMetrics } from '@kargo/cli';
import { parseRelayRoutes, type KubernetesTarget } from '@kargo/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, ghcrPublished, multiArchPush, send, signature, type Delivery } from './support/github.ts';
import { KubernetesApiPeer, REFRESH_ANNOTATION } from './support/kubernetes-api.ts';
import { CLI_BIN, EXAMPLE_CONFIG, RELAY_MAIN, requireBuilt } from './support/paths.ts';
import { runCli, startRelay, tempDir, type RelayProcess } from './support/processes.ts';
import { sleep, waitFor } from './support/wait.ts';

const SECRET = 'e2e hook secret: 7f2c91';
const ADMIN_TOKEN = 'e2e-admin-token';
/** Short, so a burst is still coalesced but the suite stays fast. */
const COALESCE_MS = 400;
/** Long enough for a forward the relay wrongly made to show up at the peer. */
const SETTLE_MS = COALESCE_MS + 700;

let dir: string;
let cleanup: () => void = () => undefined;
let peer: KubernetesApiPeer;
let relay: RelayProcess | undefined;
let target: KubernetesTarget['kubernetes'];
let renderedWarehouse: Record<string, unknown>;
let relayEnv: Record<string, string>;

interface StoredDelivery {
  id: string;
  status: string;
  jobs: { target: string; tag: string; status: string; attempts: number; lastError: string | null }[];
}

async function adminDeliveries(): Promise<StoredDelivery[]> {
  const res = await fetch(`${relay!.url}/deliveries?limit=1000`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: StoredDelivery[] }).deliveries;
}

async function stored(id: string): Promise<StoredDelivery | undefined> {
  return (await adminDeliveries()).find((d) => d.id === id);
}

function push(tag: string, id?: string): Delivery {
  return delivery('package', ghcrPublished({ tag }), SECRET, id);
}

/** The same delivery as GitHub sends it for a hook created through its API: `payload=<url-encoded JSON>`. */
function formEncoded(d: Delivery): Delivery {
  const body = `payload=${encodeURIComponent(d.body)}`;
  return {
    id: d.id,
    body,
    headers: { ...d.headers, 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': signature(SECRET, body) },
  };
}

/** `relay_forwards_total{target="kubernetes",outcome=…}` from the relay's Prometheus endpoint. */
async function forwardsTotal(outcome: string): Promise<number> {
  const text = await (await fetch(`${relay!.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('relay_forwards_total{') && l.includes('target="kubernetes"') && l.includes(`outcome="${outcome}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Waits until the peer has `n` patches, then a settle period, and checks no further one came. */
async function expectPatchesSettleAt(n: number): Promise<void> {
  await waitFor(`${n} PATCH(es) at the Kubernetes API peer`, () => peer.patches.length >= n);
  await sleep(SETTLE_MS);
  expect(peer.patches).toHaveLength(n);
}

beforeAll(async () => {
  requireBuilt(CLI_BIN, RELAY_MAIN);
  ({ dir, cleanup } = tempDir('relay'));
  copyFileSync(EXAMPLE_CONFIG, join(dir, 'kargo-env.yaml'));
  const render = await runCli(['render'], dir);
  expect(render.code, render.stderr).toBe(0);

  // What the relay will be told: the rendered routes file, read with the same parser the relay uses.
  const routesFile = join(dir, 'kargo/relay/routes.yaml');
  const routes = parseRelayRoutes(readFileSync(routesFile, 'utf8'), { filename: routesFile });
  if (!routes.ok) throw new Error(routes.errors.map((e) => e.message).join('\n'));
  const [route] = routes.value.routes;
  expect(routes.value.routes).toHaveLength(1);
  expect(route!.image).toBe('ghcr.io/alkon/flask-app');
  const kube = route!.targets.flatMap((t) => ('kubernetes' in t ? [t.kubernetes] : []));
  expect(kube).toEqual([{ namespace: 'flask-app', warehouse: 'flask-app' }]);
  target = kube[0]!;

  // The cluster holds exactly the Warehouse the render produced.
  renderedWarehouse = parseYaml(readFileSync(join(dir, 'kargo/warehouse.yaml'), 'utf8')) as Record<string, unknown>;
  expect(renderedWarehouse).toMatchObject({ kind: 'Warehouse', metadata: { name: target.warehouse, namespace: target.namespace } });
  peer = new KubernetesApiPeer([renderedWarehouse]);
  await peer.listen();

  relayEnv = {
    GITHUB_WEBHOOK_SECRETS: `old-secret-being-rotated-out,${SECRET}`,
    RELAY_ROUTES_FILE: routesFile,
    RELAY_DATA_DIR: join(dir, 'relay-data'),
    RELAY_ADMIN_TOKEN: ADMIN_TOKEN,
    KUBECONFIG: peer.writeKubeconfig(dir),
    RELAY_COALESCE_WINDOW_MS: String(COALESCE_MS),
    RELAY_RETRY_BASE_MS: '50',
    RELAY_RETRY_MAX_MS: '400',
    RELAY_FORWARD_TIMEOUT_MS: '2000',
  };
  relay = await startRelay(relayEnv);
});

afterAll(async () => {
  try {
    await relay?.stop('SIGKILL');
    await peer?.close();
  } finally {
    cleanup();
  }
});

describe('GitHub push → relay → Kubernetes API (built relay, rendered routes)', () => {
  it('refuses a delivery signed with another secret', async () => {
    const forged = delivery('package', ghcrPublished({ tag: '1.8.3' }), 'not-the-hook-secret');
    expect((await send(relay!.url, forged)).status).toBe(401);
    expect(await stored(forged.id)).toBeUndefined();
  });

  it('1.8.4: 202 at once, then exactly one merge-patch of the rendered Warehouse', async () => {
    const sentAt = Date.now();
    const d = push('1.8.4');
    const answer = await send(relay!.url, d);
    expect(answer).toEqual({ status: 202, body: { delivery: d.id, matched: ['kubernetes:flask-app/flask-app'] } });

    await expectPatchesSettleAt(1);
    const [patch] = peer.patches;
    expect(patch).toMatchObject({ namespace: target.namespace, name: target.warehouse });
    const refreshedAt = Date.parse(patch!.refresh);
    expect(refreshedAt).toBeGreaterThanOrEqual(sentAt - 1_000);
    expect(refreshedAt).toBeLessThanOrEqual(Date.now() + 1_000);
    // Every request the relay made was that PATCH, with the merge-patch content type.
    expect(peer.requests).toEqual([
      { method: 'PATCH', path: '/apis/kargo.akuity.io/v1alpha1/namespaces/flask-app/warehouses/flask-app', contentType: expect.stringMatching(/^application\/merge-patch\+json/), status: 200 },
    ]);
    // The stored Warehouse carries the annotation; nothing else of the rendered object changed.
    const now = peer.warehouse(target.namespace, target.warehouse)!;
    expect((now.metadata as { annotations: Record<string, string> }).annotations[REFRESH_ANNOTATION]).toBe(patch!.refresh);
    expect(now.spec).toEqual(renderedWarehouse.spec);
    expect(await stored(d.id)).toMatchObject({ status: 'done', jobs: [{ target: 'kubernetes:flask-app/flask-app', tag: '1.8.4', status: 'done', attempts: 1 }] });
  });

  it('a multi-arch burst for 1.8.5 (index + 2 untagged platform manifests) is one refresh, not three', async () => {
    const burst = multiArchPush('1.8.5').map((payload) => delivery('package', payload, SECRET));
    const answers = await Promise.all(burst.map((d) => send(relay!.url, d)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers[0]!.body).toMatchObject({ matched: [], reason: expect.stringContaining('untagged') });
    expect(answers[1]!.body).toMatchObject({ matched: [], reason: expect.stringContaining('untagged') });
    expect(answers[2]!.body).toEqual({ delivery: burst[2]!.id, matched: ['kubernetes:flask-app/flask-app'] });
    await expectPatchesSettleAt(2);
  });

  it('1.9.0-rc.1 and latest are accepted from GitHub but never forwarded (the rendered tag rules)', async () => {
    const rc = push('1.9.0-rc.1');
    const latest = push('latest');
    for (const d of [rc, latest]) {
      const answer = await send(relay!.url, d);
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ delivery: d.id, matched: [], reason: expect.stringMatching(/^tag rejected by the route's tag rules/) });
    }
    // Bound the negative with a positive sent after them: once 1.8.6's refresh arrives, earlier jobs would have too.
    const stable = push('1.8.6');
    expect((await send(relay!.url, stable)).status).toBe(202);
    await expectPatchesSettleAt(3);
    expect((await stored(rc.id))?.jobs).toEqual([]);
    expect((await stored(latest.id))?.jobs).toEqual([]);
    expect((await stored(stable.id))?.jobs).toMatchObject([{ tag: '1.8.6', status: 'done' }]);
  });

  it('the same X-GitHub-Delivery twice is forwarded once: the second answer is 200 {duplicate:true}', async () => {
    const d = push('1.8.7');
    expect((await send(relay!.url, d)).status).toBe(202);
    await waitFor('the first copy to be forwarded', () => peer.patches.length >= 4);
    // GitHub's "Redeliver" sends the same id and the same bytes.
    const again = await send(relay!.url, d);
    expect(again).toEqual({ status: 200, body: { duplicate: true, delivery: d.id } });
    await expectPatchesSettleAt(4);
  });

  it('a second copy racing the first (same id, concurrently) is stored once and forwarded once', async () => {
    const d = push('1.8.8');
    const answers = await Promise.all([send(relay!.url, d), send(relay!.url, d)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
    expect(answers.find((a) => a.status === 200)!.body).toEqual({ duplicate: true, delivery: d.id });
    await expectPatchesSettleAt(5);
    expect((await stored(d.id))?.jobs).toHaveLength(1);
  });

  it('a form-encoded delivery (GitHub\'s default for API-created hooks) refreshes the Warehouse too', async () => {
    const d = formEncoded(push('1.8.9'));
    expect(await send(relay!.url, d)).toEqual({ status: 202, body: { delivery: d.id, matched: ['kubernetes:flask-app/flask-app'] } });
    await expectPatchesSettleAt(6);
  });

  it('two tags pushed within the coalesce window become one refresh (one Warehouse discovery sees both)', async () => {
    const [a, b] = [push('1.8.10'), push('1.8.11')];
    const answers = await Promise.all([send(relay!.url, a), send(relay!.url, b)]);
    expect(answers.map((x) => x.status)).toEqual([202, 202]);
    await expectPatchesSettleAt(7);
    const jobs = [...(await stored(a.id))!.jobs, ...(await stored(b.id))!.jobs];
    expect(jobs.map((j) => j.status).sort()).toEqual(['coalesced', 'done']);
    expect(await forwardsTotal('done')).toBe(7);
    expect(await forwardsTotal('coalesced')).toBe(1);
  });

  it('a push while the Kubernetes API is down is acknowledged, retried, and arrives after recovery', async () => {
    await peer.close();
    const d = push('1.8.8');
    const answer = await send(relay!.url, d);
    expect(answer).toEqual({ status: 202, body: { delivery: d.id, matched: ['kubernetes:flask-app/flask-app'] } });

    const retrying = await waitFor('the relay to retry the forward at least twice', async () => {
      const s = await stored(d.id);
      return s?.jobs[0] !== undefined && s.jobs[0].attempts >= 2 ? s : undefined;
    });
    expect(retrying.jobs[0]).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/unreachable|ECONNREFUSED/i) });
    expect(peer.patches).toHaveLength(7);

    await peer.listen(); // same port: the kubeconfig still points at it
    await expectPatchesSettleAt(8);
    expect(peer.patches[7]).toMatchObject({ namespace: 'flask-app', name: 'flask-app' });
    await waitFor('the delivery to be marked done', async () => (await stored(d.id))?.status === 'done');
  });

  it('a relay crash (SIGKILL) during an outage loses nothing: the restarted relay forwards it once', async () => {
    await peer.close();
    const d = push('1.9.1');
    expect((await send(relay!.url, d)).status).toBe(202);
    await waitFor('a failed attempt before the crash', async () => ((await stored(d.id))?.jobs[0]?.attempts ?? 0) >= 1);
    expect(await relay!.stop('SIGKILL')).toBeNull();

    relay = await startRelay(relayEnv); // same inbox directory, new port
    await peer.listen();
    await expectPatchesSettleAt(9);
    await waitFor('the delivery to be marked done', async () => (await stored(d.id))?.status === 'done');
    // Dedupe outlives the restart: GitHub's manual redelivery of the same id is a duplicate.
    expect(await send(relay.url, d)).toEqual({ status: 200, body: { duplicate: true, delivery: d.id } });
    await sleep(SETTLE_MS);
    expect(peer.patches).toHaveLength(9);
  });

  it('a Warehouse that does not exist (kargo/ not synced yet) is a 404: failed for good, not retried', async () => {
    const saved = peer.delete(target.namespace, target.warehouse);
    try {
      const before = peer.requests.length;
      const d = push('1.9.2');
      expect((await send(relay!.url, d)).status).toBe(202);
      const failed = await waitFor('the delivery to fail', async () => {
        const s = await stored(d.id);
        return s?.status === 'failed' ? s : undefined;
      });
      expect(failed.jobs).toMatchObject([{ status: 'failed', attempts: 1, lastError: expect.stringContaining('not found') }]);
      await sleep(SETTLE_MS);
      expect(peer.requests.slice(before)).toMatchObject([{ method: 'PATCH', status: 404 }]);
      expect(peer.patches).toHaveLength(9);
    } finally {
      peer.create(saved);
    }
  });

  it('kargo-env doctor reads the newest push from the built relay\'s /metrics: the last stored tag, not a rejected one', async () => {
    const before = Date.now();
    const d = push('1.8.12');
    expect((await send(relay!.url, d)).status).toBe(202);
    // A tag the route's rules reject (as 1.9.0-rc.1 above) is stored without jobs and changes nothing.
    expect((await send(relay!.url, push('2.0.0-rc.1'))).status).toBe(202);
    const text = await (await fetch(`${relay!.url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const metrics = parseRelayMetrics(text);
    const last = metrics.lastPush.get('ghcr.io/alkon/flask-app');
    expect(last?.tag).toBe('1.8.12');
    expect(last!.at).toBeGreaterThanOrEqual(before - 1);
    expect(last!.at).toBeLessThanOrEqual(Date.now());
    expect([...metrics.lastPush.keys()]).toEqual(['ghcr.io/alkon/flask-app']);
    expect(text.split('\n').filter((l) => l.startsWith('relay_route_last_push_info{'))).toHaveLength(1);
  });

  it('SIGTERM drains and exits 0', async () => {
    const code = await relay!.stop('SIGTERM');
    expect(code, relay!.output()).toBe(0);
  });
});
