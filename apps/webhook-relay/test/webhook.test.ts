// The POST /webhooks/github contract through app.inject(): statuses, bodies, and that bad input forwards nothing.
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '../src/github.ts';
import { createMetrics } from '../src/plugins/metrics.ts';
import { build, delivery, SECRET, tempDir, type Built } from './helper.ts';
import { ghcrPackage, ghcrPackageJson, GHCR_IMAGE, npmPackageJson, ping, type PingDelivery } from './github-payloads.ts';

let built: Built | undefined;
afterEach(async () => {
  await built?.close();
  built = undefined;
});

async function relay(env: Record<string, string> = {}, routes?: NonNullable<Parameters<typeof build>[0]>['routes']) {
  built = await build({ env: { RELAY_COALESCE_WINDOW_MS: '0', ...env }, ...(routes === undefined ? {} : { routes }) });
  return built.app;
}

function post(app: Built['app'], d: { headers: Record<string, string>; body: string }) {
  return app.inject({ method: 'POST', url: '/webhooks/github', headers: d.headers, payload: d.body });
}

function nothingQueued(): void {
  expect(built!.app.inbox.pendingJobs).toBe(0);
  expect(built!.app.inbox.list(undefined, 10)).toEqual([]);
}

describe('signature', () => {
  it('answers 401 without X-Hub-Signature-256 and stores nothing', async () => {
    const app = await relay();
    const d = delivery('package', ghcrPackage());
    const { 'x-hub-signature-256': _omit, ...headers } = d.headers;
    const res = await post(app, { headers, body: d.body });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'RELAY_MISSING_SIGNATURE' });
    nothingQueued();
  });

  it('answers 401 for a wrong secret, a malformed header, and a signature over re-serialised JSON', async () => {
    const app = await relay();
    const payload = ghcrPackage();
    const wrong = delivery('package', payload, { secret: 'not the secret' });
    expect((await post(app, wrong)).statusCode).toBe(401);
    const d = delivery('package', payload);
    expect((await post(app, { headers: { ...d.headers, 'x-hub-signature-256': 'sha1=abc' }, body: d.body })).statusCode).toBe(401);
    const pretty = JSON.stringify(payload, null, 2);
    expect((await post(app, { headers: { ...d.headers, 'x-hub-signature-256': sign(SECRET, JSON.stringify(payload)) }, body: pretty })).statusCode).toBe(401);
    nothingQueued();
  });

  it('accepts GitHub docs test vector semantics: the HMAC is over the exact bytes', () => {
    expect(sign("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('rotates: any of the configured secrets verifies', async () => {
    const app = await relay({ GITHUB_WEBHOOK_SECRETS: 'new-secret, old-secret' });
    expect((await post(app, delivery('package', ghcrPackage({ tag: '1.0.0' }), { secret: 'new-secret' }))).statusCode).toBe(202);
    expect((await post(app, delivery('package', ghcrPackage({ tag: '1.0.1' }), { secret: 'old-secret' }))).statusCode).toBe(202);
    expect((await post(app, delivery('package', ghcrPackage({ tag: '1.0.2' }), { secret: SECRET }))).statusCode).toBe(401);
  });
});

describe('body and content type', () => {
  it('answers 413 over 1 MiB', async () => {
    const app = await relay();
    const big = JSON.stringify({ ...ghcrPackage(), padding: 'x'.repeat(1024 * 1024) });
    const res = await post(app, delivery('package', big));
    expect(res.statusCode).toBe(413);
    nothingQueued();
  });

  it('answers 400 for a well-signed body that is not JSON, and for a form without payload', async () => {
    const app = await relay();
    expect((await post(app, delivery('package', '{"action": "published",'))).statusCode).toBe(400);
    const form = 'other=1';
    const d = delivery('package', '{}');
    const res = await post(app, { headers: { ...d.headers, 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': sign(SECRET, form) }, body: form });
    expect(res.statusCode).toBe(400);
    nothingQueued();
  });

  it('answers 415 for other content types', async () => {
    const app = await relay();
    const d = delivery('package', ghcrPackage());
    const res = await post(app, { headers: { ...d.headers, 'content-type': 'text/plain' }, body: d.body });
    expect(res.statusCode).toBe(415);
    nothingQueued();
  });

  it('answers 400 when X-GitHub-Event or X-GitHub-Delivery is missing', async () => {
    const app = await relay();
    const d = delivery('package', ghcrPackage());
    const { 'x-github-delivery': _id, ...noId } = d.headers;
    expect((await post(app, { headers: noId, body: d.body })).statusCode).toBe(400);
    const { 'x-github-event': _ev, ...noEvent } = d.headers;
    expect((await post(app, { headers: noEvent, body: d.body })).statusCode).toBe(400);
    nothingQueued();
  });

  it('accepts form-encoded deliveries (verified over the encoded bytes) and stores the JSON', async () => {
    const app = await relay();
    const payload = ghcrPackage({ tag: '2.0.0' });
    const d = delivery('package', payload, { form: true });
    const res = await post(app, d);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ delivery: d.headers['x-github-delivery'], matched: ['log'] });
    expect(JSON.parse(app.inbox.payloadOf(d.headers['x-github-delivery']!)!.payload.toString('utf8'))).toEqual(payload);
  });

  it('accepts application/json; charset=utf-8', async () => {
    const app = await relay();
    const d = delivery('package', ghcrPackage());
    const res = await post(app, { headers: { ...d.headers, 'content-type': 'application/json; charset=utf-8' }, body: d.body });
    expect(res.statusCode).toBe(202);
  });
});

describe('events', () => {
  it.each([
    ['a repository hook subscribed to package', ping({ hook: 'repository' })],
    ['a repository hook subscribed to everything', ping({ hook: 'repository', events: ['*'] })],
    ['a GitHub App hook', ping({ hook: 'app', events: ['package', 'registry_package', 'installation'] })],
    ['an organization hook without package events', ping({ hook: 'organization', events: ['member', 'membership', 'organization', 'repository', 'team', 'team_add'] })],
  ] satisfies [string, PingDelivery][])('answers the ping of %s with 200 and the hook events', async (_what, body) => {
    const app = await relay();
    const text = JSON.stringify(body);
    const res = await post(app, delivery('ping', text));
    expect(res.statusCode).toBe(200);
    const events = (JSON.parse(text) as { hook: { events: string[] } }).hook.events;
    expect(res.json()).toMatchObject({ pong: true, hookId: body.hook_id, events });
    nothingQueued();
  });

  it.each([
    ['package', 'an npm package', npmPackageJson()],
    ['package', 'an npm package published from a release of a user-owned repository', npmPackageJson({ owner: 'mara-lindqvist', ownerType: 'User', repo: 'ui-kit', name: 'ui-kit', version: '2.3.0', release: true })],
    ['package', 'a container-shaped, untagged body typed npm', ghcrPackageJson({ packageType: 'npm', tag: '' })],
    ['registry_package', 'a container-shaped, untagged body typed npm', ghcrPackageJson({ event: 'registry_package', packageType: 'npm', tag: '' })],
  ])('replays %s: %s with a real signature: npm packages are acknowledged and ignored', async (event, _what, text) => {
    const app = await relay();
    const res = await post(app, delivery(event, text));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ ignored: 'package type npm is not a container image' });
    nothingQueued();
  });

  it('stores GHCR package and registry_package deliveries and names the matched targets', async () => {
    const app = await relay();
    for (const event of ['package', 'registry_package'] as const) {
      const d = delivery(event, ghcrPackage({ event }));
      const res = await post(app, d);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ delivery: d.headers['x-github-delivery'], matched: ['log'] });
    }
    expect(app.inbox.list(undefined, 10)).toHaveLength(2);
  });

  it('ignores other events and actions with 202 and a reason', async () => {
    const app = await relay();
    const push = await post(app, delivery('push', { ref: 'refs/heads/main' }));
    expect(push.statusCode).toBe(202);
    expect(push.json()).toEqual({ ignored: 'event push is not relayed' });
    const deleted = await post(app, delivery('package', ghcrPackage({ action: 'deleted' })));
    expect(deleted.json()).toEqual({ ignored: 'action deleted is not relayed' });
    nothingQueued();
  });

  it('drops untagged manifests and tags the route filter rejects, but stores the delivery for dedupe', async () => {
    const routes = { routes: [{ image: GHCR_IMAGE, tags: { strategy: 'SemVer' as const, constraint: '^1.0.0' }, targets: [{ log: {} }] }] };
    const app = await relay({ RELAY_COALESCE_WINDOW_MS: '60000' }, routes);
    const untagged = await post(app, delivery('package', ghcrPackage({ tag: '' })));
    expect(untagged.statusCode).toBe(202);
    expect(untagged.json()).toMatchObject({ matched: [], reason: 'untagged manifest (forwardUntagged is off)' });
    const outside = await post(app, delivery('package', ghcrPackage({ tag: '2.0.0' })));
    expect(outside.json()).toMatchObject({ matched: [] });
    expect(outside.json().reason).toContain('does not satisfy');
    const inside = await post(app, delivery('package', ghcrPackage({ tag: '1.4.0' })));
    expect(inside.json()).toMatchObject({ matched: ['log'] });
    const other = await post(app, delivery('package', ghcrPackage({ image: 'ghcr.io/someone/else' })));
    expect(other.json()).toMatchObject({ matched: [], reason: 'no route for ghcr.io/someone/else' });
    expect(app.inbox.pendingJobs).toBe(1);
  });

  it('matches after Kargo normalisation (case, trailing colon)', async () => {
    const app = await relay({}, { routes: [{ image: 'GHCR.io/Acme/Flask-App', forwardUntagged: true, targets: [{ log: {} }] }] });
    const body = ghcrPackage({ tag: '', packageUrl: 'ghcr.io/Acme/flask-app:' });
    expect(body.package.package_version.package_url).toBe('ghcr.io/Acme/flask-app:');
    expect((await post(app, delivery('package', body))).json()).toMatchObject({ matched: ['log'] });
  });
});

describe('dedupe and load', () => {
  it('answers a repeated X-GitHub-Delivery with 200 {duplicate:true} and queues nothing new', async () => {
    const app = await relay({ RELAY_COALESCE_WINDOW_MS: '60000' });
    const d = delivery('package', ghcrPackage());
    expect((await post(app, d)).statusCode).toBe(202);
    const again = await post(app, d);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ duplicate: true, delivery: d.headers['x-github-delivery'] });
    // Two copies inside one commit batch are also caught.
    const e = delivery('package', ghcrPackage());
    const [a, b] = await Promise.all([post(app, e), post(app, e)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 202]);
    expect(app.inbox.pendingJobs).toBe(2);
  });

  it('sheds load with 503 + Retry-After at RELAY_MAX_PENDING and counts it', async () => {
    const app = await relay({ RELAY_MAX_PENDING: '2', RELAY_COALESCE_WINDOW_MS: '60000' });
    expect((await post(app, delivery('package', ghcrPackage({ tag: '1.0.0' })))).statusCode).toBe(202);
    expect((await post(app, delivery('package', ghcrPackage({ tag: '1.0.1' })))).statusCode).toBe(202);
    const shed = await post(app, delivery('package', ghcrPackage({ tag: '1.0.2' })));
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('30');
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('relay_deliveries_rejected_total{reason="overloaded"} 1');
    expect(metrics.body).toContain('relay_inbox_pending_jobs 2');
  });
});

/** The samples of one metric family in a Prometheus text exposition. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('last push per route (what kargo-env doctor compares with the Warehouse)', () => {
  // Two routes: the fixture image, and one whose configured spelling normalises to lower case with a tag rule.
  const routes = {
    routes: [
      { image: GHCR_IMAGE, forwardUntagged: true, targets: [{ log: {} }] },
      { image: 'GHCR.io/Acme/Worker', tags: { strategy: 'SemVer' as const, constraint: '^1.0.0' }, targets: [{ log: {} }] },
    ],
  };

  async function listening() {
    const app = await relay({ RELAY_COALESCE_WINDOW_MS: '60000' }, routes);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    return {
      async push(d: { headers: Record<string, string>; body: string }): Promise<number> {
        const res = await fetch(`${base}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        return res.status;
      },
      async metrics(): Promise<string> {
        const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
        expect(res.status).toBe(200);
        return res.text();
      },
    };
  }

  it('keeps one info series per route image over 200 signed pushes with 200 tags: the last one, with its receive time', async () => {
    const relayHttp = await listening();
    const empty = await relayHttp.metrics();
    // Declared from the start, with no series until a push is stored.
    expect(empty).toContain('# TYPE relay_route_last_push_timestamp_seconds gauge');
    expect(empty).toContain('# TYPE relay_route_last_push_info gauge');
    expect(samples(empty, 'relay_route_last_push_info')).toEqual([]);

    const started = Date.now();
    for (let i = 0; i < 200; i++) {
      expect(await relayHttp.push(delivery('package', ghcrPackage({ tag: `1.0.${i}` })))).toBe(202);
    }
    const finished = Date.now();
    const text = await relayHttp.metrics();
    expect(samples(text, 'relay_route_last_push_info')).toEqual([`relay_route_last_push_info{image="${GHCR_IMAGE}",tag="1.0.199"} 1`]);
    const stamps = samples(text, 'relay_route_last_push_timestamp_seconds');
    expect(stamps).toHaveLength(1);
    const [, image, value] = /^relay_route_last_push_timestamp_seconds\{image="([^"]+)"\} (\S+)$/.exec(stamps[0]!) ?? [];
    expect(image).toBe(GHCR_IMAGE);
    expect(Number(value) * 1000).toBeGreaterThanOrEqual(started);
    expect(Number(value) * 1000).toBeLessThanOrEqual(finished);
    expect(built!.app.inbox.pendingJobs).toBe(200);
  });

  it('survives a restart: a relay started on the same inbox reports the newest push it kept, for the images its routes still name', async () => {
    const dir = tempDir();
    try {
      const first = await build({ dir, routes, env: { RELAY_COALESCE_WINDOW_MS: '60000' } });
      for (const tag of ['3.1.0', '3.2.0']) expect((await post(first.app, delivery('package', ghcrPackage({ tag })))).statusCode).toBe(202);
      // An untagged manifest after them is not a newer tag.
      expect((await post(first.app, delivery('package', ghcrPackage({ tag: '' })))).statusCode).toBe(202);
      const before = await first.app.inject({ method: 'GET', url: '/metrics' });
      await first.close();

      const second = await build({ dir, routes, env: { RELAY_COALESCE_WINDOW_MS: '60000' } });
      const after = (await second.app.inject({ method: 'GET', url: '/metrics' })).body;
      await second.close();
      expect(samples(after, 'relay_route_last_push_info')).toEqual([`relay_route_last_push_info{image="${GHCR_IMAGE}",tag="3.2.0"} 1`]);
      expect(samples(after, 'relay_route_last_push_timestamp_seconds')).toEqual(samples(before.body, 'relay_route_last_push_timestamp_seconds'));

      // Routes that no longer name the image: nothing is seeded for it.
      const third = await build({ dir, routes: { routes: [routes.routes[1]!] }, env: { RELAY_COALESCE_WINDOW_MS: '60000' } });
      const none = (await third.app.inject({ method: 'GET', url: '/metrics' })).body;
      await third.close();
      expect(samples(none, 'relay_route_last_push_info')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is set only by stored, tagged pushes a route matched, under the route image as the Router keys it', async () => {
    const relayHttp = await listening();
    const first = delivery('package', ghcrPackage({ tag: '2.0.0' }));
    expect(await relayHttp.push(first)).toBe(202);
    const info = (text: string) => samples(text, 'relay_route_last_push_info');
    const firstText = await relayHttp.metrics();
    const settled = info(firstText);
    const stamp = samples(firstText, 'relay_route_last_push_timestamp_seconds');
    expect(settled).toEqual([`relay_route_last_push_info{image="${GHCR_IMAGE}",tag="2.0.0"} 1`]);

    // 200 signed pushes of images no route names: matched nothing, so no series, whatever the image.
    for (let i = 0; i < 200; i++) {
      expect(await relayHttp.push(delivery('package', ghcrPackage({ image: `ghcr.io/acme/unrouted-${i}`, tag: `1.0.${i}` })))).toBe(202);
    }
    // An untagged manifest the route forwards, a tag its rules reject, a redelivery of an older push, a tag no
    // registry could have (300 characters): none of them is the newest tag.
    expect(await relayHttp.push(delivery('package', ghcrPackage({ tag: '' })))).toBe(202);
    expect(await relayHttp.push(delivery('package', ghcrPackage({ image: 'ghcr.io/acme/worker', tag: '2.0.0' })))).toBe(202);
    expect(await relayHttp.push(first)).toBe(200);
    expect(await relayHttp.push(delivery('package', ghcrPackage({ tag: 'x'.repeat(300) })))).toBe(202);
    const text = await relayHttp.metrics();
    expect(info(text)).toEqual(settled);
    expect(samples(text, 'relay_route_last_push_timestamp_seconds')).toEqual(stamp);
    expect(text).not.toContain('unrouted');

    // The second route's series are named by its normalised image, not the configured spelling.
    expect(await relayHttp.push(delivery('package', ghcrPackage({ image: 'ghcr.io/Acme/Worker', tag: '1.4.0' })))).toBe(202);
    expect(info(await relayHttp.metrics())).toEqual([...settled, 'relay_route_last_push_info{image="ghcr.io/acme/worker",tag="1.4.0"} 1']);
  });

  it('keeps the push received last when an older delivery is recorded after it', async () => {
    const metrics = createMetrics();
    metrics.recordPush(GHCR_IMAGE, '1.1.0', 2_000_000);
    metrics.recordPush(GHCR_IMAGE, '1.0.0', 1_000_000);
    metrics.recordPush(GHCR_IMAGE, '', 3_000_000);
    const series = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels, v.value]);
    expect(await series('relay_route_last_push_info')).toEqual([[{ image: GHCR_IMAGE, tag: '1.1.0' }, 1]]);
    expect(await series('relay_route_last_push_timestamp_seconds')).toEqual([[{ image: GHCR_IMAGE }, 2_000]]);
  });
});

describe('health and errors', () => {
  it('serves healthz, readyz and metrics', async () => {
    const app = await relay();
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready' });
    await post(app, delivery('package', ghcrPackage()));
    await post(app, delivery('package', ghcrPackage(), { secret: 'bad' }));
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('relay_deliveries_accepted_total{event="package"} 1');
    expect(metrics).toContain('relay_deliveries_rejected_total{reason="bad_signature"} 1');
    expect(metrics).toMatch(/relay_ack_duration_seconds_count 1/);
  });

  it('names process and Node.js metrics once: relay_process_*, relay_nodejs_*', async () => {
    const app = await relay();
    const metrics = (await app.inject({ url: '/metrics' })).body;
    const names = new Set([...metrics.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    expect([...names].filter((n) => n.includes('process_process') || n.includes('process_nodejs'))).toEqual([]);
    for (const name of [
      'relay_process_cpu_seconds_total',
      'relay_process_cpu_user_seconds_total',
      'relay_process_resident_memory_bytes',
      'relay_process_start_time_seconds',
      'relay_process_open_fds',
      'relay_nodejs_heap_size_used_bytes',
      'relay_nodejs_eventloop_lag_p99_seconds',
      'relay_nodejs_gc_duration_seconds',
      'relay_nodejs_version_info',
    ]) {
      expect(names, name).toContain(name);
    }
    // Every metric is the relay's: nothing unprefixed.
    expect([...names].filter((n) => !n.startsWith('relay_'))).toEqual([]);
  });

  it('keeps admin endpoints off without RELAY_ADMIN_TOKEN', async () => {
    const app = await relay();
    expect((await app.inject({ url: '/deliveries' })).statusCode).toBe(404);
  });
});
