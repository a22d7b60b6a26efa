// Layer 3 for graph and simulate: the built executable end to end.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '../dist/bin.js');
const EXAMPLE = resolve(here, '../../../kargo-env.yaml');

function kargoEnv(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: here, env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', timeout: 30_000 });
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
    const args = ['simulate', '--config', EXAMPLE, '--push', '1.8.3@0m', '--push', '1.8.4@45m', '--push', 'latest@50m', '--approve', 'prod@2h'];
    const human = kargoEnv(args);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toMatch(/^ {2}\+1h15m +Mon 2026-01-05 01:15 +1\.8\.4 +auto +kargo\/values\/staging-values\.yaml: image\.tag: 1\.8\.3 → 1\.8\.4$/m);
    expect(human.stdout).toMatch(/kargo\/values\/prod-values\.yaml: image\.tag: 1\.0\.0 → 1\.8\.4 \(pull request\)/);
    const json = kargoEnv([...args, '--json']);
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout);
    expect(data.promotions.map((p: { stage: string; tag: string; atMinutes: number }) => [p.stage, p.tag, p.atMinutes])).toEqual([
      ['dev', '1.8.3', 0],
      ['staging', '1.8.3', 30],
      ['dev', '1.8.4', 45],
      ['staging', '1.8.4', 75],
      ['prod', '1.8.4', 120],
    ]);
    expect(data.rejected).toEqual([{ pipeline: 'flask-app', tag: 'latest', atMinutes: 50, reason: 'not-semver', message: 'tag latest is not a semantic version' }]);
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
