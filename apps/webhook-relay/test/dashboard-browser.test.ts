/// <reference lib="dom" />
// The delivery dashboard in a real browser (issue 13): Debian's Chromium, headless, driven by playwright-core, against
// the built relay (node dist/main.js) on 127.0.0.1 forwarding to a loopback Kargo receiver peer. Sign in (a wrong
// token first), totals that match the inbox, filter failed, replay one and watch it turn `done` through the event
// stream as the peer receives it. A screenshot of each state is written to a temp dir, whose path is printed.
//
// Chromium: $CHROMIUM_PATH, else /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it). Without it
// the test fails when CI is set, and is skipped with a message otherwise.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivery, tempDir, waitFor } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';
import { KargoReceiverPeer } from './peers/kargo-receiver.ts';
import { RECEIVER_SECRET, requireBuiltRelay, startRelayProcess, type RelayProcess } from './relay-process.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IN_CI = (process.env.CI ?? '') !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const MISSING = `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does when it is absent) or set CHROMIUM_PATH to a Chromium executable`;
if (!HAVE_CHROMIUM && !IN_CI) console.warn(`skipping the dashboard browser test: ${MISSING}`);

const ADMIN = 'browser-admin-token-3f9c2a';
const HEALTHY = 'ghcr.io/acme/storefront';
const FAILING = 'ghcr.io/acme/payments';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Listed {
  readonly id: string;
  readonly status: 'pending' | 'failed' | 'done';
}

async function listing(relay: RelayProcess): Promise<Listed[]> {
  const res = await request(`${relay.url}/deliveries?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { deliveries: Listed[] }).deliveries;
}

async function push(relay: RelayProcess, image: string, tag: string): Promise<string> {
  const d = delivery('package', ghcrPackage({ image, tag }));
  const res = await request(`${relay.url}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body });
  await res.body.dump();
  expect(res.statusCode).toBe(202);
  return d.headers['x-github-delivery']!;
}

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('delivery dashboard in headless Chromium', () => {
  let relay: RelayProcess;
  let peer: KargoReceiverPeer;
  let browser: Browser;
  let shots: string;
  let failing: string[];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(MISSING);
    requireBuiltRelay();
    peer = new KargoReceiverPeer({
      secret: RECEIVER_SECRET,
      warehouses: [
        { namespace: 'acme', name: 'storefront', repoURL: HEALTHY },
        { namespace: 'acme', name: 'payments', repoURL: FAILING },
      ],
    });
    await peer.listen();
    cleanups.push(() => peer.close());
    const dir = tempDir('relay-dashboard-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    relay = await startRelayProcess(dir, peer, [HEALTHY, FAILING], { RELAY_ADMIN_TOKEN: ADMIN, RELAY_GIVE_UP_MS: '1000', RELAY_RETRY_MAX_MS: '200' }, (kill) => cleanups.push(kill));

    // Two deliveries Kargo gets, then two it refuses (500) until the relay gives up on them.
    await push(relay, HEALTHY, '1.4.0');
    await push(relay, HEALTHY, '1.4.1');
    await waitFor(() => peer.received.length >= 1 && peer.received.every((r) => r.image === HEALTHY), 10_000, 'the healthy deliveries to reach the peer');
    await waitFor(async () => (await listing(relay)).filter((d) => d.status === 'done').length === 2, 10_000, 'two done');
    peer.mode = 'fail500';
    failing = [await push(relay, FAILING, '3.1.0'), await push(relay, FAILING, '3.1.1')];
    await waitFor(async () => (await listing(relay)).filter((d) => d.status === 'failed').length === 2, 15_000, 'two failed after give-up');
    peer.mode = 'ok';

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'], timeout: 30_000 });
    cleanups.push(() => browser.close());
    shots = mkdtempSync(join(tmpdir(), 'relay-dashboard-shots-'));
    console.log(`dashboard screenshots: ${shots}`);
  }, 90_000);

  it('signs in, shows counts that match the inbox, filters failed, replays one and shows it done live', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    cleanups.push(() => context.close());
    const page: Page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const requests: { url: string; authorization: string | undefined }[] = [];
    page.on('request', (r) => requests.push({ url: r.url(), authorization: r.headers().authorization }));
    let shotIndex = 1;
    const shot = async (name: string) => {
      const path = join(shots, `${String(shotIndex++).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path, fullPage: true });
      console.log(`  ${path}`);
    };

    const response = await page.goto(`${relay.url}/admin/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('token');
    await shot('sign-in');

    // A wrong token: an error, read out (role=alert), and nothing of the dashboard.
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.keyboard.press('Enter');
    const error = page.getByRole('alert').filter({ hasText: 'Sign-in failed' });
    await expect.poll(() => error.textContent()).toContain('did not accept this token (401)');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    await shot('wrong-token');

    // The right one, with the keyboard only.
    await page.getByLabel('Admin token').fill(ADMIN);
    await page.keyboard.press('Enter');
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#live-state').textContent()).toContain('connected');
    const inbox = await listing(relay);
    const count = (status: Listed['status']) => String(inbox.filter((d) => d.status === status).length);
    await expect.poll(() => page.locator('#total-all').textContent()).toBe(String(inbox.length));
    expect(await page.locator('#total-failed').textContent()).toBe(count('failed'));
    expect(await page.locator('#total-done').textContent()).toBe(count('done'));
    expect(await page.locator('#total-pending').textContent()).toBe(count('pending'));
    expect(inbox.map((d) => d.status).sort()).toEqual(['done', 'done', 'failed', 'failed']);
    const byRoute = await page.locator('#by-route tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    expect(byRoute).toEqual([
      [FAILING, '2', '0', '2', '0'],
      [HEALTHY, '2', '0', '0', '2'],
    ]);
    expect(await page.locator('#readiness').textContent()).toBe('Ready');
    expect(await page.locator('#disk-inbox').textContent()).toMatch(/^Inbox \d/);
    expect(await page.locator('#delivery-rows tr').count()).toBe(4);
    await shot('signed-in');

    // Filter failed.
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('#delivery-rows tr').count()).toBe(2);
    const shown = await page.locator('#delivery-rows tr').evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.delivery, (r as HTMLElement).dataset.status]));
    expect(shown.map(([id]) => id).sort()).toEqual([...failing].sort());
    expect(shown.every(([, status]) => status === 'failed')).toBe(true);
    await shot('filtered-failed');

    // One failed delivery's detail: event, image, tag, its jobs with attempts, times and the redacted error.
    const target = failing[0]!;
    await page.getByRole('button', { name: `Details of delivery ${target}` }).click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('detail-title');
    expect(await page.locator('#d-id').textContent()).toBe(target);
    expect(await page.locator('#d-status').textContent()).toBe('failed');
    expect(await page.locator('#d-event').textContent()).toBe('package · published');
    expect(await page.locator('#d-image').textContent()).toBe(FAILING);
    expect(await page.locator('#d-tag').textContent()).toBe('3.1.0');
    const jobText = (await page.locator('#d-jobs').textContent()) ?? '';
    expect(jobText).toContain('500');
    expect(jobText).not.toContain(peer.path);
    expect(jobText).not.toContain(peer.path.slice(-64, -4));
    await shot('detail-failed');

    // Replay it: the peer receives it, and the page shows it done without a reload (the event stream).
    const before = peer.received.length;
    await page.getByRole('button', { name: 'Replay this delivery' }).click();
    await waitFor(() => peer.received.slice(before).some((r) => r.deliveryId === target), 10_000, 'the replayed delivery at the peer');
    await expect.poll(() => page.locator('#d-status').textContent(), { timeout: 10_000 }).toBe('done');
    await expect.poll(() => page.locator('#total-failed').textContent()).toBe('1');
    await expect.poll(() => page.locator('#total-done').textContent()).toBe('3');
    await expect.poll(() => page.locator('#announcer').textContent()).toContain(`Delivery ${target} is now done`);
    // It left the "failed" list; the other one is still there.
    await expect.poll(() => page.locator('#delivery-rows tr').count()).toBe(1);
    expect(await page.locator('#delivery-rows tr').getAttribute('data-delivery')).toBe(failing[1]);
    await shot('replayed-done');

    // A delivery that arrives meanwhile shows up by itself.
    await push(relay, HEALTHY, '1.5.0');
    await expect.poll(() => page.locator('#total-all').textContent(), { timeout: 10_000 }).toBe('5');
    expect((await listing(relay)).length).toBe(5);
    await shot('live-update');

    // The token never went into a URL; every API call and the event stream carried it as a header.
    expect(page.url()).toBe(`${relay.url}/admin/`);
    for (const r of requests) expect(r.url).not.toContain(ADMIN);
    const api = requests.filter((r) => new URL(r.url).pathname.startsWith('/admin/api/') || new URL(r.url).pathname.startsWith('/deliveries'));
    expect(api.some((r) => r.url.endsWith('/admin/api/events'))).toBe(true);
    for (const r of api.filter((x) => x.authorization !== `Bearer not-the-token`)) expect(r.authorization).toBe(`Bearer ${ADMIN}`);

    // Sign out forgets it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await shot('signed-out');

    // No CSP violation, script error or failed load anywhere on the way, but the wrong token's 401.
    expect(problems).toEqual(['error: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  }, 120_000);
});
