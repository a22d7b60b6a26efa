// Layer 3: the built executable end to end — stdout, stderr and exit code of a real process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');
const EXAMPLE = resolve(here, '../../../kargo-env.yaml');

function kargoEnv(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? here,
    // A clean environment so the developer's NO_COLOR/FORCE_COLOR do not change what is asserted.
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'pnpm build' in packages/cli first`);
});

describe('kargo-env (built bin)', () => {
  it('renders the repository example into a folder and prints a summary', async () => {
    await using tmp = await tempDir();
    const run = kargoEnv(['render', '--config', EXAMPLE, '--out', join(tmp.dir, 'kargo')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Rendered \d+ objects from \S+kargo-env\.yaml into \S+kargo\/ in \d+ ms\n/);
    expect(run.stdout).toMatch(/^ {2}Stage +3$/m);
    expect(run.stdout).toMatch(/^Files: \d+ written \(\d+ added, 0 changed\), 0 unchanged, 0 removed$/m);
    expect(await readFile(join(tmp.dir, 'kargo', 'project.yaml'), 'utf8')).toMatch(/kind: Project\b/);

    const again = kargoEnv(['render', '--config', EXAMPLE, '--out', join(tmp.dir, 'kargo'), '--check']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/is up to date\n$/);
  });

  it('--check exits 1 on drift and names the drifted files on stderr', async () => {
    await using tmp = await tempDir();
    const out = join(tmp.dir, 'kargo');
    expect(kargoEnv(['render', '--config', EXAMPLE, '--out', out]).code).toBe(0);
    const project = join(out, 'project.yaml');
    await writeFile(project, `${await readFile(project, 'utf8')}# hand edit\n`);
    await writeFile(join(out, 'extra.yaml'), 'a: 1\n');

    const run = kargoEnv(['render', '--config', EXAMPLE, '--out', out, '--check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/drift: .* 0 missing, 1 changed, 1 extra/);
    expect(run.stderr).toMatch(/~ \S+\/project\.yaml {2}\(changed\)/);
    expect(run.stderr).toMatch(/- \S+\/extra\.yaml {2}\(extra; would be removed\)/);
    expect(run.stderr).toMatch(/^-# hand edit$/m);
    expect(await readFile(join(out, 'extra.yaml'), 'utf8')).toBe('a: 1\n');
  });

  it('a bad config exits 1 with file:line:col: error: path: message on stderr', async () => {
    await using tmp = await tempDir();
    await writeFile(join(tmp.dir, 'bad.yaml'), 'apiVersion: kargo-env.dev/v1alpha1\nkind: PipelineConfig\npipelines:\n  - app: Bad_Name\n    image: { repository: ghcr.io/a/b }\n    git: { repoURL: https://github.com/a/b }\n');
    for (const command of ['render', 'validate']) {
      const run = kargoEnv([command, '--config', 'bad.yaml'], { cwd: tmp.dir });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^bad\.yaml:4:10: error: pipelines\[0\]\.app: .+$/m);
    }
  });

  it('usage errors exit 2; help and version exit 0', () => {
    const unknown = kargoEnv(['render', '--frobnicate']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(kargoEnv(['deploy']).code).toBe(2);
    expect(kargoEnv(['render', '--out']).code).toBe(2);
    const help = kargoEnv(['render', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    expect(kargoEnv(['--version'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it('--json prints one parseable document for success and failure', async () => {
    await using tmp = await tempDir();
    const ok = kargoEnv(['render', '--config', EXAMPLE, '--out', join(tmp.dir, 'kargo'), '--json']);
    expect(ok.code).toBe(0);
    const summary = JSON.parse(ok.stdout);
    expect(summary).toMatchObject({ ok: true, mode: 'write', wrote: true, kinds: { Stage: 3 } });

    const valid = JSON.parse(kargoEnv(['validate', '--config', EXAMPLE, '--json']).stdout);
    expect(valid).toMatchObject({ ok: true, valid: true, errors: [] });

    const missing = kargoEnv(['validate', '--config', 'nope.yaml', '--json'], { cwd: tmp.dir });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: 'KARGO_CLI_CONFIG_NOT_READABLE' } });
    expect(missing.stderr).toMatch(/error: config file nope\.yaml not found/);
  });

  it('colours only when forced, and never with NO_COLOR', () => {
    expect(kargoEnv(['validate', '--config', 'missing.yaml'], { env: { FORCE_COLOR: '1' } }).stderr).toContain('\u001b[31merror:');
    expect(kargoEnv(['validate', '--config', 'missing.yaml'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stderr).not.toContain('\u001b[');
  });

  it('init refuses to overwrite without --force (exit 1)', async () => {
    await using tmp = await tempDir();
    const args = ['init', '--app', 'web', '--image', 'ghcr.io/acme/web', '--repo', 'https://github.com/acme/web'];
    expect(kargoEnv(args, { cwd: tmp.dir })).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Wrote kargo-env\.yaml for web/) });
    const again = kargoEnv(args, { cwd: tmp.dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/error: kargo-env\.yaml already exists; not overwriting it\nhint: pass --force/);
    expect(kargoEnv([...args, '--force'], { cwd: tmp.dir }).stdout).toMatch(/^Replaced kargo-env\.yaml/);
  });
});
