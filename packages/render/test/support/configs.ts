// Pipeline configs the tests render: the repository's example plus a matrix covering every feature.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePipelineConfig, type PipelineConfig } from '@kargo/model';

export const EXAMPLE_PATH = resolve(import.meta.dirname, '../../../../kargo-env.yaml');

export function parseConfig(text: string, filename = 'kargo-env.yaml'): PipelineConfig {
  const result = parsePipelineConfig(text, { filename });
  if (!result.ok) throw new Error(`config ${filename} is invalid:\n${result.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
  return result.value;
}

export function exampleConfig(): PipelineConfig {
  return parseConfig(readFileSync(EXAMPLE_PATH, 'utf8'));
}

const HEAD = 'apiVersion: kargo-env.dev/v1alpha1\nkind: PipelineConfig\n';

/** Fan-out (dev → qa, dev → perf) and fan-in (prod ← qa + perf, All), Helm-repo chart, windows, notifications, every preset. */
export const FANOUT_FANIN = `${HEAD}
relay: { enabled: false }
pipelines:
  - app: shop
    image:
      repository: ghcr.io/acme/shop
      constraint: ^2.0.0
      strictSemvers: true
      allowTags: ['^2\\.']
      ignoreTags: ['-rc']
      discoveryLimit: 50
      platform: linux/amd64
    git: { repoURL: https://github.com/acme/deploy.git, branch: trunk }
    argocd:
      appNameSuffix: -kargo
      chart: { repoURL: https://charts.acme.io, chart: shop, version: 1.4.2 }
    environments:
      - name: dev
        promotion: { auto: true, mode: git }
        verification: [{ preset: smoke, path: /healthz }]
        notifications: [{ type: slack, secretRef: { name: slack-webhook } }]
        values: { ingress: { enabled: false }, image: { pullPolicy: IfNotPresent } }
      - name: qa
        upstreams: [dev]
        promotion: { auto: true, soak: 15m, mode: git }
        verification:
          - preset: integration
            image: ghcr.io/acme/shop-tests:2.0.0
            command: [npm, test]
            env: { SUITE: api }
      - name: perf
        upstreams: [dev]
        service: { type: ClusterIP, port: 8080 }
        promotion: { auto: true, mode: argocd }
        verification: [{ preset: performance, vus: 50, duration: 2m, thresholds: { p95Ms: 300, errorRate: 0.005 } }]
      - name: prod
        upstreams: [qa, perf]
        availability: All
        promotion: { auto: false, soak: 1h, mode: pull-request }
        verification:
          - preset: security-scan
            severity: [CRITICAL]
            ignoreUnfixed: false
          - { template: org-canary, kind: ClusterAnalysisTemplate, args: { threshold: '0.99' } }
        windows:
          - { name: office-hours, kind: allow, timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], hours: '09:00-17:00' }
          - { name: nights, kind: deny, days: [sat], hours: '22:00-06:00' }
          - { name: holidays, dates: ['2026-12-24', '2026-12-31'] }
        notifications:
          - { type: teams, secretRef: { name: chat-hooks, key: teams.url } }
          - { type: slack, secretRef: { name: chat-hooks, key: slack } }
`;

/** Every promotion mode in one pipeline, an OCI chart, and the integration preset differing per environment. */
export const MODES_OCI = `${HEAD}
relay: { enabled: true, receiverName: ghcr, secretName: ghcr-secret }
pipelines:
  - app: api
    project: team-api
    image: { repository: ghcr.io/acme/api, strategy: NewestBuild, allowTags: ['^main-'] }
    git: { repoURL: https://github.com/acme/api.git }
    argocd:
      namespace: gitops
      project: api-apps
      destination: { name: prod-cluster }
      chart: { repoURL: oci://ghcr.io/acme/charts, chart: api, version: 0.3.1 }
    environments:
      - { name: dev, promotion: { auto: true, mode: argocd }, verification: [{ preset: integration, args: [--suite, smoke] }] }
      - { name: staging, promotion: { auto: true, mode: git }, verification: [{ preset: integration, args: [--suite, full] }] }
      - { name: production, promotion: { mode: pull-request } }
`;

/** Two pipelines (per-pipeline folders, shared kargo-configs), relay on, Digest strategy. */
export const SEVERAL = `${HEAD}
relay: { enabled: true }
pipelines:
  - app: web
    image: { repository: ghcr.io/acme/web }
    git: { repoURL: https://github.com/acme/platform.git }
  - app: worker
    name: worker-pipeline
    project: workers
    image: { repository: ghcr.io/acme/worker, strategy: Digest, constraint: stable }
    git: { repoURL: https://github.com/acme/platform.git }
    environments:
      - { name: test, verification: [{ preset: smoke }] }
      - { name: live, promotion: { auto: false, mode: argocd }, verification: [{ preset: smoke }, { preset: performance }] }
`;

/**
 * The relay forwarding to Kargo's GitHub receivers instead of patching Warehouses: Kargo in namespace `kargo`,
 * a custom receiver and secret variable, and two Projects on one image (one route, a receiver target each).
 */
export const RECEIVER = `${HEAD}
relay:
  enabled: true
  receiverName: registry
  secretName: registry-hook
  target: kargoWebhook
  kargoWebhook: { baseURL: https://kargo-external-webhooks-server.kargo.svc, secretEnv: REGISTRY_RECEIVER_SECRET }
pipelines:
  - app: billing
    image: { repository: ghcr.io/acme/billing, constraint: ^3.0.0 }
    git: { repoURL: https://github.com/acme/billing.git }
  - app: billing-eu
    project: billing-eu
    image: { repository: ghcr.io/acme/billing, constraint: ^3.0.0 }
    git: { repoURL: https://github.com/acme/billing.git, valuesDir: kargo/billing-eu/values }
    environments:
      - { name: eu-prod, promotion: { auto: false, mode: argocd } }
`;

export function matrixConfigs(): Record<string, PipelineConfig> {
  return {
    example: exampleConfig(),
    'fanout-fanin': parseConfig(FANOUT_FANIN, 'fanout.yaml'),
    'modes-oci': parseConfig(MODES_OCI, 'modes.yaml'),
    several: parseConfig(SEVERAL, 'several.yaml'),
    receiver: parseConfig(RECEIVER, 'receiver.yaml'),
  };
}
