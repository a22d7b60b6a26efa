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
import {
  KARGO_SCHEMA_FILES,
  closedSchema,
  stepConfigValidator,
  subscriptionValidator,
  upstreamStepNames,
  upstreamValidator,
} from '@kargo/upstream-schemas';
import { chartSubscriptions, gitSubscription, imageSubscription, validObjects, validStepConfigs } from './fixtures.ts';

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
    });
  });

  test('does not modify its input', () => {
    const input = { type: 'object', properties: { a: { type: 'string' } } };
    closedSchema(input);
    expect(input).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });
});

describe('valid objects of every kind', () => {
  test('the fixtures cover every kind upstream publishes', () => {
    expect(new Set(validObjects.map((o) => o.kind))).toEqual(new Set(Object.keys(KARGO_SCHEMA_FILES)));
  });

  test.each(validObjects.map((o) => [`${o.kind} ${o.metadata.name ?? o.metadata.generateName ?? ''}`, o] as const))('%s', (_name, obj) => {
    const parsed = KargoObjectSchema.safeParse(obj);
    expect(parsed.error?.issues).toBeUndefined();
    // Parsing fills in no defaults: what was written is what is rendered.
    expect(parsed.data).toEqual(obj);
    const result = validateKargoObject(obj);
    expect(result.ok).toBe(true);
    expect(upstreamValidator(obj.kind)(obj)).toEqual([]);
  });
});

describe('promotion steps', () => {
  test('the model has a schema for exactly the steps that have one upstream', () => {
    expect([...STEP_NAMES].sort()).toEqual(upstreamStepNames());
  });

  const cases = STEP_NAMES.flatMap((name) => validStepConfigs[name].map((config, i) => [`${name} #${i}`, name, config] as const));

  test.each(cases)('%s passes the model and the upstream step schema', (_label, name: StepName, config) => {
    expect(stepConfigSchemas[name].safeParse(config).error?.issues).toBeUndefined();
    expect(stepConfigValidator(name)(config)).toEqual([]);
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
    expect(subscriptionValidator(type)(value)).toEqual([]);
  });
});
