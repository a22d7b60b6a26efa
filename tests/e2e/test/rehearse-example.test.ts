// The repository's own example (kargo-env.yaml + charts/flask-app + the committed kargo/ tree), copied into a fresh
// Git repository and rehearsed through the built bin: tags 1.0.1 then 1.1.0 reach every environment branch, and a
// second run of the same tag is a no-op that still passes (pull-request mode's guarded steps are skipped).
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, requireBuilt } from './support/paths.ts';
import { runCli, tempDir } from './support/processes.ts';

let dir: string;
let cleanup: () => void;
const git = (...args: string[]): string =>
  execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env['PATH'] ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.invalid', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.invalid' },
  }).trim();

beforeAll(() => {
  requireBuilt(CLI_BIN);
  ({ dir, cleanup } = tempDir('rehearse-example'));
  for (const path of ['kargo-env.yaml', 'charts', 'kargo']) cpSync(join(REPO_ROOT, path), join(dir, path), { recursive: true });
  git('init', '--quiet', '-b', 'main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'example');
});
afterAll(() => cleanup());

interface Report {
  ok: boolean;
  stages: { stage: string; phase: string; steps: { alias: string; status: string }[] }[];
}

describe('the example pipeline rehearses cleanly', () => {
  it.each(['1.0.1', '1.1.0'])('tag %s reaches env/dev, env/staging and env/prod', async (tag) => {
    const run = await runCli(['rehearse', '--repo', '.', '--tag', tag, '--push', '--json'], dir, 120_000);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.stages.map((s) => [s.stage, s.phase])).toEqual([
      ['dev', 'Succeeded'],
      ['staging', 'Succeeded'],
      ['prod', 'Succeeded'],
    ]);
    for (const env of ['dev', 'staging', 'prod']) expect(git('show', `env/${env}:kargo/values/${env}-values.yaml`)).toMatch(new RegExp(`\\n {2}tag: "?${tag.replaceAll('.', '\\.')}"?\\n`));
  }, 180_000);

  it('promoting 1.1.0 again changes nothing and still passes: the pull-request steps after the skipped commit are skipped', async () => {
    const before = git('rev-parse', 'env/prod');
    const run = await runCli(['rehearse', '--repo', '.', '--tag', '1.1.0', '--env', 'prod', '--json'], dir, 120_000);
    expect(run.code, run.stderr).toBe(0);
    const prod = (JSON.parse(run.stdout) as Report).stages[0]!;
    const status = Object.fromEntries(prod.steps.map((s) => [s.alias, s.status]));
    expect(status).toMatchObject({ commit: 'Skipped', push: 'Skipped', 'open-pr': 'Skipped', 'wait-for-pr': 'Skipped', 'update-app': 'Skipped', 'sync-unchanged': 'Succeeded' });
    expect(git('rev-parse', 'env/prod')).toBe(before);
  }, 180_000);
});
