// One build() for route-contract tests: a relay app on a temp data dir with a generated routes file.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { stringify } from 'yaml';
import type { RelayRoutesInput } from '@kargo/model/relay';
import { loadConfig, type RelayConfig } from '../src/config.ts';
import { sign } from '../src/github.ts';
import { createServer } from '../src/server.ts';
import { GHCR_IMAGE } from './github-payloads.ts';

export const SECRET = 'It is a Secret to Everybody';

export interface Built {
  readonly app: FastifyInstance;
  readonly config: RelayConfig;
  readonly dir: string;
  close(): Promise<void>;
}

export function tempDir(prefix = 'relay-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeRoutes(dir: string, routes: RelayRoutesInput): string {
  const file = join(dir, 'routes.yaml');
  writeFileSync(file, stringify(routes));
  return file;
}

export const DEFAULT_ROUTES: RelayRoutesInput = {
  routes: [{ image: GHCR_IMAGE, targets: [{ log: {} }] }],
};

/** Builds (not listening) with a silent logger; env overrides win over the test defaults. */
export async function build(options: { routes?: RelayRoutesInput; env?: Record<string, string>; dir?: string } = {}): Promise<Built> {
  const dir = options.dir ?? tempDir();
  const routesFile = writeRoutes(dir, options.routes ?? DEFAULT_ROUTES);
  const config = loadConfig({
    GITHUB_WEBHOOK_SECRETS: SECRET,
    RELAY_ROUTES_FILE: routesFile,
    RELAY_DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const app = await createServer(config, false);
  await app.ready();
  return {
    app,
    config,
    dir,
    async close() {
      await app.close();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SignedDelivery {
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A delivery as GitHub would send it (JSON unless `form`), signed with `secret`. */
export function delivery(event: string, payload: unknown, options: { secret?: string; id?: string; form?: boolean; hookId?: string } = {}): SignedDelivery {
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const body = options.form === true ? `payload=${encodeURIComponent(json)}` : json;
  return {
    body,
    headers: {
      'content-type': options.form === true ? 'application/x-www-form-urlencoded' : 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.id ?? randomUUID(),
      'x-github-hook-id': options.hookId ?? '510077311',
      'x-hub-signature-256': sign(options.secret ?? SECRET, body),
      'user-agent': 'GitHub-Hookshot/7c1e9a2',
    },
  };
}

/** Polls `check` every 20 ms until it is truthy or `timeoutMs` passes (then throws). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
