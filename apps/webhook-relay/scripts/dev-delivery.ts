// The example delivery `dev` prints as a curl: pure functions, so a test can check the id and the duplicate answer.
import { createHash, createHmac } from 'node:crypto';

export const DEV_IMAGE = 'ghcr.io/example/app';
export const DEV_TAG = '1.0.0';

/** The routes `dev` starts the relay with: the example image, to the log target only. */
export const DEV_ROUTES_YAML = `routes:\n  - image: ${DEV_IMAGE}\n    targets:\n      - log: {}\n`;

/**
 * The example's `X-GitHub-Delivery`: derived from the image and tag it announces, so it is the same on every send
 * and every run of `dev` — sending it again answers `200 {"duplicate":true}`, as a redelivery by GitHub would be.
 * UUID-shaped like GitHub's, with a `dev-` prefix so it is never mistaken for one of theirs.
 */
export function devDeliveryId(image: string, tag: string): string {
  const hex = createHash('sha256').update(`${image}:${tag}`).digest('hex');
  return `dev-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface DevDelivery {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A `package` `published` event for DEV_IMAGE:DEV_TAG, signed with `secret` as GitHub signs it. */
export function devDelivery(secret: string): DevDelivery {
  const [namespace, name] = DEV_IMAGE.split('/').slice(1);
  const body = JSON.stringify({
    action: 'published',
    package: {
      name,
      namespace,
      package_type: 'CONTAINER',
      package_version: {
        version: `sha256:${'0'.repeat(64)}`,
        package_url: `${DEV_IMAGE}:${DEV_TAG}`,
        container_metadata: { tag: { name: DEV_TAG }, manifest: { config: { media_type: 'application/vnd.oci.image.config.v1+json' } } },
      },
    },
  });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'package',
      'x-github-delivery': devDeliveryId(DEV_IMAGE, DEV_TAG),
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The curl that sends `delivery` to a relay on 127.0.0.1:`port`; every value literal, nothing the shell computes. */
export function devCurl(port: number | string, delivery: DevDelivery): string {
  return [
    `curl -i http://127.0.0.1:${port}/webhooks/github \\`,
    ...Object.entries(delivery.headers).map(([name, value]) => `  -H ${quote(`${name}: ${value}`)} \\`),
    `  --data-raw ${quote(delivery.body)}`,
  ].join('\n');
}
