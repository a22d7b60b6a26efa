// Where the simulation starts: each environment at the image.tag Kargo last wrote into its values file, or at
// the configured initialTag when the file or the key is absent; the result and the report say which.
import { describe, expect, it } from 'vitest';
import {
  KargoRenderError,
  RenderErrorCode,
  formatSimulation,
  mergeValuesFile,
  ownedValues,
  simulatePipeline,
  valuesFileTag,
  valuesFileTags,
  type SimulationInput,
  type SimulationResult,
} from '../src/index.ts';
import { exampleConfig } from './support/configs.ts';

function run(input: SimulationInput): SimulationResult {
  const result = simulatePipeline(exampleConfig(), input);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.value;
}

/** The example's tree as render would write it for these tags (undefined: no file). */
function tree(tags: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const config = exampleConfig();
  const pipeline = config.pipelines[0]!;
  const files = new Map<string, string>();
  for (const env of pipeline.environments) {
    const tag = tags[env.name];
    if (tag !== undefined) files.set(env.valuesPath.slice('kargo/'.length), mergeValuesFile(undefined, ownedValues(pipeline, env), tag));
  }
  return files;
}

describe('valuesFileTag: the tag Kargo wrote into a values file', () => {
  it('reads back what render writes, keeps the text of unquoted numbers, and is absent for a missing file or key', () => {
    const config = exampleConfig();
    const pipeline = config.pipelines[0]!;
    expect(valuesFileTag(mergeValuesFile(undefined, ownedValues(pipeline, pipeline.environments[0]!), '1.10'))).toBe('1.10');
    expect(valuesFileTag('image:\n  tag: 1.10\n')).toBe('1.10');
    expect(valuesFileTag('image:\n  tag: v2.0.1 # set by Kargo\n')).toBe('v2.0.1');
    expect(valuesFileTag(undefined)).toBeUndefined();
    expect(valuesFileTag('')).toBeUndefined();
    expect(valuesFileTag('replicaCount: 1\n')).toBeUndefined();
    expect(valuesFileTag('image:\n  tag: ""\n')).toBeUndefined();
    expect(valuesFileTag('image:\n  tag:\n')).toBeUndefined();
    expect(valuesFileTag('deploy:\n  tag: 1.2.3\n', { tagPath: ['deploy', 'tag'] })).toBe('1.2.3');
  });

  it('refuses a file render refuses, with the same error code', () => {
    for (const text of ['image: [unclosed\n', '- a list\n']) {
      expect(() => valuesFileTag(text, { filename: 'values/dev-values.yaml' })).toThrow(KargoRenderError);
      try {
        valuesFileTag(text, { filename: 'values/dev-values.yaml' });
      } catch (error) {
        expect(error).toMatchObject({ code: RenderErrorCode.InvalidValuesFile, message: expect.stringMatching(/^values\/dev-values\.yaml: /) });
      }
    }
  });
});

describe('valuesFileTags: every environment of the config, read through render’s readExisting', () => {
  it('looks up each values path relative to the rendered folder', () => {
    const files = tree({ dev: '1.4.2', staging: '1.4.1' });
    files.set('values/staging-values.yaml', 'replicaCount: 2\n');
    const asked: string[] = [];
    const tags = valuesFileTags(exampleConfig(), {
      readExisting: (rel) => {
        asked.push(rel);
        return files.get(rel);
      },
    });
    expect(asked).toEqual(['values/dev-values.yaml', 'values/staging-values.yaml', 'values/prod-values.yaml']);
    expect(tags).toEqual([
      { pipeline: 'flask-app', stage: 'dev', file: 'kargo/values/dev-values.yaml', exists: true, tag: '1.4.2' },
      { pipeline: 'flask-app', stage: 'staging', file: 'kargo/values/staging-values.yaml', exists: true },
      { pipeline: 'flask-app', stage: 'prod', file: 'kargo/values/prod-values.yaml', exists: false },
    ]);
  });

  it('a values path outside the rendered folder is not read', () => {
    const tags = valuesFileTags(exampleConfig(), { root: 'deploy', readExisting: () => 'image:\n  tag: "9.9.9"\n' });
    expect(tags.map((t) => [t.stage, t.exists, t.tag])).toEqual([
      ['dev', false, undefined],
      ['staging', false, undefined],
      ['prod', false, undefined],
    ]);
  });
});

describe('simulatePipeline with start tags', () => {
  it('starts each environment at its values-file tag, else at initialTag, and says which', () => {
    const files = tree({ dev: '1.4.2', staging: '1.4.1' });
    files.set('values/staging-values.yaml', 'replicaCount: 2\n');
    const startTags = valuesFileTags(exampleConfig(), { readExisting: (rel) => files.get(rel) });
    const r = run({ pushes: [{ tag: '1.8.4', atMinutes: 0 }], startTags });
    expect(r.environments.map((e) => [e.stage, e.initialTag, e.initialTagSource, e.initialTagNote])).toEqual([
      ['dev', '1.4.2', 'values-file', 'image.tag in kargo/values/dev-values.yaml'],
      ['staging', '1.0.0', 'config', 'kargo/values/staging-values.yaml has no image.tag'],
      ['prod', '1.0.0', 'config', 'kargo/values/prod-values.yaml not found'],
    ]);
    expect(r.promotions.map((p) => `${p.change.file}: ${p.change.from} → ${p.change.to}`)).toEqual([
      'kargo/values/dev-values.yaml: 1.4.2 → 1.8.4',
      'kargo/values/staging-values.yaml: 1.0.0 → 1.8.4',
    ]);
    expect(r.environments.find((e) => e.stage === 'prod')?.finalTag).toBe('1.0.0');
    const text = formatSimulation(r);
    expect(text).toContain('dev · auto · from Warehouse flask-app\n  starts at 1.4.2 (image.tag in kargo/values/dev-values.yaml)\n');
    expect(text).toContain('  starts at 1.0.0 (the configured initialTag; kargo/values/staging-values.yaml has no image.tag)\n');
    expect(text).toContain('prod · manual · PR · from staging\n  starts at 1.0.0 (the configured initialTag; kargo/values/prod-values.yaml not found)\n  (no promotion; still runs 1.0.0)');
  });

  it('an environment already at a tag stays there when nothing is pushed', () => {
    const startTags = valuesFileTags(exampleConfig(), { readExisting: (rel) => tree({ dev: '1.7.0', staging: '1.6.0', prod: '1.5.0' }).get(rel) });
    const r = run({ pushes: [], startTags });
    expect(r.environments.map((e) => [e.stage, e.finalTag])).toEqual([
      ['dev', '1.7.0'],
      ['staging', '1.6.0'],
      ['prod', '1.5.0'],
    ]);
  });

  it('without start tags it starts at initialTag, as before, and says so', () => {
    const r = run({ pushes: [{ tag: '1.8.4', atMinutes: 0 }] });
    expect(r.environments.map((e) => [e.initialTag, e.initialTagSource, e.initialTagNote])).toEqual([
      ['1.0.0', 'config', undefined],
      ['1.0.0', 'config', undefined],
      ['1.0.0', 'config', undefined],
    ]);
    expect(formatSimulation(r)).toContain('dev · auto · from Warehouse flask-app\n  starts at 1.0.0 (the configured initialTag)\n');
  });

  it('start tags for unknown pipelines or environments are located issues', () => {
    const result = simulatePipeline(exampleConfig(), {
      pushes: [],
      startTags: [
        { pipeline: 'nope', stage: 'dev', file: 'x.yaml', exists: false },
        { pipeline: 'flask-app', stage: 'qa', file: 'x.yaml', exists: true, tag: '1.0.0' },
      ],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => [e.path, e.code])).toEqual([['startTags[0].pipeline', 'unknown-pipeline'], ['startTags[1].stage', 'unknown-stage']]);
  });
});
