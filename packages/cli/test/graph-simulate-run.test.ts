// Layer 2 for graph and simulate: runGraph / runSimulate against temp folders.
import { readFile, writeFile } from 'node:fs/promises';
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
    const report = await runSimulate({ config: EXAMPLE, pushes: ['1.8.3@0m', '1.9.0-rc.1@5m', '1.8.4@10m'], approvals: ['prod@2h'] }, { cwd: process.cwd() });
    expect(report.promotions.map((p) => [p.stage, p.tag, p.atMinutes])).toEqual([
      ['dev', '1.8.3', 0],
      ['dev', '1.8.4', 10],
      ['staging', '1.8.4', 40],
      ['prod', '1.8.4', 120],
    ]);
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

  it('an approval of an unknown environment is invalid input (exit 1) naming the environments', async () => {
    const error = await rejection(runSimulate({ config: EXAMPLE, pushes: ['1.8.4'], approvals: ['qa@1h'] }, { cwd: process.cwd() }));
    expect(error.code).toBe(CliErrorCode.InvalidArgument);
    expect(error.exitCode).toBe(ExitCode.Failure);
    expect(error.issues[0]?.message).toBe('unknown environment "qa"; environments are: dev, staging, prod');
  });
});
