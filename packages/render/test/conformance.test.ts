// Every object rendered for the example and the config matrix against the upstream schemas (closed), every
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- synthesised manifests are untyped JSON, compared against exact literals. */
// promotion step config against its step schema, every subscription against its schema, and the model.
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { AnySchemaObject } from 'ajv';
import { parseRelayRoutes, validateKargoObject } from '@kargo/model';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { relayRoutesNeeds, relayWorkloadObjects, renderPipelines } from '../src/index.ts';
import { matrixConfigs } from './support/configs.ts';
import { objectValidator, readSharedJson, stepConfigValidator, subscriptionValidator } from '@kargo/upstream-schemas';

type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any };

function documents(files: ReadonlyMap<string, string>): { file: string; doc: Doc }[] {
  const out: { file: string; doc: Doc }[] = [];
  for (const [file, text] of files) {
    if (!file.endsWith('.yaml') || file.includes('values/') || file.endsWith('routes.yaml')) continue;
    for (const d of parseAllDocuments(text) as any[]) out.push({ file, doc: d.toJS() as Doc });
  }
  return out;
}

/** Resolves the sub-schema at a config path (properties/items/$ref/oneOf), enough for the step schemas. */
function schemaAt(root: AnySchemaObject, path: (string | number)[]): AnySchemaObject[] {
  const common = readSharedJson<AnySchemaObject>('schemas', 'kargo', 'steps', 'argocd-common.json');
  const deref = (s: AnySchemaObject): AnySchemaObject => {
    const ref = s.$ref as string | undefined;
    if (ref === undefined) return s;
    const [file, pointer = ''] = ref.split('#');
    const base = file === '' ? root : common;
    return deref(pointer.split('/').filter(Boolean).reduce((o: any, k) => o[k], base));
  };
  let current = [deref(root)];
  for (const seg of path) {
    const next: AnySchemaObject[] = [];
    for (const s of current) {
      const variants = [s, ...((s.oneOf ?? []) as AnySchemaObject[]), ...((s.anyOf ?? []) as AnySchemaObject[])];
      for (const v of variants) {
        const child = typeof seg === 'number' ? v.items : v.properties?.[seg];
        if (child !== undefined) next.push(deref(child));
      }
    }
    current = next;
  }
  return current;
}

const WHOLE_EXPRESSION = /^\$\{\{.*\}\}$/s;

/** Kargo evaluates `${{ }}` first: stand in a value of the type the schema expects there. */
function substituteExpressions(config: unknown, schema: AnySchemaObject, path: (string | number)[] = []): unknown {
  if (Array.isArray(config)) return config.map((v, i) => substituteExpressions(v, schema, [...path, i]));
  if (typeof config === 'object' && config !== null) {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, substituteExpressions(v, schema, [...path, k])]));
  }
  if (typeof config === 'string' && WHOLE_EXPRESSION.test(config)) {
    const types = schemaAt(schema, path).map((s) => s.type).filter((t) => t !== undefined);
    if (types.includes('integer') || types.includes('number')) return 42;
    if (types.includes('boolean')) return true;
    if (types.includes('string')) return 'evaluated';
    return config;
  }
  return config;
}

describe.each(Object.entries(matrixConfigs()))('rendered %s', (_name, config) => {
  const { files, objects } = renderPipelines(config);
  const docs = documents(files);

  it('lists every document it wrote', () => {
    expect(objects.map((o) => `${o.file}:${o.kind}/${o.name}`)).toEqual(docs.map(({ file, doc }) => `${file}:${doc.kind}/${doc.metadata.name}`));
  });

  it.each(docs.map(({ file, doc }) => [`${file} ${doc.kind}/${doc.metadata.name}`, doc] as const))('%s validates against the closed upstream schema', (_label, doc) => {
    expect(objectValidator(doc.apiVersion, doc.kind)(doc)).toEqual([]);
  });

  it('Kargo objects pass the model\'s validation', () => {
    const kargo = docs.filter(({ doc }) => doc.apiVersion.startsWith('kargo.akuity.io/'));
    expect(kargo.length).toBeGreaterThan(0);
    for (const { file, doc } of kargo) {
      const result = validateKargoObject(doc);
      expect(result.ok ? [] : result.errors.map((e) => `${file} ${e.path}: ${e.message}`)).toEqual([]);
    }
  });

  it('every promotion step config validates against its step schema once expressions are evaluated', () => {
    const stages = docs.filter(({ doc }) => doc.kind === 'Stage');
    expect(stages.length).toBe(config.pipelines.reduce((n, p) => n + p.environments.length, 0));
    for (const { doc } of stages) {
      for (const step of doc.spec.promotionTemplate.spec.steps as { uses: string; config: unknown }[]) {
        const validate = stepConfigValidator(step.uses);
        expect([doc.metadata.name, step.uses, validate(substituteExpressions(step.config, validate.schema))]).toEqual([doc.metadata.name, step.uses, []]);
      }
    }
  });

  it('every subscription validates against its subscription schema', () => {
    for (const { doc } of docs.filter(({ doc }) => doc.kind === 'Warehouse')) {
      for (const sub of doc.spec.subscriptions as Record<string, unknown>[]) {
        const [type, body] = Object.entries(sub)[0] as ['image', unknown];
        expect(subscriptionValidator(type)(body)).toEqual([]);
      }
    }
  });
});

describe.each(Object.entries(matrixConfigs()).filter(([, c]) => c.relay.enabled))('relay of %s', (_name, config) => {
  const text = renderPipelines(config).files.get('relay/routes.yaml') ?? '';
  const parsed = parseRelayRoutes(text, { filename: 'relay/routes.yaml' });
  const routes = parsed.ok ? parsed.value : undefined;

  it(`routes parse with the relay's parser, without warnings, every target of the config's kind (${config.relay.target})`, () => {
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    const kinds = new Set(routes?.routes.flatMap((r) => r.targets.map((t) => Object.keys(t)[0])));
    expect([...kinds]).toEqual([config.relay.target]);
  });

  it('the relay workload for those routes is valid: Warehouse RBAC only for kubernetes, the receiver secret and CA only for kargoWebhook', () => {
    const ms = relayWorkloadObjects({ namespace: 'kargo', kargoNamespace: 'kargo', image: 'relay:1', secretName: 'relay', routesYaml: text, caBundle: { configMapName: 'kargo-ca' } });
    const needs = relayRoutesNeeds(routes ?? { routes: [] });
    const projects = [...new Set(config.pipelines.map((p) => p.project))].sort();
    const receiver = config.relay.target === 'kargoWebhook';
    expect(needs).toEqual({
      warehouseNamespaces: receiver ? [] : projects,
      secretEnvs: receiver ? [config.relay.kargoWebhook.secretEnv] : [],
      caFiles: receiver && config.relay.kargoWebhook.caFile !== undefined ? [config.relay.kargoWebhook.caFile] : [],
    });
    expect(ms.filter((m) => m.kind === 'Role').map((m) => m.metadata?.namespace)).toEqual(needs.warehouseNamespaces);
    const dep = ms.find((m) => m.kind === 'Deployment');
    expect(() => new Deployment(dep as any).validate()).not.toThrow();
    const env = (dep as any).spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    for (const name of needs.secretEnvs) expect(env).toContain(name);
  });
});

describe('the step schema check itself', () => {
  it('rejects a config the schema forbids (so passing means something)', () => {
    const validate = stepConfigValidator('git-push');
    expect(validate({ path: './repo', branch: 'main' })).not.toEqual([]);
    expect(validate(substituteExpressions({ path: './repo', targetBranch: 'main' }, validate.schema))).toEqual([]);
    const wait = stepConfigValidator('git-wait-for-pr');
    expect(wait({ repoURL: 'https://github.com/a/b.git', prNumber: "${{ outputs['open-pr'].pr.id }}" })).not.toEqual([]);
    expect(wait(substituteExpressions({ repoURL: 'https://github.com/a/b.git', prNumber: "${{ outputs['open-pr'].pr.id }}" }, wait.schema))).toEqual([]);
  });

  it('rejects an unknown field in a closed object schema', () => {
    expect(objectValidator('argoproj.io/v1alpha1', 'Application')({
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' },
      spec: { project: 'p', destination: { server: 'https://x' }, source: { repoURL: 'r', bogus: true } },
    })).not.toEqual([]);
  });
});
