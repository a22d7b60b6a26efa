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

describe('the READMEs a newcomer follows', () => {
  const readmes = ['README.md', 'apps/webhook-relay/README.md', 'infra/README.md', 'packages/cli/README.md', 'tests/e2e/README.md'];

  it('every shell command uses the pnpm a machine with only Node and npm can run (npx -y pnpm@12)', () => {
    const bare: string[] = [];
    for (const readme of readmes) {
      const text = readFileSync(join(REPO_ROOT, readme), 'utf8');
      for (const block of text.matchAll(/```(?:sh|bash|console)\n([\s\S]*?)```/g)) {
        for (const line of (block[1] ?? '').split('\n')) {
          // A command line (with or without a `$ ` prompt) that starts with pnpm, or chains into it.
          if (/(^|\$ |&& |; )pnpm /.test(line.trim())) bare.push(`${readme}: ${line.trim()}`);
        }
      }
    }
    expect(bare).toEqual([]);
  });

  it('what the root README says the relay README documents is there (the Dockerfile)', () => {
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toMatch(/the Dockerfile are described in \[apps\/webhook-relay\/README\.md\]/);
    expect(readFileSync(join(REPO_ROOT, 'apps/webhook-relay/README.md'), 'utf8')).toMatch(/^#+ .*Dockerfile/m);
  });

  it('infra/README says how to choose a Pulumi backend and how to try it on a local cluster', () => {
    const text = readFileSync(join(REPO_ROOT, 'infra/README.md'), 'utf8');
    expect(text).toMatch(/pulumi login --local/);
    expect(text).toMatch(/kind create cluster/);
    expect(text).toMatch(/argo-cd\/v3\.5\.1\/manifests\/install\.yaml/);
  });
});
