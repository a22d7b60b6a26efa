// What a newcomer hits first: running kargo-env from a clone on their own folder, and the workspace's Node.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG, REPO_ROOT } from './support/paths.ts';
import { tempDir } from './support/processes.ts';

/** The pnpm this suite runs under (pnpm sets npm_execpath for scripts); npx as a last resort. */
function pnpm(args: readonly string[], cwd: string) {
  const execPath = process.env.npm_execpath;
  // pnpm may be a script (run it with this Node) or a native executable (run it as it is).
  const [command, prefix]: [string, string[]] =
    execPath === undefined || !/pnpm/.test(execPath) ? ['npx', ['-y', 'pnpm@12']] : /\.[cm]?js$/.test(execPath) ? [process.execPath, [execPath]] : [execPath, []];
  // INIT_CWD is what pnpm sets from where it is started; clear the one this suite inherited.
  const env = { ...process.env, INIT_CWD: undefined, NO_COLOR: '1' };
  return spawnSync(command, [...prefix, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

describe('kargo-env from a clone, on the user\'s own folder', () => {
  it('`pnpm --dir <clone> kargo-env …` resolves --config and --out against where the user stands', () => {
    const user = tempDir('user');
    try {
      writeFileSync(join(user.dir, 'mine.yaml'), readFileSync(EXAMPLE_CONFIG, 'utf8').replaceAll('flask-app', 'shop'));
      const render = pnpm(['--silent', '--dir', REPO_ROOT, 'kargo-env', 'render', '--config', 'mine.yaml', '--out', 'kargo'], user.dir);
      expect(render.stderr).toBe('');
      expect(render.status).toBe(0);
      expect(render.stdout).toMatch(/from mine\.yaml into kargo\//);
      // Written into the user's folder, from the user's config — not the repository's example.
      expect(readFileSync(join(user.dir, 'kargo', 'project.yaml'), 'utf8')).toMatch(/name: shop\b/);
      expect(readFileSync(join(REPO_ROOT, 'kargo', 'project.yaml'), 'utf8')).not.toMatch(/shop/);

      const missing = pnpm(['--silent', '--dir', REPO_ROOT, 'kargo-env', 'validate', '--config', 'kargo-env.yaml'], user.dir);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/config file kargo-env\.yaml not found/);
    } finally {
      user.cleanup();
    }
  });
});

describe('the workspace\'s Node', () => {
  it('pnpm checks engines against the Node every script runs on (no warnings on a Node 20 install)', () => {
    const workspace = parse(readFileSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8')) as { nodeVersion?: string };
    expect(workspace.nodeVersion).toBe(process.versions.node);
    const installed = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(workspace.nodeVersion);
  });
});
