// The webhook relay's Kubernetes workload: a construct for cdk8s apps and the same objects as plain data for
// programs that apply them one by one (infra's Pulumi component).
import { posix } from 'node:path';
import { Construct } from 'constructs';
import { DEFAULT_KARGO_RECEIVER_SECRET_ENV, DNS1123_LABEL, DNS1123_SUBDOMAIN, formatIssue, parseRelayRoutes, type RelayRoutes } from '@kargo/model';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { compareStrings } from '../emit.ts';
import { invalidProps } from '../errors.ts';
import { addManifest, type Manifest } from './api-object.ts';

/**
 * Fixed keys of the relay's Secret (created by whoever deploys the relay; the workload only refers to it).
 * Besides these it holds one key per `secretEnv` the routes' `kargoWebhook` targets name, under that very
 * name, with that receiver's secret (see {@link relayRoutesNeeds}).
 */
export const RelaySecretKey = {
  /** Newline-separated GitHub webhook secrets (first = current; more during a rotation). */
  githubWebhookSecrets: 'github-webhook-secrets',
  /** Bearer token of the relay's admin endpoints. */
  adminToken: 'admin-token',
} as const;
export type RelaySecretKey = (typeof RelaySecretKey)[keyof typeof RelaySecretKey];

/** The env var `kargo-env render` names in a `kargoWebhook` target's `secretEnv` unless the config says otherwise. */
export const KARGO_RECEIVER_SECRET_ENV = DEFAULT_KARGO_RECEIVER_SECRET_ENV;

/** Port the relay listens on inside the pod (its `PORT`). */
export const RELAY_PORT = 8080;

/** Default name of the relay's objects. */
export const RELAY_NAME = 'kargo-webhook-relay';

const DATA_DIR = '/var/lib/relay';
const ROUTES_DIR = '/etc/relay/routes';
const SECRETS_DIR = '/etc/relay/secrets';
/** Variables the relay reads for itself: a receiver secret under one of these names would clash with them. */
const RELAY_OWN_ENV = /^(PORT|HOST|LOG_LEVEL|KUBECONFIG|(RELAY|GITHUB|NODE)_.*)$/;
// The node:*-slim images run as `node` (uid/gid 1000); the relay's Dockerfile keeps that user.
const RUN_AS = 1000;
// Derived names add up to 11 characters (`-warehouses`) and must stay DNS-1123 labels.
const MAX_NAME = 52;

export interface RelayIngressProps {
  /** Public host GitHub delivers to (`https://<host>/webhooks/github`). */
  readonly host: string;
  /** @default the cluster's default IngressClass */
  readonly className?: string;
  /** Secret holding the host's certificate. @default none (TLS terminated elsewhere) */
  readonly tlsSecretName?: string;
}

export interface RelayWorkloadResources {
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
}

/** A CA bundle in the relay's namespace: exactly one of a Secret or a ConfigMap. */
export type RelayCaBundle =
  | { readonly secretName: string; readonly configMapName?: never; readonly key?: string }
  | { readonly configMapName: string; readonly secretName?: never; readonly key?: string };

export interface RelayWorkloadProps {
  /** Namespace of every relay object except the per-namespace RBAC (the Kargo namespace, usually). */
  readonly namespace: string;
  /** Relay image with tag or digest. */
  readonly image: string;
  /** Existing Secret with the keys in {@link RelaySecretKey}. */
  readonly secretName: string;
  /**
   * The routes file's text (`relay/routes.yaml`, as `kargo-env render` writes it), mounted verbatim so the
   * relay reads exactly that file. Checked with the model's `parseRelayRoutes`; an invalid file is rejected.
   */
  readonly routesYaml: string;
  /**
   * Namespaces whose Warehouses the relay may `get` and `patch`: one Role + RoleBinding each, nothing
   * cluster-wide. Must include the namespace of every `kubernetes` target in the routes.
   * @default the namespaces of the routes' `kubernetes` targets
   */
  readonly warehouseNamespaces?: readonly string[];
  /** Namespace of Kargo's external webhooks server, the only in-cluster peer besides the API server. */
  readonly kargoNamespace: string;
  /**
   * Where the CA bundle comes from that the routes' `kargoWebhook` targets name in `caFile` (the CA of Kargo's
   * self-signed webhooks certificate, typically): a Secret or ConfigMap in {@link namespace}, and its key
   * (default `ca.crt`). Mounted read-only at each `caFile`'s directory, under the file's name. Required when a
   * route names a `caFile`; unused otherwise. @default none
   */
  readonly caBundle?: RelayCaBundle;
  /** Name of the objects (and prefix of derived ones). @default `kargo-webhook-relay` */
  readonly name?: string;
  /** Size of the inbox volume. @default `1Gi` */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** @default 50m / 128Mi requested, 256Mi limit */
  readonly resources?: RelayWorkloadResources;
  /** @default none: in-cluster only */
  readonly ingress?: RelayIngressProps;
}

export type RelayWorkloadObject =
  | IServiceAccount
  | IConfigMap
  | IRole
  | IRoleBinding
  | IPersistentVolumeClaim
  | IDeployment
  | IService
  | INetworkPolicy
  | IPodDisruptionBudget
  | IIngress;

function checkNamespace(name: string, ns: string): void {
  if (ns.length > 63 || !DNS1123_LABEL.test(ns)) throw invalidProps('RelayWorkload', name, `namespace "${ns}" is not a DNS-1123 label`);
}

/** What a routes file asks of the relay's workload, each list sorted and without repeats. */
export interface RelayRoutesNeeds {
  /** Namespaces of the `kubernetes` targets: the relay gets get/patch on Warehouses there, nowhere else. */
  readonly warehouseNamespaces: string[];
  /** `secretEnv` of every `kargoWebhook` target: one env var each, from the relay Secret's key of that name. */
  readonly secretEnvs: string[];
  /** `caFile` of every `kargoWebhook` target that names one: the CA bundle is mounted there. */
  readonly caFiles: string[];
}

const sortedSet = (values: Iterable<string>): string[] => [...new Set(values)].sort(compareStrings);

/** What the workload must provide for these routes; infra uses it to fill the relay's Secret. */
export function relayRoutesNeeds(routes: RelayRoutes): RelayRoutesNeeds {
  const targets = routes.routes.flatMap((r) => r.targets);
  const receivers = targets.flatMap((t) => ('kargoWebhook' in t ? [t.kargoWebhook] : []));
  return {
    warehouseNamespaces: sortedSet(targets.flatMap((t) => ('kubernetes' in t ? [t.kubernetes.namespace] : []))),
    secretEnvs: sortedSet(receivers.map((k) => k.secretEnv)),
    caFiles: sortedSet(receivers.flatMap((k) => (k.caFile === undefined ? [] : [k.caFile]))),
  };
}

/** Whether one directory is the other or lies inside it: either way one mount would hide the other. */
function overlaps(a: string, b: string): boolean {
  const [x, y] = [`${posix.normalize(a).replace(/\/+$/, '')}/`, `${posix.normalize(b).replace(/\/+$/, '')}/`];
  return x.startsWith(y) || y.startsWith(x);
}

/** Parses the routes and checks them against the props: Warehouse access, secret variables and CA mounts. */
function routesNeeds(name: string, props: RelayWorkloadProps): RelayRoutesNeeds {
  if (props.routesYaml.trim() === '') throw invalidProps('RelayWorkload', name, 'routes file is empty');
  const parsed = parseRelayRoutes(props.routesYaml, { filename: 'routes.yaml' });
  if (!parsed.ok) throw invalidProps('RelayWorkload', name, `invalid routes file: ${parsed.errors.map(formatIssue).join('; ')}`);
  const needs = relayRoutesNeeds(parsed.value);
  const granted = new Set(props.warehouseNamespaces ?? needs.warehouseNamespaces);
  const missing = needs.warehouseNamespaces.filter((ns) => !granted.has(ns));
  if (missing.length > 0) {
    throw invalidProps('RelayWorkload', name, `routes patch Warehouses in ${missing.join(', ')} but warehouseNamespaces does not grant it`, 'leave warehouseNamespaces unset to derive it from the routes');
  }
  const clash = needs.secretEnvs.filter((env) => RELAY_OWN_ENV.test(env));
  if (clash.length > 0) throw invalidProps('RelayWorkload', name, `secretEnv ${clash.join(', ')} is a variable the relay reads itself; name the receiver secret differently`);
  if (needs.caFiles.length > 0 && props.caBundle === undefined) {
    throw invalidProps('RelayWorkload', name, `routes trust ${needs.caFiles.join(', ')} (caFile) but no caBundle says where the CA comes from`);
  }
  const caDirs = sortedSet(needs.caFiles.map((f) => posix.dirname(f)));
  for (const file of needs.caFiles) {
    const dir = posix.dirname(file);
    const own = [DATA_DIR, '/tmp', ROUTES_DIR, SECRETS_DIR, ...caDirs.filter((d) => d !== dir)].find((other) => overlaps(dir, other));
    if (!posix.isAbsolute(file) || posix.dirname(file) === '/' || own !== undefined) {
      throw invalidProps('RelayWorkload', name, `caFile "${file}" must be an absolute path in a directory of its own${own === undefined ? '' : ` (it overlaps the mount at ${own})`}`);
    }
  }
  return { ...needs, warehouseNamespaces: [...granted].sort(compareStrings) };
}

/**
 * Every object the relay needs, in apply order. One replica by design: the inbox is a node:sqlite file with
 * a single writer, so it is a Deployment with `Recreate` over a PVC of its own (a StatefulSet's claim
 * template would outlive the workload, and removing the relay must leave nothing behind).
 */
export function relayWorkloadObjects(props: RelayWorkloadProps): RelayWorkloadObject[] {
  const name = props.name ?? RELAY_NAME;
  if (!DNS1123_LABEL.test(name) || name.length > MAX_NAME) throw invalidProps('RelayWorkload', name, `name must be a DNS-1123 label of at most ${MAX_NAME} characters`);
  for (const ns of [props.namespace, props.kargoNamespace, ...(props.warehouseNamespaces ?? [])]) checkNamespace(name, ns);
  if (!/^\S+[:@]\S+$/.test(props.image)) throw invalidProps('RelayWorkload', name, `image "${props.image}" needs a tag or digest`);
  if (props.caBundle !== undefined) {
    const source = props.caBundle.secretName ?? props.caBundle.configMapName;
    if ((props.caBundle.secretName === undefined) === (props.caBundle.configMapName === undefined) || source === undefined || !DNS1123_SUBDOMAIN.test(source)) {
      throw invalidProps('RelayWorkload', name, 'caBundle needs exactly one of secretName or configMapName, a DNS-1123 subdomain');
    }
  }
  const needs = routesNeeds(name, props);
  const namespaces = needs.warehouseNamespaces;
  const needsApi = namespaces.length > 0;
  // One volume per directory the routes' caFiles live in, projecting the bundle's key under each file name there.
  const bundle = props.caBundle;
  const caDirs = sortedSet(needs.caFiles.map((f) => posix.dirname(f)));
  const caVolumes = bundle === undefined ? [] : caDirs.map((dir, i) => {
    const items = needs.caFiles.filter((f) => posix.dirname(f) === dir).map((f) => ({ key: bundle.key ?? 'ca.crt', path: posix.basename(f) }));
    const volumeName = i === 0 ? 'kargo-ca' : `kargo-ca-${i}`;
    const source = bundle.secretName !== undefined ? { secret: { secretName: bundle.secretName, items } } : { configMap: { name: bundle.configMapName, items } };
    return { mount: { name: volumeName, mountPath: dir, readOnly: true }, volume: { name: volumeName, ...source } };
  });

  const labels = { 'app.kubernetes.io/name': 'webhook-relay', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/part-of': 'kargo-env' };
  const selector = { 'app.kubernetes.io/name': 'webhook-relay', 'app.kubernetes.io/instance': name };
  const meta = (objectName: string, namespace = props.namespace) => ({ name: objectName, namespace, labels });
  const routesName = `${name}-routes`;
  const dataName = `${name}-data`;

  const serviceAccount: IServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(name),
    automountServiceAccountToken: needsApi,
  };
  const routes: IConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(routesName), data: { 'routes.yaml': props.routesYaml } };

  // Least privilege: the relay only reads and merge-patches Warehouses, and only where routes point.
  const rbac = namespaces.flatMap((ns): [IRole, IRoleBinding] => [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${name}-warehouses`, ns),
      rules: [{ apiGroups: ['kargo.akuity.io'], resources: ['warehouses'], verbs: ['get', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`${name}-warehouses`, ns),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-warehouses` },
      subjects: [{ kind: 'ServiceAccount', name, namespace: props.namespace }],
    },
  ]);

  const claim: IPersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(dataName),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: props.storageSize ?? '1Gi' } },
      ...(props.storageClassName === undefined ? {} : { storageClassName: props.storageClassName }),
    },
  };

  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const secretEnv = (envName: string, key: string, optional = false) => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: props.secretName, key, ...(optional ? { optional: true } : {}) } },
  });
  const resources = props.resources ?? { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } };

  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: needsApi,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'relay',
              image: props.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: RELAY_PORT, protocol: 'TCP' }],
              env: [
                { name: 'PORT', value: String(RELAY_PORT) },
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'RELAY_ROUTES_FILE', value: `${ROUTES_DIR}/routes.yaml` },
                { name: 'RELAY_DATA_DIR', value: DATA_DIR },
                // A file, not an env var: the secret list can hold several values during a rotation.
                { name: 'GITHUB_WEBHOOK_SECRETS_FILE', value: `${SECRETS_DIR}/${RelaySecretKey.githubWebhookSecrets}` },
                secretEnv('RELAY_ADMIN_TOKEN', RelaySecretKey.adminToken, true),
                // Each receiver's secret under the name its routes give; the relay refuses to boot without it.
                ...needs.secretEnvs.map((env) => secretEnv(env, env)),
              ],
              startupProbe: probe('/healthz', 2, 30),
              livenessProbe: probe('/healthz', 10, 3),
              readinessProbe: probe('/readyz', 5, 2),
              resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                privileged: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'data', mountPath: DATA_DIR },
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'routes', mountPath: ROUTES_DIR, readOnly: true },
                { name: 'secrets', mountPath: SECRETS_DIR, readOnly: true },
                ...caVolumes.map((v) => v.mount),
              ],
            },
          ],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: dataName } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'routes', configMap: { name: routesName } },
            { name: 'secrets', secret: { secretName: props.secretName, items: [{ key: RelaySecretKey.githubWebhookSecrets, path: RelaySecretKey.githubWebhookSecrets }] } },
            ...caVolumes.map((v) => v.volume),
          ],
        },
      },
    },
  };

  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  };

  // Ingress only to the HTTP port (GitHub arrives through whatever ingress controller the cluster runs);
  // egress only to DNS, the Kubernetes API / GitHub API over HTTPS, and Kargo's webhook server.
  const networkPolicy: INetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [{ protocol: 'TCP', port: RELAY_PORT }] }],
      egress: [
        { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
        {
          // Namespace only: the chart's pod labels are not a documented interface.
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.kargoNamespace } } }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    },
  };

  // One replica with a single-writer inbox cannot stay up through an eviction; the budget makes that
  // explicit (one pod at a time) instead of blocking node drains forever. GitHub's redelivery (the
  // sweeper) covers the seconds the pod is away.
  const budget: IPodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  };

  const out: RelayWorkloadObject[] = [serviceAccount, routes, ...rbac, claim, deployment, service, networkPolicy, budget];
  if (props.ingress !== undefined) {
    const ing = props.ingress;
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta(name),
      spec: {
        ...(ing.className === undefined ? {} : { ingressClassName: ing.className }),
        ...(ing.tlsSecretName === undefined ? {} : { tls: [{ hosts: [ing.host], secretName: ing.tlsSecretName }] }),
        // Only the delivery endpoint is public; health, metrics and admin stay in the cluster.
        rules: [
          {
            host: ing.host,
            http: { paths: [{ path: '/webhooks/github', pathType: 'Exact', backend: { service: { name, port: { name: 'http' } } } }] },
          },
        ],
      },
    });
  }
  return out;
}

/**
 * The relay's workload as a construct: the objects of {@link relayWorkloadObjects}, in the same order,
 * each an ApiObject of this scope.
 */
export class RelayWorkload extends Construct {
  /** Name of the Deployment, Service and ServiceAccount. */
  readonly relayName: string;
  /** In-cluster URL GitHub deliveries are posted to when there is no Ingress. */
  readonly serviceURL: string;

  constructor(scope: Construct, id: string, props: RelayWorkloadProps) {
    super(scope, id);
    const objects = relayWorkloadObjects(props);
    this.relayName = props.name ?? RELAY_NAME;
    this.serviceURL = `http://${this.relayName}.${props.namespace}.svc/webhooks/github`;
    for (const o of objects) {
      const meta = o.metadata ?? {};
      // Every object above is built with a name and namespace; the model types only make them optional.
      addManifest(this, `${o.kind}-${meta.namespace ?? ''}-${meta.name ?? ''}`, o as Manifest);
    }
  }
}
