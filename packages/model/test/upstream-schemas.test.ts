// The bundled upstream schemas (upstream/) are generated, never edited by hand, small, and the generator
// keeps structure while dropping prose. The generator runs here on small upstream-shaped inputs of our own.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UPSTREAMS, UpstreamSchemaError, buildBundle, crdSchemas, shareRepeatedSubschemas, sortKeys, stripSchema, writeBundle } from '../scripts/upstream-schemas.ts';

const BUNDLE = join(import.meta.dirname, '../upstream');
const index = JSON.parse(readFileSync(join(BUNDLE, 'index.json'), 'utf8')) as { files: Record<string, string>; upstreams: Record<string, { version: string }> };

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(BUNDLE, path).split('\\').join('/')];
  });
}

describe('the committed bundle', () => {
  test('every file is the one the generator wrote (its sha256 is in index.json): regenerate, do not edit', () => {
    const mismatched = Object.entries(index.files).filter(([path, sha]) => createHash('sha256').update(readFileSync(join(BUNDLE, path))).digest('hex') !== sha);
    expect(mismatched.map(([path]) => path)).toEqual([]);
  });

  test('holds exactly the files index.json lists', () => {
    expect(filesUnder(BUNDLE).filter((f) => f !== 'index.json').sort()).toEqual(Object.keys(index.files).sort());
  });

  test('pins the upstream releases the model targets', () => {
    expect(Object.fromEntries(Object.entries(index.upstreams).map(([name, u]) => [name, u.version]))).toEqual({ kargo: 'v1.11.2', 'argo-cd': 'v3.5.1', 'argo-rollouts': 'v1.9.1' });
  });

  test('is well under 1 MB', () => {
    const bytes = filesUnder(BUNDLE).reduce((n, f) => n + statSync(join(BUNDLE, f)).size, 0);
    expect(bytes).toBeLessThan(400_000);
  });

  test('carries no prose: no description, title or example keyword, no rule message', () => {
    const prose: string[] = [];
    const walk = (node: unknown, at: string, inMap: boolean): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}/${i}`, false));
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        // Inside `properties` a key is a field name (a field may be called "description").
        if (!inMap && ['description', 'title', 'examples', 'example', 'message', 'messageExpression', '$comment'].includes(key)) prose.push(`${at}/${key}`);
        walk(value, `${at}/${key}`, !inMap && ['properties', 'patternProperties', 'definitions', '$defs'].includes(key));
      }
    };
    for (const file of Object.keys(index.files).filter((f) => f.endsWith('.json'))) walk(JSON.parse(readFileSync(join(BUNDLE, file), 'utf8')), file, false);
    expect(prose).toEqual([]);
  });
});

describe('stripSchema', () => {
  test('drops prose at every depth and keeps structure, including a field named "description"', () => {
    expect(
      stripSchema({
        type: 'object',
        description: 'prose',
        title: 'T',
        required: ['description'],
        properties: {
          description: { type: 'string', description: 'the field called description', maxLength: 5 },
          mode: { enum: ['A', 'B'], default: 'A', example: 'A' },
          count: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        },
        'x-kubernetes-validations': [{ rule: 'has(self.mode)', message: 'mode is required', reason: 'FieldValueRequired' }],
      }),
    ).toEqual({
      type: 'object',
      required: ['description'],
      properties: {
        description: { type: 'string', maxLength: 5 },
        mode: { enum: ['A', 'B'], default: 'A' },
        count: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      },
      'x-kubernetes-validations': [{ rule: 'has(self.mode)', reason: 'FieldValueRequired' }],
    });
  });

  test('refuses a keyword it does not know, so nothing new slips in unexamined', () => {
    expect(() => stripSchema({ type: 'object', properties: { a: { type: 'string', 'x-new-thing': 1 } } })).toThrow(UpstreamSchemaError);
    expect(() => stripSchema({ type: 'object', properties: { a: { type: 'string', 'x-new-thing': 1 } } })).toThrow('#/properties/a/x-new-thing');
  });
});

describe('shareRepeatedSubschemas', () => {
  const big = (name: string) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`${name}${i}`, { type: 'string', maxLength: i + 1 }])) });
  const schema = { type: 'object', properties: { a: big('f'), b: { type: 'array', items: big('f') }, c: big('g') } };

  test('moves a large repeated subschema to definitions and leaves unique ones in place', () => {
    const shared = shareRepeatedSubschemas(schema) as { properties: Record<string, unknown>; definitions: Record<string, unknown> };
    expect(Object.keys(shared.definitions)).toHaveLength(1);
    const [name] = Object.keys(shared.definitions);
    expect(shared.properties['a']).toEqual({ $ref: `#/definitions/${name}` });
    expect(shared.properties['b']).toEqual({ type: 'array', items: { $ref: `#/definitions/${name}` } });
    expect(shared.properties['c']).toEqual(big('g'));
  });

  test('is equivalent: expanding every $ref gives back the input', () => {
    const shared = shareRepeatedSubschemas(schema) as { definitions: Record<string, unknown> };
    const expand = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(expand);
      if (typeof node !== 'object' || node === null) return node;
      const ref = (node as { $ref?: string }).$ref;
      if (ref !== undefined) return expand(shared.definitions[ref.slice('#/definitions/'.length)]);
      return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'definitions').map(([k, v]) => [k, expand(v)]));
    };
    expect(sortKeys(expand(shared) as never)).toEqual(sortKeys(schema as never));
  });
});

describe('the generator on upstream-shaped inputs', () => {
  const root = mkdtempSync(join(tmpdir(), 'schemas-sync-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const crd = (group: string, kind: string, scope: string) => `# a comment
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${kind.toLowerCase()}s.${group} }
spec:
  group: ${group}
  names: { kind: ${kind}, plural: ${kind.toLowerCase()}s }
  scope: ${scope}
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          description: A ${kind}.
          type: object
          properties:
            spec:
              type: object
              description: What the user wants.
              properties:
                size: { type: integer, format: int32, minimum: 1 }
    - name: v0
      served: false
      storage: false
      schema: { openAPIV3Schema: { type: object } }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: not-a-crd }
`;
  for (const [name, upstream] of Object.entries(UPSTREAMS)) {
    write(`${name}/LICENSE`, 'Apache License\nVersion 2.0, January 2004\n');
    write(`${name}/${upstream.crds.dir}/${name}-crd.yaml`, crd(name === 'kargo' ? 'kargo.akuity.io' : 'argoproj.io', name === 'kargo' ? 'Stage' : name === 'argo-cd' ? 'Application' : 'AnalysisTemplate', 'Namespaced'));
    if (upstream.steps !== null) {
      write(`${name}/${upstream.steps}/git-push-config.json`, JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'GitPushConfig', type: 'object', properties: { path: { type: 'string', description: 'where' } }, required: ['path'] }));
      write(`${name}/${upstream.steps}/common.json`, JSON.stringify({ definitions: { origin: { type: 'object', description: 'x' } } }));
    }
    if (upstream.subscriptions !== null) write(`${name}/${upstream.subscriptions}/image.json`, JSON.stringify({ type: 'object', description: 'An image.', properties: { repoURL: { type: 'string' } } }));
  }
  const dirs = { kargo: join(root, 'kargo'), 'argo-cd': join(root, 'argo-cd'), 'argo-rollouts': join(root, 'argo-rollouts') };

  test('takes only served versions of CRDs and skips other documents', () => {
    expect(crdSchemas(crd('example.com', 'Widget', 'Cluster'), 'test').map((c) => `${c.group}/${c.version}/${c.kind} ${c.scope}`)).toEqual(['example.com/v1alpha1/Widget Cluster']);
  });

  test('writes sorted compact JSON, an index of hashes and SOURCE.md; twice the same bytes', () => {
    const first = buildBundle(dirs);
    const second = buildBundle(dirs);
    expect([...first]).toEqual([...second]);
    expect([...first.keys()].sort()).toEqual([
      'SOURCE.md',
      'crds/argoproj.io/v1alpha1/AnalysisTemplate.json',
      'crds/argoproj.io/v1alpha1/Application.json',
      'crds/kargo.akuity.io/v1alpha1/Stage.json',
      'index.json',
      'steps/common.json',
      'steps/git-push-config.json',
      'subscriptions/image.json',
    ]);
    expect(first.get('crds/kargo.akuity.io/v1alpha1/Stage.json')).toBe('{"properties":{"spec":{"properties":{"size":{"format":"int32","minimum":1,"type":"integer"}},"type":"object"}},"type":"object"}\n');
    expect(first.get('steps/git-push-config.json')).toBe('{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"path":{"type":"string"}},"required":["path"],"type":"object"}\n');
    const generated = JSON.parse(first.get('index.json') ?? '') as { steps: unknown; stepDefinitions: unknown; kinds: unknown; files: Record<string, string> };
    expect(generated.steps).toEqual({ 'git-push': 'steps/git-push-config.json' });
    expect(generated.stepDefinitions).toEqual({ 'common.json': 'steps/common.json' });
    expect(generated.kinds).toMatchObject({ 'kargo.akuity.io/v1alpha1/Stage': { file: 'crds/kargo.akuity.io/v1alpha1/Stage.json', scope: 'Namespaced' } });
    expect(generated.files['subscriptions/image.json']).toBe(createHash('sha256').update(first.get('subscriptions/image.json') ?? '').digest('hex'));
    expect(first.get('SOURCE.md')).toMatch(/Kargo \(https:\/\/github.com\/akuity\/kargo\) \| `v1.11.2`/);
  });

  test('replaces a bundle folder whole', () => {
    const target = join(root, 'out');
    write('out/stale.json', '{}');
    writeBundle(buildBundle(dirs), target);
    expect(readdirSync(target).sort()).toEqual(['SOURCE.md', 'crds', 'index.json', 'steps', 'subscriptions']);
  });

  test('names the missing input when an upstream file is absent', () => {
    expect(() => buildBundle({ ...dirs, kargo: join(root, 'nowhere') })).toThrow(/kargo/);
  });
});
