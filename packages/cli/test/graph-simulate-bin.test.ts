// Layer 3 for graph and simulate: the built executable end to end.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');
const EXAMPLE = resolve(here, '../../../kargo-env.yaml');

function kargoEnv(args: string[], cwd = here) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', timeout: 30_000 });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'pnpm build' in packages/cli first`);
});

describe('kargo-env graph / simulate (built bin)', () => {
  it('graph prints Mermaid by default and SVG that is XML with --format svg', () => {
    const mermaid = kargoEnv(['graph', '--config', EXAMPLE]);
    expect(mermaid).toMatchObject({ code: 0, stderr: '' });
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
    const svg = kargoEnv(['graph', '--config', EXAMPLE, '--format', 'svg']);
    expect(svg.code).toBe(0);
    expect(XMLValidator.validate(svg.stdout)).toBe(true);
    for (const env of ['dev', 'staging', 'prod']) expect(svg.stdout).toContain(`>${env}</text>`);
  });

  it('simulate prints the timeline with values-file changes; --json has promotions and rejected', () => {
    const args = ['simulate', '--config', EXAMPLE, '--push', '1.8.3@0m', '--push', '1.8.4@45m', '--push', 'latest@50m', '--approve', 'prod@2h', '--merge', 'prod@2h10m'];
    const human = kargoEnv(args);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    // Soak ends at +1h15m; the Stage notices on its next 5-minute requeue, so the promotion falls in a range.
    expect(human.stdout).toMatch(/^ {2}\+1h15m–1h20m +Mon 2026-01-05 01:15–01:20 +1\.8\.4 +auto +kargo\/values\/staging-values\.yaml: image\.tag: 1\.8\.3 → 1\.8\.4$/m);
    expect(human.stdout).toMatch(/kargo\/values\/prod-values\.yaml: image\.tag: 1\.0\.0 → 1\.8\.4 \(pull request\)/);
    const json = kargoEnv([...args, '--json']);
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout);
    expect(data.promotions.map((p: { stage: string; tag: string; atMinutes: number }) => [p.stage, p.tag, p.atMinutes])).toEqual([
      ['dev', '1.8.3', 0],
      ['staging', '1.8.3', 30],
      ['dev', '1.8.4', 45],
      ['staging', '1.8.4', 75],
      ['prod', '1.8.4', 130],
    ]);
    expect(data.promotions.at(-1)).toMatchObject({ promotedAtMinutes: 120, mergedAtMinutes: 130, mode: 'pull-request' });
    expect(data.rejected).toEqual([{ pipeline: 'flask-app', tag: 'latest', atMinutes: 50, reason: 'not-semver', message: 'tag latest is not a semantic version' }]);
  });

  it('graph --out infers the format from the extension; an unknown or contradicting one exits 2 and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kargo-env-graph-'));
    try {
      const png = kargoEnv(['graph', '--config', EXAMPLE, '--out', 'pipeline.png'], dir);
      expect(png.code).toBe(2);
      expect(png.stdout).toBe('');
      expect(png.stderr).toMatch(/error: --out pipeline\.png: kargo-env graph does not write \.png files; give --out a file ending in \.mmd or \.mermaid \(mermaid\), \.dot or \.gv \(dot\), \.svg \(svg\), \.md or \.markdown \(markdown\)/);
      expect(png.stderr).toMatch(/hint: to get a PNG, pipe DOT into Graphviz: kargo-env graph --format dot \| dot -Tpng -o pipeline\.png/);
      expect(existsSync(join(dir, 'pipeline.png'))).toBe(false);
      const contradiction = kargoEnv(['graph', '--config', EXAMPLE, '--format', 'mermaid', '--out', 'pipeline.svg'], dir);
      expect(contradiction.code).toBe(2);
      expect(contradiction.stderr).toMatch(/--format mermaid contradicts --out pipeline\.svg/);
      expect(existsSync(join(dir, 'pipeline.svg'))).toBe(false);
      const md = kargoEnv(['graph', '--config', EXAMPLE, '--out', 'docs/PIPELINE.md'], dir);
      expect(md).toMatchObject({ code: 0, stderr: '' });
      expect(md.stdout).toMatch(/^Wrote the markdown graph of 3 environments to docs\/PIPELINE\.md/);
      expect(readFileSync(join(dir, 'docs/PIPELINE.md'), 'utf8')).toContain('```mermaid\nflowchart LR\n');
      const dot = kargoEnv(['graph', '--config', EXAMPLE, '--out', 'p.gv', '--json'], dir);
      expect(JSON.parse(dot.stdout)).toMatchObject({ ok: true, format: 'dot', out: 'p.gv' });
      expect(readFileSync(join(dir, 'p.gv'), 'utf8')).toMatch(/^digraph /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('simulate starts from the tags in kargo/values and says which it used; a tag is only a duplicate with its digest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kargo-env-simulate-'));
    try {
      copyFileSync(EXAMPLE, join(dir, 'kargo-env.yaml'));
      mkdirSync(join(dir, 'kargo/values'), { recursive: true });
      writeFileSync(join(dir, 'kargo/values/dev-values.yaml'), 'image:\n  repository: ghcr.io/alkon/flask-app\n  tag: "v1.2.0"\n');
      writeFileSync(join(dir, 'kargo/values/staging-values.yaml'), 'replicaCount: 2\n');
      const args = ['simulate', '--push', 'v1.2.0@0m', '--push', '1.2.0@5m', '--push', '1.2.0@10m', '--push', '1.8.4@sha256:aa@20m', '--push', '1.8.4@sha256:bb@25m'];
      const human = kargoEnv(args, dir);
      expect(human).toMatchObject({ code: 0, stderr: '' });
      const outsideGit = (env: string) => `; not in a Git work tree, so branch env/${env} was not read`;
      expect(human.stdout).toContain(`dev · auto · from Warehouse flask-app\n  starts at v1.2.0 (image.tag in kargo/values/dev-values.yaml in the rendered folder${outsideGit('dev')})\n`);
      expect(human.stdout).toContain(`  starts at 1.0.0 (the configured initialTag; kargo/values/staging-values.yaml in the rendered folder has no image.tag${outsideGit('staging')})\n`);
      expect(human.stdout).toContain(`  starts at 1.0.0 (the configured initialTag; kargo/values/prod-values.yaml in the rendered folder not found${outsideGit('prod')})\n`);
      expect(human.stdout).toMatch(/^ {2}\+10m +1\.2\.0 +no Freight \(not-newest\)/m);
      expect(human.stdout).not.toContain('duplicate');
      expect(human.stdout).toMatch(/^ {2}\+25m +1\.8\.4@sha256:bb +Freight F3$/m);
      expect(human.stdout).toMatch(/kargo\/values\/dev-values\.yaml: image\.tag: v1\.2\.0 → v1\.2\.0$/m);
      expect(human.stdout).toMatch(/^ {2}\+25m +Mon 2026-01-05 00:25 +1\.8\.4@sha256:bb +auto +kargo\/values\/dev-values\.yaml: image\.tag: 1\.8\.4 → 1\.8\.4$/m);
      expect(human.stdout).toContain('  - flask-app/dev: F1 (v1.2.0) keeps image.tag v1.2.0, so the promotion changes no file and Argo CD has nothing new to sync\n');
      const json = JSON.parse(kargoEnv([...args, '--json'], dir).stdout);
      expect(json.environments.map((e: { initialTag: string; initialTagSource: string }) => [e.initialTag, e.initialTagSource])).toEqual([
        ['v1.2.0', 'values-file'],
        ['1.0.0', 'config'],
        ['1.0.0', 'config'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('simulate reads the running tag from each environment branch (local, then origin), not from the source branch', () => {
    const origin = mkdtempSync(join(tmpdir(), 'kargo-env-simulate-origin-'));
    const dir = mkdtempSync(join(tmpdir(), 'kargo-env-simulate-clone-'));
    const git = (cwd: string, ...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    try {
      // The origin: main holds the rendered tree (dev at 1.1.0); env/dev and env/staging hold what Kargo committed.
      git(origin, 'init', '-q');
      copyFileSync(EXAMPLE, join(origin, 'kargo-env.yaml'));
      mkdirSync(join(origin, 'kargo/values'), { recursive: true });
      writeFileSync(join(origin, 'kargo/values/dev-values.yaml'), 'image:\n  tag: "1.1.0"\n');
      git(origin, 'add', '.');
      git(origin, 'commit', '-qm', 'render');
      for (const [env, tag] of [['dev', '1.4.0'], ['staging', '1.3.0']] as const) {
        git(origin, 'checkout', '-q', '-b', `env/${env}`, 'main');
        writeFileSync(join(origin, `kargo/values/${env}-values.yaml`), `image:\n  tag: "${tag}"\n`);
        git(origin, 'add', '.');
        git(origin, 'commit', '-qm', `promote ${tag}`);
      }
      git(origin, 'checkout', '-q', 'main');
      git(dir, 'clone', '-q', origin, '.');
      // A local env/dev ahead of origin wins over origin/env/dev.
      git(dir, 'checkout', '-q', '-b', 'env/dev', 'origin/env/dev');
      writeFileSync(join(dir, 'kargo/values/dev-values.yaml'), 'image:\n  tag: "1.5.0"\n');
      git(dir, 'commit', '-qam', 'local promote');
      git(dir, 'checkout', '-q', 'main');
      const json = JSON.parse(kargoEnv(['simulate', '--push', '1.8.4@0m', '--json'], dir).stdout);
      expect(json.environments.map((e: { stage: string; initialTag: string; initialTagSource: string }) => [e.stage, e.initialTag, e.initialTagSource])).toEqual([
        ['dev', '1.5.0', 'values-file'],
        ['staging', '1.3.0', 'values-file'],
        ['prod', '1.0.0', 'config'],
      ]);
      const human = kargoEnv(['simulate', '--push', '1.8.4@0m'], dir).stdout;
      expect(human).toMatch(/starts at 1\.5\.0 \([^\n]*env\/dev[^\n]*\)/);
      expect(human).toMatch(/starts at 1\.3\.0 \([^\n]*origin\/env\/staging[^\n]*\)/);
      expect(human).toMatch(/prod[^\n]*\n {2}starts at 1\.0\.0 \([^\n]*no branch env\/prod, locally or on origin[^\n]*\)/);
      expect(human).toContain('kargo/values/dev-values.yaml: image.tag: 1.5.0 → 1.8.4');
    } finally {
      rmSync(origin, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exit codes: 2 for a bad offset, 1 for an unknown environment', () => {
    const usage = kargoEnv(['simulate', '--config', EXAMPLE, '--push', '1.8.4@later']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/offset "later" is not a duration/);
    const invalid = kargoEnv(['simulate', '--config', EXAMPLE, '--push', '1.8.4', '--approve', 'qa@1h', '--json']);
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({ ok: false, error: { code: 'KARGO_CLI_INVALID_ARGUMENT' } });
  });
});
