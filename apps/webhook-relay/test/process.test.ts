// The built relay as a real process (node dist/main.js): outages, SIGKILL and restart, SIGTERM drain.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KargoReceiverPeer } from './peers/kargo-receiver.ts';
import { delivery, SECRET, tempDir, waitFor, writeRoutes, type SignedDelivery } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';
import { MAIN, RECEIVER_SECRET, requireBuiltRelay, startRelayProcess, type RelayProcess } from './relay-process.ts';

const IMAGES = Array.from({ length: 12 }, (_, i) => `ghcr.io/acme/app-${i}`);

type Relay = RelayProcess;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(requireBuiltRelay);

function startRelay(dir: string, peer: KargoReceiverPeer, env: Record<string, string> = {}): Promise<Relay> {
  return startRelayProcess(dir, peer, IMAGES, { ...env }, (kill) => cleanups.push(kill));
}

async function send(relay: Relay, d: SignedDelivery): Promise<{ status: number; body: unknown }> {
  const res = await request(`${relay.url}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body });
  return { status: res.statusCode, body: await res.body.json() };
}

async function peerWith(): Promise<KargoReceiverPeer> {
  const peer = new KargoReceiverPeer({ secret: RECEIVER_SECRET, warehouses: IMAGES.map((repoURL, i) => ({ namespace: 'acme', name: `app-${i}`, repoURL })) });
  await peer.listen();
  cleanups.push(() => peer.close());
  return peer;
}

function workDir(): string {
  const dir = tempDir('relay-proc-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function deliveries(): SignedDelivery[] {
  return IMAGES.map((image, i) => delivery('package', ghcrPackage({ image, tag: `1.0.${i}` })));
}

function expectEachForwardedOnce(peer: KargoReceiverPeer, sent: SignedDelivery[]): void {
  const counts = peer.countsByDelivery();
  for (const d of sent) expect(counts.get(d.headers['x-github-delivery']!), d.headers['x-github-delivery']).toBe(1);
  expect(peer.received).toHaveLength(sent.length);
}

describe('relay process', () => {
  it('exits 1 listing every configuration problem of one start', async () => {
    const env = { PATH: process.env.PATH ?? '', GITHUB_WEBHOOK_SECRETS: SECRET, RELAY_ROUTES_FILE: '/nonexistent/routes.yaml', PORT: 'eighty', LOG_LEVEL: 'loud' };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stderr).toMatch(/^webhook-relay: invalid configuration:\n {2}PORT: "eighty" .*\n {2}LOG_LEVEL: "loud" .*\n {2}RELAY_ROUTES_FILE: cannot read \/nonexistent\/routes\.yaml .*\n$/);
  });

  it('exits 1 at boot when a kubernetes target has a kubeconfig client-node would refuse', async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{ name: plain, cluster: { server: "http://127.0.0.1:1" } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: c, context: { cluster: plain, user: u } }]\ncurrent-context: c\n',
    );
    const routesFile = writeRoutes(dir, { routes: [{ image: IMAGES[0]!, targets: [{ kubernetes: { namespace: 'acme', warehouse: 'app-0' } }] }] });
    const env = { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', GITHUB_WEBHOOK_SECRETS: SECRET, RELAY_ROUTES_FILE: routesFile, RELAY_DATA_DIR: join(dir, 'data'), KUBECONFIG: kubeconfig };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(stderr).toContain('webhook-relay: kubernetes targets: cannot use KUBECONFIG');
    expect(stderr).toContain('server http://127.0.0.1:1 is plain http://');
    expect(stderr).toMatch(/hint: fix the kubeconfig/);
  });

  it('forwards every delivery after a receiver outage ends', async () => {
    const peer = await peerWith();
    peer.mode = 'fail503';
    const relay = await startRelay(workDir(), peer);
    const sent = deliveries();
    for (const d of sent) expect((await send(relay, d)).status).toBe(202);
    await waitFor(() => peer.statuses.filter((s) => s === 503).length >= sent.length * 2, 10_000, 'failures during the outage');
    expect(peer.received).toHaveLength(0);
    peer.mode = 'ok';
    await waitFor(() => peer.received.length >= sent.length, 10_000, 'recovery');
    await new Promise((r) => setTimeout(r, 300));
    expectEachForwardedOnce(peer, sent);
  }, 30_000);

  it('loses nothing to SIGKILL: after a restart every delivery is forwarded once', async () => {
    const peer = await peerWith();
    peer.mode = 'fail503';
    const dir = workDir();
    const first = await startRelay(dir, peer);
    const sent = deliveries();
    for (const d of sent) expect((await send(first, d)).status).toBe(202);
    await waitFor(() => peer.statuses.length >= sent.length, 10_000, 'first attempts');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    peer.mode = 'ok';
    const second = await startRelay(dir, peer);
    await waitFor(() => peer.received.length >= sent.length, 10_000, 'forwards after restart');
    // GitHub redelivering the same ids after the crash is recognised.
    for (const d of sent.slice(0, 3)) expect(await send(second, d)).toEqual({ status: 200, body: { duplicate: true, delivery: d.headers['x-github-delivery'] } });
    await new Promise((r) => setTimeout(r, 300));
    expectEachForwardedOnce(peer, sent);
  }, 30_000);

  it('SIGTERM drains in-flight forwards, then exits 0', async () => {
    const peer = await peerWith();
    peer.delayMs = 700;
    const dir = workDir();
    const relay = await startRelay(dir, peer);
    const sent = deliveries().slice(0, 5);
    for (const d of sent) expect((await send(relay, d)).status).toBe(202);
    await waitFor(() => peer.started >= sent.length, 5_000, 'forwards in flight');
    expect(peer.received).toHaveLength(0);
    relay.child.kill('SIGTERM');
    const [code] = (await once(relay.child, 'exit')) as [number];
    expect(code).toBe(0);
    expectEachForwardedOnce(peer, sent);
    expect(relay.logs.join('')).toContain('forward worker drained');
    // Nothing left pending: a restart forwards nothing again.
    peer.delayMs = 0;
    await startRelay(dir, peer);
    await new Promise((r) => setTimeout(r, 500));
    expect(peer.received).toHaveLength(sent.length);
  }, 30_000);
});
