// The admin API behind the delivery dashboard (issue 13): totals that match the inbox, the listing's image and time
// filters, replay of every failed delivery a filter matches, the Server-Sent Events stream (auth, bound, live updates,
// shutdown), and the static page with its Content Security Policy. Real loopback Kargo receiver, real HTTP for SSE.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ADMIN_STREAMS } from '../src/admin-stream.ts';
import type { AdminSummary } from '../src/routes/admin.ts';
import { build, delivery, waitFor, type Built } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';
import { KargoReceiverPeer } from './peers/kargo-receiver.ts';

const ADMIN = 'dashboard-admin-token';
const AUTH = { authorization: `Bearer ${ADMIN}` };
const RECEIVER_SECRET = 'receiver-secret';
const FAILING = 'ghcr.io/acme/failing-app';
const HEALTHY = 'ghcr.io/acme/healthy-app';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A relay whose FAILING image goes to a Kargo receiver peer (answering 500 until told otherwise) and HEALTHY to a log target. */
async function relay(env: Record<string, string> = {}): Promise<{ built: Built; peer: KargoReceiverPeer }> {
  const peer = new KargoReceiverPeer({ secret: RECEIVER_SECRET, warehouses: [{ namespace: 'acme', name: 'failing', repoURL: FAILING }] });
  await peer.listen();
  cleanups.push(() => peer.close());
  peer.mode = 'fail500';
  const built = await build({
    routes: {
      routes: [
        { image: FAILING, targets: [{ kargoWebhook: { url: peer.url, secretEnv: 'KARGO_RECEIVER_SECRET' } }] },
        { image: HEALTHY, targets: [{ log: {} }] },
      ],
    },
    env: {
      KARGO_RECEIVER_SECRET: RECEIVER_SECRET,
      RELAY_ADMIN_TOKEN: ADMIN,
      RELAY_COALESCE_WINDOW_MS: '0',
      RELAY_RETRY_BASE_MS: '20',
      RELAY_RETRY_MAX_MS: '50',
      RELAY_GIVE_UP_MS: '1000',
      ...env,
    },
  });
  cleanups.push(() => built.close());
  return { built, peer };
}

async function push(built: Built, image: string, tag: string): Promise<string> {
  const d = delivery('package', ghcrPackage({ image, tag }));
  const res = await built.app.inject({ method: 'POST', url: '/webhooks/github', headers: d.headers, payload: d.body });
  expect(res.statusCode).toBe(202);
  return d.headers['x-github-delivery']!;
}

async function get(built: Built, url: string) {
  const res = await built.app.inject({ url, headers: AUTH });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

async function summary(built: Built): Promise<AdminSummary> {
  const res = await get(built, '/admin/api/summary');
  expect(res.status).toBe(200);
  return res.body as AdminSummary;
}

/** Two FAILING deliveries that give up (failed), three HEALTHY ones (done). */
async function seeded(): Promise<{ built: Built; peer: KargoReceiverPeer; failed: string[]; done: string[] }> {
  const { built, peer } = await relay();
  const failed = [await push(built, FAILING, '1.0.0'), await push(built, FAILING, '1.0.1')];
  const done = [await push(built, HEALTHY, '2.0.0'), await push(built, HEALTHY, '2.0.1'), await push(built, HEALTHY, '2.0.2')];
  await waitFor(async () => (await summary(built)).totals.all.failed === 2 && (await summary(built)).totals.all.done === 3, 10_000, 'two failed and three done');
  return { built, peer, failed, done };
}

describe('summary', () => {
  it('counts by status and by route match the listing, with readiness and disk use', async () => {
    const { built } = await seeded();
    const s = await summary(built);
    expect(s.totals.all).toEqual({ total: 5, pending: 0, failed: 2, done: 3 });
    expect(s.totals.byImage).toEqual([
      { image: FAILING, total: 2, pending: 0, failed: 2, done: 0 },
      { image: HEALTHY, total: 3, pending: 0, failed: 0, done: 3 },
    ]);
    // The same numbers as the listing (what an operator would count by hand).
    const all = (await get(built, '/deliveries?limit=1000')).body.deliveries as { status: string }[];
    for (const status of ['pending', 'failed', 'done'] as const) expect(all.filter((d) => d.status === status)).toHaveLength(s.totals.all[status]);
    expect(s.ready).toEqual({ ready: true, checks: { inboxWritable: true, notDraining: true }, writeFailure: null });
    expect(s.disk.payloadBytes).toBeGreaterThan(0);
    expect(s.disk.databaseBytes).toBeGreaterThan(0);
    expect(s.disk.volume!.totalBytes).toBeGreaterThan(s.disk.volume!.freeBytes);
    expect(s.pendingJobs).toBe(0);
    expect(s.streams).toEqual({ clients: 0, max: MAX_ADMIN_STREAMS });
    expect((await get(built, '/admin/api/summary')).headers['cache-control']).toBe('no-store');
  });

  it('needs the bearer token', async () => {
    const { built } = await relay();
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: ADMIN }]) {
      const res = await built.app.inject({ url: '/admin/api/summary', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'RELAY_UNAUTHORIZED' });
    }
  });
});

describe('listing filters', () => {
  it('filters by status, part of the image name and the time received', async () => {
    const { built, failed, done } = await seeded();
    const ids = async (query: string) => ((await get(built, `/deliveries?${query}`)).body.deliveries as { id: string }[]).map((d) => d.id).sort();
    expect(await ids('status=failed')).toEqual([...failed].sort());
    expect(await ids('image=failing')).toEqual([...failed].sort());
    expect(await ids('image=HEALTHY-APP')).toEqual([...done].sort());
    expect(await ids('status=done&image=failing')).toEqual([]);
    expect(await ids('status=failed&image=acme/')).toEqual([...failed].sort());
    const received = new Map(((await get(built, '/deliveries?limit=1000')).body.deliveries as { id: string; receivedAt: string }[]).map((d) => [d.id, d.receivedAt]));
    const firstDone = received.get(done[0]!)!;
    // since is inclusive, until exclusive: from the first HEALTHY delivery on, then everything before it.
    expect(await ids(`since=${encodeURIComponent(firstDone)}&image=healthy`)).toEqual([...done].sort());
    expect(await ids(`until=${encodeURIComponent(firstDone)}`)).toEqual([...failed].sort());
    expect(await ids(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    expect(await ids(`status=failed&since=${encodeURIComponent(firstDone)}`)).toEqual([]);
  });

  it('answers 400 for a time that is not ISO 8601 or an empty range', async () => {
    const { built } = await relay();
    const bad = await get(built, '/deliveries?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'RELAY_BAD_REQUEST', error: 'since: "yesterday" is not an ISO 8601 time (e.g. 2025-06-02T08:14:07Z)' });
    const empty = await get(built, '/deliveries?since=2025-06-02T10:00:00Z&until=2025-06-02T09:00:00Z');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe('since (2025-06-02T10:00:00Z) must be before until (2025-06-02T09:00:00Z)');
  });

  it('shows each job with when it was queued, is tried next and finished', async () => {
    const { built, failed } = await seeded();
    const detail = (await get(built, `/deliveries/${failed[0]}`)).body;
    expect(detail.status).toBe('failed');
    for (const job of detail.jobs) {
      expect(Date.parse(job.createdAt)).toBeGreaterThan(0);
      expect(job.nextAttemptAt).toBeNull();
      expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.createdAt));
    }
  });
});

describe('replay of failed deliveries matching a filter', () => {
  it('re-queues every failed delivery the filter matches, and they turn done once the receiver answers', async () => {
    const { built, peer, failed } = await seeded();
    peer.mode = 'ok';
    const none = await built.app.inject({ method: 'POST', url: '/deliveries/replay', headers: AUTH, payload: { image: 'healthy' } });
    expect(none.statusCode).toBe(202);
    expect(none.json()).toEqual({ replayed: [], skipped: [], more: false });

    const res = await built.app.inject({ method: 'POST', url: '/deliveries/replay', headers: AUTH, payload: { image: 'failing' } });
    expect(res.statusCode).toBe(202);
    expect([...res.json().replayed].sort()).toEqual([...failed].sort());
    expect(res.json().more).toBe(false);
    await waitFor(async () => (await summary(built)).totals.all.done === 5, 10_000, 'all five done');
    // Kargo's receiver got each replayed delivery (coalescing may fold the two into one forward of the newest tag).
    expect(peer.received.length).toBeGreaterThanOrEqual(1);
    expect(peer.received.every((r) => r.image === FAILING)).toBe(true);
  });

  it('replays at most `limit` and says when more matched; refuses other statuses and unknown fields', async () => {
    const { built } = await seeded();
    const first = await built.app.inject({ method: 'POST', url: '/deliveries/replay', headers: AUTH, payload: { limit: 1 } });
    expect(first.statusCode).toBe(202);
    expect(first.json().replayed).toHaveLength(1);
    expect(first.json().more).toBe(true);
    for (const payload of [{ status: 'done' }, { limit: 0 }, { imge: 'failing' }, { since: 'soon' }]) {
      const res = await built.app.inject({ method: 'POST', url: '/deliveries/replay', headers: AUTH, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    // A misspelt filter is refused, not dropped (which would replay every failed delivery).
    const typo = await built.app.inject({ method: 'POST', url: '/deliveries/replay', headers: AUTH, payload: { imge: 'failing' } });
    expect(typo.json().error).toBe('unknown field "imge"; a bulk replay takes status, limit, image, since, until');
    expect((await summary(built)).totals.all.failed + (await summary(built)).totals.all.pending).toBe(2);
    const anonymous = await built.app.inject({ method: 'POST', url: '/deliveries/replay', payload: {} });
    expect(anonymous.statusCode).toBe(401);
  });
});

interface StreamEvent {
  readonly event: string;
  readonly data: AdminSummary;
}

/** Reads SSE events from a real HTTP response until `until` is satisfied (bounded by `timeoutMs`). */
async function readEvents(response: Response, until: (events: StreamEvent[]) => boolean, timeoutMs = 10_000): Promise<StreamEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: StreamEvent[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (!until(events)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms; events so far: ${JSON.stringify(events.map((e) => e.data.totals.all))}`);
      const next = await Promise.race([reader.read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), left))]);
      if (next.done) break;
      buffer += decoder.decode(next.value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) as AdminSummary });
      }
    }
  } finally {
    reader.releaseLock();
  }
  return events;
}

describe('live updates (Server-Sent Events)', () => {
  async function listening(env: Record<string, string> = {}) {
    const { built, peer } = await relay(env);
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;
    return { built, peer, base };
  }

  it('needs the token in the header, sends a summary at once and another after each change', async () => {
    const { built, base } = await listening();
    expect((await fetch(`${base}/admin/api/events`)).status).toBe(401);
    expect((await fetch(`${base}/admin/api/events?token=${ADMIN}`)).status).toBe(401);

    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const res = await fetch(`${base}/admin/api/events`, { headers: AUTH, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const first = await readEvents(res, (e) => e.length >= 1);
    expect(first[0]).toMatchObject({ event: 'summary', data: { totals: { all: { total: 0 } }, streams: { clients: 1 } } });

    await push(built, HEALTHY, '3.0.0');
    const later = await readEvents(res, (e) => e.some((x) => x.data.totals.all.done === 1));
    expect(later.at(-1)!.data.totals.all).toEqual({ total: 1, pending: 0, failed: 0, done: 1 });
    controller.abort();
  });

  it('outlives the body and header deadlines of the webhook route (a stream is not a slow request)', async () => {
    const { base } = await listening({ RELAY_REQUEST_TIMEOUT_MS: '1000', RELAY_HEADERS_TIMEOUT_MS: '500' });
    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const res = await fetch(`${base}/admin/api/events`, { headers: AUTH, signal: controller.signal });
    expect(res.status).toBe(200);
    await readEvents(res, (e) => e.length >= 1);
    const reader = res.body!.getReader();
    // Three times the body deadline: the stream must still be open (a read pending, not ended or broken).
    const outcome = await Promise.race([
      reader.read().then(
        (r) => (r.done ? 'ended' : 'data'),
        (error: Error) => `broke: ${error.message}`,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('open'), 3_000)),
    ]);
    expect(outcome).toBe('open');
    reader.releaseLock();
    controller.abort();
  });

  it(`serves at most ${MAX_ADMIN_STREAMS} streams at once (503 + Retry-After past it), and shutdown ends them`, async () => {
    const { built, base } = await listening();
    const controllers: AbortController[] = [];
    cleanups.push(() => controllers.forEach((c) => c.abort()));
    const open = async () => {
      const controller = new AbortController();
      controllers.push(controller);
      return fetch(`${base}/admin/api/events`, { headers: AUTH, signal: controller.signal });
    };
    const streams: Response[] = [];
    for (let i = 0; i < MAX_ADMIN_STREAMS; i += 1) {
      const res = await open();
      expect(res.status).toBe(200);
      streams.push(res);
    }
    const refused = await open();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await refused.json()).toEqual({ error: `${MAX_ADMIN_STREAMS} dashboard streams are open already; close one or retry later`, code: 'RELAY_OVERLOADED' });

    // One closes: a new one is accepted.
    controllers[0]!.abort();
    await waitFor(async () => (await summary(built)).streams.clients === MAX_ADMIN_STREAMS - 1, 5_000, 'the closed stream to be dropped');
    const again = await open();
    expect(again.status).toBe(200);
    streams.push(again);

    // Shutdown does not wait for dashboards: every stream ends, close() returns promptly.
    const started = Date.now();
    const ended = Promise.all(streams.slice(1).map((r) => r.text().catch(() => 'aborted')));
    await built.app.close();
    await ended;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('dashboard page', () => {
  it('serves the page and its files with a strict CSP, and nothing else under /admin/', async () => {
    const { built } = await relay();
    const redirect = await built.app.inject({ url: '/admin' });
    expect(redirect.statusCode).toBe(308);
    expect(redirect.headers.location).toBe('/admin/');

    const page = await built.app.inject({ url: '/admin/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');

    // No inline script or style, nothing from another origin.
    const html = page.body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    // Every file the page refers to is served (a packaging mistake shows here, not in a browser).
    const referenced = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!);
    expect(referenced.sort()).toEqual(['app.css', 'app.js', 'icon.svg']);
    for (const file of [...referenced, 'api.js']) {
      const res = await built.app.inject({ url: `/admin/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['content-security-policy']).toBe(csp);
      const etag = String(res.headers.etag);
      expect((await built.app.inject({ url: `/admin/${file}`, headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    }
    expect((await built.app.inject({ url: '/admin/app.js' })).headers['content-type']).toBe('text/javascript; charset=utf-8');
    for (const url of ['/admin/nope.js', '/admin/..%2Fpackage.json', '/admin/%2E%2E%2Fsrc%2Fconfig.ts', '/admin/index.html.bak']) {
      expect((await built.app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('is not served when the admin API is off (no RELAY_ADMIN_TOKEN)', async () => {
    const built = await build();
    cleanups.push(() => built.close());
    expect((await built.app.inject({ url: '/admin/' })).statusCode).toBe(404);
    expect((await built.app.inject({ url: '/admin/api/summary' })).statusCode).toBe(404);
  });
});
