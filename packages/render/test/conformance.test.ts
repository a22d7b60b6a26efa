// Every object rendered for the example and the config matrix against the upstream schemas (closed), every
/* eslint-disable @typescript-eslint/no-explicit-any -- synthesised manifests are untyped JSON, compared against exact literals. */
// promotion step config against its step schema, every subscription against its schema, and the model.
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseRelayRoutes, validateKargoObject } from '@kargo/model';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { relayRoutesNeeds, relayWorkloadObjects, renderPipelines } from '../src/index.ts';
import { matrixConfigs } from './support/configs.ts';
import { ManifestStatus, validateManifest, validateStepConfig, validateSubscription } from '@kargo/model/manifests';

type Doc = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any };

function documents(files: ReadonlyMap<string, string>): { file: string; doc: Doc }[] {
  const out: { file: string; doc: Doc }[] = [];
  for (const [file, text] of files) {
    if (!file.endsWith('.yaml') || file.includes('values/') || file.endsWith('routes.yaml')) continue;
    for (const d of parseAllDocuments(text) as any[]) out.push({ file, doc: d.toJS() as Doc });
  }
  return out;
}

const errors = (issues: readonly { severity: string }[] | undefined): unknown[] => (issues ?? [{ severity: 'error', message: 'no schema' }]).filter((i) => i.severity === 'error');

describe.each(Object.entries(matrixConfigs()))('rendered %s', (_name, config) => {
  const { files, objects } = renderPipelines(config);
  const docs = documents(files);

  it('lists every document it wrote', () => {
    expect(objects.map((o) => `${o.file}:${o.kind}/${o.name}`)).toEqual(docs.map(({ file, doc }) => `${file}:${doc.kind}/${doc.metadata.name}`));
  });

  it.each(docs.map(({ file, doc }) => [`${file} ${doc.kind}/${doc.metadata.name}`, doc] as const))('%s validates against the closed upstream schema', (_label, doc) => {
    const report = validateManifest(doc);
    expect(report.status).toBe(ManifestStatus.Checked);
    expect(report.issues).toEqual([]);
  });

  it('Kargo objects pass the model\'s validation', () => {
    const kargo = docs.filter(({ doc }) => doc.apiVersion.startsWith('kargo.akuity.io/'));
    expect(kargo.length).toBeGreaterThan(0);
    for (const { file, doc } of kargo) {
      const result = validateKargoObject(doc);
      expect(result.ok ? [] : result.errors.map((e) => `${file} ${e.path}: ${e.message}`)).toEqual([]);
    }
  });

  it('every promotion step config validates against its step schema, templated values standing for any value', () => {
    const stages = docs.filter(({ doc }) => doc.kind === 'Stage');
    expect(stages.length).toBe(config.pipelines.reduce((n, p) => n + p.environments.length, 0));
    for (const { doc } of stages) {
      for (const step of doc.spec.promotionTemplate.spec.steps as { uses: string; config: unknown }[]) {
        expect([doc.metadata.name, step.uses, errors(validateStepConfig(step.uses, step.config))]).toEqual([doc.metadata.name, step.uses, []]);
      }
    }
  });

  it('every subscription validates against its subscription schema', () => {
    for (const { doc } of docs.filter(({ doc }) => doc.kind === 'Warehouse')) {
      for (const sub of doc.spec.subscriptions as Record<string, unknown>[]) {
        const [type, body] = Object.entries(sub)[0] as ['image', unknown];
        expect(errors(validateSubscription(type, body))).toEqual([]);
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
    const sts = ms.find((m) => m.kind === 'StatefulSet');
    expect(() => new StatefulSet(sts as any).validate()).not.toThrow();
    const env = (sts as any).spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    for (const name of needs.secretEnvs) expect(env).toContain(name);
  });
});

describe('the step schema check itself', () => {
  it('rejects a config the schema forbids (so passing means something)', () => {
    expect(errors(validateStepConfig('git-push', { path: './repo', branch: 'main' }))).not.toEqual([]);
    expect(errors(validateStepConfig('git-push', { path: './repo', targetBranch: 'main' }))).toEqual([]);
    // prNumber is an integer: an expression stands for it (Kargo evaluates first), a literal string does not.
    expect(errors(validateStepConfig('git-wait-for-pr', { repoURL: 'https://github.com/a/b.git', prNumber: "${{ outputs['open-pr'].pr.id }}" }))).toEqual([]);
    expect(errors(validateStepConfig('git-wait-for-pr', { repoURL: 'https://github.com/a/b.git', prNumber: 'seven' }))).not.toEqual([]);
  });

  it('rejects an unknown field in a closed object schema', () => {
    expect(errors(validateManifest({
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' },
      spec: { project: 'p', destination: { server: 'https://x' }, source: { repoURL: 'r', bogus: true } },
    }).issues)).toMatchObject([{ path: 'spec.source.bogus', code: 'unknown-field' }]);
  });
});
