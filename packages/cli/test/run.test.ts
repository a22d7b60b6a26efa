// Layer 2: run<Name> against temp folders — real files, no process.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runInit } from '../src/commands/init.ts';
import { RenderMode, runRender } from '../src/commands/render.ts';
import { runValidate } from '../src/commands/validate.ts';
import { CliErrorCode } from '../src/errors.ts';
import { rejection, tempDir } from './helpers.ts';

const STARTER = { app: 'flask-app', image: 'ghcr.io/alkon/flask-app', repo: 'https://github.com/alkon/flask-app', force: false, config: 'kargo-env.yaml' };

describe('runInit', () => {
  it('writes a commented starter with the $schema line that the model accepts', async () => {
    await using tmp = await tempDir();
    const result = await runInit(STARTER, { cwd: tmp.dir });
    expect(result).toEqual({ config: 'kargo-env.yaml', app: 'flask-app', image: 'ghcr.io/alkon/flask-app', repo: 'https://github.com/alkon/flask-app', schema: expect.stringMatching(/^https:\/\//), overwritten: false });
    const text = await readFile(join(tmp.dir, 'kargo-env.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=\S+kargo-env\.schema\.json\n/);
    expect(text).toContain('repository: ghcr.io/alkon/flask-app');
    expect((await runValidate({ config: 'kargo-env.yaml' }, { cwd: tmp.dir })).errors).toEqual([]);
  });

  it('points $schema at an installed @kargo/model by a relative path that resolves, else at the URL', async () => {
    await using tmp = await tempDir();
    const { defaultSchemaUrl } = await import('@kargo/model');
    await mkdir(join(tmp.dir, 'deploy'));
    expect((await runInit({ ...STARTER, config: 'deploy/kargo-env.yaml' }, { cwd: tmp.dir })).schema).toBe(defaultSchemaUrl());

    // The package installed in the project root: the config one folder down refers to it relatively.
    const installed = join(tmp.dir, 'node_modules', '@kargo', 'model', 'schema');
    await mkdir(installed, { recursive: true });
    await writeFile(join(installed, 'kargo-env.schema.json'), await readFile(new URL('../../model/schema/kargo-env.schema.json', import.meta.url), 'utf8'));
    const result = await runInit({ ...STARTER, config: 'deploy/kargo-env.yaml', force: true }, { cwd: tmp.dir });
    expect(result.schema).toBe('../node_modules/@kargo/model/schema/kargo-env.schema.json');
    const text = await readFile(join(tmp.dir, 'deploy', 'kargo-env.yaml'), 'utf8');
    const reference = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1] ?? '';
    // Resolved the way an editor resolves it: against the config file's folder.
    const schema = JSON.parse(await readFile(join(tmp.dir, 'deploy', reference), 'utf8')) as { title: string };
    expect(schema.title).toMatch(/kargo-env/);
    const beside = await runInit({ ...STARTER, config: 'kargo-env.yaml' }, { cwd: tmp.dir });
    expect(beside.schema).toBe('./node_modules/@kargo/model/schema/kargo-env.schema.json');
  });

  it('refuses to overwrite without force and leaves the file as it was', async () => {
    await using tmp = await tempDir();
    await writeFile(join(tmp.dir, 'kargo-env.yaml'), 'mine\n');
    const error = await rejection(runInit(STARTER, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.FileExists);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe('kargo-env.yaml already exists; not overwriting it');
    expect(error.hint).toMatch(/--force/);
    expect(await readFile(join(tmp.dir, 'kargo-env.yaml'), 'utf8')).toBe('mine\n');

    const forced = await runInit({ ...STARTER, force: true }, { cwd: tmp.dir });
    expect(forced.overwritten).toBe(true);
    expect(await readFile(join(tmp.dir, 'kargo-env.yaml'), 'utf8')).toContain('flask-app');
  });

  it('rejects invalid flag values, naming the flags, and writes nothing', async () => {
    await using tmp = await tempDir();
    const error = await rejection(runInit({ ...STARTER, app: 'Flask_App', image: 'ghcr.io/alkon/flask-app:1.0.0', repo: 'git@github.com:alkon/x.git' }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.InvalidArgument);
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['--app', '--image', '--repo']);
    await expect(readFile(join(tmp.dir, 'kargo-env.yaml'))).rejects.toThrow(/ENOENT/);
  });

  it('derives image and repo from the GitHub origin remote', async () => {
    await using tmp = await tempDir();
    await mkdir(join(tmp.dir, '.git'));
    await writeFile(join(tmp.dir, '.git', 'config'), '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:Alkon/web-shop.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n');
    const result = await runInit({ config: 'k.yaml', force: false }, { cwd: tmp.dir });
    expect(result.image).toBe(`ghcr.io/alkon/${result.app}`);
    expect(result.repo).toBe('https://github.com/Alkon/web-shop');
  });

  it('is a usage error when image and repo cannot be derived', async () => {
    await using tmp = await tempDir();
    const error = await rejection(runInit({ config: 'kargo-env.yaml', force: false }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.Usage);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/missing --image and --repo/);
  });
});

const BROKEN = `apiVersion: kargo-env.dev/v1alpha1
kind: PipelineConfig
pipelines:
  - app: Flask_App
    image:
      repository: ghcr.io/alkon/flask-app
      discoveryLimit: 500
    git:
      repoURL: https://github.com/alkon/flask-app
    environments:
      - name: dev
      - name: staging
        upstreams: [qa]
        soak: 30x
`;

describe('runValidate', () => {
  it('reports every problem at once with file, line, column and path', async () => {
    await using tmp = await tempDir();
    await writeFile(join(tmp.dir, 'broken.yaml'), BROKEN);
    const result = await runValidate({ config: 'broken.yaml' }, { cwd: tmp.dir });
    expect(result.valid).toBe(false);
    expect(result.errors.length).toBeGreaterThanOrEqual(3);
    for (const issue of result.errors) {
      expect(issue.file).toBe('broken.yaml');
      expect(issue.line).toBeGreaterThan(0);
      expect(issue.column).toBeGreaterThan(0);
      expect(issue.path).not.toBe('');
    }
    const byPath = new Map(result.errors.map((issue) => [issue.path, issue]));
    expect(byPath.get('pipelines[0].app')).toMatchObject({ line: 4, column: 10 });
    expect(byPath.get('pipelines[0].image.discoveryLimit')).toMatchObject({ line: 7 });
  });

  it('passes a valid config and checks every rendered Kargo object', async () => {
    await using tmp = await tempDir();
    await runInit(STARTER, { cwd: tmp.dir });
    const result = await runValidate({ config: 'kargo-env.yaml' }, { cwd: tmp.dir });
    expect(result).toMatchObject({ valid: true, errors: [] });
    // Project, ProjectConfig, Warehouse and three Stages at least.
    expect(result.objectsChecked).toBeGreaterThanOrEqual(6);
  });

  it('keeps warnings apart from errors', async () => {
    await using tmp = await tempDir();
    await runInit(STARTER, { cwd: tmp.dir });
    const text = await readFile(join(tmp.dir, 'kargo-env.yaml'), 'utf8');
    const withAutoProd = text.replace('promotion: { auto: false, mode: pull-request }', 'promotion: { auto: true, mode: pull-request }');
    expect(withAutoProd).not.toBe(text);
    await writeFile(join(tmp.dir, 'auto.yaml'), withAutoProd);
    const result = await runValidate({ config: 'auto.yaml' }, { cwd: tmp.dir });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.warnings.length).toBeGreaterThan(0);
  });

  it('a missing config is a typed error with a hint', async () => {
    await using tmp = await tempDir();
    const error = await rejection(runValidate({ config: 'nope.yaml' }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.ConfigNotReadable);
    expect(error.message).toBe('config file nope.yaml not found');
    expect(error.hint).toMatch(/kargo-env init/);
  });
});

describe('runRender', () => {
  async function project() {
    const tmp = await tempDir();
    await runInit(STARTER, { cwd: tmp.dir });
    return tmp;
  }
  const write = { config: 'kargo-env.yaml', out: 'kargo', mode: RenderMode.Write };
  const check = { ...write, mode: RenderMode.Check };

  it('writes the tree and reports objects per kind and file counts; a re-render changes nothing', async () => {
    await using tmp = await project();
    const first = await runRender(write, { cwd: tmp.dir });
    expect(first.wrote).toBe(true);
    expect(first.kinds).toMatchObject({ Project: 1, ProjectConfig: 1, Warehouse: 1, Stage: 3, Application: expect.any(Number) });
    expect(first.objects).toBe(Object.values(first.kinds).reduce((a, b) => a + b, 0));
    expect(first.files.added.length).toBeGreaterThan(0);
    expect(first.files).toMatchObject({ changed: [], removed: [], unchanged: [] });
    for (const path of first.files.added) await expect(readFile(join(tmp.dir, 'kargo', path), 'utf8')).resolves.toBeTypeOf('string');

    const second = await runRender(write, { cwd: tmp.dir });
    expect(second).toMatchObject({ wrote: false, drift: false, files: { added: [], changed: [], removed: [], unchanged: first.files.added } });
  });

  it('--check passes on a clean tree and lists changed, extra and missing files with a diff', async () => {
    await using tmp = await project();
    const written = await runRender(write, { cwd: tmp.dir });
    expect(await runRender(check, { cwd: tmp.dir })).toMatchObject({ drift: false, wrote: false });

    const stage = written.files.added.find((path) => path.startsWith('stages/'))!;
    const missing = written.files.added.find((path) => path.startsWith('argocd-apps/'))!;
    const stagePath = join(tmp.dir, 'kargo', stage);
    const original = await readFile(stagePath, 'utf8');
    await writeFile(stagePath, original.replace(/name: (\S+)/, 'name: $1-edited'));
    await writeFile(join(tmp.dir, 'kargo', 'stray.yaml'), 'x: 1\n');
    await rm(join(tmp.dir, 'kargo', missing));

    const drift = await runRender(check, { cwd: tmp.dir });
    expect(drift).toMatchObject({ drift: true, wrote: false, files: { changed: [stage], removed: ['stray.yaml'], added: [missing] } });
    expect(drift.diffs).toHaveLength(1);
    expect(drift.diffs[0]!.path).toBe(stage);
    expect(drift.diffs[0]!.lines.some((line) => line.startsWith('-') && line.includes('-edited'))).toBe(true);
    expect(drift.diffs[0]!.lines.some((line) => line.startsWith('+') && !line.includes('-edited'))).toBe(true);
    // --check wrote nothing.
    expect(await readFile(join(tmp.dir, 'kargo', 'stray.yaml'), 'utf8')).toBe('x: 1\n');
  });

  it('keeps the image tag Kargo wrote into a values file', async () => {
    await using tmp = await project();
    const written = await runRender(write, { cwd: tmp.dir });
    const values = written.files.added.find((path) => /values/.test(path) && path.includes('staging'))!;
    const path = join(tmp.dir, 'kargo', values);
    const text = await readFile(path, 'utf8');
    expect(text).toMatch(/tag: /);
    const promoted = text.replace(/tag: .*/, 'tag: 1.8.4');
    await writeFile(path, promoted);

    expect(await runRender(check, { cwd: tmp.dir })).toMatchObject({ drift: false });
    await runRender(write, { cwd: tmp.dir });
    expect(await readFile(path, 'utf8')).toBe(promoted);
  });

  it('--stdout returns every object as one YAML stream and writes nothing', async () => {
    await using tmp = await project();
    const result = await runRender({ ...write, mode: RenderMode.Stdout }, { cwd: tmp.dir });
    const docs = parseAllDocuments(result.stream!).filter((doc) => doc.contents !== null);
    expect(docs.every((doc) => doc.errors.length === 0)).toBe(true);
    expect(docs.map((doc) => doc.get('kind'))).toHaveLength(result.objects);
    await expect(readFile(join(tmp.dir, 'kargo', 'project.yaml'))).rejects.toThrow(/ENOENT/);
  });

  it('an invalid config is one typed error carrying every issue', async () => {
    await using tmp = await tempDir();
    await writeFile(join(tmp.dir, 'kargo-env.yaml'), BROKEN);
    const error = await rejection(runRender(write, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.InvalidConfig);
    expect(error.issues.length).toBeGreaterThanOrEqual(3);
    expect(error.issues[0]).toMatchObject({ file: 'kargo-env.yaml', line: expect.any(Number), column: expect.any(Number) });
  });
});

describe('runRender output folder errors', () => {
  it('an output path under a regular file is a typed error, not a crash', async () => {
    await using tmp = await tempDir();
    await using elsewhere = await tempDir();
    await runInit(STARTER, { cwd: tmp.dir });
    await writeFile(join(elsewhere.dir, 'plain'), 'x');
    const out = join(elsewhere.dir, 'plain', 'kargo');
    const error = await rejection(runRender({ config: 'kargo-env.yaml', out, mode: RenderMode.Write }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.OutputNotReadable);
    expect(error.message).toMatch(/^cannot read the output folder .*plain\/kargo: .*ENOTDIR/);
  });

  it('an output folder inside the repository must hold the values files the config names', async () => {
    await using tmp = await tempDir();
    await runInit(STARTER, { cwd: tmp.dir });
    const error = await rejection(runRender({ config: 'kargo-env.yaml', out: 'deploy/kargo', mode: RenderMode.Write }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.RenderFailed);
    expect(error.message).toMatch(/values file kargo\/values\/dev-values\.yaml is outside the rendered folder deploy\/kargo/);
    expect(error.hint).toMatch(/valuesDir/);
  });

  it.each([['.'], ['..']])('refuses --out %s, which would replace the working directory', async (out) => {
    await using tmp = await tempDir();
    await runInit(STARTER, { cwd: tmp.dir });
    const error = await rejection(runRender({ config: 'kargo-env.yaml', out, mode: RenderMode.Write }, { cwd: tmp.dir }));
    expect(error.code).toBe(CliErrorCode.Usage);
    expect(await readFile(join(tmp.dir, 'kargo-env.yaml'), 'utf8')).toContain('flask-app');
  });
});
