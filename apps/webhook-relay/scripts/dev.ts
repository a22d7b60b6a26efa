// `pnpm dev`: runs the built relay locally with log targets, prints a dev secret and a curl that sends a signed delivery.
import { spawn } from 'node:child_process';
import { randomBytes, createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dataDir = join(root, '.relay-data');
mkdirSync(dataDir, { recursive: true });
const routesFile = join(dataDir, 'dev-routes.yaml');
writeFileSync(routesFile, 'routes:\n  - image: ghcr.io/example/app\n    targets:\n      - log: {}\n');

const secret = process.env.GITHUB_WEBHOOK_SECRETS ?? `dev-${randomBytes(12).toString('hex')}`;
const port = process.env.PORT ?? '8080';
const body = JSON.stringify({
  action: 'published',
  package: {
    name: 'app',
    namespace: 'example',
    package_type: 'CONTAINER',
    package_version: {
      version: `sha256:${'0'.repeat(64)}`,
      package_url: 'ghcr.io/example/app:1.0.0',
      container_metadata: { tag: { name: '1.0.0' }, manifest: { config: { media_type: 'application/vnd.oci.image.config.v1+json' } } },
    },
  },
});
const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

process.stdout.write(
  [
    '',
    `webhook-relay (dev): routes ${routesFile}, inbox ${dataDir}`,
    `dev secret: ${secret}`,
    'send a signed example delivery (run it twice to see the duplicate answer):',
    '',
    `curl -i http://127.0.0.1:${port}/webhooks/github \\`,
    `  -H 'content-type: application/json' -H 'x-github-event: package' \\`,
    `  -H "x-github-delivery: dev-$(date +%s)" \\`,
    `  -H 'x-hub-signature-256: ${signature}' \\`,
    `  --data-raw ${quote(body)}`,
    '',
    '',
  ].join('\n'),
);

const child = spawn(process.execPath, [join(root, 'dist/main.js')], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PORT: port,
    HOST: process.env.HOST ?? '127.0.0.1',
    GITHUB_WEBHOOK_SECRETS: secret,
    RELAY_ROUTES_FILE: routesFile,
    RELAY_DATA_DIR: dataDir,
    RELAY_ADMIN_TOKEN: process.env.RELAY_ADMIN_TOKEN ?? 'dev-admin-token',
  },
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => {
  process.exitCode = code ?? 0;
});
