// The relay survives upgrades and node loss: relayReplicas (default 2) StatefulSet replicas, each with its own inbox
// volume, rolled one at a time, a PodDisruptionBudget, and, with the sweeper's GitHub token, the Lease RBAC through
// which the replicas elect the one that sweeps.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { InfraErrorCode } from '../src/errors.ts';
import { runProgram, type Loose, type ProgramRun } from './harness.ts';

const R = 'kargo-webhook-relay';
const T = {
  statefulSet: 'kubernetes:apps/v1:StatefulSet',
  service: 'kubernetes:core/v1:Service',
  pdb: 'kubernetes:policy/v1:PodDisruptionBudget',
  role: 'kubernetes:rbac.authorization.k8s.io/v1:Role',
  roleBinding: 'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding',
  pvc: 'kubernetes:core/v1:PersistentVolumeClaim',
  deployment: 'kubernetes:apps/v1:Deployment',
} as const;
const SELECTOR = { 'app.kubernetes.io/name': 'webhook-relay', 'app.kubernetes.io/instance': R };
const SWEEPER = { relayGithubToken: 'ghp_sweeperToken', relayGithubHookId: '4242', relayGithubHookRepo: 'alkon/kargo-gitops-toolkit' };

const enabled = (extra: Record<string, string> = {}, secrets: string[] = []) => runProgram({ enableKargo: 'true', ...extra }, secrets);
const statefulSet = (run: ProgramRun): Loose => run.find(T.statefulSet, `${R}-statefulset-${R}`).inputs;

describe('relayReplicas', () => {
  test('default: a StatefulSet of 2, each replica its own inbox claim, rolled one pod at a time, no Deployment and no shared claim', async () => {
    const run = await enabled();
    const sts = statefulSet(run);
    expect(sts.spec).toMatchObject({
      replicas: 2,
      serviceName: `${R}-headless`,
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      selector: { matchLabels: SELECTOR },
    });
    expect(sts.spec.volumeClaimTemplates).toEqual([
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', labels: { ...SELECTOR, 'app.kubernetes.io/part-of': 'kargo-env' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    ]);
    expect(sts.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/relay' });
    // Spread: preferably one replica per node.
    expect(sts.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm).toEqual({
      topologyKey: 'kubernetes.io/hostname',
      labelSelector: { matchLabels: SELECTOR },
    });
    expect(run.resources.filter((r) => r.type === T.deployment || r.type === T.pvc)).toEqual([]);
    // The governing headless Service, beside the one the Ingress reaches.
    expect((run.find(T.service, `${R}-service-${R}-headless`).inputs as Loose).spec).toMatchObject({ clusterIP: 'None', selector: SELECTOR });
    expect((run.find(T.service, `${R}-service-${R}`).inputs as Loose).spec.clusterIP).toBeUndefined();
  });

  test('a PodDisruptionBudget over the same pods: one replica at a time may be evicted', async () => {
    const run = await enabled();
    const pdb = run.find(T.pdb, `${R}-poddisruptionbudget-${R}`).inputs as Loose;
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: SELECTOR }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.spec.selector).toEqual(statefulSet(run).spec.selector);
    expect(statefulSet(run).spec.replicas - pdb.spec.maxUnavailable).toBeGreaterThanOrEqual(1);
  });

  test('the sample stack (Pulumi.dev.yaml) runs with its relayReplicas', async () => {
    const sample = parse(readFileSync(resolve(import.meta.dirname, '../Pulumi.dev.yaml'), 'utf8')) as { config: Record<string, unknown> };
    const config = Object.fromEntries(Object.entries(sample.config).map(([k, v]) => [k.replace(/^kargo-infra:/, ''), String(v)]));
    expect(config.relayReplicas).toBe('2');
    expect(statefulSet(await runProgram(config)).spec.replicas).toBe(2);
  });

  test.each([['1', 1], ['3', 3], ['12', 12]])('relayReplicas=%s gives %d replicas', async (text, replicas) => {
    expect(statefulSet(await enabled({ relayReplicas: text })).spec.replicas).toBe(replicas);
  });

  test.each(['0', '-1', '1.5', 'two', '', '02'])('relayReplicas=%j is refused before any resource, saying what it takes', async (text) => {
    const error: unknown = await enabled({ relayReplicas: text }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: InfraErrorCode.InvalidConfig });
    expect((error as Error).message).toContain('relayReplicas: must be a whole number of replicas, at least 1');
  });
});

describe('the sweeper on several replicas', () => {
  test('a GitHub token enables the sweeper with its Lease: a Role on that one Lease bound to the relay, and the election env', async () => {
    const run = await enabled(SWEEPER, ['relayGithubToken']);
    const role = run.find(T.role, `${R}-role-${R}-sweeper`).inputs as Loose;
    expect(role).toMatchObject({ metadata: { name: `${R}-sweeper`, namespace: 'kargo-ns' } });
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [`${R}-sweeper`], verbs: ['get', 'update'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    const binding = run.find(T.roleBinding, `${R}-rolebinding-${R}-sweeper`).inputs as Loose;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${R}-sweeper` });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: R, namespace: 'kargo-ns' }]);
    const env = statefulSet(run).spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env.filter((e) => e.name.startsWith('RELAY_SWEEPER_LEASE_'))).toEqual([
      { name: 'RELAY_SWEEPER_LEASE_NAME', value: `${R}-sweeper` },
      { name: 'RELAY_SWEEPER_LEASE_NAMESPACE', value: 'kargo-ns' },
      { name: 'RELAY_SWEEPER_LEASE_IDENTITY', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    expect(env.map((e) => e.name)).toContain('GITHUB_TOKEN');
  });

  test('without the token: no sweeper, no Lease, no Role for it', async () => {
    const run = await enabled();
    expect(run.resources.filter((r) => r.type === T.role).map((r) => r.name)).toEqual([`${R}-role-flask-app-${R}-warehouses`]);
    const env = statefulSet(run).spec.template.spec.containers[0].env as { name: string }[];
    expect(env.map((e) => e.name).filter((n) => n.startsWith('GITHUB_TOKEN') || n.startsWith('RELAY_SWEEPER_'))).toEqual([]);
  });
});
