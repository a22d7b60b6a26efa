// /readyz on a full disk (issue 13, defect 6): not ready while the inbox cannot be written — the same failure that
// makes POST answer 503 — and ready again once it can. A real full disk: a small tmpfs mounted in a temp dir, which
// needs root (CAP_SYS_ADMIN); elsewhere the test is skipped with a message saying so.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { build, delivery, waitFor, type Built } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';

/** Mounts a tmpfs of `size` in a fresh temp dir; undefined (and why) when this process may not mount. */
function mountTmpfs(size: string): { dir: string; unmount(): void } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'relay-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(dir);
    return { error: (error as Error & { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message };
  }
  return {
    dir,
    unmount() {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      }
      rmdirSync(dir);
    },
  };
}

const probe = mountTmpfs('1m');
const canMount = !('error' in probe);
if ('error' in probe) console.warn(`readyz-disk: skipped, cannot mount a tmpfs to fill (needs root / CAP_SYS_ADMIN): ${probe.error}`);
else probe.unmount();

/** Writes a filler file until the filesystem is full (bounded by `maxBytes`); returns its path. */
function fillDisk(dir: string, maxBytes: number): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  try {
    for (let written = 0; written < maxBytes; ) {
      try {
        written += writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return file;
        throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`the disk was not full after ${maxBytes} bytes`);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.skipIf(!canMount)('readiness on a full disk (tmpfs)', () => {
  it('/readyz answers 503 while POST answers 503 for a full disk, and 200 again once space is freed', async () => {
    const mounted = mountTmpfs('8m');
    if ('error' in mounted) throw new Error(mounted.error);
    cleanups.push(() => mounted.unmount());
    const relay: Built = await build({ dir: mounted.dir });
    cleanups.push(() => relay.close());
    const post = (tag: string) => {
      const d = delivery('package', ghcrPackage({ tag }));
      return relay.app.inject({ method: 'POST', url: '/webhooks/github', headers: d.headers, payload: d.body });
    };
    const ready = async () => (await relay.app.inject({ url: '/readyz' })).statusCode;

    expect((await post('1.0.0')).statusCode).toBe(202);
    expect(await ready()).toBe(200);

    const filler = fillDisk(mounted.dir, 16 * 1024 * 1024);
    const refused = await post('1.0.1');
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    const readyz = await relay.app.inject({ url: '/readyz' });
    expect(readyz.statusCode).toBe(503);
    expect(readyz.json()).toMatchObject({ status: 'not ready', checks: { inboxWritable: false } });
    // Stays not ready without further POSTs (Kubernetes stops sending traffic to a pod that is not ready).
    await new Promise((r) => setTimeout(r, 200));
    expect(await ready()).toBe(503);

    rmSync(filler);
    // Ready again by itself (a probe write succeeds), then POST is accepted.
    await waitFor(async () => (await ready()) === 200, 5_000, 'ready after space is freed');
    expect((await post('1.0.2')).statusCode).toBe(202);
    expect(await ready()).toBe(200);
  }, 30_000);
});
