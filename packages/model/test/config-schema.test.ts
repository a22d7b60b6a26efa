import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PIPELINE_CONFIG_SCHEMA_ID, pipelineConfigJsonSchema, pipelineConfigJsonSchemaText, renderStarterConfig } from '../src/index.ts';

const SCHEMA_FILE = new URL('../schema/kargo-env.schema.json', import.meta.url);
const EXAMPLE_FILE = new URL('../../../kargo-env.yaml', import.meta.url);
const FAN_FILE = new URL('./fixtures/config/fan-out-fan-in.yaml', import.meta.url);

function compile() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
}

describe('schema/kargo-env.schema.json', () => {
  it('is exactly what the runtime schema generates', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(committed === pipelineConfigJsonSchemaText(), 'schema/kargo-env.schema.json is stale: run pnpm --filter @kargo/model generate:schema').toBe(true);
  });

  it('names itself and its draft', () => {
    const schema = pipelineConfigJsonSchema();
    expect(schema.$id).toBe(PIPELINE_CONFIG_SCHEMA_ID);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toContain('kargo-env');
  });

  it('is shipped with the package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('schema');
    expect(pkg.exports['./kargo-env.schema.json']).toBe('./schema/kargo-env.schema.json');
  });

  it('validates the example, the fan-out fixture and the starter config (ajv, strict, draft 2020-12)', () => {
    const validate = compile();
    for (const text of [readFileSync(EXAMPLE_FILE, 'utf8'), readFileSync(FAN_FILE, 'utf8'), renderStarterConfig({ image: 'ghcr.io/a/b', repo: 'https://github.com/a/b.git' })]) {
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it('rejects what the parser rejects at the schema level', () => {
    const validate = compile();
    const base = parse(readFileSync(EXAMPLE_FILE, 'utf8')) as { pipelines: Record<string, unknown>[] };
    const cases: [string, (c: typeof base) => void][] = [
      ['unknown field', (c) => (c.pipelines[0]!.extra = 1)],
      ['bad colour', (c) => ((c.pipelines[0]!.environments as Record<string, unknown>[])[0]!.color = 'blurple')],
      ['bad soak', (c) => ((c.pipelines[0]!.environments as { promotion: Record<string, unknown> }[])[1]!.promotion.soak = '30 min')],
      ['tagged image', (c) => ((c.pipelines[0]!.image as Record<string, unknown>).repository = 'ghcr.io/a/b:1.0')],
      ['unknown preset', (c) => ((c.pipelines[0]!.environments as Record<string, unknown>[])[0]!.verification = [{ preset: 'chaos' }])],
      ['no pipelines', (c) => (c.pipelines = [])],
    ];
    for (const [name, mutate] of cases) {
      const config = structuredClone(base);
      mutate(config);
      expect(validate(config), name).toBe(false);
    }
  });

  it('describes every field users can write', () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if (typeof n.properties === 'object' && n.properties !== null) {
        for (const [key, child] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          const described = typeof child.description === 'string' || (key === 'preset' && 'const' in child);
          if (!described) undocumented.push(`${path}.${key}`);
        }
      }
      for (const [key, child] of Object.entries(n)) walk(child, key === 'properties' || key === 'items' || /^\d+$/.test(key) || key === 'anyOf' || key === 'oneOf' ? path : `${path}.${key}`);
    };
    walk(pipelineConfigJsonSchema(), '');
    expect(undocumented).toEqual([]);
  });
});
