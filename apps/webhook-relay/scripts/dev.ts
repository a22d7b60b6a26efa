// `npx -y pnpm@12 --filter @kargo/webhook-relay dev`: runs the built relay locally with log targets, prints a dev
// secret and a curl that sends a signed delivery (scripts/dev-delivery.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEV_ROUTES_YAML, devCurl, devDelivery } from './dev-delivery.ts';

const root = resolve(import.meta.dirname, '..');
const dataDir = join(root, '.relay-data');
mkdirSync(dataDir, { recursive: true });
const routesFile = join(dataDir, 'dev-routes.yaml');
writeFileSync(routesFile, DEV_ROUTES_YAML);

const secret = process.env.GITHUB_WEBHOOK_SECRETS ?? `dev-${randomBytes(12).toString('hex')}`;
const port = process.env.PORT ?? '8080';
const example = devDelivery(secret);

process.stdout.write(
  [
    '',
    `webhook-relay (dev): routes ${routesFile}, inbox ${dataDir}`,
    `dev secret: ${secret}`,
    'send a signed example delivery. The first send answers 202 (stored, then forwarded to the log target); every',
    `later one answers 200 {"duplicate":true}: its X-GitHub-Delivery (${example.headers['x-github-delivery']}) is the same each time,`,
    `and the inbox remembers it, across restarts of dev too, for RELAY_RETENTION_HOURS (96 by default; delete ${dataDir} to forget it).`,
    'Change the x-github-delivery value to send a new delivery.',
    '',
    devCurl(port, example),
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
