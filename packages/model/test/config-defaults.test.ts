import { describe, expect, it } from 'vitest';
import {
  PipelineConfigSchema,
  defaultEnvironments,
  parsePipelineConfig,
  validatePipelineConfig,
  type PipelineConfig,
} from '../src/index.ts';
import { pipelineYaml } from './config-helpers.ts';

function parseOk(text: string): PipelineConfig {
  const result = parsePipelineConfig(text, { filename: 'kargo-env.yaml' });
  if (!result.ok) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.value;
}

describe('defaults reproduce the seed', () => {
  const config = parseOk(pipelineYaml());
  const pipeline = config.pipelines[0]!;

  it('fills the pipeline from app, image and repo alone', () => {
    expect(config.relay).toEqual({
      enabled: false,
      receiverName: 'ghcr',
      secretName: 'kargo-ghcr-webhook',
      target: 'kubernetes',
      kargoWebhook: { baseURL: 'https://kargo-external-webhooks-server.kargo-ns.svc', caFile: '/etc/kargo-webhooks-ca/ca.crt', secretEnv: 'KARGO_RECEIVER_SECRET' },
    });
    expect(pipeline).toMatchObject({
      name: 'flask-app',
      app: 'flask-app',
      project: 'flask-app',
      image: { repository: 'ghcr.io/alkon/flask-app', strategy: 'SemVer', constraint: '^1.0.0', initialTag: '1.0.0' },
      git: { repoURL: 'https://github.com/alkon/kargo-gitops-toolkit.git', branch: 'main', valuesDir: 'kargo/values', valuesFile: '{env}-values.yaml' },
      argocd: {
        namespace: 'argocd',
        project: 'flask-app',
        destination: { server: 'https://kubernetes.default.svc' },
        appNameSuffix: '',
        chart: { path: 'charts/flask-app' },
      },
    });
    expect(pipeline.image.discoveryLimit).toBeUndefined();
    expect(pipeline.image.strictSemvers).toBeUndefined();
  });

  it('yields the seed table: dev → staging → prod', () => {
    const rows = pipeline.environments.map((e) => ({
      name: e.name,
      replicas: e.replicas,
      requests: e.resources.requests,
      limits: e.resources.limits,
      service: e.service.type,
      upstreams: e.upstreams,
      promotion: e.promotion,
      verification: e.verification.map((v) => ('preset' in v ? v.preset : v.template)),
      color: e.color,
      namespace: e.namespace,
      valuesPath: e.valuesPath,
      applicationName: e.applicationName,
    }));
    expect(rows).toEqual([
      {
        name: 'dev', replicas: 1, requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '50m', memory: '64Mi' },
        service: 'ClusterIP', upstreams: [], promotion: { auto: true, mode: 'git' }, verification: ['smoke'], color: 'green',
        namespace: 'flask-app-dev', valuesPath: 'kargo/values/dev-values.yaml', applicationName: 'flask-app-dev',
      },
      {
        name: 'staging', replicas: 2, requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' },
        service: 'LoadBalancer', upstreams: ['dev'], promotion: { auto: true, soak: '30m', mode: 'git' }, verification: ['integration'],
        color: 'amber', namespace: 'flask-app-staging', valuesPath: 'kargo/values/staging-values.yaml', applicationName: 'flask-app-staging',
      },
      {
        name: 'prod', replicas: 3, requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '200m', memory: '256Mi' },
        service: 'LoadBalancer', upstreams: ['staging'], promotion: { auto: false, mode: 'pull-request' },
        verification: ['security-scan', 'performance'], color: 'red', namespace: 'flask-app-prod',
        valuesPath: 'kargo/values/prod-values.yaml', applicationName: 'flask-app-prod',
      },
    ]);
  });

  it('resolves the verification presets with pinned images', () => {
    const [dev, staging, prod] = pipeline.environments;
    expect(dev!.verification).toEqual([{ preset: 'smoke', image: 'curlimages/curl:8.11.1', path: '/' }]);
    expect(staging!.verification).toEqual([{ preset: 'integration', image: 'curlimages/curl:8.11.1', args: [], env: {} }]);
    expect(prod!.verification).toEqual([
      { preset: 'security-scan', image: 'aquasec/trivy:0.58.1', severity: ['HIGH', 'CRITICAL'], ignoreUnfixed: true },
      { preset: 'performance', image: 'grafana/k6:0.55.0', vus: 10, duration: '30s', thresholds: { p95Ms: 500, errorRate: 0.01 } },
    ]);
    for (const ref of [...dev!.verification, ...prod!.verification]) {
      expect('image' in ref ? ref.image : '').toMatch(/:[0-9]+\.[0-9]+\.[0-9]+$/);
    }
  });

  it('produces an object the resolved schema accepts', () => {
    expect(PipelineConfigSchema.safeParse(config).success).toBe(true);
  });

  it('gives explicit environments generic defaults and production-like names manual promotion', () => {
    const c = parseOk(pipelineYaml('    environments:\n      - name: qa\n      - name: uat\n      - name: live\n'));
    const [qa, uat, live] = c.pipelines[0]!.environments;
    expect(qa).toMatchObject({ replicas: 1, color: 'green', upstreams: [], service: { type: 'ClusterIP' }, promotion: { auto: true, mode: 'git' }, verification: [] });
    expect(uat).toMatchObject({ color: 'amber', upstreams: ['qa'], promotion: { auto: true, mode: 'git' } });
    expect(live).toMatchObject({ color: 'red', upstreams: ['uat'], promotion: { auto: false, mode: 'pull-request' } });
    expect(c.pipelines[0]!.environments.map((e) => e.resources.requests)).toEqual([
      { cpu: '50m', memory: '64Mi' }, { cpu: '50m', memory: '64Mi' }, { cpu: '50m', memory: '64Mi' },
    ]);
  });

  it('keeps limits apart from requests when given, and requests as limits otherwise', () => {
    const c = parseOk(pipelineYaml('    environments:\n      - name: dev\n        resources: { cpu: 250m, memory: 1Gi, limits: { cpu: "1" } }\n'));
    expect(c.pipelines[0]!.environments[0]!.resources).toEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  it('puts each pipeline in its own values folder when there are several', () => {
    const text = `${pipelineYaml('', 'one')}  - app: two\n    image: { repository: ghcr.io/acme/two }\n    git: { repoURL: https://github.com/acme/x.git }\n`;
    const c = parseOk(text);
    expect(c.pipelines.map((p) => p.git.valuesDir)).toEqual(['kargo/one/values', 'kargo/two/values']);
  });

  it('resolves window kinds, names, days and hours', () => {
    const c = parseOk(
      pipelineYaml(`    environments:
      - name: dev
        windows:
          - { days: [mon, fri], hours: '22:00-06:00', timezone: Europe/Berlin }
          - { dates: ['2026-12-24'] }
`),
    );
    expect(c.pipelines[0]!.environments[0]!.windows).toEqual([
      { name: 'allow-0', kind: 'allow', timezone: 'Europe/Berlin', days: ['mon', 'fri'], hours: { start: '22:00', end: '06:00' }, dates: [] },
      { name: 'deny-1', kind: 'deny', timezone: 'UTC', days: [], dates: ['2026-12-24'] },
    ]);
  });

  it('defaultEnvironments returns a fresh, valid copy each time', () => {
    const a = defaultEnvironments();
    a[0]!.replicas = 99;
    expect(defaultEnvironments()[0]!.replicas).toBe(1);
    const viaData = validatePipelineConfig({
      apiVersion: 'kargo-env.dev/v1alpha1',
      kind: 'PipelineConfig',
      pipelines: [{ app: 'a', image: { repository: 'ghcr.io/o/a' }, git: { repoURL: 'https://github.com/o/a.git' }, environments: defaultEnvironments() }],
    });
    expect(viaData.ok).toBe(true);
    if (viaData.ok) expect(viaData.value.pipelines[0]!.environments).toEqual(config.pipelines[0]!.environments.map((e) => ({ ...e, namespace: `a-${e.name}`, applicationName: `a-${e.name}` })));
  });
});

describe('image.interval', () => {
  const withInterval = (interval: string): string =>
    pipelineYaml().replace('      repository: ghcr.io/alkon/flask-app\n', `      repository: ghcr.io/alkon/flask-app\n      interval: ${interval}\n`);

  it("defaults to Kargo's 5m0s and keeps a configured Go duration", () => {
    expect(parseOk(pipelineYaml()).pipelines[0]?.image.interval).toBe('5m0s');
    expect(parseOk(withInterval('1h30m')).pipelines[0]?.image.interval).toBe('1h30m');
    expect(parseOk(withInterval('2.5m')).pipelines[0]?.image.interval).toBe('2.5m');
  });

  it.each(['5 minutes', '300', '5ms', "''"])('rejects %s at its path', (interval) => {
    const result = parsePipelineConfig(withInterval(interval), { filename: 'kargo-env.yaml' });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['pipelines[0].image.interval']);
  });
});
