// Invalid objects rejected by both the closed upstream schema and the model, and CEL rules (which
// ajv cannot run) that the model enforces in their place.
import { describe, expect, test } from 'vitest';
import { ImageSubscriptionSchema, stepConfigSchemas, validateKargoObject, type Issue } from '../../src/index.ts';
import { stepConfigValidator, subscriptionValidator, upstreamValidator, type UpstreamValidator } from '@kargo/upstream-schemas';
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
    const upstream = upstreamValidator(c.object['kind']);
    expect(upstream(c.object).length).toBeGreaterThan(0);
    const result = validateKargoObject(c.object);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(paths(result.errors)).toContain(c.path);
  });
});

interface ConfigCase {
  readonly name: string;
  readonly validator: UpstreamValidator;
  readonly parse: (value: unknown) => { success: boolean; error?: { issues: readonly { path: PropertyKey[]; code: string }[] } | undefined };
  readonly value: unknown;
  readonly key: string;
}

const configCases: ConfigCase[] = [
  {
    name: 'git-push with branch (the schema says targetBranch)',
    validator: stepConfigValidator('git-push'),
    parse: (v) => stepConfigSchemas['git-push'].safeParse(v),
    value: { branch: 'main', path: './out' },
    key: 'branch',
  },
  {
    name: 'git-clone checkout with fromFreight',
    validator: stepConfigValidator('git-clone'),
    parse: (v) => stepConfigSchemas['git-clone'].safeParse(v),
    value: { repoURL: 'https://github.com/a/b', checkout: [{ fromFreight: true, path: './src' }] },
    key: 'fromFreight',
  },
  {
    name: 'image subscription with semverConstraint (removed in v1.9.0)',
    validator: subscriptionValidator('image'),
    parse: (v) => ImageSubscriptionSchema.safeParse(v),
    value: { repoURL: 'ghcr.io/alkon/flask-app', semverConstraint: '^1.0.0' },
    key: 'semverConstraint',
  },
  {
    name: 'image subscription with gitRepoURL (removed in v1.7.0)',
    validator: subscriptionValidator('image'),
    parse: (v) => ImageSubscriptionSchema.safeParse(v),
    value: { repoURL: 'ghcr.io/alkon/flask-app', gitRepoURL: 'https://github.com/a/b' },
    key: 'gitRepoURL',
  },
];

describe('misspelled or removed fields in step configs and subscriptions', () => {
  test.each(configCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const upstream = c.validator(c.value);
    expect(upstream.map((e) => (e.params as { additionalProperty?: string }).additionalProperty)).toContain(c.key);
    const parsed = c.parse(c.value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  test('kustomize-set-image items need tag or digest in both', () => {
    const value = { path: './k', images: [{ image: 'nginx' }] };
    expect(stepConfigValidator('kustomize-set-image')(value).length).toBeGreaterThan(0);
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
    expect(stepConfigValidator(name)(value).length).toBeGreaterThan(0);
    expect(stepConfigSchemas[name].safeParse(value).success).toBe(false);
  });
});

/** CEL rules live in `x-kubernetes-validations`, which ajv ignores: prove the rule exists upstream and the model applies it. */
function celRules(kind: Parameters<typeof upstreamValidator>[0]): string[] {
  const rules: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'x-kubernetes-validations' && Array.isArray(value)) rules.push(...value.map((v: { message: string }) => v.message));
      else walk(value);
    }
  };
  walk(upstreamValidator(kind).schema);
  return rules;
}

describe('CEL rules: the CRD declares them, ajv skips them, the model enforces them', () => {
  test('a template step with both uses and task', () => {
    expect(celRules('Stage')).toContain('PromotionTemplate step must have exactly one of uses or task set');
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[1].task = { name: 'notify' }));
    expect(upstreamValidator('Stage')(bad)).toEqual([]);
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
    expect(celRules('Stage')).toContain(`PromotionTemplate step referencing a task cannot set ${field}`);
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[4][field] = value));
    expect(upstreamValidator('Stage')(bad)).toEqual([]);
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.path).toBe(`spec.promotionTemplate.spec.steps[4].${field}`);
  });

  test('a Promotion with both freight and origin, and with neither', () => {
    expect(celRules('Promotion')).toContain('exactly one of freight or origin must be set');
    const both = mutate(promotion, (p) => (p.spec.origin = { kind: 'Warehouse', name: 'flask-app' }));
    const neither = mutate(promotion, (p) => delete p.spec.freight);
    for (const bad of [both, neither]) {
      expect(upstreamValidator('Promotion')(bad)).toEqual([]);
      const result = validateKargoObject(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]).toMatchObject({ path: 'spec', code: 'exactly-one-of' });
    }
  });

  test('a Promotion or PromotionTask step that references a task', () => {
    expect(celRules('Promotion')).toContain('Promotion step must have uses set and must not reference a task');
    expect(celRules('PromotionTask')).toContain('PromotionTask step must have uses set and must not reference another task');
    const bad = mutate(promotion, (p) => (p.spec.steps[0] = { task: { name: 'notify' } }));
    expect(upstreamValidator('Promotion')(bad)).toEqual([]);
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/must set uses/);
  });

  test('a promotion policy with both stage and stageSelector', () => {
    expect(celRules('ProjectConfig')).toContain('PromotionPolicy must have exactly one of stage or stageSelector set');
    const bad = mutate(projectConfig, (p) => (p.spec.promotionPolicies[0].stage = 'dev'));
    expect(upstreamValidator('ProjectConfig')(bad)).toEqual([]);
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatchObject({ path: 'spec.promotionPolicies[0]', code: 'exactly-one-of' });
  });

  test('autoRollback enums that only CEL checks', () => {
    expect(celRules('ProjectConfig')).toContain('onPromotion[0] must be Failed or Errored');
    const bad = mutate(projectConfig, (p) => (p.spec.promotionPolicies[0].autoRollback = { onPromotion: ['Error'] }));
    expect(upstreamValidator('ProjectConfig')(bad)).toEqual([]);
    const result = validateKargoObject(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.path).toBe('spec.promotionPolicies[0].autoRollback.onPromotion[0]');
  });
});
