// The webhook relay's Kubernetes objects as plain, typed manifests (no Pulumi, no I/O): WebhookRelay applies
// them. Candidate to move into @kargo/render as its relay construct once that package settles.
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
import { invalidProps } from './errors.ts';

/** Keys of the relay's Secret (WebhookRelay creates it; the workload only refers to it). */
export const RelaySecretKey = {
  /** Newline-separated GitHub webhook secrets (first = current; more during a rotation). */
  githubWebhookSecrets: 'github-webhook-secrets',
  /** The Kargo GitHub receiver's secret, for `kargoWebhook` targets (env `KARGO_RECEIVER_SECRET`). */
  kargoReceiverSecret: 'kargo-receiver-secret',
  /** Bearer token of the relay's admin endpoints. */
  adminToken: 'admin-token',
} as const;

/** The env var a `kargoWebhook` route target names in `secretEnv`. */
export const KARGO_RECEIVER_SECRET_ENV = 'KARGO_RECEIVER_SECRET';

/** Port the relay listens on inside the pod (its `PORT`). */
export const RELAY_PORT = 8080;

const DATA_DIR = '/var/lib/relay';
const ROUTES_DIR = '/etc/relay/routes';
const SECRETS_DIR = '/etc/relay/secrets';
const KARGO_CA_DIR = '/etc/relay/kargo-ca';
// The node:*-slim images run as `node` (uid/gid 1000); the relay's Dockerfile keeps that user.
const RUN_AS = 1000;

export interface RelayIngressProps {
  /** Public host GitHub delivers to (`https://<host>/webhooks/github`). */
  readonly host: string;
  /** @default the cluster's default IngressClass */
  readonly className?: string;
  /** Secret holding the host's certificate. @default none (TLS terminated elsewhere) */
  readonly tlsSecretName?: string;
}

export interface RelayWorkloadProps {
  /** Namespace of every relay object (the Kargo namespace in this program). */
  readonly namespace: string;
  /** Relay image with tag or digest. */
  readonly image: string;
  /** Existing Secret with the keys in RelaySecretKey. */
  readonly secretName: string;
  /** The routes file's YAML text (relay/routes.yaml shape). */
  readonly routesYaml: string;
  /** Namespaces whose Warehouses the relay patches (`kubernetes` targets): one Role + RoleBinding each. */
  readonly warehouseNamespaces: readonly string[];
  /** Namespace of Kargo's external webhooks server, the only in-cluster peer besides the API server. */
  readonly kargoNamespace: string;
  /** Trust this Secret's `ca.crt` for HTTPS to Kargo's receiver (its self-signed certificate). @default none */
  readonly kargoCaSecretName?: string;
  /** @default `kargo-webhook-relay` */
  readonly name?: string;
  /** Size of the inbox volume. @default `1Gi` */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** @default 50m / 128Mi requested, 256Mi limit */
  readonly resources?: { readonly requests: Record<string, string>; readonly limits: Record<string, string> };
  /** @default none: in-cluster only */
  readonly ingress?: RelayIngressProps;
}

export type RelayManifest =
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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Every object the relay needs, in apply order. One replica by design: the inbox is a node:sqlite file with
 * a single writer, so it is a Deployment with `Recreate` over a PVC the program owns (a StatefulSet's
 * claim template would outlive the workload, and `enableKargo=false` must leave nothing behind).
 */
export function relayWorkloadManifests(props: RelayWorkloadProps): RelayManifest[] {
  const name = props.name ?? 'kargo-webhook-relay';
  if (!DNS_LABEL.test(name) || name.length > 52) throw invalidProps('RelayWorkload', name, 'name must be a DNS-1123 label of at most 52 characters');
  for (const ns of [props.namespace, props.kargoNamespace, ...props.warehouseNamespaces]) {
    if (!DNS_LABEL.test(ns)) throw invalidProps('RelayWorkload', name, `namespace "${ns}" is not a DNS-1123 label`);
  }
  if (!/^\S+[:@]\S+$/.test(props.image)) throw invalidProps('RelayWorkload', name, `image "${props.image}" needs a tag or digest`);
  if (props.routesYaml.trim() === '') throw invalidProps('RelayWorkload', name, 'routes file is empty');
  const namespaces = [...new Set(props.warehouseNamespaces)].sort();
  const needsApi = namespaces.length > 0;

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
                secretEnv(KARGO_RECEIVER_SECRET_ENV, RelaySecretKey.kargoReceiverSecret),
                secretEnv('RELAY_ADMIN_TOKEN', RelaySecretKey.adminToken, true),
                ...(props.kargoCaSecretName === undefined ? [] : [{ name: 'NODE_EXTRA_CA_CERTS', value: `${KARGO_CA_DIR}/ca.crt` }]),
              ],
              startupProbe: probe('/healthz', 2, 30),
              livenessProbe: probe('/healthz', 10, 3),
              readinessProbe: probe('/readyz', 5, 2),
              resources: props.resources ?? { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
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
                ...(props.kargoCaSecretName === undefined ? [] : [{ name: 'kargo-ca', mountPath: KARGO_CA_DIR, readOnly: true }]),
              ],
            },
          ],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: dataName } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'routes', configMap: { name: routesName } },
            { name: 'secrets', secret: { secretName: props.secretName, items: [{ key: RelaySecretKey.githubWebhookSecrets, path: RelaySecretKey.githubWebhookSecrets }] } },
            ...(props.kargoCaSecretName === undefined
              ? []
              : [{ name: 'kargo-ca', secret: { secretName: props.kargoCaSecretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]),
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

  const out: RelayManifest[] = [serviceAccount, routes, ...rbac, claim, deployment, service, networkPolicy, budget];
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
