// Canonical key order of every emitted document: the context table, the alphabetical fallback, determinism.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GENERATED_HEADER, KEY_ORDER, RELAY_ROUTES_KIND, manifestFile, orderKeys, renderPipelines } from '../src/index.ts';
import { exampleConfig, matrixConfigs } from './support/configs.ts';

/** Keys of every map in `value`, depth first, as `path: k1,k2,…`. */
function keyOrders(value: unknown, path = '', out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => keyOrders(v, `${path}[]`, out));
  else if (typeof value === 'object' && value !== null) {
    out.push(`${path}: ${Object.keys(value).join(',')}`);
    for (const [k, v] of Object.entries(value)) keyOrders(v, path === '' ? k : `${path}.${k}`, out);
  }
  return out;
}

/** The same tree with every map's keys inserted in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
}

describe('orderKeys', () => {
  it('puts the top level, metadata and a promotion step in reading order, the rest after them sorted', () => {
    const doc = orderKeys({
      status: {}, type: 'Opaque', spec: { zeta: 1, alpha: 2 }, metadata: { uid: 'u', annotations: {}, labels: {}, namespace: 'n', name: 'x' },
      kind: 'Secret', data: {}, apiVersion: 'v1', extra: true, stringData: {},
    });
    expect(Object.keys(doc)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'data', 'stringData', 'type', 'extra', 'status']);
    expect(Object.keys(doc.metadata)).toEqual(['name', 'namespace', 'labels', 'annotations', 'uid']);
    expect(Object.keys(doc.spec)).toEqual(['alpha', 'zeta']);
  });

  it('orders Stage steps uses|task, as, if, continueOnError, retry, vars, config and the Freight request', () => {
    const stage = orderKeys({
      kind: 'Stage', apiVersion: 'kargo.akuity.io/v1alpha1', metadata: { name: 's' },
      spec: {
        verification: {}, promotionTemplate: { spec: { steps: [{ config: { b: 1, a: 2 }, vars: [], retry: {}, continueOnError: true, if: 'x', as: 'y', uses: 'http' }, { config: {}, as: 't', task: { name: 't' } }] } },
        vars: [], requestedFreight: [{ sources: { autoPromotionOptions: {}, availabilityStrategy: 'All', requiredSoakTime: '1h', stages: ['a'], direct: false }, origin: { name: 'w', kind: 'Warehouse' } }],
      },
    });
    expect(keyOrders(stage.spec)).toEqual([
      ': requestedFreight,vars,promotionTemplate,verification',
      'requestedFreight[]: origin,sources',
      'requestedFreight[].origin: kind,name',
      'requestedFreight[].sources: direct,stages,requiredSoakTime,availabilityStrategy,autoPromotionOptions',
      'requestedFreight[].sources.autoPromotionOptions: ',
      'promotionTemplate: spec',
      'promotionTemplate.spec: steps',
      'promotionTemplate.spec.steps[]: uses,as,if,continueOnError,retry,vars,config',
      'promotionTemplate.spec.steps[].retry: ',
      'promotionTemplate.spec.steps[].config: a,b',
      'promotionTemplate.spec.steps[]: task,as,config',
      'promotionTemplate.spec.steps[].task: name',
      'promotionTemplate.spec.steps[].config: ',
      'verification: ',
    ]);
  });

  it('applies a kind\'s contexts only to that kind: another kind\'s spec is alphabetical', () => {
    const spec = { verification: 1, requestedFreight: 2, vars: 3 };
    expect(Object.keys(orderKeys({ kind: 'Stage', spec }).spec)).toEqual(['requestedFreight', 'vars', 'verification']);
    expect(Object.keys(orderKeys({ kind: 'Freight', spec }).spec)).toEqual(['requestedFreight', 'vars', 'verification']);
    expect(Object.keys(orderKeys({ kind: 'Warehouse', spec: { subscriptions: [], interval: '5m0s', freightCreationPolicy: 'Automatic' } }).spec))
      .toEqual(['interval', 'freightCreationPolicy', 'subscriptions']);
    expect(Object.keys(orderKeys({ kind: 'Secret', spec: { subscriptions: [], interval: '5m0s' } }).spec)).toEqual(['interval', 'subscriptions']);
    expect(Object.keys(orderKeys({ kind: 'ConfigMap', spec: { b: 1, a: 1, interval: 1 } }).spec)).toEqual(['a', 'b', 'interval']);
  });

  it('orders a document without kind (the relay routes) by an explicit context, and keeps an odd key as a key', () => {
    const routes = orderKeys({ routes: [{ targets: [], forwardUntagged: false, tags: { ignore: [], allow: [], strictSemvers: true, constraint: '^1', strategy: 'SemVer' }, image: 'i' }] }, RELAY_ROUTES_KIND);
    expect(keyOrders(routes)).toEqual([': routes', 'routes[]: image,tags,forwardUntagged,targets', 'routes[].tags: strategy,constraint,strictSemvers,allow,ignore']);
    const odd = orderKeys(JSON.parse('{"kind":"X","metadata":{"labels":{"__proto__":"a","b":"c"}}}'));
    expect(Object.keys(odd.metadata.labels)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(odd.metadata.labels)).toBe(Object.prototype);
  });

  it('depends only on the content: any insertion order gives the same text, and the input is not changed', () => {
    const { files } = renderPipelines(matrixConfigs()['fanout-fanin']!);
    const docs = [...files].filter(([p]) => p.endsWith('.yaml') && !p.includes('values/') && !p.includes('relay/')).flatMap(([, t]) => t.split('\n---\n').map((d) => parse(d) as unknown));
    expect(docs.length).toBeGreaterThan(10);
    for (const doc of docs) {
      const before = JSON.stringify(doc);
      expect(manifestFile([reversed(doc)])).toBe(manifestFile([doc]));
      expect(JSON.stringify(doc)).toBe(before);
    }
    fc.assert(fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }), (body) => {
      const doc = { kind: 'Stage', spec: body };
      expect(manifestFile([reversed(doc)])).toBe(manifestFile([doc]));
    }), { numRuns: 200 });
  });

  it('every context in the table names a kind and a path, and lists each key once', () => {
    for (const [context, keys] of Object.entries(KEY_ORDER)) {
      expect(context).toMatch(/^(\*|[A-Z][A-Za-z]*) ([A-Za-z]+(\[\])?(\.[A-Za-z]+(\[\])?)*)?$/);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});

describe('rendered files read in canonical order', () => {
  it('a Stage file: name before annotations, requestedFreight first, uses before as before config', () => {
    const text = renderPipelines(exampleConfig()).files.get('stages/dev.yaml') ?? '';
    expect(text.split('\n').slice(0, 23).join('\n')).toBe(`${GENERATED_HEADER}
apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: dev
  namespace: flask-app
  annotations:
    kargo.akuity.io/color: green
    kargo.akuity.io/description: "Development: every new image, at once"
spec:
  requestedFreight:
    - origin:
        kind: Warehouse
        name: flask-app
      sources:
        direct: true
  vars:
    - name: imageRepo
      value: ghcr.io/alkon/flask-app
  promotionTemplate:
    spec:
      steps:
        - uses: git-clone`);
  });

  it('every map of every rendered document follows the table (checked against the table itself)', () => {
    for (const config of Object.values(matrixConfigs())) {
      for (const [path, text] of renderPipelines(config).files) {
        if (!path.endsWith('.yaml') || path.includes('values/')) continue;
        for (const part of text.split('\n---\n')) {
          const doc = parse(part) as Record<string, unknown>;
          const kind = path.startsWith('relay/') || path.includes('/relay/') ? RELAY_ROUTES_KIND : undefined;
          expect(keyOrders(doc)).toEqual(keyOrders(orderKeys(reversed(doc), kind)));
        }
      }
    }
  });
});
