// The `dev` script's example delivery: its id is the same every time, so sending it twice shows the duplicate answer.
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEV_IMAGE, DEV_ROUTES_YAML, DEV_TAG, devCurl, devDelivery, devDeliveryId } from '../scripts/dev-delivery.ts';
import { build, SECRET, type Built } from './helper.ts';

let built: Built | undefined;
afterEach(async () => {
  await built?.close();
  built = undefined;
});

describe('dev delivery', () => {
  it('has an id derived from the image and tag: the same on every run, another for another tag', () => {
    const id = devDeliveryId(DEV_IMAGE, DEV_TAG);
    expect(devDeliveryId(DEV_IMAGE, DEV_TAG)).toBe(id);
    expect(devDeliveryId(DEV_IMAGE, '1.0.1')).not.toBe(id);
    expect(devDeliveryId('ghcr.io/example/other', DEV_TAG)).not.toBe(id);
    // What the webhook route accepts as X-GitHub-Delivery.
    expect(id).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    expect(devDelivery('one secret').headers['x-github-delivery']).toBe(id);
    expect(devDelivery('another secret').headers['x-github-delivery']).toBe(id);
  });

  it('prints a curl with that literal id, nothing the shell would compute per run', () => {
    const d = devDelivery(SECRET);
    const curl = devCurl(8080, d);
    expect(curl).toContain(`-H 'x-github-delivery: ${d.headers['x-github-delivery']}'`);
    expect(curl).not.toMatch(/\$\(|`/);
    expect(curl).toContain(`-H 'x-hub-signature-256: ${d.headers['x-hub-signature-256']}'`);
  });

  it('is stored the first time and answered {duplicate: true} the second', async () => {
    built = await build({ routes: parse(DEV_ROUTES_YAML), env: { RELAY_COALESCE_WINDOW_MS: '0' } });
    const d = devDelivery(SECRET);
    const send = () => built!.app.inject({ method: 'POST', url: '/webhooks/github', headers: d.headers, payload: d.body });
    const first = await send();
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ delivery: d.headers['x-github-delivery'], matched: ['log'] });
    const second = await send();
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ duplicate: true, delivery: d.headers['x-github-delivery'] });
  });
});
