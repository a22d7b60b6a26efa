// Unit tests of the Kargo model's own rules: constants, exactly-one-of refinements, metadata,
// expressions, and the paths and warnings validateKargoObject reports.
import { describe, expect, test } from 'vitest';
import {
  ClusterConfigSchema,
  KARGO_API_VERSION,
  KargoAnnotation,
  KargoLabel,
  ObjectMetaSchema,
  ProjectConfigSchema,
  ProjectSchema,
  STAGE_COLORS,
  StageSelectorSchema,
  SubscriptionSchema,
  WEBHOOK_RECEIVER_SECRET_KEYS,
  WEBHOOK_RECEIVER_TYPES,
  WebhookReceiverSchema,
  authorizedStageValue,
  isExpression,
  isStageColor,
  stepConfigSchemas,
  validateKargoObject,
  webhookReceiverType,
  zodIssuesToIssues,
  type Issue,
} from '../src/index.ts';
import { projectConfig, promotion, stage, warehouse } from './conformance/fixtures.ts';
import { mutate } from './support/mutate.ts';


function errorsOf(obj: unknown): Issue[] {
  const result = validateKargoObject(obj);
  if (result.ok) throw new Error('expected validation to fail');
  return [...result.errors];
}

describe('constants', () => {
  test('API version, annotations and labels', () => {
    expect(KARGO_API_VERSION).toBe('kargo.akuity.io/v1alpha1');
    expect(Object.values(KargoAnnotation)).toEqual([
      'kargo.akuity.io/refresh',
      'kargo.akuity.io/color',
      'kargo.akuity.io/description',
      'kargo.akuity.io/authorized-stage',
      'kargo.akuity.io/reverify',
      'kargo.akuity.io/abort',
      'kargo.akuity.io/keep-namespace',
      'kargo.akuity.io/rollback',
    ]);
    expect(Object.values(KargoLabel)).toEqual([
      'kargo.akuity.io/project',
      'kargo.akuity.io/alias',
      'kargo.akuity.io/stage',
      'kargo.akuity.io/shard',
      'kargo.akuity.io/cred-type',
    ]);
  });

  test('the 21 palette colours', () => {
    expect(STAGE_COLORS).toHaveLength(21);
    expect(STAGE_COLORS[0]).toBe('red');
    expect(STAGE_COLORS.at(-1)).toBe('gray');
    expect(isStageColor('dragonfruit')).toBe(true);
    expect(isStageColor('#ff0000')).toBe(false);
  });

  test('authorizedStageValue', () => {
    expect(authorizedStageValue('flask-app', 'prod')).toBe('flask-app:prod');
  });

  test('the Secret key each webhook receiver type reads', () => {
    expect(WEBHOOK_RECEIVER_SECRET_KEYS).toEqual({
      github: 'secret',
      gitlab: 'secret-token',
      bitbucket: 'secret',
      dockerhub: 'secret',
      quay: 'secret',
      artifactory: 'secret-token',
      azure: 'secret',
      gitea: 'secret',
      harbor: 'auth-header',
      generic: 'secret',
    });
    expect(Object.keys(WEBHOOK_RECEIVER_SECRET_KEYS)).toEqual([...WEBHOOK_RECEIVER_TYPES]);
  });
});

describe('exactly-one-of rules', () => {
  test('a webhook receiver needs exactly one type', () => {
    const none = WebhookReceiverSchema.safeParse({ name: 'r' });
    expect(none.error?.issues[0]).toMatchObject({ path: [], message: expect.stringMatching(/needs exactly one of github, gitlab/) });
    const two = WebhookReceiverSchema.safeParse({ name: 'r', github: { secretRef: { name: 's' } }, quay: { secretRef: { name: 's' } } });
    expect(two.error?.issues[0]?.message).toMatch(/not github and quay/);
    const one = WebhookReceiverSchema.parse({ name: 'r', harbor: { secretRef: { name: 's' } } });
    expect(webhookReceiverType(one)).toBe('harbor');
  });

  test('webhook receiver names are unique and secretRef names non-empty', () => {
    const dup = mutate(projectConfig, (p) => (p.spec.webhookReceivers[1].name = 'ghcr'));
    expect(errorsOf(dup).map((i) => i.path)).toEqual(['spec.webhookReceivers[1].name']);
    const empty = mutate(projectConfig, (p) => (p.spec.webhookReceivers[0].github.secretRef.name = ''));
    expect(errorsOf(empty).map((i) => i.path)).toEqual(['spec.webhookReceivers[0].github.secretRef.name']);
  });

  test('a subscription needs exactly one of image, git, chart', () => {
    expect(SubscriptionSchema.safeParse({}).error?.issues[0]?.message).toMatch(/exactly one of image, git, chart/);
    const both = SubscriptionSchema.safeParse({ image: { repoURL: 'nginx' }, chart: { repoURL: 'oci://r/c' } });
    expect(both.error?.issues[0]?.message).toMatch(/not image and chart/);
    expect(SubscriptionSchema.safeParse({ helm: { repoURL: 'x' } }).success).toBe(false);
  });

  test('chart subscriptions: classic repositories need a name, OCI ones take none', () => {
    expect(SubscriptionSchema.safeParse({ chart: { repoURL: 'https://charts.example.com' } }).success).toBe(false);
    expect(SubscriptionSchema.safeParse({ chart: { repoURL: 'oci://ghcr.io/a/c', name: 'c' } }).success).toBe(false);
  });

  test('promotion policy: stage XOR stageSelector', () => {
    const neither = mutate(projectConfig, (p) => (p.spec.promotionPolicies[0] = { autoPromotionEnabled: true }));
    expect(errorsOf(neither)[0]).toMatchObject({ path: 'spec.promotionPolicies[0]', code: 'exactly-one-of', message: expect.stringMatching(/stage, stageSelector/) });
  });

  test('stageSelector names: exact, regex:, regexp:, glob:', () => {
    for (const name of ['prod', 'regex:^prod-.*$', 'regexp:prod', 'glob:prod-*']) expect(StageSelectorSchema.safeParse({ name }).success).toBe(true);
    for (const name of ['Prod', 'glob:', 'regex:', 'prod_1']) expect(StageSelectorSchema.safeParse({ name }).success).toBe(false);
  });
});

describe('Stage sources', () => {
  test('need direct: true or an upstream stage', () => {
    const bad = mutate(stage, (s) => (s.spec.requestedFreight[0].sources = { direct: false }));
    expect(errorsOf(bad)[0]).toMatchObject({ path: 'spec.requestedFreight[0].sources', code: 'no-freight-source' });
  });

  test('MatchUpstream needs exactly one upstream stage', () => {
    const bad = mutate(stage, (s) => (s.spec.requestedFreight[0].sources.stages = ['dev', 'qa']));
    expect(errorsOf(bad)[0]?.path).toBe('spec.requestedFreight[0].sources.autoPromotionOptions.selectionPolicy');
  });

  test('an origin may be requested once', () => {
    const bad = mutate(stage, (s) => {
      s.spec.requestedFreight.push(structuredClone(s.spec.requestedFreight[0]));
    });
    expect(errorsOf(bad)[0]).toMatchObject({ path: 'spec.requestedFreight[1].origin', code: 'duplicate-origin' });
  });

  test('availabilityStrategy accepts the empty string', () => {
    const ok = mutate(stage, (s) => (s.spec.requestedFreight[0].sources.availabilityStrategy = ''));
    expect(validateKargoObject(ok).ok).toBe(true);
  });
});

describe('metadata and kind-level rules', () => {
  test('metadata is strict and needs a name', () => {
    expect(ObjectMetaSchema.safeParse({ name: 'a', uid: 'x' }).error?.issues[0]).toMatchObject({ code: 'unrecognized_keys' });
    expect(ObjectMetaSchema.safeParse({}).error?.issues[0]?.message).toMatch(/name/);
    expect(ObjectMetaSchema.safeParse({ generateName: 'prod-' }).success).toBe(true);
    expect(ObjectMetaSchema.safeParse({ name: 'a', labels: { 'bad key!': 'v' } }).success).toBe(false);
    expect(ObjectMetaSchema.safeParse({ name: 'a', labels: { k: 'x'.repeat(64) } }).success).toBe(false);
    expect(ObjectMetaSchema.safeParse({ name: 'a', labels: { 'app.kubernetes.io/name': 'flask' } }).success).toBe(true);
  });

  test('Project: no spec since v1.7, a DNS-1123 label name, no namespace', () => {
    const base = { apiVersion: KARGO_API_VERSION, kind: 'Project' };
    const withSpec = ProjectSchema.safeParse({ ...base, metadata: { name: 'p' }, spec: { promotionPolicies: [] } });
    expect(withSpec.error?.issues[0]).toMatchObject({ path: ['spec'], message: expect.stringMatching(/no spec since Kargo v1\.7\.0/) });
    expect(ProjectSchema.safeParse({ ...base, metadata: { name: 'a.b' } }).error?.issues[0]?.path).toEqual(['metadata', 'name']);
    expect(ProjectSchema.safeParse({ ...base, metadata: { name: 'p', namespace: 'p' } }).error?.issues[0]?.path).toEqual(['metadata', 'namespace']);
  });

  test('ProjectConfig is named like its namespace', () => {
    const bad = ProjectConfigSchema.safeParse({ apiVersion: KARGO_API_VERSION, kind: 'ProjectConfig', metadata: { name: 'other', namespace: 'flask-app' } });
    expect(bad.error?.issues[0]?.message).toMatch(/expected name "flask-app"/);
  });

  test('ClusterConfig is named cluster', () => {
    const bad = ClusterConfigSchema.safeParse({ apiVersion: KARGO_API_VERSION, kind: 'ClusterConfig', metadata: { name: 'main' } });
    expect(bad.error?.issues[0]).toMatchObject({ path: ['metadata', 'name'], message: 'the ClusterConfig must be named "cluster"' });
  });

  test('status is accepted loosely', () => {
    const withStatus = mutate(warehouse, (w) => (w.status = { lastFreightID: 'abc', anything: [1] }));
    expect(validateKargoObject(withStatus).ok).toBe(true);
  });
});

describe('expressions in step configs', () => {
  test('recognises ${{ }} and ${% %}', () => {
    expect(isExpression('${{ vars.x }}')).toBe(true);
    expect(isExpression('${% if x %}a${% endif %}')).toBe(true);
    expect(isExpression('vars.x')).toBe(false);
    expect(isExpression('${{ x }} tail')).toBe(false);
  });

  test('non-string fields take an expression instead', () => {
    const clone = stepConfigSchemas['git-clone'];
    expect(clone.safeParse({ repoURL: 'r', checkout: '${{ vars.checkouts }}', insecureSkipTLSVerify: '${{ vars.insecure }}' }).success).toBe(true);
    expect(stepConfigSchemas['git-wait-for-pr'].safeParse({ repoURL: 'https://x/y', prNumber: '${{ outputs.pr.pr.id }}' }).success).toBe(true);
    expect(stepConfigSchemas['git-push'].safeParse({ path: 'p', provider: '${% vars.provider %}', targetBranch: 'main' }).success).toBe(true);
    expect(stepConfigSchemas.http.safeParse({ url: 'u', timeout: '${{ vars.timeout }}' }).success).toBe(true);
  });

  test('a plain string where a boolean belongs is reported on the field', () => {
    const result = stepConfigSchemas['git-clone'].safeParse({ repoURL: 'r', checkout: [{ path: 'p' }], blobless: 'yes' });
    expect(zodIssuesToIssues(result.error!.issues)).toEqual([
      { path: 'blobless', message: 'expected a boolean or an expression ${{ … }}', severity: 'error', code: 'invalid_union' },
    ]);
  });

  test('errors inside an array that could also be an expression keep their full path', () => {
    const result = stepConfigSchemas['git-clone'].safeParse({ repoURL: 'r', checkout: [{ path: 'p', branch: 'a', commit: 'b' }, { path: 1 }] });
    expect(zodIssuesToIssues(result.error!.issues).map((i) => i.path)).toEqual(['checkout[0].commit', 'checkout[1].path']);
  });
});

describe('validateKargoObject', () => {
  test('rejects what is not a Kargo object', () => {
    expect(errorsOf('text')[0]).toMatchObject({ path: '', code: 'invalid_type' });
    expect(errorsOf({ apiVersion: 'v1', kind: 'Stage' })[0]).toMatchObject({ path: 'apiVersion', code: 'invalid-api-version' });
    expect(errorsOf({ apiVersion: KARGO_API_VERSION, kind: 'Target' })[0]).toMatchObject({ path: 'kind', code: 'unknown-kind' });
  });

  test('reports step config problems by full path', () => {
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[3].config.targetBranch = 5));
    expect(errorsOf(bad)).toEqual([
      expect.objectContaining({ path: 'spec.promotionTemplate.spec.steps[3].config.targetBranch', code: 'invalid_type', severity: 'error' }),
    ]);
  });

  test('names an unknown config key', () => {
    const bad = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[3].config = { branch: 'main', path: './out' }));
    expect(errorsOf(bad)).toEqual([
      { path: 'spec.promotionTemplate.spec.steps[3].config.branch', message: 'unknown field "branch"', severity: 'error', code: 'unrecognized_keys' },
    ]);
  });

  test('names an unknown step', () => {
    const bad = mutate(promotion, (p) => (p.spec.steps[0] = { uses: 'send-message', config: {} }));
    const [issue] = errorsOf(bad);
    expect(issue).toMatchObject({ path: 'spec.steps[0].uses', message: expect.stringMatching(/^unknown step "send-message"/) });
  });

  test('warns about deprecated and Enterprise-only fields', () => {
    const obj = mutate(projectConfig, (p) => (p.spec.promotionPolicies[0].autoRollback = {}));
    const result = validateKargoObject(obj);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => [w.path, w.code])).toEqual([
      ['spec.promotionPolicies[0].autoRollback', 'enterprise-only'],
      ['spec.promotionPolicies[2].stage', 'deprecated'],
    ]);
    const tags = mutate(warehouse, (w) => (w.spec.subscriptions[0].image.allowTags = '^v1'));
    expect(validateKargoObject(tags).warnings.map((w) => w.path)).toEqual(['spec.subscriptions[0].image.allowTags']);
    const author = mutate(stage, (s) => (s.spec.promotionTemplate.spec.steps[2].config.author = { name: 'a', email: 'a@b.co' }));
    expect(validateKargoObject(author).warnings.map((w) => w.path)).toEqual(['spec.promotionTemplate.spec.steps[2].config.author']);
  });
});
