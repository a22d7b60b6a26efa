// Layer 3 for rehearse: the built executable against a real repository on disk. The source-level tests run
// the TypeScript directly, so only this one catches what the build changes (module paths of lazy imports).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, makeOrigin, refs } from './fixtures/rehearse/origin.ts';
import { tempDir } from './helpers.ts';

const BIN = resolve(import.meta.dirname, '../dist/bin.js');

function kargoEnv(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: cwd, NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'pnpm build' in packages/cli first`);
});

describe('kargo-env rehearse (built bin)', () => {
  it('rehearses 1.0.1 and then 1.1.0 through every Stage, pushing the environment branches only with --push', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const before = await refs(origin.repo);
    const dry = kargoEnv(['rehearse', '--repo', '.', '--tag', '1.0.1'], origin.repo);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('✓ 3 of 3 stages would deploy 1.0.1');
    expect(dry.stdout).toContain('Nothing was written to the repository (--repo .). To write env/dev, env/prod, env/staging there, run the same command with --push.');
    expect(await refs(origin.repo)).toBe(before);

    expect(kargoEnv(['rehearse', '--repo', '.', '--tag', '1.0.1', '--push'], origin.repo).code).toBe(0);
    const next = kargoEnv(['rehearse', '--repo', '.', '--tag', '1.1.0', '--push', '--json'], origin.repo);
    expect(next.code).toBe(0);
    const report = JSON.parse(next.stdout) as { ok: boolean; stages: { stage: string; phase: string; commit: string }[] };
    expect(report.stages.map((s) => [s.stage, s.phase])).toEqual([
      ['dev', 'Succeeded'],
      ['staging', 'Succeeded'],
      ['prod', 'Succeeded'],
    ]);
    for (const env of ['dev', 'staging', 'prod']) {
      expect(await git(origin.repo, 'show', `env/${env}:kargo/values/${env}-values.yaml`)).toMatch(/\n {2}tag: 1\.1\.0\n/);
    }
    // Each branch has the two promotions on top of its "Initial commit" (git-clone create: true).
    expect((await git(origin.repo, 'log', '--format=%s', 'env/staging')).split('\n')).toHaveLength(3);
  });

  it('a tag the Warehouse refuses exits 1 and writes nothing', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const before = await refs(origin.repo);
    const refused = kargoEnv(['rehearse', '--repo', '.', '--tag', '2.0.0', '--push'], origin.repo);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/2\.0\.0/);
    expect(await refs(origin.repo)).toBe(before);
  });
});
