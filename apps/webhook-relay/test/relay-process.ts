// The built relay (node dist/main.js) as a child process on 127.0.0.1, routed to a Kargo receiver peer, for the
// tests that need real processes: restarts, SIGKILL, SIGTERM drain.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KargoReceiverPeer } from './peers/kargo-receiver.ts';
import { SECRET, writeRoutes } from './helper.ts';

export const MAIN = resolve(import.meta.dirname, '../dist/main.js');
export const RECEIVER_SECRET = 'kargo-receiver-secret';

export interface RelayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logs: string[];
}

/** Fails fast with the fix when the relay was not built. */
export function requireBuiltRelay(): void {
  if (!existsSync(MAIN)) throw new Error('run `npx -y pnpm@12 --filter @kargo/webhook-relay... build` first: this test starts dist/main.js');
}

/**
 * Starts the relay with a data dir in `dir`, every image routed to `peer`'s receiver, fast retries; `env` adds or
 * overrides variables. Resolves with its URL once it listens (10 s at most); `onCleanup` gets a SIGKILL for the end.
 */
export async function startRelayProcess(dir: string, peer: KargoReceiverPeer, images: readonly string[], env: Record<string, string>, onCleanup: (fn: () => void) => void): Promise<RelayProcess> {
  const routesFile = writeRoutes(dir, { routes: images.map((image) => ({ image, targets: [{ kargoWebhook: { url: peer.url, secretEnv: 'KARGO_RECEIVER_SECRET' } }] })) });
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      GITHUB_WEBHOOK_SECRETS: SECRET,
      RELAY_ROUTES_FILE: routesFile,
      RELAY_DATA_DIR: join(dir, 'data'),
      KARGO_RECEIVER_SECRET: RECEIVER_SECRET,
      RELAY_COALESCE_WINDOW_MS: '0',
      RELAY_RETRY_BASE_MS: '50',
      RELAY_RETRY_MAX_MS: '300',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
  let buffered = '';
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay did not start:\n${logs.join('')}`)), 10_000);
    child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString();
      logs.push(c.toString());
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(buffered);
      if (m !== null) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${String(code)}:\n${logs.join('')}`));
    });
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, url, logs };
}
