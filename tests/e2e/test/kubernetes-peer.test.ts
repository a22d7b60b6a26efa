// The Kubernetes API peer is strict: a peer that accepted anything would let the relay tests prove nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMergePatch, KubernetesApiPeer, REFRESH_ANNOTATION } from './support/kubernetes-api.ts';

const WAREHOUSE = {
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Warehouse',
  metadata: { name: 'flask-app', namespace: 'flask-app', annotations: { keep: 'me' } },
  spec: { interval: '5m0s', subscriptions: [{ image: { repoURL: 'ghcr.io/alkon/flask-app' } }] },
};
const PATH = '/apis/kargo.akuity.io/v1alpha1/namespaces/flask-app/warehouses/flask-app';
const GOOD = JSON.stringify({ metadata: { annotations: { [REFRESH_ANNOTATION]: '2026-01-05T10:00:00.123Z' } } });

let peer: KubernetesApiPeer;
beforeAll(async () => {
  peer = new KubernetesApiPeer([WAREHOUSE]);
  await peer.listen();
});
afterAll(() => peer.close());

async function call(path: string, init: { method?: string; contentType?: string; body?: string; token?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? peer.token}`;
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  const res = await fetch(`${peer.url}${path}`, { method: init.method ?? 'PATCH', headers, body: init.body ?? GOOD });
  return { status: res.status, body: (await res.json()) as { kind?: string; metadata?: { resourceVersion?: string } } };
}

describe('Kubernetes API peer contract', () => {
  it('refuses what the API server refuses, with Status objects', async () => {
    expect((await call(PATH, { token: null, contentType: 'application/merge-patch+json' })).status).toBe(401);
    const wrongType = await call(PATH, { contentType: 'application/json' });
    expect(wrongType).toMatchObject({ status: 415, body: { kind: 'Status', reason: 'UnsupportedMediaType', code: 415 } });
    expect((await call(PATH, { contentType: 'application/strategic-merge-patch+json' })).status).toBe(415);
    const missing = await call(PATH.replace(/flask-app$/, 'nope'), { contentType: 'application/merge-patch+json' });
    expect(missing).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'warehouses.kargo.akuity.io "nope" not found' } });
    expect((await call('/apis/kargo.akuity.io/v1alpha1/namespaces/flask-app/stages/dev', { contentType: 'application/merge-patch+json' })).status).toBe(404);
    expect((await call(PATH, { method: 'PUT', contentType: 'application/merge-patch+json' })).status).toBe(405);
    const extra = JSON.stringify({ metadata: { annotations: { [REFRESH_ANNOTATION]: '2026-01-05T10:00:00Z' } }, spec: { interval: '1m' } });
    expect((await call(PATH, { contentType: 'application/merge-patch+json', body: extra })).status).toBe(422);
    const notTime = JSON.stringify({ metadata: { annotations: { [REFRESH_ANNOTATION]: 'now' } } });
    expect((await call(PATH, { contentType: 'application/merge-patch+json', body: notTime })).status).toBe(422);
    expect((await call(PATH, { contentType: 'application/merge-patch+json', body: '{' })).status).toBe(400);
    expect(peer.patches).toEqual([]);
  });

  it('applies a refresh merge-patch to the stored Warehouse and returns the object', async () => {
    const before = peer.warehouse('flask-app', 'flask-app') as { metadata: { resourceVersion: string } };
    const res = await call(PATH, { contentType: 'application/merge-patch+json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      kind: 'Warehouse',
      metadata: { name: 'flask-app', annotations: { keep: 'me', [REFRESH_ANNOTATION]: '2026-01-05T10:00:00.123Z' } },
      spec: WAREHOUSE.spec,
    });
    expect(res.body.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(res.body.metadata?.resourceVersion).not.toBe(before.metadata.resourceVersion);
    expect(peer.warehouse('flask-app', 'flask-app')).toEqual(res.body);
    expect(peer.patches).toHaveLength(1);
  });

  it('merge-patches per RFC 7386', () => {
    expect(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } })).toEqual({ a: 'z', c: { d: 'e' } });
    expect(applyMergePatch({ a: [1, 2] }, { a: [3] })).toEqual({ a: [3] });
    expect(applyMergePatch('x', { a: 1 })).toEqual({ a: 1 });
  });
});
