// A cluster running the example pipeline (kargo-env.yaml: flask-app, dev → staging → prod) for the fake API
// server: the rendered Kargo and Argo CD objects as kargo-configs would sync them, with the status Kargo 1.11.2,
// Argo CD 3.5 and Argo Rollouts 1.9 write, the installations (CRDs, Deployments, ConfigMap, namespaces) and the
// Secrets. Every kargo.akuity.io and argoproj.io object is checked against the bundled upstream schemas
// (`validateManifest` from @kargo/model/manifests) before the server stores it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parsePipelineConfig } from '@kargo/model';
import { validateManifest } from '@kargo/model/manifests';
import { renderPipelines } from '@kargo/render';
import { parseAllDocuments } from 'yaml';
import { type FakeKube, type Obj } from './fake-kube.ts';

export const EXAMPLE_CONFIG = resolve(import.meta.dirname, '../../../../kargo-env.yaml');
export const NS = 'flask-app';
const KARGO = 'kargo.akuity.io/v1alpha1';
const iso = (msAgo: number, now = Date.now()): string => new Date(now - msAgo).toISOString().replace(/\.\d+Z$/, 'Z');
const MIN = 60_000;

/** Stores an object after checking it against the bundled schema of its kind (for Kargo and Argo kinds). */
export function putValid(server: FakeKube, obj: Obj): Obj {
  const report = validateManifest(obj);
  const errors = report.issues.filter((i) => i.severity === 'error');
  if (report.status === 'checked' && errors.length > 0) {
    throw new Error(`fixture ${obj.kind} ${obj.metadata.name} is not a valid ${obj.apiVersion} ${obj.kind}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  }
  return server.put(obj);
}

function crd(group: string, plural: string, kind: string, scope: 'Namespaced' | 'Cluster', createdAt: string): Obj {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, creationTimestamp: createdAt },
    spec: { group, names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` }, scope, versions: [{ name: 'v1alpha1', served: true, storage: true }] },
  };
}

const KARGO_KINDS: readonly [string, string, 'Namespaced' | 'Cluster'][] = [
  ['projects', 'Project', 'Cluster'],
  ['projectconfigs', 'ProjectConfig', 'Namespaced'],
  ['warehouses', 'Warehouse', 'Namespaced'],
  ['stages', 'Stage', 'Namespaced'],
  ['freights', 'Freight', 'Namespaced'],
  ['promotions', 'Promotion', 'Namespaced'],
];
const ARGOCD_KINDS: readonly [string, string][] = [
  ['applications', 'Application'],
  ['appprojects', 'AppProject'],
];
const ROLLOUTS_KINDS: readonly [string, string][] = [
  ['analysistemplates', 'AnalysisTemplate'],
  ['analysisruns', 'AnalysisRun'],
  ['rollouts', 'Rollout'],
];

function deployment(ns: string, name: string, labels: Record<string, string>, image: string, ready = 1, kind: 'Deployment' | 'StatefulSet' = 'Deployment'): Obj {
  return { apiVersion: 'apps/v1', kind, metadata: { name, namespace: ns, labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image }] } } }, status: { replicas: 1, readyReplicas: ready } };
}

export interface Freights {
  readonly f183: string;
  readonly f184: string;
}

const freightName = (tag: string): string => `${Buffer.from(tag).toString('hex')}${'0'.repeat(40)}`.slice(0, 40);

function freight(tag: string, alias: string, discoveredMsAgo: number, status: Record<string, unknown>, now: number): Obj {
  return {
    apiVersion: KARGO,
    kind: 'Freight',
    metadata: { name: freightName(tag), namespace: NS, labels: { 'kargo.akuity.io/alias': alias } },
    alias,
    discoveredAt: iso(discoveredMsAgo, now),
    origin: { kind: 'Warehouse', name: 'flask-app' },
    images: [{ repoURL: 'ghcr.io/alkon/flask-app', tag, digest: `sha256:${Buffer.from(tag.padEnd(32, '0')).toString('hex').slice(0, 64)}` }],
    status,
  };
}

const ref = (tag: string) => ({ name: freightName(tag), origin: { kind: 'Warehouse', name: 'flask-app' }, images: [{ repoURL: 'ghcr.io/alkon/flask-app', tag }] });
const collection = (tag: string, verification?: Record<string, unknown>) => ({ id: randomBytes(20).toString('hex'), items: { 'Warehouse/flask-app': ref(tag) }, ...(verification === undefined ? {} : { verificationHistory: [verification] }) });
const verified = (at: number, now: number) => ({ id: randomBytes(8).toString('hex'), phase: 'Successful', startTime: iso(at, now), finishTime: iso(at - MIN, now) });

export interface ClusterOptions {
  /** Argo Rollouts' CRDs created after the Kargo controller started. */
  readonly rolloutsAfterKargo?: boolean;
  readonly gitSecret?: boolean;
  readonly discoveryError?: string;
  /** A newer Freight 1.8.5 in dev for 18 minutes (staging needs 30 minutes of soak). */
  readonly soaking?: boolean;
  /** staging's verification of its current Freight failed. */
  readonly failedVerification?: boolean;
  /** The Git credentials Secret's kargo-env.dev/repo-url (infra writes the repoURL); the value `unannotated` leaves it out, as on a hand-made Secret. */
  readonly gitSecretAnnotation?: string;
  /** The newest push each relay replica stored (relay_route_last_push_*), by replica index. Default: 1.8.4 50 minutes ago on replica 0. */
  readonly relayPushes?: readonly ({ readonly tag: string; readonly msAgo: number } | undefined)[];
  /** The API server cannot dial the relay's pods (the relay's NetworkPolicy leaves it out). */
  readonly relayUnreachable?: boolean;
  readonly now?: number;
}

/** The relay's /metrics as prom-client writes it (apps/webhook-relay/src/plugins/metrics.ts), for one replica. */
export function relayMetricsText(opts: { pending?: number; done?: number; failed?: number; push?: { tag: string; at: number } }): string {
  const lines = [
    '# HELP relay_inbox_pending_jobs Forward jobs waiting in the inbox.',
    '# TYPE relay_inbox_pending_jobs gauge',
    `relay_inbox_pending_jobs ${opts.pending ?? 0}`,
    '',
    '# HELP relay_forwards_total Forward attempts by target kind and outcome (done, retry, failed, coalesced).',
    '# TYPE relay_forwards_total counter',
    `relay_forwards_total{target="kubernetes",outcome="done"} ${opts.done ?? 12}`,
    ...(opts.failed === undefined ? [] : [`relay_forwards_total{target="kubernetes",outcome="failed"} ${opts.failed}`]),
    '',
    "# HELP relay_route_last_push_timestamp_seconds Unix time this replica stored the newest tagged push matching the route's image.",
    '# TYPE relay_route_last_push_timestamp_seconds gauge',
    ...(opts.push === undefined ? [] : [`relay_route_last_push_timestamp_seconds{image="ghcr.io/alkon/flask-app"} ${opts.push.at / 1000}`]),
    '',
    "# HELP relay_route_last_push_info 1 for the tag of the newest tagged push this replica stored for the route's image.",
    '# TYPE relay_route_last_push_info gauge',
    ...(opts.push === undefined ? [] : [`relay_route_last_push_info{image="ghcr.io/alkon/flask-app",tag="${opts.push.tag}"} 1`]),
    '',
  ];
  return lines.join('\n');
}

/** The example pipeline, installed and healthy: dev and staging run 1.8.4, prod runs 1.8.3 and waits for a person. */
export function kargoCluster(server: FakeKube, options: ClusterOptions = {}): Freights {
  const now = options.now ?? Date.now();
  const kargoStarted = iso(48 * 60 * MIN, now);
  for (const [plural, kind, scope] of KARGO_KINDS) server.put(crd('kargo.akuity.io', plural, kind, scope, iso(49 * 60 * MIN, now)));
  for (const [plural, kind] of ARGOCD_KINDS) server.put(crd('argoproj.io', plural, kind, 'Namespaced', iso(50 * 60 * MIN, now)));
  for (const [plural, kind] of ROLLOUTS_KINDS) server.put(crd('argoproj.io', plural, kind, 'Namespaced', options.rolloutsAfterKargo === true ? iso(60 * MIN, now) : iso(50 * 60 * MIN, now)));
  for (const ns of ['kargo-ns', 'argocd', 'argo-rollouts', 'kargo-shared-resources']) server.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  server.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'kargo.akuity.io/project': 'true' } } });
  const kargoLabels = { 'app.kubernetes.io/name': 'kargo', 'app.kubernetes.io/instance': 'kargo', 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/version': 'v1.11.2' };
  server.put(deployment('kargo-ns', 'kargo-controller', kargoLabels, 'ghcr.io/akuity/kargo:v1.11.2'));
  server.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kargo-controller-7d9f-abcde', namespace: 'kargo-ns', labels: kargoLabels }, spec: { containers: [{ name: 'controller', image: 'ghcr.io/akuity/kargo:v1.11.2' }] }, status: { phase: 'Running', startTime: kargoStarted } });
  server.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kargo-controller', namespace: 'kargo-ns' }, data: { ARGOCD_INTEGRATION_ENABLED: 'true', ARGOCD_NAMESPACE: 'argocd', ROLLOUTS_INTEGRATION_ENABLED: 'true', SHARED_RESOURCES_NAMESPACE: 'kargo-shared-resources', ALLOW_CREDENTIALS_OVER_HTTP: 'false' } });
  server.put(deployment('argo-rollouts', 'argo-rollouts', { 'app.kubernetes.io/name': 'argo-rollouts' }, 'quay.io/argoproj/argo-rollouts:v1.9.1'));
  server.put(deployment('argocd', 'argocd-application-controller', { 'app.kubernetes.io/name': 'argocd-application-controller' }, 'quay.io/argoproj/argocd:v3.5.1', 1, 'StatefulSet'));
  const relayLabels = { 'app.kubernetes.io/name': 'webhook-relay', 'app.kubernetes.io/instance': 'kargo-webhook-relay', 'app.kubernetes.io/part-of': 'kargo-env' };
  server.put({ ...deployment('kargo-ns', 'kargo-webhook-relay', relayLabels, 'ghcr.io/alkon/kargo-webhook-relay:0.1.0', 2, 'StatefulSet'), spec: { replicas: 2, selector: { matchLabels: relayLabels }, template: { metadata: { labels: relayLabels }, spec: { containers: [{ name: 'relay', image: 'ghcr.io/alkon/kargo-webhook-relay:0.1.0' }] } } }, status: { replicas: 2, readyReplicas: 2 } });
  server.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kargo-webhook-relay-headless', namespace: 'kargo-ns', labels: relayLabels }, spec: { type: 'ClusterIP', clusterIP: 'None', selector: relayLabels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } });
  server.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kargo-webhook-relay', namespace: 'kargo-ns', labels: relayLabels }, spec: { type: 'ClusterIP', selector: relayLabels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } });
  const pushes = options.relayPushes ?? [{ tag: '1.8.4', msAgo: 50 * MIN }];
  const replicaMetrics = (i: number) => {
    const push = pushes[i];
    return relayMetricsText({ done: 6 + i, ...(push === undefined ? {} : { push: { tag: push.tag, at: now - push.msAgo } }) });
  };
  const answer = (i: number) => (path: string) =>
    options.relayUnreachable === true
      ? { unreachable: `dial tcp 10.244.1.${17 + i}:8080: i/o timeout` }
      : path === '/readyz'
        ? { status: 200, body: '{"status":"ready","checks":{"inboxWritable":true,"routesLoaded":true,"notDraining":true}}', contentType: 'application/json' }
        : path === '/metrics'
          ? { status: 200, body: replicaMetrics(i), contentType: 'text/plain; version=0.0.4; charset=utf-8' }
          : { status: 404, body: '{"message":"Route GET:' + path + ' not found","error":"Not Found","statusCode":404}', contentType: 'application/json' };
  for (const i of [0, 1]) {
    const name = `kargo-webhook-relay-${i}`;
    server.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'kargo-ns', labels: relayLabels }, spec: { containers: [{ name: 'relay', image: 'ghcr.io/alkon/kargo-webhook-relay:0.1.0', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] }, status: { phase: 'Running', podIP: `10.244.1.${17 + i}` } });
    server.proxies.set(`kargo-ns/pod/${name}:`, answer(i));
  }
  // The Service picks one replica.
  server.proxies.set('kargo-ns/kargo-webhook-relay:http', answer(0));
  if (options.gitSecret !== false) {
    const annotation = options.gitSecretAnnotation ?? 'https://github.com/alkon/kargo-gitops-toolkit.git';
    server.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kargo-git-credentials', namespace: NS, labels: { 'kargo.akuity.io/cred-type': 'git' }, ...(annotation === 'unannotated' ? {} : { annotations: { 'kargo-env.dev/repo-url': annotation } }) }, type: 'Opaque', data: { repoURL: Buffer.from('https://github.com/alkon/kargo-gitops-toolkit.git').toString('base64'), password: Buffer.from('ghp_secret').toString('base64') } });
  }
  server.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kargo-ghcr-webhook', namespace: NS }, type: 'Opaque', data: { secret: Buffer.from('s3cret').toString('base64') } });

  // The rendered tree, as kargo-configs syncs it, plus the status the controllers write.
  const parsed = parsePipelineConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), { filename: 'kargo-env.yaml' });
  if (!parsed.ok) throw new Error('example config is invalid');
  const { files } = renderPipelines(parsed.value);
  const rendered: Obj[] = [];
  for (const [file, text] of files) {
    if (!file.endsWith('.yaml') || file.includes('/values/') || file.includes('/relay/')) continue;
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS() as Obj | null;
      if (obj?.apiVersion !== undefined) rendered.push(obj);
    }
  }
  const f183 = freightName('1.8.3');
  const f184 = freightName('1.8.4');
  const f185 = freightName('1.8.5');
  const stageStatus: Record<string, Record<string, unknown>> = {
    dev: {
      freightHistory: [collection(options.soaking === true ? '1.8.5' : '1.8.4', verified(options.soaking === true ? 17 * MIN : 49 * MIN, now)), collection('1.8.4', verified(60 * MIN, now)), collection('1.8.3', verified(4 * 60 * MIN, now))],
      health: { status: 'Healthy' },
      autoPromotionEnabled: true,
      lastPromotion: { name: `dev.01jz0000000000000000000000.${(options.soaking === true ? f185 : f184).slice(0, 7)}`, freight: ref(options.soaking === true ? '1.8.5' : '1.8.4'), status: { phase: 'Succeeded' }, finishedAt: iso(options.soaking === true ? 18 * MIN : 50 * MIN, now) },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Stage is ready', lastTransitionTime: iso(MIN, now) }],
    },
    staging: {
      freightHistory: [
        collection(
          '1.8.4',
          options.failedVerification === true
            ? { id: 'a1b2c3', phase: 'Failed', message: 'Metric "integration" assessed Failed due to failed (1) > failureLimit (0)', startTime: iso(9 * MIN, now), finishTime: iso(8 * MIN, now), analysisRun: { name: 'staging.01jz.a1b2c3', namespace: NS, phase: 'Failed' } }
            : verified(9 * MIN, now),
        ),
        collection('1.8.3', verified(3 * 60 * MIN, now)),
      ],
      health: { status: 'Healthy' },
      autoPromotionEnabled: true,
      lastPromotion: { name: `staging.01jz0000000000000000000001.${f184.slice(0, 7)}`, freight: ref('1.8.4'), status: { phase: 'Succeeded' }, finishedAt: iso(10 * MIN, now) },
    },
    prod: {
      freightHistory: [collection('1.8.3', verified(2 * 60 * MIN, now))],
      health: { status: 'Healthy' },
      lastPromotion: { name: `prod.01jz0000000000000000000002.${f183.slice(0, 7)}`, freight: ref('1.8.3'), status: { phase: 'Succeeded' }, finishedAt: iso(2 * 60 * MIN, now) },
    },
  };
  for (const obj of rendered) {
    let withStatus: Obj = obj;
    if (obj.kind === 'Stage') withStatus = { ...obj, status: stageStatus[obj.metadata.name as string] };
    if (obj.kind === 'Warehouse') {
      const conditions =
        options.discoveryError === undefined
          ? [{ type: 'Healthy', status: 'True', reason: 'Healthy', message: 'Warehouse is healthy', lastTransitionTime: iso(3 * MIN, now) }]
          : [
              { type: 'Healthy', status: 'False', reason: 'DiscoveryFailed', message: `Unable to discover artifacts: ${options.discoveryError}`, lastTransitionTime: iso(3 * MIN, now) },
              { type: 'Ready', status: 'False', reason: 'DiscoveryFailure', message: `Artifact discovery failed: ${options.discoveryError}`, lastTransitionTime: iso(3 * MIN, now) },
            ];
      const newest = options.soaking === true ? '1.8.5' : '1.8.4';
      withStatus = {
        ...obj,
        status: {
          conditions,
          discoveredArtifacts: { discoveredAt: iso(3 * MIN, now), images: [{ repoURL: 'ghcr.io/alkon/flask-app', references: [{ tag: newest, digest: 'sha256:aa' }, { tag: '1.8.3', digest: 'sha256:bb' }] }] },
          lastFreightID: options.soaking === true ? f185 : f184,
          observedGeneration: 1,
        },
      };
    }
    if (obj.kind === 'ProjectConfig') withStatus = { ...obj, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Synced', message: 'ProjectConfig is synced and ready for use', lastTransitionTime: iso(60 * MIN, now) }], webhookReceivers: [{ name: 'ghcr', path: '/webhook/github/4f2c' }] } };
    if (obj.kind === 'Application') withStatus = { ...obj, status: { sync: { status: 'Synced', revision: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678' }, health: { status: 'Healthy' } } };
    putValid(server, withStatus);
  }
  putValid(server, freight('1.8.3', 'tired-ox', 5 * 60 * MIN, { verifiedIn: { dev: { verifiedAt: iso(4 * 60 * MIN, now), longestSoak: '1h0m0s' }, staging: { verifiedAt: iso(3 * 60 * MIN, now), longestSoak: '2h50m0s' }, prod: { verifiedAt: iso(2 * 60 * MIN, now) } }, currentlyIn: { prod: { since: iso(2 * 60 * MIN, now) } } }, now));
  putValid(
    server,
    freight('1.8.4', 'brave-fox', 70 * MIN, {
      verifiedIn: { dev: { verifiedAt: iso(49 * MIN, now), ...(options.soaking === true ? { longestSoak: '32m0s' } : {}) }, ...(options.failedVerification === true ? {} : { staging: { verifiedAt: iso(9 * MIN, now) } }) },
      currentlyIn: { ...(options.soaking === true ? {} : { dev: { since: iso(50 * MIN, now) } }), staging: { since: iso(10 * MIN, now) } },
    }, now),
  );
  if (options.soaking === true) {
    putValid(server, freight('1.8.5', 'quick-elk', 19 * MIN, { verifiedIn: { dev: { verifiedAt: iso(17 * MIN, now) } }, currentlyIn: { dev: { since: iso(18 * MIN, now) } } }, now));
  }
  if (options.failedVerification === true) {
    putValid(server, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name: 'staging.01jz.a1b2c3', namespace: NS },
      spec: { metrics: [{ name: 'integration', provider: { job: { spec: { template: { spec: { containers: [{ name: 'test', image: 'curlimages/curl:8.8.0' }], restartPolicy: 'Never' } } } } } }] },
      status: { phase: 'Failed', message: 'Metric "integration" assessed Failed due to failed (1) > failureLimit (0)', metricResults: [{ name: 'integration', phase: 'Failed', failed: 1, count: 1, message: 'job integration-1 failed: GET /health returned 503' }] },
    });
  }
  promotionWebhook(server);
  return { f183, f184 };
}

const ULID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Kargo's Promotion admission (pkg/webhook/kubernetes/promotion/webhook.go, v1.11.2) as far as a test needs it:
 * the name `<stage>.<ulid>.<freight[:7]>`, the Stage's steps and vars copied, the create-actor annotation, the
 * stage label, and a refusal (422) of Freight the Stage may not take.
 */
export function promotionWebhook(server: FakeKube): void {
  server.createHooks.set('kargo.akuity.io/promotions', (obj) => {
    const spec = obj['spec'] as { stage: string; freight: string };
    const stage = server.get('kargo.akuity.io', 'stages', obj.metadata.namespace, spec.stage) as (Obj & { spec: { requestedFreight: { sources: { stages?: string[]; direct?: boolean } }[]; vars?: unknown[]; promotionTemplate: { spec: { steps: unknown[] } } } }) | undefined;
    if (stage === undefined) return { status: 422, reason: 'Invalid', message: `Promotion.kargo.akuity.io "" is invalid: spec.stage: Invalid value: "${spec.stage}": could not find Stage "${spec.stage}" in namespace "${obj.metadata.namespace}"` };
    const f = server.get('kargo.akuity.io', 'freights', obj.metadata.namespace, spec.freight);
    const verifiedIn = (f?.['status'] as { verifiedIn?: Record<string, unknown> } | undefined)?.verifiedIn ?? {};
    const req = stage.spec.requestedFreight[0];
    const ok = f !== undefined && (req?.sources.direct === true || (req?.sources.stages ?? []).some((s) => verifiedIn[s] !== undefined));
    const name = `${spec.stage}.${Array.from(randomBytes(26), (b) => ULID_ALPHABET[b % 32]).join('')}.${spec.freight.slice(0, 7)}`;
    if (!ok) return { status: 422, reason: 'Invalid', message: `Promotion.kargo.akuity.io "${name}" is invalid: spec.freight: Invalid value: "${spec.freight}": Freight is not available to this Stage` };
    return {
      ...obj,
      metadata: {
        ...obj.metadata,
        name,
        labels: { ...obj.metadata.labels, 'kargo.akuity.io/stage': spec.stage },
        annotations: { ...obj.metadata.annotations, 'kargo.akuity.io/create-actor': `kubernetes:${server.user}`, 'kargo.akuity.io/stage': spec.stage },
      },
      spec: { ...spec, steps: stage.spec.promotionTemplate.spec.steps, vars: stage.spec.vars ?? [] },
    };
  });
}

/**
 * Kargo's promotion controller as far as a test needs it: Running, each step Succeeded in turn (one write per
 * step, `intervalMs` apart), then the final phase; `fail` makes step `failAt` fail with that message.
 */
export async function runPromotion(server: FakeKube, namespace: string, name: string, outcome: { fail?: string; failAt?: number; intervalMs?: number } = {}): Promise<void> {
  const interval = outcome.intervalMs ?? 20;
  const sleep = () => new Promise((r) => setTimeout(r, interval));
  let promo = server.get('kargo.akuity.io', 'promotions', namespace, name);
  if (promo === undefined) throw new Error(`no Promotion ${name}`);
  const steps = (promo['spec'] as { steps: { as?: string }[] }).steps;
  const meta: Record<string, unknown>[] = [];
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const write = (status: Record<string, unknown>) => {
    promo = putValid(server, { ...(promo as Obj), status });
  };
  write({ phase: 'Running', startedAt: started, currentStep: 0, freight: { name: (promo['spec'] as { freight: string }).freight } });
  for (let i = 0; i < steps.length; i++) {
    await sleep();
    const failing = outcome.fail !== undefined && i === (outcome.failAt ?? 0);
    meta.push({ alias: steps[i]?.as ?? `step-${i}`, startedAt: started, finishedAt: started, status: failing ? 'Errored' : 'Succeeded', ...(failing ? { message: outcome.fail, errorCount: 1 } : {}) });
    if (failing) {
      write({ phase: 'Errored', message: `step "${steps[i]?.as}" met error threshold of 1: ${outcome.fail}`, startedAt: started, finishedAt: started, currentStep: i, stepExecutionMetadata: meta });
      return;
    }
    write({ phase: 'Running', startedAt: started, currentStep: i + 1, stepExecutionMetadata: meta });
  }
  await sleep();
  write({ phase: 'Succeeded', message: 'All steps completed', startedAt: started, finishedAt: started, currentStep: steps.length - 1, stepExecutionMetadata: meta, state: { commit: { commit: '0123456789abcdef0123456789abcdef01234567' }, push: { commit: '0123456789abcdef0123456789abcdef01234567', branch: 'env/prod' } } });
}
