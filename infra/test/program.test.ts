import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kargoReceiverPath, parsePipelineConfig, parseRelayRoutes } from '@kargo/model';
import { kargoConfigsApplication, manifestFile, renderPipelines } from '@kargo/render';
import { parse } from 'yaml';
import bcrypt from 'bcryptjs';
import { describe, expect, test } from 'vitest';
import { InfraErrorCode } from '../src/errors.ts';
import { kargoCaPem } from '../src/webhook-relay.ts';
import { MOCK_KARGO_CA, MOCK_KARGO_TLS_KEY, mockState, parentName, plainStrings, runProgram, type Loose, type ProgramRun, type Registration } from './harness.ts';

const T = {
  kargo: 'kargo:infra:KargoInstallation',
  configs: 'kargo:infra:KargoConfigsApp',
  relay: 'kargo:infra:WebhookRelay',
  certManager: 'kargo:infra:CertManager',
  rollouts: 'kargo:infra:ArgoRollouts',
  projects: 'kargo:infra:KargoProjects',
  crd: 'kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition',
  ns: 'kubernetes:core/v1:Namespace',
  secret: 'kubernetes:core/v1:Secret',
  release: 'kubernetes:helm.sh/v3:Release',
  app: 'kubernetes:argoproj.io/v1alpha1:Application',
  password: 'random:index/randomPassword:RandomPassword',
  string: 'random:index/randomString:RandomString',
  bytes: 'random:index/randomBytes:RandomBytes',
  statefulSet: 'kubernetes:apps/v1:StatefulSet',
  role: 'kubernetes:rbac.authorization.k8s.io/v1:Role',
  roleBinding: 'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding',
  configMap: 'kubernetes:core/v1:ConfigMap',
  ingress: 'kubernetes:networking.k8s.io/v1:Ingress',
  provider: 'pulumi:providers:kubernetes',
} as const;
const R = 'kargo-webhook-relay';

const triples = (run: ProgramRun) => run.resources.map((r) => `${r.type} ${r.name} <- ${parentName(r)}`).sort();
const values = (run: ProgramRun) => run.find(T.release, 'kargo').inputs.values as Record<string, Loose>;
const REPO = resolve(import.meta.dirname, '../..');
const COMMITTED_ROUTES = readFileSync(join(REPO, 'kargo/relay/routes.yaml'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'kargo-infra-routes-'));
let files = 0;
/** Writes a routes file and returns its absolute path (for relayRoutesFile). */
const routesFile = (text: string): string => {
  const path = join(tmp, `routes-${files++}.yaml`);
  writeFileSync(path, text);
  return path;
};
const enabled = (extra: Record<string, string | boolean | object> = {}, secrets: string[] = []) => runProgram({ enableKargo: 'true', ...extra }, secrets);

/** The example kargo-env.yaml with `relay:` replaced, rendered: the routes file `kargo-env render` would write. */
function renderedRoutes(relay: string): string {
  const text = readFileSync(join(REPO, 'kargo-env.yaml'), 'utf8').replace(/^relay:\n( {2}.*\n)+/m, `relay:\n${relay}`);
  const config = parsePipelineConfig(text);
  if (!config.ok) throw new Error(config.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return renderPipelines(config.value).files.get('relay/routes.yaml') ?? '';
}
/** kargoWebhook over the chart's self-signed TLS, trusting its CA (the config defaults). */
const RECEIVER_ROUTES = renderedRoutes('  enabled: true\n  target: kargoWebhook\n');
/** kargoWebhook over plain HTTP (certManager=none). */
const HTTP_RECEIVER_ROUTES = renderedRoutes('  enabled: true\n  target: kargoWebhook\n  kargoWebhook: { baseURL: http://kargo-external-webhooks-server.kargo-ns.svc }\n');

describe('enableKargo', () => {
  test('unset (the default) registers no resource and exports nothing but the flag', async () => {
    const run = await runProgram();
    expect(run.resources).toEqual([]);
    expect(Object.entries(run.outputs).filter(([, v]) => v !== undefined)).toEqual([['enabled', false]]);
  });

  test('false with every other key set still registers nothing', async () => {
    const run = await runProgram(
      { enableKargo: 'false', certManager: 'install', relayIngressHost: 'relay.example.com', kubeContext: 'kind-kargo', adminPassword: 'S3cret-pass!' },
      ['adminPassword'],
    );
    expect(run.resources).toEqual([]);
  });

  test('true registers exactly these resources, with these parents', async () => {
    const run = await enabled();
    expect(triples(run)).toEqual(
      [
        `${T.rollouts} argo-rollouts <- `,
        `${T.ns} argo-rollouts-namespace <- argo-rollouts`,
        `${T.release} argo-rollouts <- argo-rollouts`,
        `${T.kargo} kargo <- `,
        `${T.ns} kargo-namespace <- kargo`,
        `${T.password} kargo-admin-password <- kargo`,
        `${T.bytes} kargo-token-signing-key <- kargo`,
        `${T.secret} kargo-admin-credentials <- kargo`,
        `${T.release} kargo <- kargo`,
        `${T.configs} kargo-configs <- `,
        `${T.app} kargo-configs <- kargo-configs`,
        `${T.relay} ${R} <- `,
        `${T.password} ${R}-github-webhook-secret <- ${R}`,
        `${T.password} ${R}-kargo-receiver-secret <- ${R}`,
        `${T.password} ${R}-admin-token <- ${R}`,
        `${T.projects} kargo-projects <- `,
        `${T.ns} kargo-projects-namespace-flask-app <- kargo-projects`,
        `${T.secret} ${R}-receiver-flask-app <- ${R}`,
        `${T.secret} ${R}-secret <- ${R}`,
        `kubernetes:core/v1:ServiceAccount ${R}-serviceaccount-${R} <- ${R}`,
        `${T.configMap} ${R}-configmap-${R}-routes <- ${R}`,
        `${T.role} ${R}-role-flask-app-${R}-warehouses <- ${R}`,
        `${T.roleBinding} ${R}-rolebinding-flask-app-${R}-warehouses <- ${R}`,
        `kubernetes:core/v1:Service ${R}-service-${R}-headless <- ${R}`,
        `${T.statefulSet} ${R}-statefulset-${R} <- ${R}`,
        `kubernetes:core/v1:Service ${R}-service-${R} <- ${R}`,
        `kubernetes:networking.k8s.io/v1:NetworkPolicy ${R}-networkpolicy-${R} <- ${R}`,
        `kubernetes:policy/v1:PodDisruptionBudget ${R}-poddisruptionbudget-${R} <- ${R}`,
      ].sort(),
    );
    // Components are components, everything else is a real (custom) resource.
    for (const r of run.resources) expect(r.custom, r.type).toBe(!r.type.startsWith('kargo:infra:'));
  });

  test('the outputs: namespace, API service, port-forward, secret password, relay URL, receiver paths', async () => {
    const run = await enabled();
    expect(run.outputs).toMatchObject({
      enabled: true,
      namespace: 'kargo-ns',
      kargoApiService: 'kargo-ns/kargo-api',
      portForwardCommand: 'kubectl -n kargo-ns port-forward svc/kargo-api 8443:443',
      kargoUiUrl: 'https://localhost:8443',
      relayUrl: `http://${R}.kargo-ns.svc/webhooks/github`,
    });
    expect(run.outputs.adminPassword).toBe(mockState(T.password, 'kargo-admin-password', {}).result);
    expect([...run.secretOutputs].sort()).toEqual(['adminPassword', 'githubWebhookSecret', 'webhookReceiverPaths']);
    const receiver = mockState(T.password, `${R}-kargo-receiver-secret`, {}).result as string;
    const hash = createHash('sha256').update(`flask-app${'ghcr'}${receiver}`).digest('hex');
    expect(run.outputs.webhookReceiverPaths).toEqual({ 'flask-app': `/github/${hash}` });
  });
});

describe('Kargo chart', () => {
  test('is pinned to kargoVersion from the OCI repository, in the namespace, after the admin Secret', async () => {
    const run = await enabled({ kargoVersion: '1.10.10', namespace: 'kargo' });
    const rel = run.find(T.release, 'kargo');
    expect(rel.inputs).toMatchObject({ chart: 'oci://ghcr.io/akuity/kargo-charts/kargo', version: '1.10.10', namespace: 'kargo', name: 'kargo' });
    expect(rel.dependencies).toContain(run.urnOf(run.find(T.secret, 'kargo-admin-credentials')));
    expect(run.find(T.ns, 'kargo-namespace').inputs).toMatchObject({ metadata: { name: 'kargo' } });
  });

  test('takes the admin account from the generated Secret: bcrypt hash and a 32-byte signing key', async () => {
    const run = await enabled();
    const v = values(run);
    const secret = run.find(T.secret, 'kargo-admin-credentials');
    expect(v.api.secret.name).toBe((secret.inputs.metadata as { name: string }).name);
    expect(v.api.adminAccount).toEqual({ enabled: true, tokenTTL: '24h' });
    const data = secret.inputs.stringData as Record<string, string>;
    expect(data.ADMIN_ACCOUNT_PASSWORD_HASH).toBe(mockState(T.password, 'kargo-admin-password', {}).bcryptHash);
    expect(data.ADMIN_ACCOUNT_TOKEN_SIGNING_KEY).toBe(mockState(T.bytes, 'kargo-token-signing-key', {}).hex);
    expect(run.find(T.bytes, 'kargo-token-signing-key').inputs.length).toBeGreaterThanOrEqual(32);
    expect(run.find(T.password, 'kargo-admin-password').inputs).toMatchObject({ length: 32 });
  });

  test('a configured adminPassword is hashed with bcrypt over a salt kept in state (stable across runs)', async () => {
    const run = await enabled({ adminPassword: 'correct horse battery staple' }, ['adminPassword']);
    expect(() => run.find(T.password, 'kargo-admin-password')).toThrow();
    expect(run.find(T.string, 'kargo-admin-password-salt').inputs).toMatchObject({ length: 22, overrideSpecial: './' });
    const hash = (run.find(T.secret, 'kargo-admin-credentials').inputs.stringData as Record<string, string>).ADMIN_ACCOUNT_PASSWORD_HASH!;
    expect(bcrypt.compareSync('correct horse battery staple', hash)).toBe(true);
    const again = await enabled({ adminPassword: 'correct horse battery staple' }, ['adminPassword']);
    expect((again.find(T.secret, 'kargo-admin-credentials').inputs.stringData as Record<string, string>).ADMIN_ACCOUNT_PASSWORD_HASH).toBe(hash);
    expect(run.outputs.adminPassword).toBe('correct horse battery staple');
    expect(run.secretOutputs.has('adminPassword')).toBe(true);
  });

  test('no password, hash, signing key or webhook secret appears in plain text in any resource input', async () => {
    const variants: Record<string, string>[] = [{}, { adminPassword: 'correct horse battery staple', githubWebhookSecret: 'gh-hook-secret-value' }];
    for (const extra of variants) {
      const run = await enabled({ ...extra, relayRoutesFile: routesFile(RECEIVER_ROUTES) }, Object.keys(extra));
      const secrets = [
        ...Object.values(extra),
        ...run.resources.filter((r) => r.type.startsWith('random:')).flatMap((r) => {
          const s = mockState(r.type, r.name, {});
          return [s.result, s.bcryptHash, s.hex, s.base64].filter((x): x is string => typeof x === 'string' && r.type !== T.string);
        }),
        (run.find(T.secret, 'kargo-admin-credentials').inputs.stringData as Record<string, string>).ADMIN_ACCOUNT_PASSWORD_HASH!,
      ];
      expect(secrets.length).toBeGreaterThanOrEqual(6);
      // The private key of Kargo's webhooks certificate never leaves its Secret (only the CA is copied).
      secrets.push(MOCK_KARGO_TLS_KEY, Buffer.from(MOCK_KARGO_TLS_KEY).toString('base64'));
      expect(run.reads.map((r) => r.id)).toEqual(['applications.argoproj.io', 'kargo-ns/kargo-external-webhooks-server-cert']);
      for (const r of run.resources) {
        const plain = plainStrings(r.wire).join('\n');
        for (const s of secrets) expect(plain.includes(s), `${r.type} ${r.name} carries a secret in plain text`).toBe(false);
      }
      // The chart values carry no credential at all.
      expect(JSON.stringify(values(run))).not.toMatch(/passwordHash|tokenSigningKey/);
    }
  });

  test.each([
    ['existing', true, false],
    ['install', true, true],
    ['none', false, false],
  ] as const)('certManager=%s: TLS %s everywhere, cert-manager installed: %s', async (mode, tls, installs) => {
    const run = await enabled({ certManager: mode });
    const v = values(run);
    expect(v.api.tls).toEqual({ enabled: tls, selfSignedCert: tls });
    expect(v.externalWebhooksServer.tls).toEqual({ enabled: tls, selfSignedCert: tls });
    expect(v.webhooksServer.tls).toEqual({ selfSignedCert: tls });
    expect(run.outputs.portForwardCommand).toBe(`kubectl -n kargo-ns port-forward svc/kargo-api ${tls ? '8443:443' : '8080:80'}`);
    const cm = run.resources.filter((r) => r.type === T.certManager || parentName(r) === 'cert-manager');
    if (installs) {
      expect(cm.map((r) => `${r.type} ${r.name}`).sort()).toEqual([`${T.certManager} cert-manager`, `${T.ns} cert-manager-namespace`, `${T.release} cert-manager`].sort());
      expect(run.find(T.release, 'cert-manager').inputs).toMatchObject({ chart: 'cert-manager', version: 'v1.19.1', repositoryOpts: { repo: 'https://charts.jetstack.io' } });
      expect(run.find(T.release, 'kargo').dependencies).toContain(run.urnOf(run.find(T.release, 'cert-manager')));
    } else expect(cm).toEqual([]);
  });
});

describe('kargo-configs', () => {
  test('is an automated, pruning Argo CD Application over kargoPath that creates namespaces', async () => {
    const run = await enabled({ gitRepoURL: 'https://git.example.com/org/repo.git', gitRevision: 'v2', kargoPath: 'deploy/kargo', argocdNamespace: 'gitops' });
    const app = run.find(T.app, 'kargo-configs');
    expect(app.inputs).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'kargo-configs', namespace: 'gitops', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        source: { repoURL: 'https://git.example.com/org/repo.git', targetRevision: 'v2', path: 'deploy/kargo', directory: { recurse: true } },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      },
    });
    expect(app.dependencies).toContain(run.urnOf(run.find(T.release, 'kargo')));
    expect(values(run).controller.argocd.namespace).toBe('gitops');
  });

  test('is the very object kargo-env render writes for the same inputs (one source, so self-heal never flips)', async () => {
    const example = parsePipelineConfig(readFileSync(join(REPO, 'kargo-env.yaml'), 'utf8'));
    if (!example.ok) throw new Error('the example config does not parse');
    const pipeline = example.value.pipelines[0]!;
    const rendered = renderPipelines(example.value).files.get('argocd-apps/kargo-configs.yaml') ?? '';
    // The committed file is that rendering (render --check guards it), so compare against both.
    expect(readFileSync(join(REPO, 'kargo/argocd-apps/kargo-configs.yaml'), 'utf8')).toBe(rendered);
    const run = await enabled({ gitRepoURL: pipeline.git.repoURL, gitRevision: pipeline.git.branch, kargoPath: 'kargo', argocdNamespace: pipeline.argocd.namespace });
    expect(run.find(T.app, 'kargo-configs').inputs).toEqual(parse(rendered));
    // Byte for byte: the object the component hands Pulumi, written the way render writes files, is the file.
    // (Pulumi's wire format sorts keys, so this is checked on the object itself.)
    const props = { repoURL: pipeline.git.repoURL, targetRevision: pipeline.git.branch, path: 'kargo', argocdNamespace: pipeline.argocd.namespace };
    expect(manifestFile([kargoConfigsApplication(props)])).toBe(rendered);
  });
});

describe('relay', () => {

  test('RBAC is least privilege: get/patch on Warehouses, one Role per routed Project namespace', async () => {
    const run = await enabled({
      relayRoutesFile: routesFile(`routes:
  - image: ghcr.io/a/one
    targets:
      - kubernetes: { namespace: alpha, warehouse: one }
      - kubernetes: { namespace: beta, warehouse: one }
  - image: ghcr.io/a/two
    targets:
      - kubernetes: { namespace: beta, warehouse: two }
`),
    });
    const roles = run.resources.filter((r) => r.type === T.role);
    expect(roles.map((r) => (r.inputs.metadata as { namespace: string }).namespace).sort()).toEqual(['alpha', 'beta']);
    for (const role of roles) expect(role.inputs.rules).toEqual([{ apiGroups: ['kargo.akuity.io'], resources: ['warehouses'], verbs: ['get', 'patch'] }]);
    expect(run.resources.filter((r) => r.type.includes('ClusterRole'))).toEqual([]);
    const receivers = run.resources.filter((r) => r.type === T.secret && r.name.startsWith(`${R}-receiver-`));
    expect(receivers.map((r) => r.inputs.metadata)).toEqual([
      { name: 'kargo-ghcr-webhook', namespace: 'alpha', labels: { 'kargo.akuity.io/cred-type': 'generic' } },
      { name: 'kargo-ghcr-webhook', namespace: 'beta', labels: { 'kargo.akuity.io/cred-type': 'generic' } },
    ]);
  });

  test('pods run non-root with a read-only root filesystem, the relay image, and the env the relay reads', async () => {
    const run = await enabled({ relayImage: 'ghcr.io/me/relay@sha256:' + 'a'.repeat(64) });
    const dep = run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose;
    const pod = dep.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.image).toBe('ghcr.io/me/relay@sha256:' + 'a'.repeat(64));
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // kubernetes targets (the committed routes): no receiver secret in the pod.
    expect(c.env.map((e: { name: string }) => e.name).sort()).toEqual(
      ['GITHUB_WEBHOOK_SECRETS_FILE', 'HOST', 'PORT', 'RELAY_ADMIN_TOKEN', 'RELAY_DATA_DIR', 'RELAY_DRAIN_TIMEOUT_MS', 'RELAY_ROUTES_FILE', 'RELAY_SHUTDOWN_DELAY_MS'].sort(),
    );
    const relaySecret = run.find(T.secret, `${R}-secret`).inputs.stringData as Record<string, string>;
    expect(Object.keys(relaySecret).sort()).toEqual(['admin-token', 'github-webhook-secrets']);
    expect(relaySecret['github-webhook-secrets']).toBe(run.outputs.githubWebhookSecret);
  });

  test('reads the committed kargo/relay/routes.yaml by default and mounts it verbatim', async () => {
    const run = await enabled();
    const cm = run.find(T.configMap, `${R}-configmap-${R}-routes`).inputs.data as Record<string, string>;
    expect(cm).toEqual({ 'routes.yaml': COMMITTED_ROUTES });
  });

  test.each([
    ['a missing file', join(tmp, 'absent.yaml'), /cannot read the relay routes file .*absent\.yaml/],
    ['an invalid file, with file:line:column', 'BAD', /routes-\d+\.yaml:4:\d+: error: routes\[0\]\.targets\[0\]\.kubernetes\.namespace/],
    ['a file with no routes', 'EMPTY', /the relay needs at least one route/],
  ])('rejects %s before registering anything', async (_what, file, message) => {
    const path =
      file === 'BAD'
        ? routesFile('routes:\n  - image: ghcr.io/a/b\n    targets:\n      - kubernetes: { namespace: Not_A_Namespace, warehouse: b }\n')
        : file === 'EMPTY'
          ? routesFile('routes: []\n')
          : file;
    const err: unknown = await enabled({ relayRoutesFile: path }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidRoutesFile, message: expect.stringMatching(message) });
  });

  test('the routes file is not read when the relay is off', async () => {
    const run = await enabled({ enableRelay: 'false', relayRoutesFile: join(tmp, 'absent.yaml') });
    expect(run.resources.some((r) => r.type === T.relay)).toBe(false);
  });

});

describe('relay with kargoWebhook routes (relay.target: kargoWebhook in kargo-env.yaml)', () => {
  const receiverSecret = () => mockState(T.password, `${R}-kargo-receiver-secret`, {}).result as string;

  test('self-signed TLS: exactly the kubernetes set minus Warehouse RBAC, plus the CA read and its ConfigMap', async () => {
    const [kubernetes, receiver] = [await enabled(), await enabled({ relayRoutesFile: routesFile(RECEIVER_ROUTES) })];
    const rbac = [`${T.role} ${R}-role-flask-app-${R}-warehouses <- ${R}`, `${T.roleBinding} ${R}-rolebinding-flask-app-${R}-warehouses <- ${R}`];
    expect(triples(receiver)).toEqual(
      [...triples(kubernetes).filter((t) => !rbac.includes(t)), `${T.configMap} ${R}-kargo-ca <- ${R}`].sort(),
    );
    expect(kubernetes.reads.filter((r) => r.type === T.secret)).toEqual([]);
    // The chart's certificate Secret in Kargo's namespace, read once the release is ready.
    expect(receiver.reads.filter((r) => r.type === T.secret).map((r) => `${r.type} ${r.name} ${r.id} <- ${parentName(r)}`)).toEqual([
      `${T.secret} ${R}-kargo-webhooks-cert kargo-ns/kargo-external-webhooks-server-cert <- ${R}`,
    ]);
    expect(receiver.reads.find((r) => r.type === T.secret)?.dependencies).toContain(receiver.urnOf(receiver.find(T.release, 'kargo')));
  });

  test('the routes file is mounted verbatim and asks for the receiver, not the Warehouse', async () => {
    const run = await enabled({ relayRoutesFile: routesFile(RECEIVER_ROUTES) });
    const text = (run.find(T.configMap, `${R}-configmap-${R}-routes`).inputs.data as Record<string, string>)['routes.yaml'];
    expect(text).toBe(RECEIVER_ROUTES);
    const parsed = parseRelayRoutes(text ?? '');
    if (!parsed.ok) throw new Error('routes rejected');
    expect(parsed.value.routes.map((r) => r.targets)).toEqual([
      [{ kargoWebhook: { baseURL: 'https://kargo-external-webhooks-server.kargo-ns.svc', project: 'flask-app', receiver: 'ghcr', secretEnv: 'KARGO_RECEIVER_SECRET', caFile: '/etc/kargo-webhooks-ca/ca.crt' } }],
    ]);
  });

  test('the CA (only) is copied into the relay namespace and mounted where caFile points', async () => {
    const run = await enabled({ relayRoutesFile: routesFile(RECEIVER_ROUTES) });
    const ca = run.find(T.configMap, `${R}-kargo-ca`);
    expect(ca.inputs).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${R}-kargo-ca`, namespace: 'kargo-ns' }, data: { 'ca.crt': MOCK_KARGO_CA } });
    const pod = (run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose).spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'kargo-ca', configMap: { name: `${R}-kargo-ca`, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'kargo-ca', mountPath: '/etc/kargo-webhooks-ca', readOnly: true });
    expect(run.find(T.statefulSet, `${R}-statefulset-${R}`).dependencies).toContain(run.urnOf(ca));
    // The relay reads the CA at boot: the pod template carries its checksum, so a renewed CA rolls the pod.
    const sha = createHash('sha256').update(MOCK_KARGO_CA).digest('hex');
    expect((run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose).spec.template.metadata.annotations).toEqual({ 'kargo-env.dev/kargo-ca-sha256': sha });
    const plain = await enabled();
    expect((plain.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose).spec.template.metadata.annotations).toBeUndefined();
  });

  test('one receiver secret: the Project\'s receiver Secret and the relay Secret under the route\'s variable, read by the pod', async () => {
    const run = await enabled({ relayRoutesFile: routesFile(RECEIVER_ROUTES) });
    const relaySecret = run.find(T.secret, `${R}-secret`).inputs.stringData as Record<string, string>;
    const projectSecret = run.find(T.secret, `${R}-receiver-flask-app`);
    expect(relaySecret).toEqual({ 'github-webhook-secrets': run.outputs.githubWebhookSecret, 'admin-token': expect.any(String), KARGO_RECEIVER_SECRET: receiverSecret() });
    expect(projectSecret.inputs).toMatchObject({ metadata: { name: 'kargo-ghcr-webhook', namespace: 'flask-app' }, stringData: { secret: receiverSecret() } });
    const c = (run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose).spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: 'KARGO_RECEIVER_SECRET', valueFrom: { secretKeyRef: { name: R, key: 'KARGO_RECEIVER_SECRET' } } });
    // The path the relay will compute at boot is the one exported (and the one Kargo serves).
    expect(run.outputs.webhookReceiverPaths).toEqual({ 'flask-app': kargoReceiverPath({ project: 'flask-app', receiver: 'ghcr', secret: receiverSecret() }) });
    const pod = (run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose).spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  test('certManager=none with an http baseURL: no CA read, no CA ConfigMap, no RBAC', async () => {
    const run = await enabled({ certManager: 'none', relayRoutesFile: routesFile(HTTP_RECEIVER_ROUTES) });
    expect(run.reads.map((r) => r.id)).toEqual(['applications.argoproj.io']);
    expect(run.resources.filter((r) => r.type === T.configMap).map((r) => r.name)).toEqual([`${R}-configmap-${R}-routes`]);
    expect(run.resources.filter((r) => r.type === T.role || r.type === T.roleBinding)).toEqual([]);
    expect(run.find(T.secret, `${R}-secret`).inputs.stringData).toHaveProperty('KARGO_RECEIVER_SECRET');
  });

  test('receivers in several Projects and a custom variable: a receiver Secret and namespace per Project, one key', async () => {
    const run = await enabled({
      relayRoutesFile: routesFile(`routes:
  - image: ghcr.io/a/one
    targets:
      - kargoWebhook: { baseURL: http://kargo-external-webhooks-server.kargo-ns.svc, project: alpha, receiver: ghcr, secretEnv: HOOK_SECRET }
      - kargoWebhook: { baseURL: http://kargo-external-webhooks-server.kargo-ns.svc, project: beta, receiver: ghcr, secretEnv: HOOK_SECRET }
      - kubernetes: { namespace: gamma, warehouse: one }
`),
      certManager: 'none',
    });
    expect(run.resources.filter((r) => r.name.startsWith(`${R}-receiver-`)).map((r) => r.name)).toEqual([`${R}-receiver-alpha`, `${R}-receiver-beta`, `${R}-receiver-gamma`]);
    // The routed Projects and the rendered tree's (flask-app) each get a namespace.
    expect(run.resources.filter((r) => r.type === T.ns && parentName(r) === 'kargo-projects').map((r) => r.name)).toEqual(
      ['alpha', 'beta', 'flask-app', 'gamma'].map((p) => `kargo-projects-namespace-${p}`),
    );
    for (const p of ['alpha', 'beta', 'gamma']) {
      expect(run.find(T.secret, `${R}-receiver-${p}`).dependencies).toContain(run.urnOf(run.find(T.ns, `kargo-projects-namespace-${p}`)));
    }
    expect(Object.keys(run.find(T.secret, `${R}-secret`).inputs.stringData as object).sort()).toEqual(['HOOK_SECRET', 'admin-token', 'github-webhook-secrets']);
    expect(run.resources.filter((r) => r.type === T.role).map((r) => (r.inputs.metadata as { namespace: string }).namespace)).toEqual(['gamma']);
  });

  const target = (fields: string) => routesFile(`routes:\n  - image: ghcr.io/a/one\n    targets:\n      - kargoWebhook: { ${fields} }\n`);
  const HTTPS = 'baseURL: https://kargo-external-webhooks-server.kargo-ns.svc';
  test.each([
    ['a caFile with certManager=none (no certificate, no CA)', { certManager: 'none', relayRoutesFile: routesFile(RECEIVER_ROUTES) }, /caFile: certManager=none leaves Kargo without TLS/],
    ['https to the in-cluster Service with certManager=none', { certManager: 'none', relayRoutesFile: target(`${HTTPS}, project: p, receiver: ghcr, secretEnv: S`) }, /baseURL: https, but Kargo's webhooks server serves http/],
    ['http to the in-cluster Service with TLS on', { relayRoutesFile: routesFile(HTTP_RECEIVER_ROUTES) }, /baseURL: http, but Kargo's webhooks server serves https/],
    ['https to the self-signed Service without caFile', { relayRoutesFile: target(`${HTTPS}, project: p, receiver: ghcr, secretEnv: S`) }, /self-signed; the relay trusts it only through caFile/],
    ['Kargo in another namespace', { namespace: 'kargo', relayRoutesFile: routesFile(RECEIVER_ROUTES) }, /namespace "kargo-ns", but Kargo is installed in "kargo"/],
    ['another receiver name', { webhookReceiverName: 'registry', relayRoutesFile: routesFile(RECEIVER_ROUTES) }, /receiver: "ghcr", but the ProjectConfigs' receiver is "registry"/],
    ['a full receiver URL', { relayRoutesFile: target('url: https://kargo.example.com/github/abc, secretEnv: S') }, /kargoWebhook\.url: a receiver URL derives from the receiver secret/],
    ['a ClusterConfig receiver', { relayRoutesFile: target(`${HTTPS}, project: "", receiver: ghcr, secretEnv: S, caFile: /etc/ca/ca.crt`) }, /ClusterConfig receivers are not set up/],
  ] as [string, Record<string, string>, RegExp][])('rejects %s before registering anything', async (_what, config, message) => {
    const err: unknown = await enabled(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: InfraErrorCode.RoutesMismatch, message: expect.stringMatching(message) });
    expect((err as { message: string }).message).toMatch(/routes\[0\]\.targets\[0\]/);
    expect((err as { hint: string }).hint).toMatch(/kargo-env/);
  });

  test('the CA is taken from ca.crt only; a Secret without a PEM there is a KargoInfraError naming it', () => {
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    expect(kargoCaPem({ 'ca.crt': b64(MOCK_KARGO_CA), 'tls.key': b64(MOCK_KARGO_TLS_KEY) }, 'ns/cert')).toBe(MOCK_KARGO_CA);
    const bad: (Record<string, string> | undefined)[] = [undefined, {}, { 'tls.key': b64(MOCK_KARGO_TLS_KEY) }, { 'ca.crt': b64('not a certificate') }];
    for (const data of bad) {
      expect(() => kargoCaPem(data, 'kargo-ns/kargo-external-webhooks-server-cert')).toThrow(
        expect.objectContaining({ code: InfraErrorCode.KargoCaMissing, message: expect.stringContaining('kargo-ns/kargo-external-webhooks-server-cert has no PEM certificate under ca.crt') }),
      );
    }
  });

  test('the removed relayTarget key is an error that says where the choice lives now', async () => {
    const err: unknown = await enabled({ relayTarget: 'kargoWebhook' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidConfig, message: expect.stringContaining('relayTarget: no longer a setting; the routes file says how the relay reaches Kargo: set relay.target in kargo-env.yaml') });
  });
});

describe('each config key has its effect', () => {
  type Case = [key: string, value: string | object, check: (run: ProgramRun) => void];
  const dep = (run: ProgramRun): Loose => run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs as Loose;
  const cases: Case[] = [
    ['kargoVersion', '1.9.10', (run) => expect(run.find(T.release, 'kargo').inputs.version).toBe('1.9.10')],
    ['namespace', 'kargo', (run) => expect(run.outputs.namespace).toBe('kargo')],
    ['argocdNamespace', 'gitops', (run) => expect(values(run).controller.argocd.namespace).toBe('gitops')],
    ['certManager', 'install', (run) => expect(run.find(T.release, 'cert-manager').inputs.version).toBe('v1.19.1')],
    ['minReconciliationInterval', '10m0s', (run) => expect(values(run).controller.reconcilers.warehouses.minReconciliationInterval).toBe('10m0s')],
    ['imageCacheByTagPolicy', 'Force', (run) => expect(values(run).controller.images.cache.cacheByTagPolicy).toBe('Force')],
    ['gitRepoURL', 'https://example.com/r.git', (run) => expect((run.find(T.app, 'kargo-configs').inputs as Loose).spec.source.repoURL).toBe('https://example.com/r.git')],
    ['gitRevision', 'release', (run) => expect((run.find(T.app, 'kargo-configs').inputs as Loose).spec.source.targetRevision).toBe('release')],
    ['kargoPath', 'ops/kargo', (run) => expect((run.find(T.app, 'kargo-configs').inputs as Loose).spec.source.path).toBe('ops/kargo')],
    ['enableRelay', 'false', (run) => expect(run.resources.filter((r) => r.type === T.relay || parentName(r) === R)).toEqual([])],
    ['relayImage', 'ghcr.io/me/relay:2.0.0', (run) => expect(dep(run).spec.template.spec.containers[0].image).toBe('ghcr.io/me/relay:2.0.0')],
    ['relayIngressHost', 'relay.example.com', (run) => {
      expect((run.find(T.ingress, `${R}-ingress-${R}`).inputs as Loose).spec.rules[0].host).toBe('relay.example.com');
      // No TLS configured: the Ingress serves http (https with relayIngressTlsSecret or relayIngressClusterIssuer, see network.test.ts).
      expect(run.outputs.relayUrl).toBe('http://relay.example.com/webhooks/github');
    }],
    ['relayStorageSize', '20Gi', (run) => {
      expect(dep(run).spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
    }],
    ['relayStorageClassName', 'fast-ssd', (run) => {
      expect(dep(run).spec.volumeClaimTemplates[0].spec.storageClassName).toBe('fast-ssd');
    }],
    ['relayReplicas', '3', (run) => expect(dep(run).spec.replicas).toBe(3)],
    ['webhookReceiverName', 'registry', (run) => {
      const receiver = mockState(T.password, `${R}-kargo-receiver-secret`, {}).result as string;
      expect((run.outputs.webhookReceiverPaths as Record<string, string>)['flask-app']).toBe(`/github/${createHash('sha256').update(`flask-appregistry${receiver}`).digest('hex')}`);
    }],
    ['webhookSecretName', 'ghcr-hook', (run) => expect((run.find(T.secret, `${R}-receiver-flask-app`).inputs.metadata as Loose).name).toBe('ghcr-hook')],
    ['createProjectNamespaces', 'false', (run) => {
      expect(run.resources.filter((r) => r.type === T.ns && parentName(r) === 'kargo-projects')).toEqual([]);
      expect((run.find(T.secret, `${R}-receiver-flask-app`).inputs.metadata as Loose).namespace).toBe('flask-app');
    }],
    ['relayRoutesFile', routesFile('routes:\n  - image: ghcr.io/x/y\n    targets: [{ kubernetes: { namespace: p1, warehouse: w1 } }]\n'), (run) => {
      expect(run.find(T.role, `${R}-role-p1-${R}-warehouses`)).toBeDefined();
      expect(run.find(T.secret, `${R}-receiver-p1`)).toBeDefined();
    }],
    ['kubeContext', 'kind-kargo', (run) => {
      const p = run.find(T.provider, 'kargo-k8s');
      expect(p.inputs.context).toBe('kind-kargo');
      expect(run.find(T.release, 'kargo').wire).toBeDefined();
    }],
  ];
  test.each(cases)('%s', async (key, value, check) => {
    check(await enabled({ [key]: value }));
  });

  test('githubWebhookSecret (secret) replaces the generated one', async () => {
    const run = await enabled({ githubWebhookSecret: 'from-config' }, ['githubWebhookSecret']);
    expect(() => run.find(T.password, `${R}-github-webhook-secret`)).toThrow();
    expect(run.outputs.githubWebhookSecret).toBe('from-config');
    expect(run.secretOutputs.has('githubWebhookSecret')).toBe(true);
  });

  test('kubeconfig goes to the provider as a secret, and every Kubernetes resource uses that provider', async () => {
    const run = await enabled({ kubeconfig: 'apiVersion: v1\nkind: Config\n' });
    const p = run.find(T.provider, 'kargo-k8s');
    expect(plainStrings(p.wire).join()).not.toContain('kind: Config');
    expect(p.inputs.kubeconfig).toBe('apiVersion: v1\nkind: Config\n');
    const k8sResources = run.resources.filter((r) => r.custom && r.type.startsWith('kubernetes:'));
    expect(k8sResources.length).toBeGreaterThan(10);
    for (const r of k8sResources) expect(r.provider, `${r.type} ${r.name}`).toMatch(/::kargo-k8s::/);
  });

  test('certManagerVersion pins the cert-manager chart when certManager=install', async () => {
    const run = await enabled({ certManager: 'install', certManagerVersion: 'v1.18.0' });
    expect(run.find(T.release, 'cert-manager').inputs.version).toBe('v1.18.0');
  });

  test.each([
    [{ kargoVersion: 'v1.11.2' }, 'kargoVersion'],
    [{ certManager: 'maybe' }, 'certManager'],
    [{ namespace: 'Kargo_NS' }, 'namespace'],
    [{ enableRelay: 'yes' }, 'enableRelay'],
    [{ relayRoutesFile: '' }, 'relayRoutesFile'],
    [{ kargoPath: '../elsewhere' }, 'kargoPath'],
    [{ relayImage: 'relay' }, 'relayImage'],
    [{ relayStorageSize: '20GB' }, 'relayStorageSize'],
  ] as [Record<string, string | object>, string][])('rejects %j before registering anything', async (bad, key) => {
    const err: unknown = await enabled(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: InfraErrorCode.InvalidConfig });
    expect((err as Error).message).toContain(key);
  });
});

export type { Registration };
