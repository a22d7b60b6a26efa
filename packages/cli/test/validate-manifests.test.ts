// `validate --manifests`: real files in temp folders through runValidateManifests, and the built bin.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runValidateManifests } from '../src/commands/validate.ts';
import { CliErrorCode } from '../src/errors.ts';
import { rejection, tempDir } from './helpers.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const BIN = resolve(import.meta.dirname, '../dist/bin.js');

const STAGE = `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
  namespace: flask-app
spec:
  requestedFreigth:
    - origin:
        kind: Warehouse
        name: flask-app
      sources:
        direct: true
        availabilityStrategy: Some
  promotionTemplate:
    spec:
      steps:
        - uses: git-push
          config:
            path: ./out
            branch: main
        - uses: git-wait-for-pr
          config:
            repoURL: https://github.com/acme/flask-app.git
            prNumber: \${{ outputs['open-pr'].pr.id }}
`;

async function write(dir: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
}

describe('runValidateManifests', () => {
  it('passes on the committed kargo/ tree: every Kubernetes document checked, values files skipped', async () => {
    const result = await runValidateManifests(['kargo'], { cwd: REPO });
    expect(result.documents.flatMap((d) => d.issues)).toEqual([]);
    expect(result.valid).toBe(true);
    const kinds = result.documents.filter((d) => d.status === 'checked').map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(['Project', 'ProjectConfig', 'Warehouse', 'Stage', 'Application', 'AppProject', 'AnalysisTemplate']));
    expect(result.documents.filter((d) => d.status === 'not-checked').every((d) => d.kind === undefined)).toBe(true);
    expect(result.schemas).toEqual(['Argo CD v3.5.1', 'Argo Rollouts v1.9.1', 'Kargo v1.11.2']);
  });

  it('reports a misspelled field, a wrong enum and a bad step config at their lines, all at once', async () => {
    await using tmp = await tempDir();
    await write(tmp.dir, 'kargo/stages/dev.yaml', STAGE);
    const result = await runValidateManifests(['kargo'], { cwd: tmp.dir });
    expect(result.valid).toBe(false);
    const lines = result.documents.flatMap((d) => d.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}`));
    expect(lines).toEqual([
      'kargo/stages/dev.yaml:6:1 spec.requestedFreight: required field is missing',
      'kargo/stages/dev.yaml:7:3 spec.requestedFreigth: unknown field "requestedFreigth" (did you mean "requestedFreight"?)',
      'kargo/stages/dev.yaml:20:13 spec.promotionTemplate.spec.steps[0].config.branch: unknown field "branch" (step git-push)',
    ]);
    expect(result.errors).toBe(3);
  });

  it('reports the enum once the field is where it belongs, and an unknown kind as not checked', async () => {
    await using tmp = await tempDir();
    await write(tmp.dir, 'm/all.yaml', `${STAGE.replace('requestedFreigth', 'requestedFreight').replace('branch: main', 'targetBranch: main')}---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: flask\nspec: {}\n---\n# only a comment\n`);
    const result = await runValidateManifests(['m/all.yaml'], { cwd: tmp.dir });
    expect(result.documents.map((d) => [d.kind, d.status, d.line])).toEqual([
      ['Stage', 'checked', 1],
      ['ServiceMonitor', 'not-checked', 26],
    ]);
    expect(result.documents[0]?.issues).toEqual([
      { path: 'spec.requestedFreight[0].sources.availabilityStrategy', message: 'must be one of "All", "OneOf", ""', severity: 'error', code: 'enum', file: 'm/all.yaml', line: 13, column: 9 },
    ]);
    expect(result.documents[1]?.reason).toBe('no schema bundled for monitoring.coreos.com/v1 ServiceMonitor');
  });

  it('turns a YAML syntax error into an issue at its line, and keeps checking the other files', async () => {
    await using tmp = await tempDir();
    await write(tmp.dir, 'k/a.yaml', 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata:\n  name: [unclosed\n');
    await write(tmp.dir, 'k/b.yaml', 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata:\n  name: ok\n');
    const result = await runValidateManifests(['k'], { cwd: tmp.dir });
    expect(result.files).toBe(2);
    expect(result.documents.map((d) => [d.file, d.issues.map((i) => i.code)])).toEqual([
      ['k/a.yaml', ['yaml-syntax']],
      ['k/b.yaml', []],
    ]);
  });

  it('passes over Helm charts, dependency and hidden folders; a missing path is an error naming it', async () => {
    await using tmp = await tempDir();
    await write(tmp.dir, 'deploy/chart/Chart.yaml', 'apiVersion: v2\nname: app\nversion: 0.1.0\n');
    await write(tmp.dir, 'deploy/chart/templates/d.yaml', 'kind: {{ .Values.kind }}\n');
    await write(tmp.dir, 'deploy/node_modules/x/bad.yaml', 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Nope\n');
    await write(tmp.dir, 'deploy/.cache/bad.yaml', 'apiVersion: kargo.akuity.io/v1alpha1\nkind: Nope\n');
    await write(tmp.dir, 'deploy/values.yaml', 'image:\n  tag: 1.0.0\n');
    const result = await runValidateManifests(['deploy'], { cwd: tmp.dir });
    expect(result).toMatchObject({ valid: true, files: 1, skippedCharts: ['deploy/chart'] });
    const error = await rejection(runValidateManifests(['deploy', 'nowhere'], { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.InvalidArgument);
    expect(error.message).toBe('nowhere: no such file or folder');
  });
});

describe('kargo-env validate --manifests (built bin)', () => {
  const run = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, 'validate', '--manifests', ...args], { cwd, env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', timeout: 30_000 });

  it('exits 0 on the committed tree and 1 with file:line:column  kind/name  path: message lines', async () => {
    const ok = run([], REPO);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^✓ manifests are valid: \d+ documents checked in \d+ files, 4 YAML documents that are no Kubernetes object skipped; schemas of Argo CD v3\.5\.1, Argo Rollouts v1\.9\.1, Kargo v1\.11\.2 \(0 errors, 0 warnings\)\n$/);

    await using tmp = await tempDir();
    await write(tmp.dir, 'kargo/stages/dev.yaml', STAGE);
    await write(tmp.dir, 'kargo/monitor.yaml', 'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: flask\n');
    const bad = run([], tmp.dir);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.split('\n')).toEqual([
      'kargo/monitor.yaml:1:1  ServiceMonitor/flask  not checked: no schema bundled for monitoring.coreos.com/v1 ServiceMonitor',
      'kargo/stages/dev.yaml:6:1  Stage/dev  spec.requestedFreight: required field is missing',
      'kargo/stages/dev.yaml:7:3  Stage/dev  spec.requestedFreigth: unknown field "requestedFreigth" (did you mean "requestedFreight"?)',
      'kargo/stages/dev.yaml:20:13  Stage/dev  spec.promotionTemplate.spec.steps[0].config.branch: unknown field "branch" (step git-push)',
      '✗ 3 errors, 0 warnings: 1 document checked in 2 files, 1 of other kinds not checked; schemas of Argo CD v3.5.1, Argo Rollouts v1.9.1, Kargo v1.11.2',
      '',
    ]);

    const json = run(['kargo', '--json'], tmp.dir);
    expect(json.status).toBe(1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; errors: number; documents: { kind: string; status: string }[] };
    expect(parsed).toMatchObject({ ok: false, errors: 3 });
    expect(parsed.documents.map((d) => `${d.kind} ${d.status}`)).toEqual(['ServiceMonitor not-checked', 'Stage checked']);
  });
});
