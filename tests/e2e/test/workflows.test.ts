// The GitHub Actions workflows: actionlint passes on them (and really fails a broken one), CI runs .ci/run, and the
// release builds what the issue promises — npm through changesets with provenance, the relay image for amd64 and
// arm64 with SBOM and provenance, tagged with the relay's version and the commit — with least-privilege tokens.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/paths.ts';
import { tempDir } from './support/processes.ts';

const LINT = join(REPO_ROOT, 'scripts/lint-workflows.ts');

function lint(dir?: string) {
  return spawnSync(process.execPath, [LINT, ...(dir === undefined ? [] : [dir])], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '' } });
}

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, string | boolean | number>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly uses?: string;
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly container?: string;
  readonly steps?: Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  readonly jobs: Record<string, Job>;
}
const workflow = (name: string) => parse(readFileSync(join(REPO_ROOT, '.github/workflows', name), 'utf8')) as Workflow;

describe('actionlint (scripts/lint-workflows.ts, run by .ci/run)', () => {
  it('passes on the repository\'s workflows', () => {
    const run = lint();
    expect(run.stdout).toBe('✓ 2 workflow file(s) pass actionlint\n');
    expect(run.status).toBe(0);
  });

  it('fails a broken workflow, naming each problem at file:line:column (exit 1)', () => {
    const tmp = tempDir('workflows');
    try {
      writeFileSync(
        join(tmp.dir, 'broken.yml'),
        [
          'on: push',
          'permissions:',
          '  packagez: write',
          'jobs:',
          '  build:',
          '    runs-on: ubuntu-24.04',
          '    needs: tests',
          '    steps:',
          '      - uses: actions/checkout@v4',
          '        with:',
          '          fetch-depht: 0',
          '      - run: echo "${{ steps.relay.outputs.version }}"',
          '',
        ].join('\n'),
      );
      const run = lint(tmp.dir);
      expect(run.status).toBe(1);
      const lines = run.stdout.trim().split('\n');
      expect(lines.at(-1)).toMatch(/^✗ \d+ problem\(s\) in 1 workflow file\(s\)$/);
      const at = (line: number) => lines.filter((l) => l.startsWith(`${join(tmp.dir, 'broken.yml')}:${line}:`));
      expect(at(3).join('\n')).toMatch(/unknown permission scope "packagez".*\[permissions\]/);
      expect(at(5).join('\n')).toMatch(/job "build" needs job "tests" which does not exist.*\[job-needs\]/);
      expect(at(11).join('\n')).toMatch(/input "fetch-depht" is not defined in action "actions\/checkout@v4".*\[action\]/);
      expect(at(12).join('\n')).toMatch(/property "relay" is not defined.*\[expression\]/);
    } finally {
      tmp.cleanup();
    }
  });

  it('exits 2 when there is nothing to lint, rather than passing', () => {
    const tmp = tempDir('workflows-empty');
    try {
      mkdirSync(join(tmp.dir, 'empty'));
      const empty = lint(join(tmp.dir, 'empty'));
      expect(empty.status).toBe(2);
      expect(empty.stderr).toMatch(/no \*\.yml or \*\.yaml file in .*empty: nothing to lint/);
      const missing = lint(join(tmp.dir, 'missing'));
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/cannot read .*missing/);
    } finally {
      tmp.cleanup();
    }
  });

  it('is part of .ci/run and a root script', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['lint:workflows']).toBe('node scripts/lint-workflows.ts');
    expect(readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8')).toMatch(/^pnpm lint:workflows$/m);
  });
});

describe('the workflows', () => {
  const ci = workflow('ci.yml');
  const release = workflow('release.yml');

  it('pin every action to a major version tag or a commit', () => {
    const uses = [ci, release].flatMap((w) => Object.values(w.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses).filter((u) => u !== undefined)));
    expect(uses.length).toBeGreaterThan(5);
    expect(uses.filter((u) => !/^[\w.-]+\/[\w.-]+@(v\d+|[0-9a-f]{40})$/.test(u))).toEqual([]);
  });

  it('CI runs .ci/run on pull requests and pushes, in a Debian container with only Node.js 20 and npm, read-only', () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['pull_request', 'push', 'workflow_call']));
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(ci.concurrency?.group).toMatch(/^ci-/);
    const job = ci.jobs.ci!;
    expect(job.container).toBe('node:20-bookworm');
    expect(job.steps?.at(-1)?.run).toBe('bash .ci/run');
  });

  it('Release calls CI first, then publishes npm packages and the relay image, each job with only the permissions it needs', () => {
    expect(Object.keys(release.on)).toContain('push');
    expect(release.permissions).toEqual({});
    expect(release.concurrency).toEqual({ group: expect.stringMatching(/^release-/) as string, 'cancel-in-progress': false });
    expect(release.jobs.ci).toMatchObject({ uses: './.github/workflows/ci.yml', permissions: { contents: 'read' } });
    expect(release.jobs.npm?.needs).toBe('ci');
    expect(release.jobs['relay-image']?.needs).toBe('ci');
    expect(release.jobs.npm?.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', 'id-token': 'write' });
    expect(release.jobs['relay-image']?.permissions).toEqual({ contents: 'read', packages: 'write' });
  });

  it('npm: changesets opens the version pull request or publishes `pnpm release` with provenance', () => {
    const steps = release.jobs.npm?.steps ?? [];
    const changesets = steps.find((s) => s.uses?.startsWith('changesets/action@'));
    expect(changesets?.with).toMatchObject({ version: 'pnpm version-packages', publish: 'pnpm release' });
    expect(changesets?.env).toMatchObject({ PNPM_CONFIG_PROVENANCE: 'true', NPM_TOKEN: '${{ secrets.NPM_TOKEN }}' });
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['version-packages']).toMatch(/changeset version/);
    expect(scripts.release).toMatch(/changeset publish/);
  });

  it('relay image: built only when its version is not pushed yet, multi-arch, tagged version + commit, SBOM and provenance', () => {
    const steps = release.jobs['relay-image']?.steps ?? [];
    const uses = steps.map((s) => s.uses?.replace(/@.*/, '')).filter((u) => u !== undefined);
    expect(uses).toEqual(['actions/checkout', 'docker/login-action', 'docker/setup-qemu-action', 'docker/setup-buildx-action', 'docker/metadata-action', 'docker/build-push-action']);
    expect(steps.find((s) => s.uses?.startsWith('docker/login-action@'))?.with).toEqual({ registry: 'ghcr.io', username: '${{ github.actor }}', password: '${{ secrets.GITHUB_TOKEN }}' });
    expect(steps.find((s) => s.id === 'relay')?.run).toContain("require('./apps/webhook-relay/package.json').version");
    for (const s of steps.filter((s) => /^docker\/(setup|metadata|build)/.test(s.uses ?? ''))) expect(s.if, s.uses).toBe("steps.check.outputs.push == 'true'");
    const meta = steps.find((s) => s.id === 'meta')?.with ?? {};
    expect(String(meta.tags).trim().split('\n')).toEqual(['type=raw,value=${{ steps.relay.outputs.version }}', 'type=sha,format=long,prefix=sha-']);
    expect(meta.flavor).toBe('latest=false');
    const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))?.with ?? {};
    expect(build).toMatchObject({ platforms: 'linux/amd64,linux/arm64', provenance: 'mode=max', sbom: true, push: true, tags: '${{ steps.meta.outputs.tags }}' });
  });
});
