// Admin responses never contain a receiver URL's path (it embeds Kargo's receiver hash, a credential) or what a
// receiver answered beyond a bounded, redacted excerpt (issue 13, defect 7). A real loopback receiver plants secrets.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { build, delivery, waitFor, type Built } from './helper.ts';
import { ghcrPackage, GHCR_IMAGE } from './github-payloads.ts';

const ADMIN = 'admin-token';
const HASH = createHash('sha256').update('kargo-demo' + 'ghcr' + 'receiver-secret').digest('hex');
const PLANTED = 'sk_live_PLANTEDSECRET0123456789';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A receiver on Kargo's path that fails with a body echoing its own URL and a secret, as a misconfigured proxy might. */
async function leakyReceiver(status: number): Promise<{ url: string; path: string; hits: () => number }> {
  let hits = 0;
  const path = `/github/${HASH}`;
  let url = '';
  const server: Server = createServer((req, res) => {
    hits += 1;
    req.resume();
    const body = JSON.stringify({ error: `cannot refresh via ${url}?token=${PLANTED}`, authorization: `Bearer ${PLANTED}`, path, padding: 'x'.repeat(400) });
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url, path, hits: () => hits };
}

async function relayTo(url: string, env: Record<string, string> = {}): Promise<Built> {
  const built = await build({
    routes: { routes: [{ image: GHCR_IMAGE, targets: [{ kargoWebhook: { url, secretEnv: 'KARGO_RECEIVER_SECRET' } }] }] },
    env: { KARGO_RECEIVER_SECRET: 'receiver-secret', RELAY_ADMIN_TOKEN: ADMIN, RELAY_COALESCE_WINDOW_MS: '0', RELAY_RETRY_BASE_MS: '20', RELAY_RETRY_MAX_MS: '50', ...env },
  });
  cleanups.push(() => built.close());
  return built;
}

function expectClean(body: string, receiverPath: string): void {
  expect(body).not.toContain(HASH);
  expect(body).not.toContain(receiverPath);
  expect(body).not.toContain(HASH.slice(0, 16));
  expect(body).not.toContain(PLANTED);
  expect(body).not.toContain('PLANTEDSECRET');
}

describe('admin responses are redacted', () => {
  for (const status of [500, 403]) {
    it(`no receiver URL path or receiver secret in list, detail or replay (receiver answers ${status})`, async () => {
      const receiver = await leakyReceiver(status);
      const relay = await relayTo(receiver.url, { RELAY_GIVE_UP_MS: '1000' });
      const d = delivery('package', ghcrPackage({ tag: '2.0.0' }));
      const id = d.headers['x-github-delivery']!;
      expect((await relay.app.inject({ method: 'POST', url: '/webhooks/github', headers: d.headers, payload: d.body })).statusCode).toBe(202);
      const auth = { authorization: `Bearer ${ADMIN}` };
      const get = (url: string) => relay.app.inject({ url, headers: auth });

      // While retrying (500) the pending listing carries the last error already.
      await waitFor(() => receiver.hits() >= 1, 5_000, 'a forward attempt');
      let failed = await get('/deliveries?status=failed');
      await waitFor(async () => {
        failed = await get('/deliveries?status=failed');
        return failed.json().deliveries.length === 1;
      }, 5_000, 'failed');

      const responses = [failed, await get('/deliveries'), await get('/deliveries?status=pending'), await get(`/deliveries/${id}`)];
      for (const res of responses) expect(res.statusCode).toBe(200);
      const detail = responses[3]!.json();
      expect(detail).toMatchObject({ id, status: 'failed' });
      const [job] = detail.jobs;
      // The target is shown by scheme, host and a short tail of the path, never the path itself.
      expect(job.target).toMatch(/^kargoWebhook:http:\/\/127\.0\.0\.1:\d+\/github\/…[0-9a-f]{4}$/);
      expect(job.lastError).toContain(String(status));
      expect(job.lastError.length).toBeLessThanOrEqual(300);
      expect(failed.json().deliveries[0].jobs[0].lastError).toBe(job.lastError);

      const replay = await relay.app.inject({ method: 'POST', url: `/deliveries/${id}/replay`, headers: auth });
      expect(replay.statusCode).toBe(202);
      responses.push(replay);
      await waitFor(() => receiver.hits() >= 2, 5_000, 'the replayed forward');
      responses.push(await get('/deliveries?status=pending'), await get('/deliveries'));
      const unknown = await get('/deliveries/nope');
      expect(unknown.statusCode).toBe(404);
      responses.push(unknown);
      for (const res of responses) expectClean(res.body, receiver.path);
    });
  }
});
