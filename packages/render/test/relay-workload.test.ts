// The relay's workload: Kubernetes-schema validity, least privilege, a restricted pod, and rejected props.
/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are inspected as untyped JSON. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Chart } from 'cdk8s';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { RelayRoutesSchema } from '@kargo/model';
import { RenderErrorCode, RelayWorkload, relayIngressTls, relayRoutesNeeds, relayWorkloadObjects, type RelayWorkloadObject, type RelayWorkloadProps } from '../src/index.ts';

const ROUTES = `routes:
  - image: ghcr.io/alkon/flask-app
    targets:
      - kubernetes: { namespace: flask-app, warehouse: flask-app }
      - kubernetes: { namespace: other, warehouse: flask-app }
  - image: ghcr.io/alkon/other-app
    targets:
      - kubernetes: { namespace: flask-app, warehouse: other-app }
`;

/** A route to Kargo's receiver of Project `receiving`, trusting a CA bundle: no Warehouse access needed. */
const RECEIVER_ROUTE = `  - image: ghcr.io/alkon/receiver-app
    targets:
      - kargoWebhook:
          baseURL: https://kargo-external-webhooks-server.kargo-ns.svc
          project: receiving
          receiver: ghcr
          secretEnv: KARGO_RECEIVER_SECRET
          caFile: /etc/kargo-webhooks-ca/ca.crt
`;

const base: RelayWorkloadProps = {
  namespace: 'kargo-ns',
  image: 'ghcr.io/alkon/kargo-webhook-relay:0.1.0',
  secretName: 'relay',
  routesYaml: ROUTES,
  kargoNamespace: 'kargo-ns',
};

// kubernetes-models ships one validator per kind, generated from the Kubernetes OpenAPI schemas.
const models: Record<string, new (data: any) => { validate(): void }> = {
  ServiceAccount,
  ConfigMap,
  Role,
  RoleBinding,
  StatefulSet,
  Service,
  NetworkPolicy,
  PodDisruptionBudget,
  Ingress,
};
const byKind = (ms: RelayWorkloadObject[], kind: string): any[] => ms.filter((m) => m.kind === kind);

describe('relayWorkloadObjects', () => {
  test('every object validates against the Kubernetes schema of its kind', () => {
    const ms = relayWorkloadObjects({ ...base, routesYaml: `${ROUTES}${RECEIVER_ROUTE}`, ingress: { host: 'relay.example.com', className: 'nginx', tlsSecretName: 'relay-tls' }, caBundle: { configMapName: 'ca' } });
    expect(ms.map((m) => m.kind)).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'Role',
      'RoleBinding',
      'Role',
      'RoleBinding',
      'Service',
      'StatefulSet',
      'Service',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Ingress',
    ]);
    for (const m of ms) expect(() => new models[m.kind]!(m).validate(), `${m.kind} ${m.metadata?.name}`).not.toThrow();
  });

  test('the validator does reject a malformed object (the check above is not vacuous)', () => {
    const [sts] = byKind(relayWorkloadObjects(base), 'StatefulSet');
    expect(() => new StatefulSet({ ...sts, spec: { ...sts.spec, replicas: 'one' } }).validate()).toThrow();
    expect(() => new StatefulSet({ ...sts, spec: { ...sts.spec, podManagementPolicy: 'Whenever' } }).validate()).toThrow();
  });

  test('the routes file is mounted verbatim', () => {
    const [cm] = byKind(relayWorkloadObjects(base), 'ConfigMap');
    expect(cm.metadata.name).toBe('kargo-webhook-relay-routes');
    expect(cm.data).toEqual({ 'routes.yaml': ROUTES });
  });

  test('RBAC: one Role + RoleBinding per distinct routed namespace, get/patch on warehouses only, bound to the relay SA', () => {
    const ms = relayWorkloadObjects(base);
    const roles = byKind(ms, 'Role');
    expect(roles.map((r: { metadata: { namespace: string } }) => r.metadata.namespace)).toEqual(['flask-app', 'other']);
    for (const r of roles) expect(r.rules).toEqual([{ apiGroups: ['kargo.akuity.io'], resources: ['warehouses'], verbs: ['get', 'patch'] }]);
    for (const b of byKind(ms, 'RoleBinding')) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kargo-webhook-relay', namespace: 'kargo-ns' }]);
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kargo-webhook-relay-warehouses' });
    }
    expect(ms.some((m) => m.kind.startsWith('Cluster'))).toBe(false);
  });

  test('explicit warehouseNamespaces may grant more than the routes need, deduplicated and sorted', () => {
    const roles = byKind(relayWorkloadObjects({ ...base, warehouseNamespaces: ['z-extra', 'other', 'flask-app', 'other'] }), 'Role');
    expect(roles.map((r: { metadata: { namespace: string } }) => r.metadata.namespace)).toEqual(['flask-app', 'other', 'z-extra']);
  });

  test('no kubernetes targets → no RBAC and no service account token in the pod', () => {
    const ms = relayWorkloadObjects({ ...base, routesYaml: 'routes:\n  - image: ghcr.io/alkon/flask-app\n    targets: [{ log: {} }]\n' });
    expect(byKind(ms, 'Role')).toEqual([]);
    expect(byKind(ms, 'ServiceAccount')[0].automountServiceAccountToken).toBe(false);
    expect(byKind(ms, 'StatefulSet')[0].spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('restricted pod: non-root, read-only root FS, no capabilities, RuntimeDefault seccomp, writable /tmp and inbox only', () => {
    const [sts] = byKind(relayWorkloadObjects(base), 'StatefulSet');
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    const [c] = pod.containers;
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const writable = c.volumeMounts.filter((v: { readOnly?: boolean }) => v.readOnly !== true).map((v: { mountPath: string }) => v.mountPath);
    expect(writable.sort()).toEqual(['/tmp', '/var/lib/relay']);
    expect(pod.volumes.find((v: { name: string }) => v.name === 'tmp')).toEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
    // The inbox is the replica's own claim (from the StatefulSet's template), not a pod volume.
    expect(pod.volumes.find((v: { name: string }) => v.name === 'data')).toBeUndefined();
    const [sized] = byKind(relayWorkloadObjects({ ...base, storageSize: '5Gi', storageClassName: 'fast' }), 'StatefulSet');
    expect(sized.spec.volumeClaimTemplates.map((t: { metadata: { name: string }; spec: unknown }) => [t.metadata.name, t.spec])).toEqual([
      ['data', { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast' }],
    ]);
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.limits.memory).toBe('256Mi');
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ PORT: '8080', RELAY_DATA_DIR: '/var/lib/relay', RELAY_ROUTES_FILE: '/etc/relay/routes/routes.yaml' });
  });

  test('only the delivery path is exposed by the optional Ingress, without TLS unless a Secret or an issuer is named', () => {
    expect(byKind(relayWorkloadObjects(base), 'Ingress')).toEqual([]);
    const [ing] = byKind(relayWorkloadObjects({ ...base, ingress: { host: 'relay.example.com' } }), 'Ingress');
    expect(ing.metadata.annotations).toBeUndefined();
    expect(ing.spec).toEqual({
      rules: [
        { host: 'relay.example.com', http: { paths: [{ path: '/webhooks/github', pathType: 'Exact', backend: { service: { name: 'kargo-webhook-relay', port: { name: 'http' } } } }] } },
      ],
    });
    expect(relayIngressTls({ host: 'relay.example.com' })).toBe(false);
    const [named] = byKind(relayWorkloadObjects({ ...base, ingress: { host: 'relay.example.com', tlsSecretName: 'relay-cert' } }), 'Ingress');
    expect(named.spec.tls).toEqual([{ hosts: ['relay.example.com'], secretName: 'relay-cert' }]);
    expect(named.metadata.annotations).toBeUndefined();
    const [issued] = byKind(relayWorkloadObjects({ ...base, ingress: { host: 'relay.example.com', clusterIssuer: 'letsencrypt' } }), 'Ingress');
    expect(issued.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    expect(issued.spec.tls).toEqual([{ hosts: ['relay.example.com'], secretName: 'kargo-webhook-relay-tls' }]);
    expect(relayIngressTls({ host: 'relay.example.com', clusterIssuer: 'letsencrypt' })).toBe(true);
    const [pdb] = byKind(relayWorkloadObjects(base), 'PodDisruptionBudget');
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/instance': 'kargo-webhook-relay' } } });
  });

  const DNS = {
    to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
    ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
  };
  const FROM = (ns: string) => ({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }], ports: [{ protocol: 'TCP', port: 8080 }] });
  const KARGO = (ns: string) => ({
    to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kargo', 'app.kubernetes.io/component': 'external-webhooks-server' } } }],
    ports: [{ protocol: 'TCP', port: 8080 }],
  });
  const GITHUB = { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 443 }] };
  const policy = (props: RelayWorkloadProps): any => byKind(relayWorkloadObjects(props), 'NetworkPolicy')[0];

  test('NetworkPolicy, kubernetes targets: HTTP port from the ingress and monitoring namespaces; DNS to kube-dns, the API server', () => {
    const np = policy(base);
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'webhook-relay', 'app.kubernetes.io/instance': 'kargo-webhook-relay' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [FROM('ingress-nginx'), FROM('monitoring')],
      egress: [DNS, { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] }],
    });
    expect(() => new NetworkPolicy(np).validate()).not.toThrow();
  });

  test('NetworkPolicy, kargoWebhook targets: Kargo external webhooks server pods only, no API server; other receiver URLs on their port', () => {
    const props = { ...base, routesYaml: `routes:\n${RECEIVER_ROUTE}`, caBundle: { configMapName: 'ca' } };
    expect(policy(props).spec.egress).toEqual([DNS, KARGO('kargo-ns')]);
    const elsewhere = `${RECEIVER_ROUTE}${RECEIVER_ROUTE.replace('receiver-app', 'b').replace('https://kargo-external-webhooks-server.kargo-ns.svc', 'https://kargo.example.com:8443').replace('caFile: /etc/kargo-webhooks-ca/ca.crt', 'caFile: /etc/kargo-webhooks-ca/ca.crt')}`;
    expect(policy({ ...props, routesYaml: `routes:\n${elsewhere}` }).spec.egress).toEqual([DNS, KARGO('kargo-ns'), { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 8443 }] }]);
    // Both kinds of target: both peers.
    expect(policy({ ...props, routesYaml: `${ROUTES}${RECEIVER_ROUTE}` }).spec.egress.length).toBe(3);
  });

  test('NetworkPolicy: configured selectors and API server CIDRs; the sweeper adds GitHub over HTTPS and its env', () => {
    const props: RelayWorkloadProps = {
      ...base,
      network: { ingressNamespaceSelector: { team: 'edge', tier: 'ingress' }, monitoringNamespaceSelector: { 'kubernetes.io/metadata.name': 'prometheus' }, apiServerCidrs: ['172.18.0.2/32', '10.0.0.1/32'] },
      sweeper: { hookId: '123', repo: 'alkon/kargo-gitops-toolkit' },
    };
    const ms = relayWorkloadObjects(props);
    const [np] = byKind(ms, 'NetworkPolicy');
    expect(np.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { team: 'edge', tier: 'ingress' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
      FROM('prometheus'),
    ]);
    expect(np.spec.egress).toEqual([
      DNS,
      { to: [{ ipBlock: { cidr: '172.18.0.2/32' } }, { ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
      GITHUB,
    ]);
    const env = byKind(ms, 'StatefulSet')[0].spec.template.spec.containers[0].env;
    expect(env.slice(-6)).toEqual([
      { name: 'GITHUB_TOKEN', valueFrom: { secretKeyRef: { name: 'relay', key: 'github-token' } } },
      { name: 'GITHUB_HOOK_ID', value: '123' },
      { name: 'GITHUB_HOOK_REPO', value: 'alkon/kargo-gitops-toolkit' },
      { name: 'RELAY_SWEEPER_LEASE_NAME', value: 'kargo-webhook-relay-sweeper' },
      { name: 'RELAY_SWEEPER_LEASE_NAMESPACE', value: 'kargo-ns' },
      { name: 'RELAY_SWEEPER_LEASE_IDENTITY', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    const org = byKind(relayWorkloadObjects({ ...base, sweeper: { hookId: '9', org: 'alkon' } }), 'StatefulSet')[0].spec.template.spec.containers[0].env;
    expect(org.slice(-4, -3)).toEqual([{ name: 'GITHUB_HOOK_ORG', value: 'alkon' }]);
    // Without the sweeper the pod has no token and no GitHub egress.
    expect(byKind(relayWorkloadObjects(base), 'StatefulSet')[0].spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).not.toContain('GITHUB_TOKEN');
    for (const m of ms) expect(() => new models[m.kind]!(m).validate(), m.kind).not.toThrow();
  });

  test('NetworkPolicy: apiServerProxyCidrs admit the API server proxy to the HTTP port; no such rule by default', () => {
    // The pods/services proxy (`kubectl get --raw …/proxy/readyz`, kargo-env doctor) dials the pod from the control
    // plane's addresses; k8s.io/apimachinery pkg/util/proxy/transport.go turns the dropped dial into a 503.
    const HTTP = [{ protocol: 'TCP', port: 8080 }];
    const np = policy({ ...base, network: { apiServerProxyCidrs: ['172.18.0.2/32', 'fd00:10::/64'] } });
    expect(np.spec.ingress).toEqual([FROM('ingress-nginx'), FROM('monitoring'), { from: [{ ipBlock: { cidr: '172.18.0.2/32' } }, { ipBlock: { cidr: 'fd00:10::/64' } }], ports: HTTP }]);
    expect(() => new NetworkPolicy(np).validate()).not.toThrow();
    // Unset or empty: only the ingress controller and monitoring, and never an address block on ingress.
    for (const props of [base, { ...base, network: { apiServerProxyCidrs: [] } }]) {
      const ingress = policy(props).spec.ingress;
      expect(ingress).toEqual([FROM('ingress-nginx'), FROM('monitoring')]);
      expect(JSON.stringify(ingress)).not.toContain('ipBlock');
    }
  });

  test('the committed kargo/relay/routes.yaml is accepted and routes RBAC to its Project namespace', () => {
    const committed = readFileSync(resolve(import.meta.dirname, '../../../kargo/relay/routes.yaml'), 'utf8');
    const roles = byKind(relayWorkloadObjects({ ...base, routesYaml: committed }), 'Role');
    expect(roles.map((r: { metadata: { namespace: string } }) => r.metadata.namespace)).toEqual(['flask-app']);
  });

  test.each([
    [{ name: 'Relay' }, 'name'],
    [{ name: 'a'.repeat(53) }, 'at most 52'],
    [{ namespace: 'Bad_NS' }, 'Bad_NS'],
    [{ warehouseNamespaces: ['flask-app', 'other', 'no way'] }, 'no way'],
    [{ warehouseNamespaces: ['flask-app'] }, 'routes patch Warehouses in other'],
    [{ image: 'relay' }, 'tag or digest'],
    [{ routesYaml: '  ' }, 'routes'],
    [{ routesYaml: 'routes:\n  - image: ghcr.io/a/b\n    targets:\n      - kubernetes: { namespace: Bad_NS, warehouse: b }\n' }, 'routes.yaml:4:'],
    [{ routesYaml: 'routes: [' }, 'invalid routes file'],
    [{ network: { ingressNamespaceSelector: {} } }, 'network.ingressNamespaceSelector needs at least one label'],
    [{ network: { monitoringNamespaceSelector: { 'bad key!': 'x' } } }, 'network.monitoringNamespaceSelector needs at least one label, each a valid label key and value (not bad key!=x)'],
    [{ network: { apiServerCidrs: [] } }, 'network.apiServerCidrs needs at least one CIDR'],
    [{ network: { apiServerCidrs: ['10.0.0.1'] } }, '"10.0.0.1" is not one'],
    [{ network: { apiServerProxyCidrs: ['172.18.0.2/32', '172.18.0.3'] } }, 'network.apiServerProxyCidrs[1] "172.18.0.3" is not a CIDR'],
    [{ sweeper: { hookId: 'abc', repo: 'a/b' } }, 'sweeper.hookId "abc"'],
    [{ sweeper: { hookId: '1' } }, 'sweeper needs exactly one of repo (owner/repo) or org'],
    [{ sweeper: { hookId: '1', repo: 'a/b', org: 'a' } }, 'sweeper needs exactly one of'],
    [{ ingress: { host: 'h.example.com', clusterIssuer: 'Bad Issuer' } }, 'ingress.clusterIssuer "Bad Issuer"'],
    [{ replicas: 0 }, 'replicas must be an integer of at least 1, not 0'],
    [{ replicas: 1.5 }, 'replicas must be an integer of at least 1, not 1.5'],
  ] as [Partial<RelayWorkloadProps>, string][])('rejects %j naming the object', (bad, text) => {
    const props = { ...base, ...bad };
    const name = props.name ?? 'kargo-webhook-relay';
    expect(() => relayWorkloadObjects(props)).toThrow(
      expect.objectContaining({ code: RenderErrorCode.InvalidProps, message: expect.stringMatching(new RegExp(`^RelayWorkload "${name}": .*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)) }),
    );
  });
});

describe('relayWorkloadObjects with kargoWebhook targets', () => {
  const receiverOnly = `routes:\n${RECEIVER_ROUTE}`;
  const pod = (ms: RelayWorkloadObject[]): any => byKind(ms, 'StatefulSet')[0].spec.template.spec;

  test('a receiver-only routes file gets no Warehouse RBAC and no service account token', () => {
    const ms = relayWorkloadObjects({ ...base, routesYaml: receiverOnly, caBundle: { configMapName: 'kargo-webhooks-ca' } });
    expect(byKind(ms, 'Role')).toEqual([]);
    expect(byKind(ms, 'RoleBinding')).toEqual([]);
    expect(pod(ms).automountServiceAccountToken).toBe(false);
    expect(relayRoutesNeeds(RelayRoutesSchema.parse(parse(receiverOnly)))).toEqual({
      warehouseNamespaces: [],
      secretEnvs: ['KARGO_RECEIVER_SECRET'],
      caFiles: ['/etc/kargo-webhooks-ca/ca.crt'],
    });
  });

  test('mixed routes: RBAC only where kubernetes targets patch Warehouses', () => {
    const ms = relayWorkloadObjects({ ...base, routesYaml: `${ROUTES}${RECEIVER_ROUTE}`, caBundle: { configMapName: 'ca' } });
    expect(byKind(ms, 'Role').map((r: { metadata: { namespace: string } }) => r.metadata.namespace)).toEqual(['flask-app', 'other']);
  });

  test('the receiver secret comes from the relay Secret under the variable the route names; nothing else does', () => {
    const c = pod(relayWorkloadObjects({ ...base, routesYaml: receiverOnly, caBundle: { configMapName: 'ca' } })).containers[0];
    expect(c.env.filter((e: { valueFrom?: unknown }) => e.valueFrom !== undefined)).toEqual([
      { name: 'RELAY_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'relay', key: 'admin-token', optional: true } } },
      { name: 'KARGO_RECEIVER_SECRET', valueFrom: { secretKeyRef: { name: 'relay', key: 'KARGO_RECEIVER_SECRET' } } },
    ]);
    // kubernetes targets need no receiver secret at all.
    const plain = pod(relayWorkloadObjects(base)).containers[0];
    expect(plain.env.map((e: { name: string }) => e.name)).not.toContain('KARGO_RECEIVER_SECRET');
    // Two variables (two receivers with different secrets), each once.
    const two = `${receiverOnly}${RECEIVER_ROUTE.replace('receiver-app', 'second').replace('KARGO_RECEIVER_SECRET', 'SECOND_SECRET')}${RECEIVER_ROUTE.replace('receiver-app', 'third')}`;
    const names = pod(relayWorkloadObjects({ ...base, routesYaml: two, caBundle: { configMapName: 'ca' } })).containers[0].env.map((e: { name: string }) => e.name);
    expect(names.filter((n: string) => n.endsWith('_SECRET'))).toEqual(['KARGO_RECEIVER_SECRET', 'SECOND_SECRET']);
  });

  test.each([
    [{ configMapName: 'kargo-webhooks-ca' }, { configMap: { name: 'kargo-webhooks-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }],
    [{ secretName: 'kargo-webhooks-ca', key: 'bundle.pem' }, { secret: { secretName: 'kargo-webhooks-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] } }],
  ] as const)('the CA bundle %j is mounted read-only at the caFile directory, only the CA key', (caBundle, source) => {
    const spec = pod(relayWorkloadObjects({ ...base, routesYaml: receiverOnly, caBundle }));
    expect(spec.volumes.find((v: { name: string }) => v.name === 'kargo-ca')).toEqual({ name: 'kargo-ca', ...source });
    expect(spec.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'kargo-ca')).toEqual({ name: 'kargo-ca', mountPath: '/etc/kargo-webhooks-ca', readOnly: true });
    expect(spec.containers[0].env.map((e: { name: string }) => e.name)).not.toContain('NODE_EXTRA_CA_CERTS');
    for (const m of relayWorkloadObjects({ ...base, routesYaml: receiverOnly, caBundle })) expect(() => new models[m.kind]!(m).validate(), m.kind).not.toThrow();
  });

  test('no caFile in the routes: no CA volume even when a bundle is given', () => {
    const spec = pod(relayWorkloadObjects({ ...base, caBundle: { configMapName: 'ca' } }));
    expect(spec.volumes.map((v: { name: string }) => v.name)).toEqual(['tmp', 'routes', 'secrets']);
  });

  test('caFiles in two directories get a volume each; two names in one directory share one', () => {
    const routes = `${receiverOnly}${RECEIVER_ROUTE.replace('receiver-app', 'b').replace('ca.crt', 'other.pem')}${RECEIVER_ROUTE.replace('receiver-app', 'c').replace('/etc/kargo-webhooks-ca/', '/run/ca/')}`;
    const spec = pod(relayWorkloadObjects({ ...base, routesYaml: routes, caBundle: { configMapName: 'ca' } }));
    expect(spec.volumes.filter((v: { name: string }) => v.name.startsWith('kargo-ca'))).toEqual([
      { name: 'kargo-ca', configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'ca.crt' }, { key: 'ca.crt', path: 'other.pem' }] } },
      { name: 'kargo-ca-1', configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(spec.containers[0].volumeMounts.filter((m: { name: string }) => m.name.startsWith('kargo-ca')).map((m: { mountPath: string }) => m.mountPath)).toEqual(['/etc/kargo-webhooks-ca', '/run/ca']);
  });

  test.each([
    [{}, 'no caBundle says where the CA comes from'],
    [{ caBundle: { configMapName: 'Bad_Name' } }, 'caBundle needs exactly one of secretName or configMapName'],
    [{ caBundle: { configMapName: 'a', secretName: 'b' } as never }, 'caBundle needs exactly one'],
    [{ routesYaml: receiverOnly.replace('/etc/kargo-webhooks-ca/ca.crt', 'ca.crt') }, 'caFile "ca.crt" must be an absolute path'],
    [{ routesYaml: receiverOnly.replace('/etc/kargo-webhooks-ca/ca.crt', '/ca.crt') }, 'caFile "/ca.crt" must be an absolute path in a directory of its own'],
    [{ routesYaml: receiverOnly.replace('/etc/kargo-webhooks-ca/ca.crt', '/etc/relay/routes/ca.crt') }, 'overlaps the mount at /etc/relay/routes'],
    [{ routesYaml: receiverOnly.replace('/etc/kargo-webhooks-ca/ca.crt', '/var/lib/relay/ca/ca.crt') }, 'overlaps the mount at /var/lib/relay'],
    [{ routesYaml: receiverOnly.replace('/etc/kargo-webhooks-ca/ca.crt', '/etc/ca.crt') }, 'overlaps the mount at /etc/relay'],
    [{ routesYaml: receiverOnly.replace('KARGO_RECEIVER_SECRET', 'RELAY_ADMIN_TOKEN') }, 'secretEnv RELAY_ADMIN_TOKEN is a variable the relay reads itself'],
    [{ routesYaml: receiverOnly.replace('KARGO_RECEIVER_SECRET', 'PORT') }, 'secretEnv PORT'],
  ] as [Partial<RelayWorkloadProps>, string][])('rejects %j naming the object', (bad, text) => {
    const props = { ...base, routesYaml: receiverOnly, caBundle: { configMapName: 'ca' }, ...bad };
    if (!('caBundle' in bad) && Object.keys(bad).length === 0) delete (props as { caBundle?: unknown }).caBundle;
    expect(() => relayWorkloadObjects(props)).toThrow(
      expect.objectContaining({ code: RenderErrorCode.InvalidProps, message: expect.stringMatching(new RegExp(`^RelayWorkload "kargo-webhook-relay": .*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)) }),
    );
  });
});

describe('relayWorkloadObjects: replicas that survive upgrades and node loss', () => {
  const SELECTOR = { 'app.kubernetes.io/name': 'webhook-relay', 'app.kubernetes.io/instance': 'kargo-webhook-relay' };
  const LABELS = { ...SELECTOR, 'app.kubernetes.io/part-of': 'kargo-env' };
  const SWEEPER = { hookId: '123', repo: 'alkon/kargo-gitops-toolkit' };

  test('a StatefulSet of 2 by default, one inbox claim per replica deleted with it, rolling one pod at a time, spread over nodes and zones', () => {
    const [sts] = byKind(relayWorkloadObjects(base), 'StatefulSet');
    const { template, ...spec } = sts.spec;
    // The whole spec but the pod template, exactly: a misspelt field would not be caught by the (open) validator.
    expect(spec).toEqual({
      replicas: 2,
      serviceName: 'kargo-webhook-relay-headless',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      selector: { matchLabels: SELECTOR },
      volumeClaimTemplates: [
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', labels: LABELS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      ],
    });
    expect(template.metadata).toEqual({ labels: LABELS });
    const pod = template.spec;
    expect(pod.affinity).toEqual({
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: SELECTOR } } }] },
    });
    expect(pod.topologySpreadConstraints).toEqual([{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: SELECTOR } }]);
    // The mount of the claim the template names.
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/relay' });
    expect(new StatefulSet(sts).validate()).toBeUndefined();
    expect(byKind(relayWorkloadObjects({ ...base, replicas: 3 }), 'StatefulSet')[0].spec.replicas).toBe(3);
    expect(byKind(relayWorkloadObjects({ ...base, replicas: 1 }), 'StatefulSet')[0].spec.replicas).toBe(1);
  });

  test('SIGTERM: readiness turns 503 and deliveries are still taken for 5 s, forwards drain 15 s, and the grace period covers both with 10 s to spare', () => {
    const pod = byKind(relayWorkloadObjects(base), 'StatefulSet')[0].spec.template.spec;
    const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ RELAY_SHUTDOWN_DELAY_MS: '5000', RELAY_DRAIN_TIMEOUT_MS: '15000' });
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(Number(env.RELAY_SHUTDOWN_DELAY_MS) + Number(env.RELAY_DRAIN_TIMEOUT_MS) + 10_000);
    expect(pod.containers[0].readinessProbe).toEqual({ httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 });
  });

  test('a headless Service governs the StatefulSet (one DNS name per replica); the Service GitHub reaches is unchanged', () => {
    const services = byKind(relayWorkloadObjects(base), 'Service');
    expect(services.map((s: { metadata: { name: string }; spec: unknown }) => [s.metadata.name, s.spec])).toEqual([
      ['kargo-webhook-relay-headless', { type: 'ClusterIP', clusterIP: 'None', selector: SELECTOR, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] }],
      ['kargo-webhook-relay', { type: 'ClusterIP', selector: SELECTOR, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] }],
    ]);
    for (const svc of services) expect(() => new Service(svc).validate()).not.toThrow();
  });

  test('the PodDisruptionBudget lets one replica go at a time and never blocks a drain for an unhealthy pod', () => {
    const [pdb] = byKind(relayWorkloadObjects(base), 'PodDisruptionBudget');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: SELECTOR }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(() => new PodDisruptionBudget(pdb).validate()).not.toThrow();
  });

  test('with the sweeper: a Role on its one Lease (get/update by name, create on leases), bound to the relay, the API server reachable', () => {
    const ms = relayWorkloadObjects({ ...base, routesYaml: `routes:\n${RECEIVER_ROUTE}`, caBundle: { configMapName: 'ca' }, sweeper: SWEEPER });
    const [role] = byKind(ms, 'Role');
    expect(role).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'kargo-webhook-relay-sweeper', namespace: 'kargo-ns', labels: LABELS },
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['kargo-webhook-relay-sweeper'], verbs: ['get', 'update'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      ],
    });
    expect(byKind(ms, 'RoleBinding')).toEqual([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'kargo-webhook-relay-sweeper', namespace: 'kargo-ns', labels: LABELS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kargo-webhook-relay-sweeper' },
        subjects: [{ kind: 'ServiceAccount', name: 'kargo-webhook-relay', namespace: 'kargo-ns' }],
      },
    ]);
    // A receiver-only relay needs the API server for the Lease alone: the token is mounted and the egress is there.
    expect(byKind(ms, 'ServiceAccount')[0].automountServiceAccountToken).toBe(true);
    expect(byKind(ms, 'StatefulSet')[0].spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(byKind(ms, 'NetworkPolicy')[0].spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] });
    for (const m of ms) expect(() => new models[m.kind]!(m).validate(), m.kind).not.toThrow();
    // Without the sweeper there is no Lease to elect on, and no Role for it.
    expect(byKind(relayWorkloadObjects({ ...base, routesYaml: `routes:\n${RECEIVER_ROUTE}`, caBundle: { configMapName: 'ca' } }), 'Role')).toEqual([]);
    // Beside Warehouse RBAC, in the relay's namespace, after it.
    const both = relayWorkloadObjects({ ...base, sweeper: SWEEPER });
    expect(byKind(both, 'Role').map((r: { metadata: { name: string; namespace: string } }) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual([
      'flask-app/kargo-webhook-relay-warehouses',
      'other/kargo-webhook-relay-warehouses',
      'kargo-ns/kargo-webhook-relay-sweeper',
    ]);
  });
});

describe('RelayWorkload construct', () => {
  test('synthesises exactly the objects relayWorkloadObjects returns, in the same order', () => {
    const props: RelayWorkloadProps = { ...base, routesYaml: `${ROUTES}${RECEIVER_ROUTE}`, name: 'relay', ingress: { host: 'relay.example.com' }, caBundle: { secretName: 'ca' } };
    const chart = new Chart(new App(), 'relay');
    const relay = new RelayWorkload(chart, 'Relay', props);
    expect(chart.toJson()).toEqual(relayWorkloadObjects(props));
    expect(relay.relayName).toBe('relay');
    expect(relay.serviceURL).toBe('http://relay.kargo-ns.svc/webhooks/github');
  });

  test('rejects invalid props at construction, naming the object', () => {
    const chart = new Chart(new App(), 'relay');
    expect(() => new RelayWorkload(chart, 'Relay', { ...base, name: 'relay', image: 'relay' })).toThrow(/^RelayWorkload "relay": image "relay" needs a tag or digest/);
  });
});
