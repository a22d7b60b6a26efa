import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatIssue,
  formatDuration,
  parseDuration,
  parsePipelineConfig,
  renderStarterConfig,
  defaultSchemaUrl,
  PIPELINE_CONFIG_API_VERSION,
} from '../src/index.ts';
import { HEADER, pipelineYaml, positionOf } from './config-helpers.ts';

const EXAMPLE_PATH = new URL('../../../kargo-env.yaml', import.meta.url);

describe('YAML syntax errors', () => {
  it('reports an unclosed flow mapping at its position', () => {
    const text = `${HEADER}pipelines:\n  - app: web\n    image: { repository: ghcr.io/acme/web\n    git: x\n`;
    const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBeGreaterThan(0);
    const first = result.errors[0]!;
    expect(first.code).toMatch(/^yaml-/);
    expect(first.file).toBe('kargo-env.yaml');
    expect(first).toMatchObject({ code: 'yaml-bad-indent', ...positionOf(text, 'git: x') });
  });

  it('reports a duplicate key at the second key', () => {
    const text = `${HEADER}kind: PipelineConfig\npipelines: []\n`;
    const result = parsePipelineConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ code: 'yaml-duplicate-key', ...positionOf(text, 'kind', 1) });
  });

  it('reports a bad indentation with line and column', () => {
    const text = `${HEADER}pipelines:\n  - app: web\n     image: x\n`;
    const result = parsePipelineConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // yaml flags the compact mapping that the over-indented line would continue.
    expect(result.errors[0]).toMatchObject({ code: 'yaml-block-as-implicit-key', ...positionOf(text, 'web\n') });
  });
});

describe('schema errors carry path, line and column', () => {
  it('points at the wrong header value', () => {
    const text = 'apiVersion: kargo-env.dev/v1\nkind: PipelineConfig\npipelines: []\n';
    const result = parsePipelineConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.path, e.line, e.column])).toEqual([
      ['apiVersion', 1, 13],
      ['pipelines', 3, 1],
    ]);
    expect(result.errors[0]!.message).toContain(PIPELINE_CONFIG_API_VERSION);
  });

  it('points an unknown field at its key and a missing field at its parent', () => {
    const text = `${HEADER}pipelines:\n  - app: web\n    image:\n      repo: ghcr.io/acme/web\n    git: { repoURL: https://github.com/acme/web.git }\n`;
    const result = parsePipelineConfig(text, { filename: 'k.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { path: 'pipelines[0].image.repository', message: 'required field is missing (expected string)', severity: 'error', code: 'invalid_type', file: 'k.yaml', ...positionOf(text, 'image:') },
      { path: 'pipelines[0].image.repo', message: 'unknown field "repo"', severity: 'error', code: 'unknown-field', file: 'k.yaml', ...positionOf(text, 'repo:') },
    ]);
  });

  it('tells the user to quote a number where text is expected', () => {
    const text = pipelineYaml('    argocd:\n      chart: { repoURL: https://charts.acme.io, chart: web, version: 1.0 }\n');
    const result = parsePipelineConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ path: 'pipelines[0].argocd.chart.version', message: 'expected string, got number (quote it in YAML: "1")', ...positionOf(text, '1.0 }') });
  });

  it('resolves unions to the branch the user meant', () => {
    const text = pipelineYaml("    environments:\n      - name: dev\n        verification: [{ preset: smok }, { template: t, kind: Job }]\n        color: '#12345'\n    argocd:\n      chart: { repoURL: oci://ghcr.io/acme/charts }\n");
    const result = parsePipelineConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.path, e.message])).toEqual([
      ['pipelines[0].environments[0].verification[0].preset', "must be one of 'smoke' | 'integration' | 'security-scan' | 'performance'"],
      ['pipelines[0].environments[0].verification[1].kind', 'expected one of "AnalysisTemplate"|"ClusterAnalysisTemplate"'],
      ['pipelines[0].environments[0].color', expect.stringContaining('Kargo palette colour')],
      ['pipelines[0].argocd.chart.version', 'required field is missing (expected string)'],
    ]);
  });

  it('collects every schema problem at once', () => {
    const text = `${HEADER}relay: { enabled: yes please }\npipelines:\n  - app: Web\n    image: { repository: ghcr.io/Acme/web:1.0 }\n    git: { repoURL: git@github.com:acme/web.git, branch: '' }\n    environments: []\n`;
    const result = parsePipelineConfig(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual([
      'relay.enabled',
      'pipelines[0].app',
      'pipelines[0].image.repository',
      'pipelines[0].git.repoURL',
      'pipelines[0].git.branch',
      'pipelines[0].environments',
    ]);
    for (const e of result.errors) expect(e.line).toBeGreaterThan(2);
  });

  it('formats issues the way the CLI prints them', () => {
    const text = pipelineYaml('    environments:\n      - name: dev\n        replicas: -1\n');
    const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatIssue(result.errors[0]!)).toBe('kargo-env.yaml:11:19: error: pipelines[0].environments[0].replicas: Too small: expected number to be >=0');
  });
});

describe('never throws on user input', () => {
  const inputs = [
    '',
    '   \n',
    'null',
    '42',
    '[]',
    '"just a string"',
    '---\na: 1\n---\nb: 2\n',
    '*undefined_alias',
    'a: &a [1, 2]\nb: [*a, *a, *a]\n',
    `a: &a ["x","x"]\nb: &b [${'*a,'.repeat(50)}*a]\nc: &c [${'*b,'.repeat(50)}*b]\n`,
    '['.repeat(2000),
    '{'.repeat(500) + '}'.repeat(500),
    '\u0000\u0001\uFFFE binary',
    `${HEADER}pipelines:\n  - !!binary aGVsbG8=\n`,
    `${HEADER}pipelines: [{ app: 1, image: [], git: null, environments: {} }]\n`,
    `${HEADER}pipelines:\n  - app: a\n    image: { repository: ghcr.io/a/a, allowTags: ['(?<=x)', '\\\\', '(', ')('] }\n    git: { repoURL: https://x.io/a.git }\n`,
  ];
  it.each(inputs.map((text, i) => [i, text] as const))('input #%i', (_i, text) => {
    const result = parsePipelineConfig(text, { filename: 'f.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.length).toBeGreaterThan(0);
    for (const e of result.errors) {
      expect(typeof e.message).toBe('string');
      expect(e.severity).toBe('error');
    }
  });
});

describe('the example at the repository root', () => {
  const text = readFileSync(EXAMPLE_PATH, 'utf8');
  const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });

  it('starts with the $schema line and parses with no errors or warnings', () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./packages/model/schema/kargo-env.schema.json');
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('spells out the same environments the defaults produce', () => {
    const defaults = parsePipelineConfig(pipelineYaml());
    expect(result.ok && defaults.ok).toBe(true);
    if (!result.ok || !defaults.ok) return;
    const example = result.value.pipelines[0]!;
    expect(example.image).toEqual(defaults.value.pipelines[0]!.image);
    expect(example.argocd).toEqual({ ...defaults.value.pipelines[0]!.argocd, appNameSuffix: '-kargo' });
    expect(example.environments).toEqual(
      defaults.value.pipelines[0]!.environments.map((e) => ({ ...e, applicationName: `${e.applicationName}-kargo` })),
    );
    expect(result.value.relay.enabled).toBe(true);
  });
});

describe('starter config', () => {
  const text = renderStarterConfig({ image: 'ghcr.io/acme/web-shop', repo: 'https://github.com/acme/deploy.git' });

  it('points its $schema at a URL that serves the schema without a published package: this repository\'s default branch', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { repository: { url: string; directory: string } };
    const [, ownerRepo] = /github\.com\/(.+?)\.git$/.exec(pkg.repository.url) ?? [];
    const match = /^https:\/\/raw\.githubusercontent\.com\/([^/]+\/[^/]+)\/main\/(.+)$/.exec(defaultSchemaUrl());
    expect(match?.[1]).toBe(ownerRepo);
    // The path it names is the generated schema in this repository, so the URL resolves once main has it.
    expect(match?.[2]).toBe(`${pkg.repository.directory}/schema/kargo-env.schema.json`);
    expect(readFileSync(new URL(`../../../${match?.[2] ?? ''}`, import.meta.url), 'utf8')).toContain('"$id": "https://raw.githubusercontent.com/');
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${defaultSchemaUrl()}`);
    expect(renderStarterConfig({ image: 'ghcr.io/a/b', repo: 'https://x.io/r.git', schemaUrl: './s.json' })).toMatch(/^# yaml-language-server: \$schema=\.\/s\.json\n/);
  });

  it('round-trips to the seed defaults', () => {
    const starter = parsePipelineConfig(text);
    expect(starter).toMatchObject({ ok: true, warnings: [] });
    const minimal = parsePipelineConfig(
      `${HEADER}pipelines:\n  - app: web-shop\n    image: { repository: ghcr.io/acme/web-shop }\n    git: { repoURL: https://github.com/acme/deploy.git }\n`,
    );
    if (!starter.ok || !minimal.ok) throw new Error('expected both to parse');
    const withoutDescriptions = (c: typeof starter.value) =>
      c.pipelines.map((p) => ({ ...p, environments: p.environments.map(({ description: _d, ...e }) => e) }));
    expect(withoutDescriptions(starter.value)).toEqual(withoutDescriptions(minimal.value));
  });

  it('quotes values YAML would otherwise misread', () => {
    const odd = renderStarterConfig({ app: 'yes', image: 'ghcr.io/a/b', repo: 'https://x.io/r.git#main' });
    const parsed = parsePipelineConfig(odd);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.pipelines[0]!.git.repoURL).toBe('https://x.io/r.git#main');
  });
});

describe('durations', () => {
  it('parses Go-style durations as Kargo accepts them', () => {
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('90s')).toBe(90);
    for (const bad of ['', '30', '5 m', '1d', '-5m', 'm', '1h-30m', '1ms']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('formats seconds back', () => {
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(3661)).toBe('1h1m1s');
  });
});

describe('every problem in one run', () => {
  it('a type error does not hide a bad SemVer constraint elsewhere (the rules still run on the rest)', () => {
    const text = readFileSync(EXAMPLE_PATH, 'utf8').replace('constraint: ^1.0.0', 'constraint: ^1.0.0 <<< 2').replace('replicas: 1', 'replicas: one');
    const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.path} ${e.code}`)).toEqual([
      'pipelines[0].image.constraint invalid-constraint',
      expect.stringMatching(/^pipelines\[0\]\.environments\[0\]\.\S*replicas invalid_type$/),
    ]);
  });

  it('a rule about the object that held a rejected field is not reported (it may only react to the drop)', () => {
    const text = readFileSync(EXAMPLE_PATH, 'utf8').replace('strategy: SemVer', 'strategy: semver').replace('constraint: ^1.0.0', 'constraint: ^1.0.0 <<< 2');
    const result = parsePipelineConfig(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).toEqual(['pipelines[0].image.strategy']);
  });
});
