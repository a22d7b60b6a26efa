import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { describe, expect, test } from 'vitest';
import { InfraErrorCode } from '../src/errors.ts';
import type { Loose } from './harness.ts';
import { relayWorkloadManifests, type RelayManifest, type RelayWorkloadProps } from '../src/relay-workload.ts';

const base: RelayWorkloadProps = {
  namespace: 'kargo-ns',
  image: 'ghcr.io/alkon/kargo-webhook-relay:0.1.0',
  secretName: 'relay',
  routesYaml: 'routes: []\n',
  warehouseNamespaces: ['flask-app', 'other', 'flask-app'],
  kargoNamespace: 'kargo-ns',
};

// kubernetes-models ships one validator per kind, generated from the Kubernetes OpenAPI schemas.
const models: Record<string, new (data: Loose) => { validate(): void }> = {
  ServiceAccount,
  ConfigMap,
  Role,
  RoleBinding,
  PersistentVolumeClaim,
  Deployment,
  Service,
  NetworkPolicy,
  PodDisruptionBudget,
  Ingress,
};
const byKind = (ms: RelayManifest[], kind: string): Loose[] => ms.filter((m) => m.kind === kind) as Loose[];

describe('relayWorkloadManifests', () => {
  test('every object validates against the Kubernetes schema of its kind', () => {
    const ms = relayWorkloadManifests({ ...base, ingress: { host: 'relay.example.com', className: 'nginx', tlsSecretName: 'relay-tls' }, kargoCaSecretName: 'ca' });
    expect(ms.map((m) => m.kind)).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'Role',
      'RoleBinding',
      'Role',
      'RoleBinding',
      'PersistentVolumeClaim',
      'Deployment',
      'Service',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Ingress',
    ]);
    for (const m of ms) expect(() => new models[m.kind]!(m).validate(), `${m.kind} ${m.metadata?.name}`).not.toThrow();
  });

  test('the validator does reject a malformed object (the check above is not vacuous)', () => {
    const [dep] = byKind(relayWorkloadManifests(base), 'Deployment');
    expect(() => new Deployment({ ...dep, spec: { ...dep.spec, replicas: 'one' } }).validate()).toThrow();
  });

  test('RBAC: one Role + RoleBinding per distinct namespace, get/patch on warehouses only, bound to the relay SA', () => {
    const ms = relayWorkloadManifests(base);
    const roles = byKind(ms, 'Role');
    expect(roles.map((r: { metadata: { namespace: string } }) => r.metadata.namespace)).toEqual(['flask-app', 'other']);
    for (const r of roles) expect(r.rules).toEqual([{ apiGroups: ['kargo.akuity.io'], resources: ['warehouses'], verbs: ['get', 'patch'] }]);
    for (const b of byKind(ms, 'RoleBinding')) {
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kargo-webhook-relay', namespace: 'kargo-ns' }]);
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kargo-webhook-relay-warehouses' });
    }
    expect(ms.some((m) => m.kind.startsWith('Cluster'))).toBe(false);
  });

  test('no Warehouse namespaces → no RBAC and no service account token in the pod', () => {
    const ms = relayWorkloadManifests({ ...base, warehouseNamespaces: [] });
    expect(byKind(ms, 'Role')).toEqual([]);
    expect(byKind(ms, 'ServiceAccount')[0].automountServiceAccountToken).toBe(false);
    expect(byKind(ms, 'Deployment')[0].spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('restricted pod: non-root, read-only root FS, no capabilities, RuntimeDefault seccomp, writable /tmp and inbox only', () => {
    const [dep] = byKind(relayWorkloadManifests(base), 'Deployment');
    const pod = dep.spec.template.spec;
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.strategy).toEqual({ type: 'Recreate' });
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
    expect(pod.volumes.find((v: { name: string }) => v.name === 'data').persistentVolumeClaim.claimName).toBe('kargo-webhook-relay-data');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.resources.limits.memory).toBe('256Mi');
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ PORT: '8080', RELAY_DATA_DIR: '/var/lib/relay', RELAY_ROUTES_FILE: '/etc/relay/routes/routes.yaml' });
  });

  test('only the delivery path is exposed by the optional Ingress; egress is DNS, HTTPS and Kargo', () => {
    expect(byKind(relayWorkloadManifests(base), 'Ingress')).toEqual([]);
    const ms = relayWorkloadManifests({ ...base, ingress: { host: 'relay.example.com' } });
    const [ing] = byKind(ms, 'Ingress');
    expect(ing.spec.rules).toEqual([
      { host: 'relay.example.com', http: { paths: [{ path: '/webhooks/github', pathType: 'Exact', backend: { service: { name: 'kargo-webhook-relay', port: { name: 'http' } } } }] } },
    ]);
    const [np] = byKind(ms, 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(np.spec.egress.flatMap((e: { ports: { port: number }[] }) => e.ports.map((p) => p.port)).sort()).toEqual([443, 53, 53, 6443, 8080]);
  });

  test.each([
    [{ name: 'Relay' }, 'name'],
    [{ namespace: 'Bad_NS' }, 'Bad_NS'],
    [{ warehouseNamespaces: ['ok', 'no way'] }, 'no way'],
    [{ image: 'relay' }, 'tag or digest'],
    [{ routesYaml: '  ' }, 'routes'],
  ] as [Partial<RelayWorkloadProps>, string][])('rejects %j naming the object', (bad, text) => {
    expect(() => relayWorkloadManifests({ ...base, ...bad })).toThrow(expect.objectContaining({ code: InfraErrorCode.InvalidProps, message: expect.stringContaining(text) }));
  });
});
