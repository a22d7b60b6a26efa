// The relay's network, least privilege: the NetworkPolicy's exact rules for each forward mode, with and without the
// sweeper's GitHub token, and the Ingress's TLS (and the URL it makes the program export).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePipelineConfig } from '@kargo/model';
import { renderPipelines } from '@kargo/render';
import { describe, expect, test } from 'vitest';
import { InfraErrorCode } from '../src/errors.ts';
import { plainStrings, runProgram, type Loose, type ProgramRun } from './harness.ts';

const R = 'kargo-webhook-relay';
const T = {
  policy: 'kubernetes:networking.k8s.io/v1:NetworkPolicy',
  ingress: 'kubernetes:networking.k8s.io/v1:Ingress',
  statefulSet: 'kubernetes:apps/v1:StatefulSet',
  secret: 'kubernetes:core/v1:Secret',
} as const;
const REPO = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'kargo-infra-network-'));

/** The routes file `kargo-env render` writes for the example config with `relay.target: kargoWebhook`. */
function receiverRoutesFile(): string {
  const text = readFileSync(join(REPO, 'kargo-env.yaml'), 'utf8').replace(/^relay:\n( {2}.*\n)+/m, 'relay:\n  enabled: true\n  target: kargoWebhook\n');
  const config = parsePipelineConfig(text);
  if (!config.ok) throw new Error(config.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  const path = join(tmp, 'routes.yaml');
  writeFileSync(path, renderPipelines(config.value).files.get('relay/routes.yaml') ?? '');
  return path;
}
const KARGO_WEBHOOK = { relayRoutesFile: receiverRoutesFile() };
/** The sweeper's configuration: the token is a secret, the hook's coordinates are not. */
const SWEEPER = { relayGithubToken: 'ghp_sweeperToken', relayGithubHookId: '4242', relayGithubHookRepo: 'alkon/kargo-gitops-toolkit' };

const enabled = (extra: Record<string, string> = {}, secrets: string[] = []) => runProgram({ enableKargo: 'true', ...extra }, secrets);
const withSweeper = (extra: Record<string, string> = {}) => enabled({ ...SWEEPER, ...extra }, ['relayGithubToken']);
const policy = (run: ProgramRun): Loose => (run.find(T.policy, `${R}-networkpolicy-${R}`).inputs as Loose).spec;
const container = (run: ProgramRun): Loose => (run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose).spec.template.spec.containers[0];

// The exact peers and ports.
const POD_SELECTOR = { matchLabels: { 'app.kubernetes.io/name': 'webhook-relay', 'app.kubernetes.io/instance': R } };
const HTTP_FROM = (namespaceSelector: object) => ({ from: [{ namespaceSelector }], ports: [{ protocol: 'TCP', port: 8080 }] });
const NS = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });
const DEFAULT_INGRESS = [HTTP_FROM(NS('ingress-nginx')), HTTP_FROM(NS('monitoring'))];
const DNS = {
  to: [{ namespaceSelector: NS('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
};
const API_SERVER = (...cidrs: string[]) => ({ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] });
const KARGO_WEBHOOKS_SERVER = {
  to: [{ namespaceSelector: NS('kargo-ns'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kargo', 'app.kubernetes.io/component': 'external-webhooks-server' } } }],
  ports: [{ protocol: 'TCP', port: 8080 }],
};
const GITHUB_API = { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 443 }] };

describe('the relay NetworkPolicy', () => {
  test('kubernetes targets (the committed routes), no GitHub token: HTTP port from ingress-nginx and monitoring; DNS to kube-dns; the API server', async () => {
    const run = await enabled();
    expect(policy(run)).toEqual({
      podSelector: POD_SELECTOR,
      policyTypes: ['Ingress', 'Egress'],
      ingress: DEFAULT_INGRESS,
      egress: [DNS, API_SERVER('0.0.0.0/0')],
    });
    expect(container(run).env.map((e: { name: string }) => e.name)).not.toContain('GITHUB_TOKEN');
  });

  test('kubernetes targets with the GitHub token: GitHub API over HTTPS too, and the sweeper is on', async () => {
    const run = await withSweeper();
    expect(policy(run)).toEqual({
      podSelector: POD_SELECTOR,
      policyTypes: ['Ingress', 'Egress'],
      ingress: DEFAULT_INGRESS,
      egress: [DNS, API_SERVER('0.0.0.0/0'), GITHUB_API],
    });
    expect(container(run).env.slice(-6, -3)).toEqual([
      { name: 'GITHUB_TOKEN', valueFrom: { secretKeyRef: { name: R, key: 'github-token' } } },
      { name: 'GITHUB_HOOK_ID', value: '4242' },
      { name: 'GITHUB_HOOK_REPO', value: 'alkon/kargo-gitops-toolkit' },
    ]);
    // The token reaches the relay Secret only as a secret.
    const secret = run.find(T.secret, `${R}-secret`);
    expect(plainStrings(secret.wire).join('\n')).not.toContain('ghp_sweeperToken');
    expect((secret.inputs as Loose).stringData['github-token']).toBe('ghp_sweeperToken');
  });

  test('kargoWebhook targets, no GitHub token: only Kargo external webhooks server pods on 8080, no API server', async () => {
    const run = await enabled(KARGO_WEBHOOK);
    expect(policy(run)).toEqual({
      podSelector: POD_SELECTOR,
      policyTypes: ['Ingress', 'Egress'],
      ingress: DEFAULT_INGRESS,
      egress: [DNS, KARGO_WEBHOOKS_SERVER],
    });
  });

  test('kargoWebhook targets with the GitHub token (organisation hook): Kargo pods, the API server (the sweeper\'s Lease) and GitHub API', async () => {
    const run = await enabled({ ...KARGO_WEBHOOK, ...SWEEPER, relayGithubHookRepo: '', relayGithubHookOrg: 'alkon' }, ['relayGithubToken']).catch((e: unknown) => e);
    // An empty repo is not "unset": both set is an error (exactly one of repo or org).
    expect(run).toMatchObject({ code: InfraErrorCode.InvalidConfig });
    const { relayGithubHookRepo: _repo, ...org } = SWEEPER;
    const ok = await enabled({ ...KARGO_WEBHOOK, ...org, relayGithubHookOrg: 'alkon' }, ['relayGithubToken']);
    expect(policy(ok)).toEqual({
      podSelector: POD_SELECTOR,
      policyTypes: ['Ingress', 'Egress'],
      ingress: DEFAULT_INGRESS,
      egress: [DNS, API_SERVER('0.0.0.0/0'), KARGO_WEBHOOKS_SERVER, GITHUB_API],
    });
    expect(container(ok).env.slice(-4, -3)).toEqual([{ name: 'GITHUB_HOOK_ORG', value: 'alkon' }]);
  });

  test('another ingress controller and monitoring namespace, by name or labels; the API server by its endpoints', async () => {
    const run = await enabled({
      relayIngressNamespaceSelector: 'traefik',
      relayMonitoringNamespaceSelector: 'team=observability, kubernetes.io/metadata.name=prom',
      relayApiServerCidrs: '172.18.0.2/32, 172.18.0.3/32',
    });
    expect(policy(run)).toEqual({
      podSelector: POD_SELECTOR,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [HTTP_FROM(NS('traefik')), HTTP_FROM({ matchLabels: { team: 'observability', 'kubernetes.io/metadata.name': 'prom' } })],
      egress: [DNS, API_SERVER('172.18.0.2/32', '172.18.0.3/32')],
    });
  });

  test('relayApiServerProxyCidrs admits the API server proxy (kargo-env doctor, kubectl get --raw …/proxy/readyz) to the HTTP port; absent without it', async () => {
    const without = await enabled();
    expect(policy(without).ingress).toEqual(DEFAULT_INGRESS);
    const run = await enabled({ relayApiServerProxyCidrs: '172.18.0.2/32, fd00:10::/64' });
    expect(policy(run)).toEqual({
      podSelector: POD_SELECTOR,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [...DEFAULT_INGRESS, { from: [{ ipBlock: { cidr: '172.18.0.2/32' } }, { ipBlock: { cidr: 'fd00:10::/64' } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
      // The egress is unchanged: the proxy's addresses open nothing outward.
      egress: [DNS, API_SERVER('0.0.0.0/0')],
    });
  });

  test.each([
    [{ relayApiServerProxyCidrs: '172.18.0.2/32, 172.18.0.3' }, 'relayApiServerProxyCidrs'],
    [{ relayIngressNamespaceSelector: 'Ingress_NS' }, 'relayIngressNamespaceSelector: must be a namespace name or labels key=value[,key=value]'],
    [{ relayMonitoringNamespaceSelector: 'a=b=c' }, 'relayMonitoringNamespaceSelector: must be a namespace name'],
    [{ relayApiServerCidrs: '10.0.0.1' }, 'relayApiServerCidrs'],
    [{ relayGithubHookId: '4242' }, 'relayGithubHookId: only used by the sweeper, which the secret relayGithubToken enables'],
    [{ relayIngressTlsSecret: 'relay-tls' }, 'relayIngressTlsSecret: the relay\'s Ingress TLS needs relayIngressHost'],
    [{ relayIngressClusterIssuer: 'letsencrypt' }, 'relayIngressClusterIssuer: the relay\'s Ingress TLS needs relayIngressHost'],
  ] as [Record<string, string>, string][])('rejects %j before registering anything', async (bad, message) => {
    const err: unknown = await enabled(bad).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidConfig, message: expect.stringContaining(message) });
  });

  test('the GitHub token must be a secret and needs the hook id and exactly one of repo or org', async () => {
    const plain: unknown = await enabled(SWEEPER).catch((e: unknown) => e);
    expect(plain).toMatchObject({ code: InfraErrorCode.InvalidConfig, message: expect.stringContaining('relayGithubToken: stored in plain text') });
    expect((plain as Error).message).not.toContain('ghp_sweeperToken');
    const bare: unknown = await enabled({ relayGithubToken: 'ghp_sweeperToken' }, ['relayGithubToken']).catch((e: unknown) => e);
    expect((bare as Error).message).toContain('relayGithubHookId: relayGithubToken enables the sweeper, which needs the GitHub hook id');
    expect((bare as Error).message).toContain('relayGithubHookRepo: the sweeper needs exactly one of relayGithubHookRepo (owner/repo) or relayGithubHookOrg');
  });
});

describe('the relay Ingress TLS and the exported URL', () => {
  const ingress = (run: ProgramRun): Loose => run.find(T.ingress, `${R}-ingress-${R}`).inputs as Loose;
  const RULES = [{ host: 'relay.example.com', http: { paths: [{ path: '/webhooks/github', pathType: 'Exact', backend: { service: { name: R, port: { name: 'http' } } } }] } }];

  test('no Ingress: the in-cluster URL over http', async () => {
    expect((await enabled()).outputs.relayUrl).toBe(`http://${R}.kargo-ns.svc/webhooks/github`);
  });

  test('an Ingress without TLS: no tls block, and the URL says http', async () => {
    const run = await enabled({ relayIngressHost: 'relay.example.com' });
    expect(ingress(run).metadata.annotations).toBeUndefined();
    expect(ingress(run).spec).toEqual({ rules: RULES });
    expect(run.outputs.relayUrl).toBe('http://relay.example.com/webhooks/github');
  });

  test('relayIngressTlsSecret: TLS from that Secret, https', async () => {
    const run = await enabled({ relayIngressHost: 'relay.example.com', relayIngressTlsSecret: 'relay-example-com-tls', relayIngressClassName: 'nginx' });
    expect(ingress(run).metadata.annotations).toBeUndefined();
    expect(ingress(run).spec).toEqual({ ingressClassName: 'nginx', tls: [{ hosts: ['relay.example.com'], secretName: 'relay-example-com-tls' }], rules: RULES });
    expect(run.outputs.relayUrl).toBe('https://relay.example.com/webhooks/github');
  });

  test('relayIngressClusterIssuer: cert-manager annotation, its certificate in <name>-tls (or the named Secret), https', async () => {
    const run = await enabled({ relayIngressHost: 'relay.example.com', relayIngressClusterIssuer: 'letsencrypt-prod' });
    expect(ingress(run).metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' });
    expect(ingress(run).spec).toEqual({ tls: [{ hosts: ['relay.example.com'], secretName: `${R}-tls` }], rules: RULES });
    expect(run.outputs.relayUrl).toBe('https://relay.example.com/webhooks/github');
    const both = await enabled({ relayIngressHost: 'relay.example.com', relayIngressClusterIssuer: 'letsencrypt-prod', relayIngressTlsSecret: 'relay-cert' });
    expect(ingress(both).metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' });
    expect(ingress(both).spec.tls).toEqual([{ hosts: ['relay.example.com'], secretName: 'relay-cert' }]);
  });
});
