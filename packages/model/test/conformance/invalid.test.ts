// Invalid objects rejected by both the closed upstream schema and the model, and the CRDs' CEL rules,
// which the bundled validator evaluates and the model enforces with its own messages.
import { describe, expect, test } from 'vitest';
import { ImageSubscriptionSchema, stepConfigSchemas, validateKargoObject, type Issue } from '../../src/index.ts';
import { celRules, stepConfigErrors, subscriptionErrors, upstreamErrors } from '../support/upstream.ts';
import { projectConfig, promotion, stage, warehouse } from './fixtures.ts';
import { mutate, type Draft } from '../support/mutate.ts';


const paths = (issues: readonly Issue[]): string[] => issues.map((i) => i.path);

interface ObjectCase {
  readonly name: string;
  readonly object: Draft;
  /** Where the model must report the problem. */
  readonly path: string;
}

const objectCases: ObjectCase[] = [
  {
    name: 'requestedFreight without origin',
    object: mutate(stage, (s) => delete s.spec.requestedFreight[0].origin),
    path: 'spec.requestedFreight[0].origin',
  },
  {
    name: 'availabilityStrategy "Some"',
    object: mutate(stage, (s) => (s.spec.requestedFreight[0].sources.availabilityStrategy = 'Some')),
    path: 'spec.requestedFreight[0].sources.availabilityStrategy',
  },
  {
    name: 'misspelled requestedFreigth',
    object: mutate(stage, (s) => {
      s.spec.requestedFreigth = s.spec.requestedFreight;
      delete s.spec.requestedFreight;
    }),
    path: 'spec.requestedFreigth',
  },
  {
    name: 'origin kind other than Warehouse',
    object: mutate(stage, (s) => (s.spec.requestedFreight[0].origin.kind = 'Stage')),
    path: 'spec.requestedFreight[0].origin.kind',
  },
  {
    name: 'requiredSoakTime in words',
    object: mutate(stage, (s) => (s.spec.requestedFreight[0].sources.requiredSoakTime = '30 minutes')),
    path: 'spec.requestedFreight[0].sources.requiredSoakTime',
  },
  {
    name: 'empty promotion template steps',
    object: mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps = [])),
    path: 'spec.promotionTemplate.spec.steps',
  },
  {
    name: 'task reference with a bad name',
    object: mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[4].task.name = 'Not_A_Name')),
    path: 'spec.promotionTemplate.spec.steps[4].task.name',
  },
  {
    name: 'wrong Warehouse interval pattern',
    object: mutate(warehouse, (w) => (w.spec.interval = '5 minutes')),
    path: 'spec.interval',
  },
  {
    name: 'freightCreationPolicy "Sometimes"',
    object: mutate(warehouse, (w) => (w.spec.freightCreationPolicy = 'Sometimes')),
    path: 'spec.freightCreationPolicy',
  },
  {
    name: 'Warehouse without subscriptions',
    object: mutate(warehouse, (w) => (w.spec.subscriptions = [])),
    path: 'spec.subscriptions',
  },
  {
    name: 'misspelled webhook receiver type',
    object: mutate(projectConfig, (p) => (p.spec.webhookReceivers[0] = { name: 'x', githb: { secretRef: { name: 's' } } })),
    path: 'spec.webhookReceivers[0].githb',
  },
  {
    name: 'webhook receiver name with capitals',
    object: mutate(projectConfig, (p) => (p.spec.webhookReceivers[0].name = 'GHCR')),
    path: 'spec.webhookReceivers[0].name',
  },
  {
    name: 'generic receiver action other than Refresh',
    object: mutate(projectConfig, (p) => (p.spec.webhookReceivers[2].generic.actions[0].action = 'Promote')),
    path: 'spec.webhookReceivers[2].generic.actions[0].action',
  },
  {
    name: 'deep link without url',
    object: mutate(projectConfig, (p) => delete p.spec.freightLinks[0].url),
    path: 'spec.freightLinks[0].url',
  },
  {
    name: 'Promotion without steps',
    object: mutate(promotion, (p) => delete p.spec.steps),
    path: 'spec.steps',
  },
  {
    name: 'Promotion stage with capitals',
    object: mutate(promotion, (p) => (p.spec.stage = 'Staging')),
    path: 'spec.stage',
  },
];

describe('rejected by the closed CRD schema and by the model', () => {
  test.each(objectCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(upstreamErrors(c.object).length).toBeGreaterThan(0);
    const result = validateKargoObject(c.object);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(paths(result.errors)).toContain(c.path);
  });
});

interface ConfigCase {
  readonly name: string;
  readonly validator: (value: unknown) => readonly Issue[];
  readonly parse: (value: unknown) => { success: boolean; error?: { issues: readonly { path: PropertyKey[]; code: string }[] } | undefined };
  readonly value: unknown;
  readonly key: string;
}

const configCases: ConfigCase[] = [
  {
    name: 'git-push with branch (the schema says targetBranch)',
    validator: (v) => stepConfigErrors('git-push', v),
    parse: (v) => stepConfigSchemas['git-push'].safeParse(v),
    value: { branch: 'main', path: './out' },
    key: 'branch',
  },
  {
    name: 'git-clone checkout with fromFreight',
    validator: (v) => stepConfigErrors('git-clone', v),
    parse: (v) => stepConfigSchemas['git-clone'].safeParse(v),
    value: { repoURL: 'https://github.com/a/b', checkout: [{ fromFreight: true, path: './src' }] },
    key: 'fromFreight',
  },
  {
    name: 'image subscription with semverConstraint (removed in v1.9.0)',
    validator: (v) => subscriptionErrors('image', v),
    parse: (v) => ImageSubscriptionSchema.safeParse(v),
    value: { repoURL: 'ghcr.io/alkon/flask-app', semverConstraint: '^1.0.0' },
    key: 'semverConstraint',
  },
  {
    name: 'image subscription with gitRepoURL (removed in v1.7.0)',
    validator: (v) => subscriptionErrors('image', v),
    parse: (v) => ImageSubscriptionSchema.safeParse(v),
    value: { repoURL: 'ghcr.io/alkon/flask-app', gitRepoURL: 'https://github.com/a/b' },
    key: 'gitRepoURL',
  },
];

describe('misspelled or removed fields in step configs and subscriptions', () => {
  test.each(configCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const upstream = c.validator(c.value);
    expect(upstream.filter((e) => e.code === 'unknown-field').map((e) => e.path.split('.').at(-1))).toContain(c.key);
    const parsed = c.parse(c.value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  test('kustomize-set-image items need tag or digest in both', () => {
    const value = { path: './k', images: [{ image: 'nginx' }] };
    expect(stepConfigErrors('kustomize-set-image', value).length).toBeGreaterThan(0);
    expect(stepConfigSchemas['kustomize-set-image'].safeParse(value).success).toBe(false);
  });

  test.each([
    ['git-push', { path: './p', targetBranch: 'main', generateTargetBranch: true }],
    ['git-push', { path: './p', tag: 'v1', force: true }],
    ['git-push', { path: './p', tag: 'v1', targetBranch: 'main' }],
    ['github-push', { path: './p', targetBranch: 'main', generateTargetBranch: true }],
    ['git-clone', { repoURL: 'https://x/y', checkout: [{ path: './p', branch: 'a', tag: 'b' }] }],
    ['delete', { path: './a', paths: ['./b'] }],
    ['delete', {}],
    ['argocd-update', { apps: [{ name: 'a', selector: { matchLabels: { a: 'b' } } }] }],
    ['argocd-update', { apps: [{}] }],
    ['argocd-update', { apps: [{ selector: {} }] }],
    ['argocd-update', { apps: [{ name: 'a', sources: [{ repoURL: 'r', updateTargetRevision: true }] }] }],
    ['argocd-update', { apps: [{ name: 'a', sources: [{ repoURL: 'r', kustomize: { images: [{ repoURL: 'i', tag: 't', digest: 'd' }] } }] }] }],
    ['argocd-wait', { apps: [{ name: 'a', waitFor: ['health', 'health'] }] }],
    ['git-wait-for-pr', { repoURL: 'https://x/y', prNumber: 0 }],
    ['git-open-pr', { repoURL: 'not a uri', sourceBranch: 'a', targetBranch: 'b' }],
    ['http', { url: 'u', method: 'FETCH' }],
    ['file-write', { path: 'p', contents: '', permissions: '644' }],
    ['oci-push', { srcRef: 'ghcr.io/a/b:1', destRef: 'ghcr.io/a/b@sha256:x' }],
    ['compose-output', {}],
    ['set-metadata', { updates: [{ kind: 'Warehouse', name: 'w', values: { a: 1 } }] }],
    ['untar', { inPath: 'a', outPath: 'b', stripComponents: -1 }],
    ['yaml-update', { path: 'p', updates: [{ key: 'k' }] }],
  ] as const)('%s %j: rejected by both', (name, value) => {
    expect(stepConfigErrors(name, value).length).toBeGreaterThan(0);
    expect(stepConfigSchemas[name].safeParse(value).success).toBe(false);
  });
});

describe('CEL rules: the CRD declares them, the bundled validator evaluates them, the model enforces them', () => {
  test('a template step with both uses and task', () => {
    expect(celRules('Stage')).toContain('(has(self.uses) ? !has(self.task) : has(self.task))');
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[1].task = { name: 'notify' }));
    expect(upstreamErrors(bad).map((e) => e.code)).toContain('cel-rule');
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ path: 'spec.promotionTemplate.spec.steps[1].task', message: expect.stringMatching(/exactly one of uses or task/) });
  });

  test('a template step with neither uses nor task', () => {
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[4] = { as: 'x' }));
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ path: 'spec.promotionTemplate.spec.steps[4].task', message: expect.stringMatching(/exactly one of uses or task/) });
  });

  test.each([
    ['continueOnError', true],
    ['retry', { timeout: '1m' }],
  ])('a task step with %s', (field, value) => {
    expect(celRules('Stage')).toContain(`!has(self.task) || !has(self.${field})`);
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[4][field] = value));
    expect(upstreamErrors(bad).map((e) => e.code)).toContain('cel-rule');
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.path).toBe(`spec.promotionTemplate.spec.steps[4].${field}`);
  });

  test('a Promotion with both freight and origin, and with neither', () => {
    expect(celRules('Promotion')).toContain('has(self.freight) != has(self.origin)');
    const both = mutate(promotion, (p) => (p.spec.origin = { kind: 'Warehouse', name: 'flask-app' }));
    const neither = mutate(promotion, (p) => delete p.spec.freight);
    for (const bad of [both, neither]) {
      expect(upstreamErrors(bad).map((e) => e.code)).toContain('cel-rule');
      const result = validateKargoObject(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]).toMatchObject({ path: 'spec', code: 'exactly-one-of' });
    }
  });

  test('a Promotion or PromotionTask step that references a task', () => {
    expect(celRules('Promotion')).toContain('has(self.uses) && !has(self.task)');
    expect(celRules('PromotionTask')).toContain('has(self.uses) && !has(self.task)');
    const bad = mutate(promotion, (p) => (p.spec.steps[0] = { task: { name: 'notify' } }));
    expect(upstreamErrors(bad).map((e) => e.code)).toContain('cel-rule');
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/must set uses/);
  });

  test('a promotion policy with both stage and stageSelector', () => {
    expect(celRules('ProjectConfig')).toContain('has(self.stage) ? !has(self.stageSelector) : has(self.stageSelector)');
    const bad = mutate(projectConfig, (p) => (p.spec.promotionPolicies[0].stage = 'dev'));
    expect(upstreamErrors(bad).map((e) => e.code)).toContain('cel-rule');
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ path: 'spec.promotionPolicies[0]', code: 'exactly-one-of' });
  });

  test('autoRollback enums that only CEL checks', () => {
    expect(celRules('ProjectConfig')).toContain("self.size() == 0 || self[0] == 'Failed' || self[0] == 'Errored'");
    const bad = mutate(projectConfig, (p) => (p.spec.promotionPolicies[0].autoRollback = { onPromotion: ['Error'] }));
    expect(upstreamErrors(bad).map((e) => e.code)).toContain('cel-rule');
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.path).toBe('spec.promotionPolicies[0].autoRollback.onPromotion[0]');
  });
});
