// Layer 2 for graph and simulate: runGraph / runSimulate against temp folders.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGraph } from '../src/commands/graph.ts';
import { runSimulate } from '../src/commands/simulate.ts';
import { CliErrorCode, ExitCode } from '../src/errors.ts';
import { rejection, tempDir } from './helpers.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../../kargo-env.yaml');

describe('runGraph', () => {
  it('returns Mermaid for the example with every environment', async () => {
    const result = await runGraph({ config: EXAMPLE, format: 'mermaid' }, { cwd: process.cwd() });
    expect(result.graph.startsWith('flowchart LR\n')).toBe(true);
    expect(result).toMatchObject({ format: 'mermaid', pipelines: 1, environments: 3 });
    expect(result.graph).toContain('-->|"auto · soak 30m"|');
  });

  it('writes SVG to --out, creating folders', async () => {
    await using tmp = await tempDir();
    const result = await runGraph({ config: EXAMPLE, format: 'svg', out: 'docs/pipeline.svg' }, { cwd: tmp.dir });
    expect(result.out).toBe('docs/pipeline.svg');
    const svg = await readFile(join(tmp.dir, 'docs/pipeline.svg'), 'utf8');
    expect(svg).toMatch(/<svg[\s\S]*>staging<\/text>[\s\S]*<\/svg>\s*$/);
  });

  it('writes the Markdown page (Mermaid block and table) as markdown', async () => {
    await using tmp = await tempDir();
    const result = await runGraph({ config: EXAMPLE, format: 'markdown', out: 'PIPELINE.md' }, { cwd: tmp.dir });
    expect(result).toMatchObject({ format: 'markdown', out: 'PIPELINE.md' });
    const page = await readFile(join(tmp.dir, 'PIPELINE.md'), 'utf8');
    expect(page).toMatch(/^<!-- [^\n]* -->\n# Promotion pipeline\n/);
    expect(page).toContain('```mermaid\nflowchart LR\n');
    expect(page).toContain('| flask-app | staging | dev | auto (git) | 30m |');
  });

  it('an invalid config is a typed error with its issues', async () => {
    await using tmp = await tempDir();
    await writeFile(join(tmp.dir, 'kargo-env.yaml'), 'apiVersion: kargo-env.dev/v1alpha1\nkind: PipelineConfig\npipelines: []\n');
    const error = await rejection(runGraph({ config: 'kargo-env.yaml', format: 'dot' }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.InvalidConfig);
    expect(error.issues.length).toBeGreaterThan(0);
  });
});

describe('runSimulate', () => {
  it('simulates the example: rc rejected, dev at once, staging after soak, prod on approval', async () => {
    const report = await runSimulate({ config: EXAMPLE, pushes: ['1.8.3@0m', '1.9.0-rc.1@5m', '1.8.4@10m'], approvals: ['prod@2h'], merges: ['prod@2h30m'] }, { cwd: process.cwd() });
    expect(report.promotions.map((p) => [p.stage, p.tag, p.atMinutes])).toEqual([
      ['dev', '1.8.3', 0],
      ['dev', '1.8.4', 10],
      ['staging', '1.8.4', 40],
      ['prod', '1.8.4', 150],
    ]);
    // prod opens its pull request on approval; Argo CD syncs the env branch only once it is merged.
    expect(report.promotions[3]).toMatchObject({ promotedAtMinutes: 120, mergedAtMinutes: 150, argocdUpdateAtMinutes: 150, change: { branch: 'env/prod' } });
    expect(report.rejected.map((r) => [r.tag, r.reason])).toEqual([['1.9.0-rc.1', 'outside-constraint']]);
  });

  it('malformed flag values are usage errors (exit 2)', async () => {
    for (const options of [
      { pushes: ['1.8.4@soon'], approvals: [] },
      { pushes: ['1.8.4'], approvals: ['prod@x'] },
      { pushes: ['1.8.4'], approvals: [], until: 'forever' },
      { pushes: ['1.8.4'], approvals: [], start: '2026-12-01 09:00' },
    ]) {
      const error = await rejection(runSimulate({ config: EXAMPLE, ...options }, { cwd: process.cwd() }));
      expect(error.exitCode).toBe(ExitCode.Usage);
    }
  });

  it('1.2.0 after v1.2.0 is an older tag, not a duplicate; a new digest of a tag is new Freight', async () => {
    const report = await runSimulate(
      { config: EXAMPLE, pushes: ['v1.2.0@0m', '1.2.0@5m', '1.2.0@10m', '1.8.4@sha256:aa@20m', '1.8.4@sha256:bb@25m', '1.8.4@sha256:bb@30m'], approvals: [] },
      { cwd: process.cwd() },
    );
    expect(report.freight.map((f) => [f.id, f.tag, f.digest])).toEqual([
      ['F1', 'v1.2.0', undefined],
      ['F2', '1.8.4', 'sha256:aa'],
      ['F3', '1.8.4', 'sha256:bb'],
    ]);
    expect(report.rejected.map((r) => [r.atMinutes, r.tag, r.reason])).toEqual([
      [5, '1.2.0', 'not-newest'],
      [10, '1.2.0', 'not-newest'],
      [30, '1.8.4', 'duplicate'],
    ]);
  });

  it('starts each environment at the tag in its values file under --out, else at initialTag', async () => {
    await using tmp = await tempDir();
    await copyFile(EXAMPLE, join(tmp.dir, 'kargo-env.yaml'));
    await mkdir(join(tmp.dir, 'kargo/values'), { recursive: true });
    await writeFile(join(tmp.dir, 'kargo/values/dev-values.yaml'), 'replicaCount: 1\nimage:\n  repository: ghcr.io/alkon/flask-app\n  tag: "1.4.2"\n');
    await writeFile(join(tmp.dir, 'kargo/values/staging-values.yaml'), 'replicaCount: 2\n');
    const report = await runSimulate({ config: 'kargo-env.yaml', pushes: ['1.8.4@0m'], approvals: [] }, { cwd: tmp.dir });
    expect(report.out).toBe('kargo');
    expect(report.environments.map((e) => [e.stage, e.initialTag, e.initialTagSource, e.initialTagNote])).toEqual([
      ['dev', '1.4.2', 'values-file', 'image.tag in kargo/values/dev-values.yaml in the rendered folder; not in a Git work tree, so branch env/dev was not read'],
      ['staging', '1.0.0', 'config', 'kargo/values/staging-values.yaml in the rendered folder has no image.tag; not in a Git work tree, so branch env/staging was not read'],
      ['prod', '1.0.0', 'config', 'kargo/values/prod-values.yaml in the rendered folder not found; not in a Git work tree, so branch env/prod was not read'],
    ]);
    expect(report.promotions.map((p) => [p.stage, p.change.from, p.change.to])).toEqual([
      ['dev', '1.4.2', '1.8.4'],
      ['staging', '1.0.0', '1.8.4'],
    ]);
  });

  it('--out reads the values files of a tree rendered elsewhere (a scratch folder stands for kargo/)', async () => {
    await using config = await tempDir();
    await using scratch = await tempDir();
    await copyFile(EXAMPLE, join(config.dir, 'kargo-env.yaml'));
    await mkdir(join(scratch.dir, 'values'), { recursive: true });
    await writeFile(join(scratch.dir, 'values/prod-values.yaml'), 'image:\n  tag: "1.7.9"\n');
    const report = await runSimulate({ config: 'kargo-env.yaml', out: scratch.dir, pushes: ['1.8.4@0m'], approvals: [] }, { cwd: config.dir });
    expect(report.environments.map((e) => [e.stage, e.initialTag, e.initialTagSource])).toEqual([
      ['dev', '1.0.0', 'config'],
      ['staging', '1.0.0', 'config'],
      ['prod', '1.7.9', 'values-file'],
    ]);
  });

  it('a values file render would refuse is an error (exit 1) naming the file', async () => {
    await using tmp = await tempDir();
    await copyFile(EXAMPLE, join(tmp.dir, 'kargo-env.yaml'));
    await mkdir(join(tmp.dir, 'kargo/values'), { recursive: true });
    await writeFile(join(tmp.dir, 'kargo/values/dev-values.yaml'), 'image: [unclosed\n');
    const error = await rejection(runSimulate({ config: 'kargo-env.yaml', pushes: ['1.8.4@0m'], approvals: [] }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.OutputNotReadable);
    expect(error.exitCode).toBe(ExitCode.Failure);
    expect(error.message).toMatch(/^cannot read the current tags from kargo: values\/dev-values\.yaml: /);
  });

  it('an approval of an unknown environment is invalid input (exit 1) naming the environments', async () => {
    const error = await rejection(runSimulate({ config: EXAMPLE, pushes: ['1.8.4'], approvals: ['qa@1h'] }, { cwd: process.cwd() }));
    expect(error.code).toBe(CliErrorCode.InvalidArgument);
    expect(error.exitCode).toBe(ExitCode.Failure);
    expect(error.issues[0]?.message).toBe('unknown environment "qa"; environments are: dev, staging, prod');
  });
});
