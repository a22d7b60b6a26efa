// Layer 1 for the cluster commands: run* against a fake Kubernetes API server on 127.0.0.1 (test/support/fake-kube.ts)
// holding the example pipeline as Kargo 1.11.2 / Argo CD 3.5 / Rollouts 1.9 would (test/support/kargo-cluster.ts).
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runDoctor } from '../src/commands/doctor.ts';
import type { Check } from '../src/kube/doctor.ts';
import { runPromote } from '../src/kube/promote.ts';
import { FakeKube, type Obj } from './support/fake-kube.ts';
import { EXAMPLE_CONFIG, kargoCluster, NS, putValid, runPromotion } from './support/kargo-cluster.ts';
import { rejection, tempDir } from './helpers.ts';

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
const rbac = (file: string): Rule[] => (parse(readFileSync(new URL(`../rbac/${file}`, import.meta.url), 'utf8')) as { rules: Rule[] }).rules;

/** The RBAC attributes of a request as the API server derives them; undefined for discovery (allowed to everyone). */
function attributes(method: string, url: string): { group: string; resource: string; verb: string; name?: string } | undefined {
  const u = new URL(url, 'http://x');
  // The name of a proxy request is the path segment as written, `<name>[:<port>]` (apiserver RequestInfo).
  const proxy = /^\/api\/v1\/namespaces\/[^/]+\/(services|pods)\/([^/]+)\/proxy/.exec(u.pathname);
  if (proxy !== null) return { group: '', resource: `${proxy[1] as string}/proxy`, verb: 'get', name: proxy[2] as string };
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(u.pathname);
  if (m === null || (m[3] === undefined && m[2] === undefined)) return undefined;
  const [, group = '', ns, plural, name] = m;
  if (plural === undefined) return { group, resource: 'namespaces', verb: 'get', name: ns as string };
  const verb = method === 'POST' ? 'create' : name !== undefined ? 'get' : u.searchParams.get('watch') === '1' ? 'watch' : 'list';
  return { group, resource: plural, verb, ...(name === undefined ? {} : { name }) };
}

function allowed(rules: readonly Rule[], a: NonNullable<ReturnType<typeof attributes>>): boolean {
  return rules.some((r) => r.apiGroups.includes(a.group) && r.resources.includes(a.resource) && r.verbs.includes(a.verb) && (r.resourceNames === undefined || (a.name !== undefined && r.resourceNames.includes(a.name))));
}

let server: FakeKube;
let dir: { dir: string; [Symbol.asyncDispose](): Promise<void> };
let env: Record<string, string>;

beforeEach(async () => {
  server = await new FakeKube().start();
  dir = await tempDir('kargo-env-cluster-');
  await writeFile(join(dir.dir, 'kubeconfig'), server.kubeconfig());
  env = { KUBECONFIG: join(dir.dir, 'kubeconfig') };
});
afterEach(async () => {
  await server.close();
  await dir[Symbol.asyncDispose]();
});

const io = () => ({ cwd: dir.dir, env });
const check = (checks: readonly Check[], id: string) => {
  const found = checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no check ${id}: ${checks.map((c) => c.id).join(', ')}`);
  return found;
};

describe('doctor', () => {
  it('a healthy pipeline: every check passes, and no Secret data is ever read', async () => {
    kargoCluster(server);
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: false }, io());
    const bad = report.checks.filter((c) => c.status !== 'ok');
    expect(bad).toEqual([]);
    expect(report.ok).toBe(true);
    expect(check(report.checks, 'drift').evidence[0]).toMatch(/^\d+ rendered objects exist with the committed spec$/);
    expect(check(report.checks, 'stage.flask-app.prod').evidence.join('\n')).toContain('next: 1.8.4 is ready: kargo-env promote --env prod --tag 1.8.4');
    expect(check(report.checks, 'relay').evidence).toEqual([
      "kargo-ns/kargo-webhook-relay 2/2 ready (the kubelet's /readyz probes)",
      "kargo-webhook-relay-0: /readyz through the API server's pod proxy: HTTP 200",
      "kargo-webhook-relay-1: /readyz through the API server's pod proxy: HTTP 200",
      'deliveries pending 0, forwards failed 0',
    ]);
    expect(check(report.checks, 'warehouse.flask-app.flask-app').evidence.at(-1)).toMatch(/^newest push the relay stored: 1\.8\.4 50m ago \(.*\), in Freight$/);
    expect(check(report.checks, 'git-credentials.flask-app').evidence[0]).toBe('kargo-git-credentials (labelled kargo.akuity.io/cred-type=git, kargo-env.dev/repo-url: https://github.com/alkon/kargo-gitops-toolkit.git) serves https://github.com/alkon/kargo-gitops-toolkit.git');
    expect(server.requests.filter((r) => r.secretData)).toEqual([]);
    expect(server.requests.filter((r) => r.path.includes('/secrets')).every((r) => r.accept?.includes('as=PartialObjectMetadata'))).toBe(true);
    // Every request doctor made is one the shipped read-only ClusterRole allows.
    const readonly = rbac('kargo-env-readonly.yaml');
    const attrs = server.requests.map((r) => attributes(r.method, r.path)).filter((a) => a !== undefined);
    expect(attrs.length).toBeGreaterThan(20);
    expect(attrs.filter((a) => !allowed(readonly, a))).toEqual([]);
    expect(allowed(readonly, { group: 'kargo.akuity.io', resource: 'promotions', verb: 'create' })).toBe(false);
  });
});

describe('doctor finds what is wrong', () => {
  it('Rollouts installed after Kargo: ✗ with the restart command', async () => {
    kargoCluster(server, { rolloutsAfterKargo: true });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'rollouts');
    expect(c.status).toBe('fail');
    expect(c.evidence.join('\n')).toMatch(/the AnalysisRun CRD was created .*, after kargo-controller started .*: Kargo turned its Rollouts integration off/);
    expect(c.fix).toBe('kubectl -n kargo-ns rollout restart deploy/kargo-controller deploy/kargo-api');
    expect(report.ok).toBe(false);
  });

  it('missing Git credentials Secret: ✗ with the command that creates it', async () => {
    kargoCluster(server, { gitSecret: false });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'git-credentials.flask-app');
    expect(c.status).toBe('fail');
    expect(c.fix).toContain('kubectl -n flask-app label secret kargo-git-credentials kargo.akuity.io/cred-type=git');
  });

  it('Warehouse discovery error: ✗ with the controller message', async () => {
    kargoCluster(server, { discoveryError: 'error listing tags of ghcr.io/alkon/flask-app: GET https://ghcr.io/token: DENIED' });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'warehouse.flask-app.flask-app');
    expect(c.status).toBe('fail');
    expect(c.evidence[0]).toBe('DiscoveryFailed: Unable to discover artifacts: error listing tags of ghcr.io/alkon/flask-app: GET https://ghcr.io/token: DENIED');
    expect(c.evidence.join('\n')).toMatch(/last discovery 3m ago/);
  });

  it('staging waits on soak with 12 minutes left', async () => {
    kargoCluster(server, { soaking: true });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'stage.flask-app.staging');
    expect(c.status).toBe('ok');
    expect(c.evidence.join('\n')).toContain("next: 1.8.5 soaking in dev: 12m left (auto-promotes in 12m–17m, on the Stage's next requeue)");
  });

  it('a promotion waiting for a deployment window: ⚠ with Argo CD\'s message (controller/sync.go keeps the sync Running)', async () => {
    kargoCluster(server);
    const stage = server.get('kargo.akuity.io', 'stages', 'flask-app', 'prod')!;
    const f184 = (server.list('kargo.akuity.io', 'freights', 'flask-app') as { metadata: { name: string }; alias?: string; spec?: unknown }[]).find((f) => JSON.stringify(f).includes('"1.8.4"'))!;
    server.put({ ...stage, status: { ...(stage['status'] as object), currentPromotion: { name: 'prod.01jz.deadbee', freight: { name: f184.metadata.name, origin: { kind: 'Warehouse', name: 'flask-app' }, images: [{ repoURL: 'ghcr.io/alkon/flask-app', tag: '1.8.4' }] } } } });
    const app = server.list('argoproj.io', 'applications', undefined).find((a) => a.metadata.annotations?.['kargo.akuity.io/authorized-stage'] === 'flask-app:prod')!;
    server.put({ ...app, status: { ...(app['status'] as object), operationState: { phase: 'Running', message: 'Sync operation blocked by sync window', startedAt: new Date().toISOString(), operation: { sync: {} } } } });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'stage.flask-app.prod');
    expect(c.status).toBe('warn');
    expect(c.evidence.at(-1)).toBe(`waiting for a deployment window: Application ${app.metadata.name} — Argo CD: Sync operation blocked by sync window`);
    expect(c.fix).toMatch(/deploys when the window opens/);
  });

  it('a step that would deploy while prod\'s window is closed says when the window lets Argo CD sync (simulate\'s rule)', async () => {
    kargoCluster(server);
    // An allow window opening on the hour two to three hours from now, for an hour, every day (UTC).
    const start = new Date(Date.now() + 2 * 60 * 60_000);
    start.setUTCMinutes(0, 0, 0);
    const hh = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:00`;
    const hours = `${hh(start)}-${hh(new Date(start.getTime() + 60 * 60_000))}`;
    const config = readFileSync(EXAMPLE_CONFIG, 'utf8').replace('        upstreams: [staging]\n', `        upstreams: [staging]\n        windows: [{ name: release-hour, kind: allow, hours: "${hours}" }]\n`);
    expect(config).toContain('release-hour');
    await writeFile(join(dir.dir, 'kargo-env.yaml'), config);
    const report = await runDoctor({ config: join(dir.dir, 'kargo-env.yaml'), noDrift: true }, io());
    const next = check(report.checks, 'stage.flask-app.prod').evidence.find((e) => e.startsWith('next: '));
    expect(next).toBe(`next: 1.8.4 is ready: kargo-env promote --env prod --tag 1.8.4; deploys when release-hour lets Argo CD sync, at ${start.toISOString().slice(0, 16).replace('T', ' ')} UTC (in ${next?.split('(in ')[1]}`);
    expect(next).toMatch(/\(in (1h|2h)[^)]*\)$/);
    // staging has no windows: its next step is unchanged.
    expect(check(report.checks, 'stage.flask-app.staging').evidence.find((e) => e.startsWith('next: '))).toBe('next: up to date');
  });

  it('prod\'s promotion waiting at git-wait-for-pr: ⚠ naming the step, how long, and the pull request to merge', async () => {
    kargoCluster(server);
    const stage = server.get('kargo.akuity.io', 'stages', 'flask-app', 'prod') as Obj & { spec: { promotionTemplate: { spec: { steps: { uses: string; as?: string }[] } } } };
    const f184 = (server.list('kargo.akuity.io', 'freights', 'flask-app')).find((f) => JSON.stringify(f).includes('"1.8.4"'))!;
    const steps = stage.spec.promotionTemplate.spec.steps;
    const at = steps.findIndex((x) => x.uses === 'git-wait-for-pr');
    const started = new Date(Date.now() - 40 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const name = `prod.01jz0000000000000000000009.${String(f184.metadata.name).slice(0, 7)}`;
    const ref = { name: f184.metadata.name, origin: { kind: 'Warehouse', name: 'flask-app' }, images: [{ repoURL: 'ghcr.io/alkon/flask-app', tag: '1.8.4' }] };
    putValid(server, {
      apiVersion: 'kargo.akuity.io/v1alpha1',
      kind: 'Promotion',
      metadata: { name, namespace: NS },
      spec: { stage: 'prod', freight: f184.metadata.name as string, steps },
      status: {
        phase: 'Running',
        startedAt: started,
        currentStep: at,
        freight: ref,
        stepExecutionMetadata: steps.slice(0, at + 1).map((x, i) => ({ alias: x.as ?? `step-${i}`, startedAt: started, ...(i < at ? { finishedAt: started, status: 'Succeeded' } : { status: 'Running' }) })),
        state: { 'open-pr': { pr: { id: 12, url: 'https://github.com/alkon/kargo-gitops-toolkit/pull/12' } } },
      },
    });
    server.put({ ...stage, status: { ...(stage['status'] as object), currentPromotion: { name, freight: ref } } });
    const c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'stage.flask-app.prod');
    expect(c.status).toBe('warn');
    expect(c.evidence).toContain(`Promotion ${name} at step ${at + 1}/${steps.length} wait-for-pr (git-wait-for-pr) for 40m`);
    expect(c.evidence.at(-1)).toBe('waiting for https://github.com/alkon/kargo-gitops-toolkit/pull/12 to be merged (Kargo checks it every 30 s and waits without a time limit)');
    expect(c.fix).toBe('review and merge https://github.com/alkon/kargo-gitops-toolkit/pull/12; closing it unmerged fails the promotion');
  });

  it('failed verification: ✗ with the AnalysisRun message', async () => {
    kargoCluster(server, { failedVerification: true });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'stage.flask-app.staging');
    expect(c.status).toBe('fail');
    expect(c.evidence.at(-1)).toContain('verification Failed: AnalysisRun staging.01jz.a1b2c3 Failed: Metric "integration" assessed Failed due to failed (1) > failureLimit (0); integration Failed: job integration-1 failed: GET /health returned 503');
    expect(c.fix).toContain('kubectl -n flask-app annotate stage staging kargo.akuity.io/reverify=a1b2c3 --overwrite');
  });

  it('RBAC forbids listing Secrets: ⚠ not checked, never a crash', async () => {
    kargoCluster(server);
    server.forbid = [{ verb: 'list', group: '', plural: 'secrets' }, { verb: 'get', group: '', plural: 'secrets' }];
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'git-credentials.flask-app');
    expect(c.status).toBe('warn');
    expect(c.evidence[0]).toBe('not checked: secrets is forbidden: User "dev@example.com" cannot list resource "secrets" in API group "" in the namespace "flask-app"');
    expect(check(report.checks, 'receiver.flask-app').status).toBe('warn');
    expect(report.ok).toBe(true);
  });

  it('cluster unreachable: ClusterUnreachable (exit 2) with a clear message in under 5 s', async () => {
    const { createServer } = await import('node:net');
    // A server that accepts connections and never answers: the slow failure, not the quick refusal.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    await writeFile(join(dir.dir, 'kubeconfig'), server.kubeconfig().replace(server.url, `http://127.0.0.1:${port}`));
    const started = Date.now();
    const error = await rejection(runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io()));
    silent.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`cannot reach the cluster fake-cluster at http://127.0.0.1:${port} (context fake): no answer within 3 s`);
  });
});

describe('doctor: the relay against the Warehouse, and which Git credentials serve the repository', () => {
  const MIN = 60_000;

  it('reads every replica through the pod proxy and compares the newest push with the Warehouse: a refresh that never reached Kargo is ⚠', async () => {
    // Replica 0 stored 1.8.4 50 minutes ago, replica 1 stored 1.8.6 150 s ago; the Warehouse last discovered 3 minutes ago.
    kargoCluster(server, { relayPushes: [{ tag: '1.8.4', msAgo: 50 * MIN }, { tag: '1.8.6', msAgo: 150_000 }] });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'warehouse.flask-app.flask-app');
    expect(c.status).toBe('warn');
    expect(c.evidence.at(-1)).toMatch(/^newest push the relay stored: 1\.8\.6 [23]m ago \(.*\), but the Warehouse has not discovered since: the refresh did not reach Kargo$/);
    expect(c.fix).toContain('kubectl -n flask-app annotate warehouse flask-app kargo.akuity.io/refresh=$(date +%s) --overwrite');
    expect(server.requests.filter((r) => r.path.includes('/pods/kargo-webhook-relay-') && r.path.endsWith('/proxy/metrics')).map((r) => r.path)).toEqual([
      '/api/v1/namespaces/kargo-ns/pods/kargo-webhook-relay-0/proxy/metrics',
      '/api/v1/namespaces/kargo-ns/pods/kargo-webhook-relay-1/proxy/metrics',
    ]);
  });

  it('a tag the relay stored before the last discovery that Kargo left out: ⚠ pointing at simulate', async () => {
    kargoCluster(server, { relayPushes: [{ tag: '1.9.0-rc.1', msAgo: 10 * MIN }] });
    const c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'warehouse.flask-app.flask-app');
    expect(c.status).toBe('warn');
    expect(c.evidence.at(-1)).toMatch(/and the Warehouse discovered after it without that tag: its rules leave 1\.9\.0-rc\.1 out/);
    expect(c.fix).toBe('kargo-env simulate --push 1.9.0-rc.1 says which rule rejects it');
  });

  it('a push seconds old is a refresh under way (the newest over replicas, one of which kept none)', async () => {
    kargoCluster(server, { relayPushes: [undefined, { tag: '1.8.7', msAgo: 20_000 }] });
    const c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'warehouse.flask-app.flask-app');
    expect(c.status).toBe('ok');
    expect(c.evidence.at(-1)).toMatch(/^newest push the relay stored: 1\.8\.7 20s ago \(.*\), not discovered yet \(the refresh is under way\)$/);
  });

  it('no push kept by any replica is said, not guessed', async () => {
    kargoCluster(server, { relayPushes: [] });
    const c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'warehouse.flask-app.flask-app');
    expect(c.status).toBe('ok');
    expect(c.evidence.at(-1)).toBe('the relay keeps no push of ghcr.io/alkon/flask-app in its inbox (none within its retention)');
  });

  it('the relay\'s NetworkPolicy keeps the API server out: ⚠ with the infra setting, not a false ✗', async () => {
    kargoCluster(server, { relayUnreachable: true });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'relay');
    expect(c.status).toBe('warn');
    expect(c.evidence[1]).toBe("kargo-webhook-relay-0: /readyz through the API server's pod proxy: error trying to reach service: dial tcp 10.244.1.17:8080: i/o timeout");
    expect(c.fix).toContain('pulumi config set relayApiServerProxyCidrs');
    expect(report.ok).toBe(true);
  });

  it('a replica whose /readyz answers 503 itself: ✗ naming that pod', async () => {
    kargoCluster(server);
    server.proxies.set('kargo-ns/pod/kargo-webhook-relay-1:', (path) => (path === '/readyz' ? { status: 503, body: '{"status":"not ready","checks":{"inboxWritable":false,"routesLoaded":true,"notDraining":true}}', contentType: 'application/json' } : { status: 200, body: '' }));
    const c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'relay');
    expect(c.status).toBe('fail');
    expect(c.evidence[2]).toBe('kargo-webhook-relay-1: /readyz through the API server\'s pod proxy: HTTP 503 {"status":"not ready","checks":{"inboxWritable":false,"routesLoaded":true,"notDraining":true}}');
    expect(c.fix).toBe('kubectl -n kargo-ns logs pod/kargo-webhook-relay-1 (the inbox volume or the routes file)');
  });

  it('pods/proxy forbidden: falls back to the Service (one replica, said so)', async () => {
    kargoCluster(server);
    server.forbid = [{ verb: 'get', group: '', plural: 'pods/proxy' }];
    const c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'relay');
    expect(c.status).toBe('ok');
    expect(c.evidence[1]).toBe("service kargo-webhook-relay: /readyz through the API server's service proxy (one replica: the pod proxy is forbidden): HTTP 200");
  });

  it('a hand-made Secret without the repo-url annotation: ⚠ with the annotate command (its data is never read)', async () => {
    kargoCluster(server, { gitSecretAnnotation: 'unannotated' });
    const report = await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io());
    const c = check(report.checks, 'git-credentials.flask-app');
    expect(c.status).toBe('warn');
    expect(c.fix).toBe('name the repository in the Secret\'s metadata (Kargo ignores it): kubectl -n flask-app annotate secret kargo-git-credentials kargo-env.dev/repo-url=https://github.com/alkon/kargo-gitops-toolkit.git');
    expect(server.requests.filter((r) => r.secretData)).toEqual([]);
  });

  it('credentials for another repository only: ✗; the same repository written differently (Kargo normalises URLs): ✓', async () => {
    kargoCluster(server, { gitSecretAnnotation: 'https://github.com/alkon/other-repo.git' });
    let c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'git-credentials.flask-app');
    expect(c.status).toBe('fail');
    expect(c.evidence[0]).toBe('no Git credentials for https://github.com/alkon/kargo-gitops-toolkit.git: kargo-git-credentials serves https://github.com/alkon/other-repo.git');
    const secret = server.get('', 'secrets', NS, 'kargo-git-credentials')!;
    server.put({ ...secret, metadata: { ...secret.metadata, annotations: { 'kargo-env.dev/repo-url': 'https://GitHub.com/alkon/kargo-gitops-toolkit/' } } });
    c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'git-credentials.flask-app');
    expect(c.status).toBe('ok');
  });

  it('credentials in Kargo\'s shared resources namespace count (pkg/credentials/kubernetes/database.go looks there second)', async () => {
    kargoCluster(server, { gitSecret: false });
    server.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'github-org', namespace: 'kargo-shared-resources', labels: { 'kargo.akuity.io/cred-type': 'git' }, annotations: { 'kargo-env.dev/repo-url': 'https://github.com/alkon/kargo-gitops-toolkit.git' } }, type: 'Opaque', data: { repoURL: Buffer.from('https://github.com/alkon/kargo-gitops-toolkit.git').toString('base64') } });
    const c = check((await runDoctor({ config: EXAMPLE_CONFIG, noDrift: true }, io())).checks, 'git-credentials.flask-app');
    expect(c.status).toBe('ok');
    expect(c.evidence[0]).toMatch(/^kargo-shared-resources\/github-org \(labelled/);
  });
});

describe('promote and rollback', () => {
  it('refuses Freight that is not eligible, with Kargo\'s reason', async () => {
    kargoCluster(server, { soaking: true });
    const soaking = await rejection(runPromote({ config: EXAMPLE_CONFIG, env: 'staging', tag: '1.8.5', rollback: false, dryRun: false, followTimeoutMs: 10_000 }, io()));
    expect(soaking.message).toBe('1.8.5 (Freight quick-elk) is not available to Stage staging: soaking in dev: 12m of 30m left');
    expect(soaking.exitCode).toBe(1);
    const unverified = await rejection(runPromote({ config: EXAMPLE_CONFIG, env: 'prod', tag: '1.8.5', rollback: false, dryRun: false, followTimeoutMs: 10_000 }, io()));
    expect(unverified.message).toBe('1.8.5 (Freight quick-elk) is not available to Stage prod: not verified in staging');
    const missing = await rejection(runPromote({ config: EXAMPLE_CONFIG, env: 'prod', tag: '9.9.9', rollback: false, dryRun: false, followTimeoutMs: 10_000 }, io()));
    expect(missing.message).toBe('no Freight in flask-app carries ghcr.io/alkon/flask-app:9.9.9');
    expect(server.list('kargo.akuity.io', 'promotions', NS)).toEqual([]);
  });

  it('creates the Promotion Kargo\'s API server creates and follows it to Succeeded over the watch API', async () => {
    kargoCluster(server);
    const lines: string[] = [];
    server.createHooks.set('kargo.akuity.io/promotions', ((hook) => (obj, s) => {
      const admitted = hook(obj, s);
      if ('spec' in admitted) setTimeout(() => void runPromotion(server, NS, admitted.metadata.name as string), 30);
      return admitted;
    })(server.createHooks.get('kargo.akuity.io/promotions')!));
    const report = await runPromote({ config: EXAMPLE_CONFIG, env: 'prod', tag: '1.8.4', rollback: false, dryRun: false, followTimeoutMs: 10_000 }, io(), (l) => lines.push(l));
    expect(report.ok).toBe(true);
    expect(report.promotion.manifest).toEqual({ apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Promotion', metadata: { namespace: 'flask-app', generateName: 'promo-' }, spec: { stage: 'prod', freight: report.freight.name } });
    expect(report.promotion.name).toMatch(/^prod\.[0-9a-z]{26}\.[0-9a-f]{7}$/);
    expect(report.promotion.phase).toBe('Succeeded');
    expect(report.promotion.steps.map((s) => s.status)).toEqual(report.promotion.steps.map(() => 'Succeeded'));
    expect(report.promotion.outputs).toMatchObject({ commit: '0123456789abcdef0123456789abcdef01234567', branch: 'env/prod' });
    expect(report.hold).toBeUndefined();
    expect(lines[0]).toMatch(/^Promotion prod\.\S+ created: 1\.8\.4 \(Freight brave-fox\) → prod$/);
    expect(lines).toContain('  phase Succeeded: All steps completed');
    // Followed with a watch, not by polling: one POST, then watch calls only.
    const promoRequests = server.requests.filter((r) => r.path.includes('/promotions'));
    expect(promoRequests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(promoRequests.filter((r) => r.method === 'GET').every((r) => r.path.includes('watch=1'))).toBe(true);
    // Every request promote made is one the shipped promoter ClusterRole allows (plus Kargo's promote verb, checked by its webhook).
    const promoter = rbac('kargo-env-promoter.yaml');
    expect(server.requests.map((r) => attributes(r.method, r.path)).filter((a) => a !== undefined && !allowed(promoter, a))).toEqual([]);
    expect(allowed(promoter, { group: 'kargo.akuity.io', resource: 'stages', verb: 'promote', name: 'prod' })).toBe(true);
  });

  it('follows a Promotion to Errored and reports the failing step', async () => {
    kargoCluster(server);
    server.createHooks.set('kargo.akuity.io/promotions', ((hook) => (obj, s) => {
      const admitted = hook(obj, s);
      if ('spec' in admitted) setTimeout(() => void runPromotion(server, NS, admitted.metadata.name as string, { fail: 'authentication required', failAt: 0 }), 30);
      return admitted;
    })(server.createHooks.get('kargo.akuity.io/promotions')!));
    const report = await runPromote({ config: EXAMPLE_CONFIG, env: 'prod', tag: '1.8.4', rollback: false, dryRun: false, followTimeoutMs: 10_000 }, io());
    expect(report.ok).toBe(false);
    expect(report.promotion.phase).toBe('Errored');
    expect(report.promotion.steps[0]).toMatchObject({ alias: 'clone', uses: 'git-clone', status: 'Errored', message: 'authentication required' });
  });

  it('rollback picks the Freight the Stage ran before and warns about the auto-promotion hold', async () => {
    kargoCluster(server);
    const report = await runPromote({ config: EXAMPLE_CONFIG, env: 'staging', rollback: true, dryRun: true, followTimeoutMs: 10_000 }, io());
    expect(report.freight.tags).toEqual(['1.8.3']);
    expect(report.current?.tags).toEqual(['1.8.4']);
    expect(report.hold).toEqual({ origin: 'Warehouse/flask-app', candidate: expect.objectContaining({ tags: ['1.8.4'] }), resume: 'kargo-env promote --env staging --tag 1.8.4' });
    expect(server.list('kargo.akuity.io', 'promotions', NS)).toEqual([]);
  });
});
