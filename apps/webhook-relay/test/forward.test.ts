// The worker against real loopback peers: Kargo's GitHub receiver, the Kubernetes API, coalescing, retries, admin.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KargoReceiverPeer } from './peers/kargo-receiver.ts';
import { KubernetesApiPeer } from './peers/kubernetes-api.ts';
import { isConfigurationError, KubernetesForwarder } from '../src/forward/kubernetes.ts';
import { build, delivery, tempDir, waitFor, type Built } from './helper.ts';
import { ghcrPackage, GHCR_IMAGE } from './github-payloads.ts';

const RECEIVER_SECRET = 'kargo-receiver-secret';
const IMAGE = GHCR_IMAGE;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function kargoPeer(): Promise<KargoReceiverPeer> {
  const peer = new KargoReceiverPeer({ secret: RECEIVER_SECRET, warehouses: [{ namespace: 'demo', name: 'hello', repoURL: IMAGE }] });
  await peer.listen();
  cleanups.push(() => peer.close());
  return peer;
}

async function relayTo(peer: KargoReceiverPeer, env: Record<string, string> = {}): Promise<Built> {
  const built = await build({
    routes: { routes: [{ image: IMAGE, targets: [{ kargoWebhook: { url: peer.url, secretEnv: 'KARGO_RECEIVER_SECRET' } }] }] },
    env: { KARGO_RECEIVER_SECRET: RECEIVER_SECRET, RELAY_COALESCE_WINDOW_MS: '0', RELAY_RETRY_BASE_MS: '20', RELAY_RETRY_MAX_MS: '100', ...env },
  });
  cleanups.push(() => built.close());
  return built;
}

function post(built: Built, d: { headers: Record<string, string>; body: string }) {
  return built.app.inject({ method: 'POST', url: '/webhooks/github', headers: d.headers, payload: d.body });
}

describe('kargoWebhook target', () => {
  it('forwards with a signature the receiver accepts and the receiver refreshes the Warehouse', async () => {
    const peer = await kargoPeer();
    const relay = await relayTo(peer);
    const d = delivery('package', ghcrPackage({ tag: '1.2.3' }));
    expect((await post(relay, d)).statusCode).toBe(202);
    await waitFor(() => peer.received.length === 1, 5_000, 'forward');
    expect(peer.statuses).toEqual([200]);
    expect(peer.received[0]).toMatchObject({ deliveryId: d.headers['x-github-delivery'], event: 'package', tag: '1.2.3', refreshed: ['demo/hello'] });
    await waitFor(() => relay.app.inbox.list('done', 10).length === 1, 2_000, 'done');
  });

  it('converts a form delivery to JSON the receiver can parse', async () => {
    const peer = await kargoPeer();
    const relay = await relayTo(peer);
    expect((await post(relay, delivery('registry_package', ghcrPackage({ event: 'registry_package', tag: '3.0.0' }), { form: true }))).statusCode).toBe(202);
    await waitFor(() => peer.received.length === 1, 5_000, 'forward');
    expect(peer.received[0]).toMatchObject({ event: 'registry_package', tag: '3.0.0', refreshed: ['demo/hello'] });
  });

  it('retries 500/503 with backoff until the receiver recovers', async () => {
    const peer = await kargoPeer();
    peer.mode = 'fail503';
    const relay = await relayTo(peer);
    await post(relay, delivery('package', ghcrPackage()));
    await waitFor(() => peer.statuses.length >= 3, 5_000, 'retries');
    expect(peer.received).toHaveLength(0);
    peer.mode = 'ok';
    await waitFor(() => peer.received.length === 1, 5_000, 'recovery');
    // The peer records a forward before it answers; the relay counts it once the answer is in.
    const metrics = await waitFor(
      async () => {
        const text = (await relay.app.inject({ url: '/metrics' })).body;
        return text.includes('outcome="done"} 1') ? text : '';
      },
      2_000,
      'done counted',
    );
    const retries = Number(/relay_forwards_total\{target="kargoWebhook",outcome="retry"\} (\d+)/.exec(metrics)?.[1]);
    expect(retries).toBeGreaterThanOrEqual(3);
    expect(metrics).toContain('relay_forwards_total{target="kargoWebhook",outcome="done"} 1');
  });

  it('retries a hanging receiver after the forward timeout', async () => {
    const peer = await kargoPeer();
    peer.mode = 'hang';
    const relay = await relayTo(peer, { RELAY_FORWARD_TIMEOUT_MS: '200' });
    await post(relay, delivery('package', ghcrPackage()));
    await new Promise((r) => setTimeout(r, 500));
    peer.mode = 'ok';
    await waitFor(() => peer.received.length === 1, 5_000, 'forward after hang');
    const jobs = relay.app.inbox.list(undefined, 1)[0]!.jobs;
    expect(jobs[0]!.attempts).toBeGreaterThanOrEqual(2);
  });

  it('marks a 4xx as failed for good (wrong secret → 401) and shows it in admin and metrics', async () => {
    const peer = await kargoPeer();
    const relay = await relayTo(peer, { KARGO_RECEIVER_SECRET: 'stale-secret', RELAY_ADMIN_TOKEN: 'admin-token' });
    const d = delivery('package', ghcrPackage());
    await post(relay, d);
    await waitFor(() => relay.app.inbox.list('failed', 10).length === 1, 5_000, 'failed');
    expect(peer.statuses).toEqual([401]);
    const unauth = await relay.app.inject({ url: '/deliveries?status=failed' });
    expect(unauth.statusCode).toBe(401);
    const res = await relay.app.inject({ url: '/deliveries?status=failed', headers: { authorization: 'Bearer admin-token' } });
    expect(res.statusCode).toBe(200);
    const [failed] = res.json().deliveries;
    expect(failed).toMatchObject({ id: d.headers['x-github-delivery'], status: 'failed' });
    expect(failed.jobs[0].lastError).toContain('answered 401');
    expect((await relay.app.inject({ url: '/metrics' })).body).toContain('relay_forwards_total{target="kargoWebhook",outcome="failed"} 1');
  });

  it('gives up after RELAY_GIVE_UP_MS', async () => {
    const peer = await kargoPeer();
    peer.mode = 'fail500';
    const relay = await relayTo(peer, { RELAY_GIVE_UP_MS: '1000' });
    await post(relay, delivery('package', ghcrPackage()));
    await waitFor(() => relay.app.inbox.list('failed', 1).length === 1, 5_000, 'give up');
    expect(relay.app.inbox.list('failed', 1)[0]!.jobs[0]!.lastError).toMatch(/^gave up after \d+ attempts/);
  });

  it('coalesces a multi-arch burst into one forward with the tag', async () => {
    const peer = await kargoPeer();
    const built = await build({
      routes: { routes: [{ image: IMAGE, forwardUntagged: true, targets: [{ kargoWebhook: { url: peer.url, secretEnv: 'KARGO_RECEIVER_SECRET' } }] }] },
      env: { KARGO_RECEIVER_SECRET: RECEIVER_SECRET, RELAY_COALESCE_WINDOW_MS: '300' },
    });
    cleanups.push(() => built.close());
    // Two platform manifests, an attestation, the tagged index, another attestation: five deliveries.
    const burst = ['', '', '', '1.4.0', ''].map((tag) => delivery('package', ghcrPackage({ tag })));
    for (const d of burst) expect((await post(built, d)).statusCode).toBe(202);
    await waitFor(() => built.app.inbox.list('done', 10).length === 5, 5_000, 'all done');
    expect(peer.received).toHaveLength(1);
    expect(peer.received[0]).toMatchObject({ tag: '1.4.0', deliveryId: burst[3]!.headers['x-github-delivery'] });
    const jobs = built.app.inbox.list(undefined, 10).flatMap((d) => d.jobs);
    expect(jobs.filter((j) => j.status === 'coalesced')).toHaveLength(4);
    expect(new Set(jobs.filter((j) => j.status === 'coalesced').map((j) => j.coalescedInto))).toEqual(new Set([jobs.find((j) => j.status === 'done')!.id]));
    // The in-memory count behind 503 shedding and the depth gauge ends where the database does.
    await waitFor(() => built.app.inbox.pendingJobs === 0, 2_000, 'pending count back to 0');
  });

  it('admin replay forwards a delivery again', async () => {
    const peer = await kargoPeer();
    const relay = await relayTo(peer, { RELAY_ADMIN_TOKEN: 'admin-token' });
    const d = delivery('package', ghcrPackage());
    await post(relay, d);
    await waitFor(() => peer.received.length === 1, 5_000, 'first forward');
    const id = d.headers['x-github-delivery']!;
    const res = await relay.app.inject({ method: 'POST', url: `/deliveries/${id}/replay`, headers: { authorization: 'Bearer admin-token' } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ delivery: id, matched: [`kargoWebhook:${new URL(peer.url).host}`] });
    await waitFor(() => peer.received.length === 2, 5_000, 'replayed forward');
    const missing = await relay.app.inject({ method: 'POST', url: '/deliveries/nope/replay', headers: { authorization: 'Bearer admin-token' } });
    expect(missing.statusCode).toBe(404);
  });

  it('a delivery whose payload file was deleted: replay answers 409, GitHub\'s redelivery is taken and forwarded', async () => {
    const peer = await kargoPeer();
    const relay = await relayTo(peer, { RELAY_ADMIN_TOKEN: 'admin-token' });
    const d = delivery('package', ghcrPackage());
    await post(relay, d);
    await waitFor(() => peer.received.length === 1, 5_000, 'first forward');
    const metrics = (await relay.app.inject({ url: '/metrics' })).body;
    expect(Number(/^relay_inbox_disk_bytes\{kind="payloads"\} (\d+)/m.exec(metrics)?.[1])).toBe(Buffer.byteLength(d.body));
    expect(Number(/^relay_inbox_disk_bytes\{kind="database"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    // Someone deletes the segment files under the running relay.
    const payloads = join(relay.config.dataDir, 'payloads');
    for (const name of readdirSync(payloads)) rmSync(join(payloads, name));
    const id = d.headers['x-github-delivery']!;
    const replay = await relay.app.inject({ method: 'POST', url: `/deliveries/${id}/replay`, headers: { authorization: 'Bearer admin-token' } });
    expect(replay.statusCode).toBe(409);
    expect(replay.json()).toMatchObject({ code: 'RELAY_PAYLOAD_UNREADABLE', error: expect.stringContaining(id) as unknown });

    // GitHub's "Redeliver" sends the same id and bytes: accepted as new (not a duplicate), stored readable, forwarded.
    const again = await post(relay, d);
    expect(again.statusCode).toBe(202);
    expect(relay.app.inbox.payloadOf(id)?.payload.toString('utf8')).toBe(d.body);
    await waitFor(() => peer.received.length === 2, 5_000, 'forward after redelivery');
    expect(peer.received[1]!.deliveryId).toBe(id);
  });
});

describe('kargoWebhook target by receiver (URL computed from the secret)', () => {
  const tlsDir = join(import.meta.dirname, 'fixtures/tls');
  const tls = { key: readFileSync(join(tlsDir, 'server.key'), 'utf8'), cert: readFileSync(join(tlsDir, 'server.crt'), 'utf8') };

  async function tlsPeer(): Promise<KargoReceiverPeer> {
    const peer = new KargoReceiverPeer({ secret: RECEIVER_SECRET, project: 'kargo-demo', receiver: 'ghcr', basePath: '/webhooks', tls, warehouses: [{ namespace: 'kargo-demo', name: 'hello', repoURL: IMAGE }] });
    await peer.listen();
    cleanups.push(() => peer.close());
    return peer;
  }

  async function relayToReceiver(kargoWebhook: Record<string, unknown>): Promise<Built> {
    const built = await build({
      routes: { routes: [{ image: IMAGE, targets: [{ kargoWebhook: { secretEnv: 'KARGO_RECEIVER_SECRET', caFile: join(tlsDir, 'ca.crt'), ...kargoWebhook } }] }] } as never,
      env: { KARGO_RECEIVER_SECRET: RECEIVER_SECRET, RELAY_COALESCE_WINDOW_MS: '0', RELAY_RETRY_BASE_MS: '20', RELAY_RETRY_MAX_MS: '100' },
    });
    cleanups.push(() => built.close());
    return built;
  }

  it('reaches the path Kargo computes, over HTTPS with a self-signed certificate trusted through caFile', async () => {
    const peer = await tlsPeer();
    const relay = await relayToReceiver({ baseURL: peer.baseURL, project: 'kargo-demo', receiver: 'ghcr' });
    const d = delivery('package', ghcrPackage({ tag: '1.4.0' }));
    expect((await post(relay, d)).statusCode).toBe(202);
    await waitFor(() => peer.received.length === 1, 5_000, 'forward');
    expect(peer.statuses).toEqual([200]);
    expect(peer.received[0]).toMatchObject({ deliveryId: d.headers['x-github-delivery'], tag: '1.4.0', refreshed: ['kargo-demo/hello'] });
  });

  it('gets 404 (failed for good) when the inputs differ from the receiver, like from Kargo', async () => {
    const peer = await tlsPeer();
    const relay = await relayToReceiver({ baseURL: peer.baseURL, project: 'kargo-demo', receiver: 'ghcr-other' });
    await post(relay, delivery('package', ghcrPackage()));
    await waitFor(() => relay.app.inbox.list('failed', 1).length === 1, 5_000, 'failed');
    expect(peer.statuses).toEqual([404]);
    expect(peer.received).toEqual([]);
    expect(relay.app.inbox.list('failed', 1)[0]!.jobs[0]!.lastError).toContain('answered 404');
  });

  it('refuses to boot when the caFile cannot be read', async () => {
    await expect(relayToReceiver({ baseURL: 'https://127.0.0.1:1/webhooks', project: 'kargo-demo', receiver: 'ghcr', caFile: join(tlsDir, 'missing.crt') })).rejects.toThrow(/caFile .*missing\.crt/);
  });
});

describe('kubernetes target', () => {
  it('merge-patches the refresh annotation; an unknown Warehouse fails for good', async () => {
    const api = new KubernetesApiPeer(['demo/hello']);
    const server = await api.listen();
    cleanups.push(() => api.close());
    const dir = tempDir();
    const built = await build({
      dir,
      routes: {
        routes: [
          { image: IMAGE, targets: [{ kubernetes: { namespace: 'demo', warehouse: 'hello' } }] },
          { image: 'ghcr.io/acme/other', targets: [{ kubernetes: { namespace: 'demo', warehouse: 'missing' } }] },
        ],
      },
      env: { KUBECONFIG: api.writeKubeconfig(dir, server), RELAY_COALESCE_WINDOW_MS: '0' },
    });
    cleanups.push(() => built.close());
    const before = Date.now();
    await post(built, delivery('package', ghcrPackage({ tag: '1.0.0' })));
    await post(built, delivery('package', ghcrPackage({ image: 'ghcr.io/acme/other', tag: '1.0.0' })));
    await waitFor(() => built.app.inbox.list('done', 10).length === 1 && built.app.inbox.list('failed', 10).length === 1, 5_000, 'outcomes');
    expect(api.patches).toHaveLength(1);
    expect(api.patches[0]).toMatchObject({ namespace: 'demo', name: 'hello' });
    expect(Date.parse(api.patches[0]!.refresh)).toBeGreaterThanOrEqual(before - 1000);
    expect(api.rejected.map((r) => r.status)).toEqual([404]);
    expect(built.app.inbox.list('failed', 1)[0]!.jobs[0]!.lastError).toContain('Warehouse demo/missing not found');
  });
});

describe('kubernetes target with a kubeconfig client-node refuses', () => {
  it('refuses to boot on an http:// server without insecure-skip-tls-verify', async () => {
    const api = new KubernetesApiPeer(['demo/hello']);
    const server = await api.listen();
    cleanups.push(() => api.close());
    const dir = tempDir();
    const kubeconfig = api.writeKubeconfig(dir, server, { skipTLSVerify: false });
    await expect(
      build({ dir, routes: { routes: [{ image: IMAGE, targets: [{ kubernetes: { namespace: 'demo', warehouse: 'hello' } }] }] }, env: { KUBECONFIG: kubeconfig } }),
    ).rejects.toThrow(/kubernetes targets: cannot use KUBECONFIG .*kubeconfig\.yaml: cluster peer: server http:\/\/127\.0\.0\.1:\d+ is plain http:\/\/.*insecure-skip-tls-verify: true/);
    // Without kubernetes targets the kubeconfig is not needed, so it is not looked at.
    const relay = await build({ dir, env: { KUBECONFIG: kubeconfig } });
    cleanups.push(() => relay.close());
    expect(api.patches).toEqual([]);
  });

  it('classifies client configuration errors as failed for good, not as an outage to retry', async () => {
    const api = new KubernetesApiPeer(['demo/hello']);
    const server = await api.listen();
    cleanups.push(() => api.close());
    const kubeconfig = api.writeKubeconfig(tempDir(), server, { skipTLSVerify: false });
    // What client-node itself throws for that kubeconfig, on a real call.
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const thrown = await kc
      .makeApiClient(k8s.CustomObjectsApi)
      .getNamespacedCustomObject({ group: 'kargo.akuity.io', version: 'v1alpha1', namespace: 'demo', plural: 'warehouses', name: 'hello' })
      .then(() => undefined, (error: unknown) => error);
    expect(String(thrown)).toContain('HTTP protocol is not allowed');
    expect(isConfigurationError(thrown)).toBe(true);
    expect(isConfigurationError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(false);
    // The forwarder turns it into a permanent failure; the peer is never called.
    const result = await new KubernetesForwarder({ kubeconfig }).forward({ namespace: 'demo', warehouse: 'hello' });
    expect(result).toMatchObject({ kind: 'failed', error: expect.stringContaining('Kubernetes client configuration: cluster peer: server http://') as unknown });
    expect(api.patches).toEqual([]);
    expect(api.rejected).toEqual([]);
  });
});
