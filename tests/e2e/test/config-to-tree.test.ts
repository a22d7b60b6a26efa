// Story steps 2–3 through the built `kargo-env` bin: init → validate → render → drift check → a Kargo promotion.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, parse as parseYaml, Scalar } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, requireBuilt } from './support/paths.ts';
import { runCli, tempDir, type CliRun } from './support/processes.ts';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  requireBuilt(CLI_BIN);
  ({ dir, cleanup } = tempDir('tree'));
});
afterAll(() => cleanup());

const cli = (...args: string[]): Promise<CliRun> => runCli(args, dir);
const read = (rel: string): string => readFileSync(join(dir, rel), 'utf8');

/** Edits a YAML file in place through a Document, the way a person's editor or Kargo's yaml-update step does. */
function editYaml(rel: string, path: readonly (string | number)[], value: unknown): void {
  const doc = parseDocument(read(rel));
  expect(doc.hasIn(path), `${rel} has ${path.join('.')}`).toBe(true);
  doc.setIn(path, value);
  writeFileSync(join(dir, rel), doc.toString());
}

/** Index of the environment named `env` in the first pipeline of the config. */
function envIndex(env: string): number {
  const config = parseYaml(read('kargo-env.yaml')) as { pipelines: { environments: { name: string }[] }[] };
  const i = config.pipelines[0]!.environments.findIndex((e) => e.name === env);
  expect(i, `environment ${env}`).toBeGreaterThanOrEqual(0);
  return i;
}

function values(env: string): { replicaCount: number; image: { repository: string; tag: string } } {
  return parseYaml(read(`kargo/values/${env}-values.yaml`)) as never;
}

describe('config → kargo/ tree → drift check', () => {
  it('init writes a starter config that validates, and refuses to overwrite it', async () => {
    const init = await cli('init', '--app', 'shop', '--image', 'ghcr.io/acme/shop', '--repo', 'https://github.com/acme/gitops.git');
    expect(init.code, init.stderr).toBe(0);
    const config = read('kargo-env.yaml');
    expect(config).toMatch(/^# yaml-language-server: \$schema=/);
    expect(parseYaml(config)).toMatchObject({
      apiVersion: 'kargo-env.dev/v1alpha1',
      kind: 'PipelineConfig',
      pipelines: [{ app: 'shop', image: { repository: 'ghcr.io/acme/shop' }, git: { repoURL: 'https://github.com/acme/gitops.git' } }],
    });

    const again = await cli('init', '--app', 'other', '--image', 'ghcr.io/acme/other', '--repo', 'https://github.com/acme/gitops.git');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    expect(read('kargo-env.yaml')).toBe(config);

    const validate = await cli('validate');
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/valid .*0 errors/);
  });

  it('render writes the tree and prints a summary; --check then finds no drift', async () => {
    const render = await cli('render');
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/Rendered 15 objects from kargo-env\.yaml into kargo\//);
    for (const [kind, n] of [['Warehouse', 1], ['Stage', 3], ['AnalysisTemplate', 4], ['Application', 4], ['Project', 1], ['ProjectConfig', 1]] as const) {
      expect(render.stdout).toMatch(new RegExp(`^\\s+${kind}\\s+${n}$`, 'm'));
    }
    expect(render.stdout).toMatch(/Files: 18 written \(18 added, 0 changed\), 0 unchanged, 0 removed/);
    for (const f of ['warehouse.yaml', 'project.yaml', 'stages/dev.yaml', 'stages/staging.yaml', 'stages/prod.yaml', 'values/staging-values.yaml']) {
      expect(existsSync(join(dir, 'kargo', f)), f).toBe(true);
    }
    expect(parseYaml(read('kargo/warehouse.yaml'))).toMatchObject({
      kind: 'Warehouse',
      metadata: { name: 'shop' },
      spec: { subscriptions: [{ image: { repoURL: 'ghcr.io/acme/shop', imageSelectionStrategy: 'SemVer', constraint: '^1.0.0' } }] },
    });
    expect(values('staging')).toMatchObject({ replicaCount: 2, image: { repository: 'ghcr.io/acme/shop' } });

    const check = await cli('render', '--check');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('kargo/ is up to date');
  });

  it('a config edit is drift: --check exits 1 naming the values file and writes nothing', async () => {
    const before = read('kargo/values/staging-values.yaml');
    editYaml('kargo-env.yaml', ['pipelines', 0, 'environments', envIndex('staging'), 'replicas'], 4);

    const check = await cli('render', '--check');
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('kargo/values/staging-values.yaml');
    expect(check.stderr).toMatch(/^-replicaCount: 2$/m);
    expect(check.stderr).toMatch(/^\+replicaCount: 4$/m);

    const json = await cli('render', '--check', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; drift: boolean; wrote: boolean; files: Record<string, string[]> };
    expect(report).toMatchObject({ ok: false, drift: true, wrote: false });
    expect(report.files).toMatchObject({ added: [], changed: ['values/staging-values.yaml'], removed: [] });
    expect(read('kargo/values/staging-values.yaml')).toBe(before);

    const render = await cli('render');
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).toMatch(/Files: 1 written \(0 added, 1 changed\), 17 unchanged, 0 removed/);
    expect(values('staging').replicaCount).toBe(4);
    expect((await cli('render', '--check')).code).toBe(0);
  });

  it('an image tag Kargo wrote into a values file is not drift and survives re-rendering', async () => {
    // Kargo's promotion: yaml-update of image.tag in kargo/values/dev-values.yaml, committed to Git. A new
    // (plain) scalar, so the test does not lean on the renderer's own quoting style being kept.
    editYaml('kargo/values/dev-values.yaml', ['image', 'tag'], new Scalar('1.8.4'));
    const promoted = read('kargo/values/dev-values.yaml');
    expect(promoted).toMatch(/^ {2}tag: 1\.8\.4$/m);

    const check = await cli('render', '--check');
    expect(check.code, check.stderr).toBe(0);

    const rerender = await cli('render');
    expect(rerender.code, rerender.stderr).toBe(0);
    expect(rerender.stdout).toMatch(/0 written .* 18 unchanged/);
    expect(read('kargo/values/dev-values.yaml')).toBe(promoted);

    // A config change to the same environment rewrites its file and still keeps Kargo's tag.
    editYaml('kargo-env.yaml', ['pipelines', 0, 'environments', envIndex('dev'), 'replicas'], 2);
    expect((await cli('render', '--check')).code).toBe(1);
    const render = await cli('render');
    expect(render.code, render.stderr).toBe(0);
    expect(values('dev')).toMatchObject({ replicaCount: 2, image: { tag: '1.8.4' } });
    expect(values('staging').image.tag).not.toBe('1.8.4');
    const clean = await cli('render', '--check');
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('kargo/ is up to date');
  });
});
