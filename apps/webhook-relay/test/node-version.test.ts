// The entry point refuses a Node.js too old for the relay with one line, before anything imports node:sqlite.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNodeVersion, REQUIRED_NODE_MAJOR } from '../src/node-version.ts';

const MAIN = resolve(import.meta.dirname, '../dist/main.js');
const HOW = 'npx -y pnpm@12 --filter @kargo/webhook-relay start';

describe('checkNodeVersion', () => {
  it.each([
    ['20.20.2', false],
    ['22.5.0', false],
    ['22.13.0', false],
    ['23.11.1', false],
    ['24.0.0', true],
    ['24.21.0', true],
    ['25.2.1', true],
    ['30.0.0-nightly2030', true],
  ])('Node %s → ok: %s', (version, ok) => {
    const result = checkNodeVersion(version);
    expect(result.ok).toBe(ok);
    if (!result.ok) {
      expect(result.message).not.toContain('\n');
      expect(result.message).toContain(`Node.js >= ${REQUIRED_NODE_MAJOR}`);
      expect(result.message).toContain(`v${version}`);
      expect(result.message).toContain(HOW);
    }
  });

  it('refuses a version it cannot read, saying so', () => {
    const result = checkNodeVersion('not-a-version');
    expect(result).toEqual({ ok: false, message: expect.stringContaining('"not-a-version"') });
  });

  it("requires what the package's engines field says", () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${REQUIRED_NODE_MAJOR}`);
  });
});

/** A Node.js binary older than 22 on this machine (the system one, here), or undefined. */
function oldNode(): { path: string; version: string } | undefined {
  const candidates = new Set(['/usr/bin/node', '/usr/local/bin/node', ...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, 'node'))]);
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    try {
      const version = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
      if (Number(/^v(\d+)\./.exec(version)?.[1]) < 22) return { path, version };
    } catch {
      // not runnable: try the next one
    }
  }
  return undefined;
}

const old = oldNode();

describe('the built entry point on an old Node.js', () => {
  it.skipIf(old === undefined)(
    `exits 1 with one line naming the required and the current version, no stack (${old === undefined ? 'SKIPPED: no Node.js < 22 found on this machine' : `${old.path} ${old.version}`})`,
    async () => {
      expect(existsSync(MAIN), 'run `npx -y pnpm@12 --filter @kargo/webhook-relay... build` first: this test starts dist/main.js').toBe(true);
      // A complete, valid-looking environment: the only reason to fail is the Node version.
      const child = spawn(old!.path, [MAIN], { env: { PATH: process.env.PATH ?? '', GITHUB_WEBHOOK_SECRETS: 's', RELAY_ROUTES_FILE: '/nonexistent/routes.yaml' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.endsWith('\n')).toBe(true);
      const lines = stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`Node.js >= ${REQUIRED_NODE_MAJOR}`);
      expect(lines[0]).toContain(old!.version);
      expect(lines[0]).toContain(HOW);
      expect(stderr).not.toMatch(/ERR_UNKNOWN_BUILTIN_MODULE|\n\s+at /);
    },
  );
});
