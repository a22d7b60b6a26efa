// `kargo-env rehearse` as a command: flags → options, exit codes, --json, and the user's repository untouched
// unless --push (real git in temp dirs; the origin repository is built from a small config).
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearseOptionsFromFlags, runRehearse } from '../src/commands/rehearse.ts';
import { CliErrorCode, ExitCode, UsageError } from '../src/errors.ts';
import { main } from '../src/program.ts';
import { captureIo, rejection, tempDir } from './helpers.ts';
import { git, makeOrigin, refs, shopConfig } from './fixtures/rehearse/origin.ts';

describe('rehearse flags', () => {
  it('turns flags into options, --env repeatable', () => {
    expect(rehearseOptionsFromFlags({ repo: '.', tag: '1.2.3', env: ['dev', 'staging'], push: true })).toEqual({ config: 'kargo-env.yaml', repo: '.', tag: '1.2.3', envs: ['dev', 'staging'], push: true });
  });

  it('missing or malformed values are usage errors (exit 2)', async () => {
    for (const argv of [
      ['rehearse', '--tag', '1.0.1'],
      ['rehearse', '--repo', '.'],
      ['rehearse', '--repo', '.', '--tag', 'no spaces'],
      ['rehearse', '--repo', '.', '--tag', '.hidden'],
      ['rehearse', '--repo', '.', '--tag', '1.0.1', '--env', ''],
      ['rehearse', '--repo', '.', '--tag', '1.0.1', '--frobnicate'],
    ]) {
      const io = captureIo();
      expect(await main(argv, io), argv.join(' ')).toBe(ExitCode.Usage);
      expect(io.out()).toBe('');
    }
    expect(() => rehearseOptionsFromFlags({ repo: '.', tag: 'a'.repeat(129) })).toThrow(UsageError);
  });

  it('--help explains the scratch copy and what --push writes', async () => {
    const io = captureIo();
    expect(await main(['rehearse', '--help'], io)).toBe(ExitCode.Ok);
    const text = io.out().replace(/\s+/g, ' ');
    expect(text).toContain('--push');
    expect(text).toContain('never kargo/promotion/*');
    expect(text).toContain('with a URL that is the real remote');
    expect(text).toContain('Skipped (not rehearsed)');
  });
});

describe('kargo-env rehearse', () => {
  it('passes dev → staging → prod (exit 0) and leaves the repository byte for byte as it was without --push', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const before = await refs(origin.repo);
    const io = captureIo(origin.repo);
    expect(await main(['rehearse', '--repo', '.', '--tag', '1.0.1'], io)).toBe(ExitCode.Ok);
    expect(io.out()).toContain('✓ 3 of 3 stages would deploy 1.0.1');
    expect(io.out()).toContain('run the same command with --push');
    expect(io.out()).toMatch(/- notify-slack +http +Skipped: not rehearsed/);
    expect(await refs(origin.repo)).toBe(before);
    expect(await git(origin.repo, 'status', '--porcelain')).toBe('');
  });

  it('--push writes the environment branches into the local repository, never kargo/promotion/*', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const main_ = await git(origin.repo, 'rev-parse', 'main');
    const io = captureIo(origin.repo);
    expect(await main(['rehearse', '--repo', '.', '--tag', '1.0.1', '--push', '--json'], io)).toBe(ExitCode.Ok);
    const report = JSON.parse(io.out()) as { pushed: boolean; stages: { stage: string; commit: string }[] };
    expect(report.pushed).toBe(true);
    const heads = await refs(origin.repo);
    expect(heads.split('\n').map((l) => l.split(' ')[1]).sort()).toEqual(['refs/heads/env/dev', 'refs/heads/env/prod', 'refs/heads/env/staging', 'refs/heads/main']);
    for (const s of report.stages) expect(await git(origin.repo, 'rev-parse', `env/${s.stage}`)).toBe(s.commit);
    expect(await git(origin.repo, 'rev-parse', 'main')).toBe(main_);
    expect(await git(origin.repo, 'show', 'env/staging:kargo/values/staging-values.yaml')).toMatch(/\n {2}tag: 1\.0\.1\n/);
  });

  it('--json prints one stable document', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const io = captureIo(origin.repo);
    expect(await main(['rehearse', '--repo', '.', '--tag', '1.0.1', '--env', 'dev', '--json'], io)).toBe(ExitCode.Ok);
    const report = JSON.parse(io.out());
    expect(Object.keys(report).sort()).toEqual(['branches', 'config', 'freight', 'ok', 'pipeline', 'pushed', 'repo', 'stages', 'tag', 'warnings']);
    expect(report).toMatchObject({ ok: true, pipeline: 'shop', tag: '1.0.1', pushed: false, config: 'kargo-env.yaml', warnings: [] });
    expect(report.freight.image).toMatchObject({ repoURL: 'ghcr.io/example/shop', tag: '1.0.1' });
    const [dev] = report.stages;
    expect(Object.keys(dev).sort()).toEqual(['applications', 'branch', 'commit', 'files', 'ok', 'phase', 'promotion', 'stage', 'steps']);
    expect(dev).toMatchObject({ stage: 'dev', phase: 'Succeeded', ok: true, branch: 'env/dev' });
    expect(Object.keys(dev.steps[0]).sort()).toEqual(['alias', 'detail', 'index', 'rehearsed', 'status', 'uses']);
    expect(dev.applications[0]).toMatchObject({ name: 'shop-dev', namespace: 'argocd', ok: true });
    expect(report.branches).toEqual([{ branch: 'env/dev', after: dev.commit }]);
  });

  it('exits 1 and names the step and the reason when a Stage would fail; --push then writes nothing', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir, shopConfig(), { 'kargo/values/prod-values.yaml': 'replicaCount: 3\n' });
    const before = await refs(origin.repo);
    const io = captureIo(origin.repo);
    expect(await main(['rehearse', '--repo', '.', '--tag', '1.0.1', '--push'], io)).toBe(ExitCode.Failure);
    expect(io.out()).toContain('✗ 1 of 3 stages would fail:');
    expect(io.out()).toContain('prod: update-values (yaml-update) Errored: values file update failed');
    expect(io.out()).toContain('key path not found');
    expect(io.out()).toContain('Nothing was pushed');
    // The rendered values file differs from the committed one: said, not hidden.
    expect(io.out()).toContain('warning: main does not hold what kargo-env render writes (kargo/values/prod-values.yaml)');
    expect(await refs(origin.repo)).toBe(before);
  });

  it('a --repo that is no Git repository, an unknown --env and a tag the Warehouse refuses are clear errors (exit 1), nothing written', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const empty = join(tmp.dir, 'empty');
    await mkdir(empty);
    const before = await refs(origin.repo);
    const notRepo = await rejection(runRehearse({ config: join(origin.repo, 'kargo-env.yaml'), repo: empty, tag: '1.0.1', envs: [], push: true }, { cwd: tmp.dir }));
    expect(notRepo.code).toBe(CliErrorCode.InvalidArgument);
    expect(notRepo.message).toMatch(/^cannot read --repo .*empty: .*not .*(git|repository)/i);
    expect(await readdir(empty)).toEqual([]);

    const io = captureIo(origin.repo);
    expect(await main(['rehearse', '--repo', '.', '--tag', '1.0.1', '--env', 'qa', '--push'], io)).toBe(ExitCode.Failure);
    expect(io.err()).toContain('--env "qa": no such environment in pipeline shop');
    expect(io.err()).toContain('environments: dev, staging, prod');

    const refused = await rejection(runRehearse({ config: 'kargo-env.yaml', repo: '.', tag: '2.0.0', envs: [], push: true }, { cwd: origin.repo }));
    expect(refused.message).toContain('the Warehouse shop would never create Freight for tag 2.0.0');
    expect(await refs(origin.repo)).toBe(before);
  });
});
