// validateManifest: documents judged as the API server (strict field validation) and Kargo's own step and
// subscription checks would judge them, from the bundled upstream schemas.
import { describe, expect, test } from 'vitest';
import { ManifestStatus, closedSchema, normalizeGitRepoUrl, validateManifest, validateStepConfig, validateSubscription } from '../src/manifests-entry.ts';
import { stage, warehouse } from './conformance/fixtures.ts';
import { mutate } from './support/mutate.ts';

const errors = (doc: unknown) => validateManifest(doc).issues.filter((i) => i.severity === 'error');
const warnings = (doc: unknown) => validateManifest(doc).issues.filter((i) => i.severity === 'warning');

describe('closedSchema', () => {
  test('closes object schemas with properties and leaves maps and preserved subtrees open', () => {
    const closed = closedSchema({
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { a: { type: 'string' } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        config: { 'x-kubernetes-preserve-unknown-fields': true, type: 'object', properties: { b: {} } },
        // A field literally named "properties" is a schema, not a properties map.
        properties: { type: 'object', properties: { c: { type: 'string' } } },
      },
      definitions: { shared: { type: 'object', properties: { d: { type: 'string' } } } },
    });
    expect(closed).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: {
        spec: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        config: { 'x-kubernetes-preserve-unknown-fields': true, type: 'object', properties: { b: {} } },
        properties: { type: 'object', properties: { c: { type: 'string' } }, additionalProperties: false },
      },
      definitions: { shared: { type: 'object', properties: { d: { type: 'string' } }, additionalProperties: false } },
    });
  });

  test('does not modify its input', () => {
    const input = { type: 'object', properties: { a: { type: 'string' } } };
    closedSchema(input);
    expect(input).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });
});

describe('strict field validation of Kargo objects', () => {
  test('a valid Stage has no issue, and is not modified by defaulting', () => {
    const copy = structuredClone(stage);
    expect(validateManifest(stage)).toMatchObject({ kind: 'Stage', name: stage.metadata.name, status: 'checked', issues: [] });
    expect(stage).toEqual(copy);
  });

  test('a misspelled Stage field is an unknown field at its own path, with the field it was meant to be', () => {
    const bad = mutate(stage, (s) => {
      s.spec.requestedFreigth = s.spec.requestedFreight;
      delete s.spec.requestedFreight;
    });
    expect(errors(bad)).toEqual([
      { path: 'spec.requestedFreight', message: 'required field is missing', severity: 'error', code: 'required' },
      { path: 'spec.requestedFreigth', message: 'unknown field "requestedFreigth" (did you mean "requestedFreight"?)', severity: 'error', code: 'unknown-field' },
    ]);
  });

  test('a wrong enum names the allowed values', () => {
    const bad = mutate(stage, (s) => (s.spec.requestedFreight[0].sources.availabilityStrategy = 'Some'));
    expect(errors(bad)).toEqual([{ path: 'spec.requestedFreight[0].sources.availabilityStrategy', message: 'must be one of "All", "OneOf", ""', severity: 'error', code: 'enum' }]);
  });

  test('a CEL rule of the CRD is evaluated (a step with both uses and task)', () => {
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[1].task = { name: 'notify' }));
    expect(errors(bad)).toContainEqual({ path: 'spec.promotionTemplate.spec.steps[1]', message: 'failed rule: (has(self.uses) ? !has(self.task) : has(self.task))', severity: 'error', code: 'cel-rule' });
  });

  test('a list of type map with two entries of one key is a duplicate', () => {
    const condition = { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'R', message: 'm' };
    const bad = mutate(stage, (s) => (s.status = { conditions: [condition, { ...condition, status: 'False' }] }));
    expect(errors(bad)).toEqual([{ path: 'status.conditions[1]', message: 'duplicate entry: the same type as [0] (x-kubernetes-list-type: map)', severity: 'error', code: 'duplicate' }]);
  });

  test('an int-or-string field says so once, not once per alternative', () => {
    const template = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'smoke', namespace: 'flask-app' },
      spec: { metrics: [{ name: 'm', count: true, provider: { job: { spec: { template: { spec: { containers: [{ name: 'c', image: 'curl' }], restartPolicy: 'Never' } } } } } }] },
    };
    expect(errors(template)).toEqual([{ path: 'spec.metrics[0].count', message: 'must be an integer or a string', severity: 'error', code: 'anyOf' }]);
    expect(errors(mutate(template, (t) => (t.spec.metrics[0].count = '3')))).toEqual([]);
  });
});

describe('metadata, as the API server checks it', () => {
  test('name, namespace, label and annotation rules, and unknown metadata fields', () => {
    const bad = mutate(stage, (s) => {
      s.metadata.name = 'Dev_Stage';
      s.metadata.namespace = 'Flask';
      s.metadata.labels = { 'app.kubernetes.io/name': 'flask app', replicas: 3 };
      s.metadata.annotations = { 'bad key!': 'x' };
      s.metadata.owner = 'me';
    });
    expect(errors(bad).map((i) => `${i.path} ${i.code}`)).toEqual([
      'metadata.owner unknown-field',
      'metadata.name pattern',
      'metadata.namespace pattern',
      'metadata.labels["app.kubernetes.io/name"] label-value',
      'metadata.labels.replicas type',
      'metadata.annotations["bad key!"] annotation-key',
    ]);
  });

  test('a missing name (without generateName) is required; a namespace on a cluster-scoped kind is ignored', () => {
    expect(errors({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: {} })).toEqual([
      { path: 'metadata.name', message: 'required field is missing', severity: 'error', code: 'required' },
    ]);
    expect(warnings({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name: 'p', namespace: 'p' } })).toEqual([
      { path: 'metadata.namespace', message: 'is ignored: this kind is cluster-scoped', severity: 'warning', code: 'cluster-scoped' },
    ]);
  });
});

describe('kinds', () => {
  test('a kind of another API group is not checked, with the reason', () => {
    expect(validateManifest({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'm' }, spec: { anything: 1 } })).toEqual({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      name: 'm',
      status: ManifestStatus.NotChecked,
      reason: 'no schema bundled for monitoring.coreos.com/v1 ServiceMonitor',
      issues: [],
    });
    expect(validateManifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).status).toBe(ManifestStatus.NotChecked);
  });

  test('YAML that is not a Kubernetes object (Helm values) is not checked', () => {
    expect(validateManifest({ image: { tag: '1.0.0' } })).toMatchObject({ status: 'not-checked', reason: 'not a Kubernetes object (no apiVersion or kind)' });
  });

  test('a misspelt kind or a wrong version of a bundled group is an error, not a silent skip', () => {
    expect(errors({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Stag', metadata: { name: 's' } })).toMatchObject([{ path: 'kind', code: 'unknown-kind', message: expect.stringMatching(/^kargo.akuity.io\/v1alpha1 has no kind Stag \(known: .*Stage/) }]);
    expect(errors({ apiVersion: 'kargo.akuity.io/v1', kind: 'Stage', metadata: { name: 's' } })).toEqual([
      { path: 'apiVersion', message: 'Stage is served as kargo.akuity.io/v1alpha1, not kargo.akuity.io/v1', severity: 'error', code: 'unknown-kind' },
    ]);
  });

  test('half a Kubernetes object (apiVersion without kind) is an error', () => {
    expect(errors({ apiVersion: 'kargo.akuity.io/v1alpha1', metadata: { name: 's' } })).toEqual([{ path: 'kind', message: 'required field is missing', severity: 'error', code: 'required' }]);
  });
});

describe('promotion step configs', () => {
  const withStep = (step: Record<string, unknown>) => mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps = [step]));

  test('a bad config is reported at its path, naming the step', () => {
    expect(errors(withStep({ uses: 'git-push', config: { path: './out', branch: 'main' } }))).toContainEqual({
      path: 'spec.promotionTemplate.spec.steps[0].config.branch',
      message: 'unknown field "branch" (step git-push)',
      severity: 'error',
      code: 'step-config:unknown-field',
    });
  });

  test('a templated value stands for any value, as Kargo evaluates expressions before it validates', () => {
    expect(validateStepConfig('git-wait-for-pr', { repoURL: 'https://github.com/a/b.git', prNumber: '${{ outputs.pr.id }}' })).toEqual([]);
    // Several expressions in one string, or the other delimiter, are templated too (pkg/expressions/json_templates.go).
    expect(validateStepConfig('git-wait-for-pr', { repoURL: 'https://github.com/a/b.git', prNumber: '${% outputs.pr.id %}' })).toEqual([]);
    expect(validateStepConfig('git-wait-for-pr', { repoURL: 'https://github.com/a/b.git', prNumber: 'seven' })).toMatchObject([{ path: 'prNumber', code: 'type' }]);
    // A oneOf that only a templated value makes ambiguous is fine: the evaluated value picks one branch.
    expect(validateStepConfig('argocd-update', { apps: [{ name: 'a', sources: [{ repoURL: 'https://x/y.git', desiredRevision: '${{ outputs.push.commit }}' }] }] })).toEqual([]);
  });

  test('a oneOf that matches none reports the closest branch, not every branch', () => {
    const issues = validateStepConfig('git-push', { path: './out', targetBranch: 'main', generateTargetBranch: true }) ?? [];
    expect(issues.map((i) => i.code)).toContain('oneOf');
    expect(issues.length).toBeLessThanOrEqual(3);
  });

  test('a missing config is checked as null, as Kargo does', () => {
    expect(errors(withStep({ uses: 'git-clear' }))).toEqual([
      { path: 'spec.promotionTemplate.spec.steps[0].config', message: 'is missing: Kargo checks a missing config as null, and this step needs an object (step git-clear)', severity: 'error', code: 'step-config:required' },
    ]);
  });

  test('a step Kargo does not have is a warning: not checked', () => {
    expect(warnings(withStep({ uses: 'send-slack', config: { channel: 'x' } }))).toEqual([
      { path: 'spec.promotionTemplate.spec.steps[0].uses', message: 'not checked: Kargo v1.11.2 has no built-in step "send-slack"', severity: 'warning', code: 'unknown-step' },
    ]);
  });
});

describe('Warehouse subscriptions', () => {
  test('each body against its schema; one type per entry; no repository twice', () => {
    const bad = mutate(warehouse, (w) => {
      w.spec.subscriptions = [
        { image: { repoURL: 'ghcr.io/alkon/flask-app', semverConstraint: '^1' } },
        { image: { repoURL: 'GHCR.io/alkon/flask-app' } },
        { imag: { repoURL: 'nginx' } },
        { image: { repoURL: 'nginx' }, git: { repoURL: 'https://github.com/a/b' } },
      ];
    });
    expect(errors(bad).map((i) => `${i.path} ${i.code}`)).toEqual([
      'spec.subscriptions[0].image.semverConstraint unknown-field',
      'spec.subscriptions[1].image.repoURL duplicate',
      'spec.subscriptions[2].imag unknown-field',
      'spec.subscriptions[2] subscription',
      'spec.subscriptions[3] subscription',
    ]);
  });

  test('Git repositories are the same one whatever their spelling (Kargo pkg/urls NormalizeGit)', () => {
    expect(normalizeGitRepoUrl('https://user:token@GitHub.com/Acme/App.git/')).toBe('https://github.com/acme/app');
    expect(normalizeGitRepoUrl('git@github.com:acme/app.git')).toBe('ssh://git@github.com/acme/app');
    expect(normalizeGitRepoUrl('https://github.com/acme/app?ref=x')).toBe('https://github.com/acme/app?ref=x');
    expect(validateSubscription('git', { repoURL: 'https://github.com/acme/app' })).toEqual([]);
    expect(validateSubscription('helm', {})).toBeUndefined();
  });
});
