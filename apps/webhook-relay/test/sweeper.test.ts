// The sweeper against a loopback peer of GitHub's hook-deliveries API that really redelivers to the relay.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GitHubApiPeer } from './peers/github-api.ts';
import { build, delivery, waitFor, type Built } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('sweeper', () => {
  it('asks GitHub to redeliver failed deliveries the inbox has not seen, inside the window, once', async () => {
    let relayUrl = '';
    const github = new GitHubApiPeer('repos/acme/app/hooks/42', () => relayUrl);
    const api = await github.listen();
    cleanups.push(() => github.close());
    const built: Built = await build({
      env: { GITHUB_TOKEN: github.token, GITHUB_HOOK_REPO: 'acme/app', GITHUB_HOOK_ID: '42', GITHUB_API_URL: api, RELAY_COALESCE_WINDOW_MS: '60000', RELAY_SWEEP_INTERVAL_MS: '3600000' },
    });
    cleanups.push(() => built.close());
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    relayUrl = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}/webhooks/github`;

    const make = (tag: string) => delivery('package', ghcrPackage({ tag }));
    const missed = [make('1.0.0'), make('1.0.1'), make('1.0.2')];
    for (const d of missed) github.recordFailed(d.headers['x-github-delivery']!, 'package', d.headers, d.body);
    // Delivered fine: nothing to do.
    const ok = make('1.0.3');
    expect(await github.send(ok.headers['x-github-delivery']!, 'package', ok.headers, ok.body)).toBe(202);
    // Failed once, then redelivered by hand with success.
    const healed = make('1.0.4');
    github.recordFailed(healed.headers['x-github-delivery']!, 'package', healed.headers, healed.body);
    github.recordFailed(healed.headers['x-github-delivery']!, 'package', healed.headers, healed.body, new Date(), 200);
    // Older than GitHub's 3-day window: it would refuse.
    const old = make('1.0.5');
    github.recordFailed(old.headers['x-github-delivery']!, 'package', old.headers, old.body, new Date(Date.now() - 4 * 86_400_000));
    // Our own verdict (bad signature) is not worth asking again.
    const refused = make('1.0.6');
    github.recordFailed(refused.headers['x-github-delivery']!, 'package', refused.headers, refused.body, new Date(), 401);

    const sweeper = built.app.sweeper!;
    const asked = await sweeper.sweep();
    expect(new Set(asked)).toEqual(new Set(missed.map((d) => d.headers['x-github-delivery'])));
    await waitFor(() => missed.every((d) => built.app.inbox.has(d.headers['x-github-delivery']!)), 5_000, 'redeliveries stored');
    expect(github.redeliveryRequests).toHaveLength(3);
    // A second pass finds nothing new.
    expect(await sweeper.sweep()).toEqual([]);
    expect(github.redeliveryRequests).toHaveLength(3);
    expect((await built.app.inject({ url: '/metrics' })).body).toContain('relay_sweeper_redeliveries_total{outcome="requested"} 3');
  });

  it('bounds one pass by RELAY_SWEEP_MAX_REDELIVERIES and follows pagination', async () => {
    const github = new GitHubApiPeer('orgs/acme/hooks/7', () => 'http://127.0.0.1:9/unreachable');
    const api = await github.listen();
    cleanups.push(() => github.close());
    const built = await build({ env: { GITHUB_TOKEN: github.token, GITHUB_HOOK_ORG: 'acme', GITHUB_HOOK_ID: '7', GITHUB_API_URL: api, RELAY_SWEEP_MAX_REDELIVERIES: '5' } });
    cleanups.push(() => built.close());
    for (let i = 0; i < 150; i++) {
      const d = delivery('package', ghcrPackage({ tag: `2.0.${i}` }));
      github.recordFailed(d.headers['x-github-delivery']!, 'package', d.headers, d.body, new Date(Date.now() - i * 1000), 503);
    }
    expect(await built.app.sweeper!.sweep()).toHaveLength(5);
    expect(github.redeliveryRequests).toHaveLength(5);
  });
});
