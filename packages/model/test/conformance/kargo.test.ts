// The model agrees with upstream Kargo v1.11.2: valid objects pass both the model and the closed CRD
// schemas; every step config and subscription passes both the model and its upstream schema.
import { describe, expect, test } from 'vitest';
import {
  ChartSubscriptionSchema,
  GitSubscriptionSchema,
  ImageSubscriptionSchema,
  KargoObjectSchema,
  PromotionStepSchema,
  STEP_NAMES,
  stepConfigSchemas,
  validateKargoObject,
  type StepName,
} from '../../src/index.ts';
import { bundledKinds, bundledStepNames } from '../../src/manifests-entry.ts';
import { stepConfigErrors, subscriptionErrors, upstreamErrors } from '../support/upstream.ts';
import { chartSubscriptions, gitSubscription, imageSubscription, validObjects, validStepConfigs } from './fixtures.ts';

describe('valid objects of every kind', () => {
  test('the fixtures cover every kind upstream publishes', () => {
    const kargoKinds = bundledKinds().filter((k) => k.startsWith('kargo.akuity.io/v1alpha1/')).map((k) => k.slice('kargo.akuity.io/v1alpha1/'.length));
    expect(new Set(validObjects.map((o) => o.kind))).toEqual(new Set(kargoKinds));
  });

  test.each(validObjects.map((o) => [`${o.kind} ${o.metadata.name ?? o.metadata.generateName ?? ''}`, o] as const))('%s', (_name, obj) => {
    const parsed = KargoObjectSchema.safeParse(obj);
    expect(parsed.error?.issues).toBeUndefined();
    // Parsing fills in no defaults: what was written is what is rendered.
    expect(parsed.data).toEqual(obj);
    const result = validateKargoObject(obj);
    expect(result.ok).toBe(true);
    expect(upstreamErrors(obj)).toEqual([]);
  });
});

describe('promotion steps', () => {
  test('the model has a schema for exactly the steps that have one upstream', () => {
    expect([...STEP_NAMES].sort()).toEqual(bundledStepNames());
  });

  const cases = STEP_NAMES.flatMap((name) => validStepConfigs[name].map((config, i) => [`${name} #${i}`, name, config] as const));

  test.each(cases)('%s passes the model and the upstream step schema', (_label, name: StepName, config) => {
    expect(stepConfigSchemas[name].safeParse(config).error?.issues).toBeUndefined();
    expect(stepConfigErrors(name, config)).toEqual([]);
    const step = PromotionStepSchema.safeParse({ uses: name, as: 'step', config });
    expect(step.error?.issues).toBeUndefined();
  });
});

describe('subscriptions', () => {
  test.each([
    ['image', ImageSubscriptionSchema, imageSubscription],
    ['image (minimal)', ImageSubscriptionSchema, { repoURL: 'nginx' }],
    ['git', GitSubscriptionSchema, gitSubscription],
    ['git (scp-style)', GitSubscriptionSchema, { repoURL: 'git@github.com:alkon/flask-app.git', commitSelectionStrategy: 'SemVer', semverConstraint: '^1' }],
    ['chart (classic)', ChartSubscriptionSchema, chartSubscriptions[0]],
    ['chart (oci)', ChartSubscriptionSchema, chartSubscriptions[1]],
  ] as const)('%s passes the model and the upstream schema', (label, schema, value) => {
    const type = label.split(' ')[0] as 'image' | 'git' | 'chart';
    expect(schema.safeParse(value).error?.issues).toBeUndefined();
    expect(subscriptionErrors(type, value)).toEqual([]);
  });
});
