// The webhook relay's Kubernetes workload: a construct for cdk8s apps and the same objects as plain data for
// programs that apply them one by one (infra's Pulumi component).
import { posix } from 'node:path';
import { Construct } from 'constructs';
import { DEFAULT_KARGO_RECEIVER_SECRET_ENV, DNS1123_LABEL, DNS1123_SUBDOMAIN, formatIssue, parseRelayRoutes, type RelayRoutes } from '@kargo/model';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
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
  /** GitHub token of the sweeper (only with {@link RelayWorkloadProps.sweeper}): it lists and redelivers the hook's deliveries. */
  githubToken: 'github-token',
} as const;
export type RelaySecretKey = (typeof RelaySecretKey)[keyof typeof RelaySecretKey];

/** The env var `kargo-env render` names in a `kargoWebhook` target's `secretEnv` unless the config says otherwise. */
export const KARGO_RECEIVER_SECRET_ENV = DEFAULT_KARGO_RECEIVER_SECRET_ENV;

/** Port the relay listens on inside the pod (its `PORT`). */
export const RELAY_PORT = 8080;

/** Default name of the relay's objects. */
export const RELAY_NAME = 'kargo-webhook-relay';

/** Replicas unless the props say otherwise: one can be drained, upgraded or lost with its node while the other serves. */
export const DEFAULT_RELAY_REPLICAS = 2;

/** On SIGTERM the relay keeps serving this long with /readyz at 503, while endpoints and the ingress controller catch up. */
const SHUTDOWN_DELAY_S = 5;
/** Then in-flight forwards get this long to finish (the rest stay pending in the replica's inbox for its next start). */
const DRAIN_TIMEOUT_S = 15;
/** Room after both for the sweeper Lease's release and closing the inbox, before the kubelet's SIGKILL. */
const TERMINATION_MARGIN_S = 10;

const DATA_DIR = '/var/lib/relay';
const ROUTES_DIR = '/etc/relay/routes';
const SECRETS_DIR = '/etc/relay/secrets';
/** Variables the relay reads for itself: a receiver secret under one of these names would clash with them. */
const RELAY_OWN_ENV = /^(PORT|HOST|LOG_LEVEL|KUBECONFIG|(RELAY|GITHUB|NODE)_.*)$/;
// The node:*-slim images run as `node` (uid/gid 1000); the relay's Dockerfile keeps that user.
const RUN_AS = 1000;
// Derived names add up to 11 characters (`-warehouses`) and must stay DNS-1123 labels; a StatefulSet's name may not be
// longer either, since its pods carry `controller-revision-hash: <name>-<10 characters>`, a label value of at most 63.
const MAX_NAME = 52;

export interface RelayIngressProps {
  /** Public host GitHub delivers to (`https://<host>/webhooks/github` with TLS, `http://` without). */
  readonly host: string;
  /** @default the cluster's default IngressClass */
  readonly className?: string;
  /**
   * Secret (type kubernetes.io/tls, in the relay's namespace) holding the host's certificate: the Ingress's `tls`.
   * With {@link clusterIssuer} it is where cert-manager writes the certificate. @default `<name>-tls` with a
   * clusterIssuer, otherwise none (no TLS on the Ingress)
   */
  readonly tlsSecretName?: string;
  /** cert-manager ClusterIssuer that issues the host's certificate (annotation `cert-manager.io/cluster-issuer`). @default none */
  readonly clusterIssuer?: string;
}

/** Whether the Ingress these props describe serves TLS (then the relay's public URL is `https://`). */
export function relayIngressTls(ingress: RelayIngressProps): boolean {
  return ingress.tlsSecretName !== undefined || ingress.clusterIssuer !== undefined;
}

/** A namespace selector's `matchLabels`. */
export type RelayNamespaceLabels = Readonly<Record<string, string>>;

/** The label every namespace carries with its own name (Kubernetes >= 1.21), for selecting one namespace by name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Who may reach the relay and what it may reach besides what its routes and sweeper imply. */
export interface RelayNetworkProps {
  /**
   * Namespaces whose pods may reach the relay's HTTP port: the ingress controller's (or a tunnel's). GitHub's
   * deliveries arrive through it. @default `{ "kubernetes.io/metadata.name": "ingress-nginx" }`
   */
  readonly ingressNamespaceSelector?: RelayNamespaceLabels;
  /**
   * Namespaces whose pods may scrape `/metrics`. The metrics share the HTTP port, so these pods can reach every
   * path of it (deliveries are HMAC-checked, admin needs its token). @default `{ "kubernetes.io/metadata.name": "monitoring" }`
   */
  readonly monitoringNamespaceSelector?: RelayNamespaceLabels;
  /**
   * CIDRs of the API server's endpoints (`kubectl get endpointslices -n default -l
   * kubernetes.io/service-name=kubernetes`): the only egress `kubernetes` targets need, on 443 and 6443. A
   * NetworkPolicy cannot select the API server as a pod, and most CNIs apply policy after the Service's DNAT,
   * so the ClusterIP would not match. @default `["0.0.0.0/0"]` (any address, those two ports only)
   */
  readonly apiServerCidrs?: readonly string[];
  /**
   * CIDRs the API server's proxy dials pods from (`kubectl get --raw
   * /api/v1/namespaces/<ns>/services/<name>:http/proxy/readyz`, the pods and services proxy `kargo-env doctor` reads
   * `/readyz` and `/metrics` through): the control plane nodes' addresses on kubeadm, kind and k3s (`kubectl get nodes
   * -l node-role.kubernetes.io/control-plane -o wide`), the tunnel agent's or the control plane's network interfaces
   * on managed clusters. Each gets the HTTP port. Without it an enforcing CNI drops the proxy's connections and it
   * answers 503 `error trying to reach service: dial tcp …: i/o timeout`. No default, unlike `apiServerCidrs`: that
   * one opens egress to two API server ports only, whereas an ingress default as wide would admit any address to the
   * relay's every path, past the ingress controller it is meant to sit behind. @default none (no such rule)
   */
  readonly apiServerProxyCidrs?: readonly string[];
}

export const DEFAULT_RELAY_INGRESS_NAMESPACE_SELECTOR: RelayNamespaceLabels = { [NAMESPACE_NAME_LABEL]: 'ingress-nginx' };
export const DEFAULT_RELAY_MONITORING_NAMESPACE_SELECTOR: RelayNamespaceLabels = { [NAMESPACE_NAME_LABEL]: 'monitoring' };
export const DEFAULT_RELAY_API_SERVER_CIDRS: readonly string[] = ['0.0.0.0/0'];
/** The addresses GitHub's API may have: the internet, not the private ranges clusters and their nodes use. */
export const GITHUB_API_PEER = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } as const;
/** Labels of the Kargo chart's external webhooks server pods (`kargo.selectorLabels` + component, chart v1.11). */
export const KARGO_EXTERNAL_WEBHOOKS_POD_LABELS: RelayNamespaceLabels = { 'app.kubernetes.io/name': 'kargo', 'app.kubernetes.io/component': 'external-webhooks-server' };
/** The external webhooks server's container port (its Service maps 443, or 80 without TLS, to it). */
export const KARGO_EXTERNAL_WEBHOOKS_POD_PORT = 8080;

/** The relay's sweeper: it redelivers what GitHub failed to deliver, through GitHub's API, with the Secret's `github-token`. */
export interface RelaySweeperProps {
  /** Numeric id of the GitHub hook that delivers to the relay. */
  readonly hookId: string;
  /** `owner/repo` of a repository hook; exactly one of repo and org. */
  readonly repo?: string;
  /** Organisation of an organisation hook; exactly one of repo and org. */
  readonly org?: string;
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
  /**
   * Namespace of Kargo's external webhooks server. The NetworkPolicy lets the relay reach the server's pods in
   * the namespace each `kargoWebhook` URL names (`kargo-external-webhooks-server.<namespace>.svc`), this one
   * with the routes infra and `kargo-env render` write.
   */
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
  /** Size of each replica's inbox volume. @default `1Gi` */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClassName?: string;
  /** @default 50m / 128Mi requested, 256Mi limit */
  readonly resources?: RelayWorkloadResources;
  /** @default none: in-cluster only */
  readonly ingress?: RelayIngressProps;
  /** The NetworkPolicy's peers. @default see {@link RelayNetworkProps} */
  readonly network?: RelayNetworkProps;
  /**
   * Enables the sweeper (GITHUB_TOKEN from the Secret's `github-token`) and its egress to GitHub. With it the replicas
   * elect the one that sweeps through the Lease `<name>-sweeper` (a Role grants exactly that), so GitHub is asked once
   * per missed delivery however many replicas run. @default none
   */
  readonly sweeper?: RelaySweeperProps;
  /**
   * Replicas of the StatefulSet, each with its own inbox volume (`data-<name>-<ordinal>`). One replica acknowledges
   * thousands of deliveries a second; more than one is for availability: upgrades roll one pod at a time, and a
   * drained or lost node leaves the others serving. @default 2
   */
  readonly replicas?: number;
}

export type RelayWorkloadObject =
  | IServiceAccount
  | IConfigMap
  | IRole
  | IRoleBinding
  | IStatefulSet
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
function routesNeeds(name: string, props: RelayWorkloadProps): RelayRoutesNeeds & { receiverURLs: URL[] } {
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
  const receiverURLs = parsed.value.routes
    .flatMap((r) => r.targets)
    .flatMap((t) => ('kargoWebhook' in t ? [new URL('url' in t.kargoWebhook ? t.kargoWebhook.url : t.kargoWebhook.baseURL)] : []));
  return { ...needs, warehouseNamespaces: [...granted].sort(compareStrings), receiverURLs };
}

// The chart's Service of the external webhooks server, as an in-cluster host name.
const KARGO_WEBHOOKS_HOST = /^kargo-external-webhooks-server\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/;
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const tcp = (port: number) => ({ protocol: 'TCP' as const, port });

function checkSelector(name: string, what: string, labels: RelayNamespaceLabels): void {
  const entries = Object.entries(labels);
  const bad = entries.find(([k, v]) => !LABEL_KEY.test(k) || !LABEL_VALUE.test(v));
  if (entries.length === 0 || bad !== undefined) {
    throw invalidProps('RelayWorkload', name, `${what} needs at least one label, each a valid label key and value${bad === undefined ? '' : ` (not ${bad[0]}=${bad[1]})`}`, 'an empty selector would select every namespace');
  }
}

/**
 * The relay's NetworkPolicy rules. Ingress: the HTTP port from the ingress controller's namespaces and from the
 * monitoring namespaces (`/metrics` is on the same port; a NetworkPolicy cannot tell paths apart), and from the API
 * server's proxy addresses when `network.apiServerProxyCidrs` names them. Egress: DNS to
 * kube-dns only, then only what the routes and the sweeper use: the API server for `kubernetes` targets, Kargo's
 * external webhooks server pods for `kargoWebhook` targets on its Service (any address on the URL's port for other
 * receiver URLs), GitHub's API over HTTPS with the sweeper.
 */
function networkPolicySpec(
  name: string,
  props: RelayWorkloadProps,
  selector: Readonly<Record<string, string>>,
  needs: { needsApi: boolean; receiverURLs: readonly URL[] },
): NonNullable<INetworkPolicy['spec']> {
  const net = props.network ?? {};
  const ingressNs = net.ingressNamespaceSelector ?? DEFAULT_RELAY_INGRESS_NAMESPACE_SELECTOR;
  const monitoringNs = net.monitoringNamespaceSelector ?? DEFAULT_RELAY_MONITORING_NAMESPACE_SELECTOR;
  checkSelector(name, 'network.ingressNamespaceSelector', ingressNs);
  checkSelector(name, 'network.monitoringNamespaceSelector', monitoringNs);
  const apiCidrs = net.apiServerCidrs ?? DEFAULT_RELAY_API_SERVER_CIDRS;
  const badCidr = apiCidrs.find((c) => !CIDR.test(c));
  if (apiCidrs.length === 0 || badCidr !== undefined) {
    throw invalidProps('RelayWorkload', name, `network.apiServerCidrs needs at least one CIDR${badCidr === undefined ? '' : ` ("${badCidr}" is not one)`}`);
  }
  const proxyCidrs = net.apiServerProxyCidrs ?? [];
  const badProxy = proxyCidrs.findIndex((c) => !CIDR.test(c));
  if (badProxy >= 0) {
    throw invalidProps('RelayWorkload', name, `network.apiServerProxyCidrs[${badProxy}] "${proxyCidrs[badProxy]}" is not a CIDR (address/prefix, e.g. 172.18.0.2/32)`);
  }
  const httpPort = [tcp(RELAY_PORT)];
  const nsName = (ns: string) => ({ matchLabels: { [NAMESPACE_NAME_LABEL]: ns } });
  const kargoNamespaces = sortedSet(needs.receiverURLs.flatMap((u) => KARGO_WEBHOOKS_HOST.exec(u.hostname)?.[1] ?? []));
  const otherPorts = [
    ...new Set(needs.receiverURLs.filter((u) => !KARGO_WEBHOOKS_HOST.test(u.hostname)).map((u) => Number(u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : u.port))),
  ].sort((a, b) => a - b);
  return {
    podSelector: { matchLabels: { ...selector } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      { from: [{ namespaceSelector: { matchLabels: { ...ingressNs } } }], ports: httpPort },
      { from: [{ namespaceSelector: { matchLabels: { ...monitoringNs } } }], ports: httpPort },
      ...(proxyCidrs.length === 0 ? [] : [{ from: proxyCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: httpPort }]),
    ],
    egress: [
      {
        to: [{ namespaceSelector: nsName('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP' as const, port: 53 }, tcp(53)],
      },
      ...(needs.needsApi ? [{ to: apiCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(443), tcp(6443)] }] : []),
      ...kargoNamespaces.map((ns) => ({
        to: [{ namespaceSelector: nsName(ns), podSelector: { matchLabels: { ...KARGO_EXTERNAL_WEBHOOKS_POD_LABELS } } }],
        ports: [tcp(KARGO_EXTERNAL_WEBHOOKS_POD_PORT)],
      })),
      ...(otherPorts.length === 0 ? [] : [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: otherPorts.map(tcp) }]),
      ...(props.sweeper === undefined ? [] : [{ to: [{ ipBlock: { cidr: GITHUB_API_PEER.cidr, except: [...GITHUB_API_PEER.except] } }], ports: [tcp(443)] }]),
    ],
  };
}

/**
 * Every object the relay needs, in apply order. The inbox is a node:sqlite file with a single writer, so each replica
 * has a volume of its own: a StatefulSet with a claim template, whose claims go with the StatefulSet
 * (`persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`: removing the relay leaves nothing behind) but stay
 * when it scales down (`whenScaled: Retain`: a replica scaled away keeps its pending deliveries until it returns).
 * Each replica forwards what it stored; only the sweeper needs coordination, through a Lease.
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
  const replicas = props.replicas ?? DEFAULT_RELAY_REPLICAS;
  if (!Number.isSafeInteger(replicas) || replicas < 1) throw invalidProps('RelayWorkload', name, `replicas must be an integer of at least 1, not ${String(replicas)}`);
  const sweeper = props.sweeper;
  if (sweeper !== undefined) {
    if (!/^\d+$/.test(sweeper.hookId)) throw invalidProps('RelayWorkload', name, `sweeper.hookId "${sweeper.hookId}" is not a numeric hook id`);
    if ((sweeper.repo === undefined) === (sweeper.org === undefined) || (sweeper.repo !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(sweeper.repo)) || sweeper.org === '') {
      throw invalidProps('RelayWorkload', name, 'sweeper needs exactly one of repo (owner/repo) or org');
    }
  }
  if (props.ingress !== undefined) {
    for (const [key, value] of [['tlsSecretName', props.ingress.tlsSecretName], ['clusterIssuer', props.ingress.clusterIssuer]] as const) {
      if (value !== undefined && !DNS1123_SUBDOMAIN.test(value)) throw invalidProps('RelayWorkload', name, `ingress.${key} "${value}" is not a DNS-1123 subdomain`);
    }
  }
  const needs = routesNeeds(name, props);
  const namespaces = needs.warehouseNamespaces;
  // The API server: for Warehouse patches, and for the sweeper's Lease.
  const needsApi = namespaces.length > 0 || sweeper !== undefined;
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
  const headlessName = `${name}-headless`;
  const leaseName = `${name}-sweeper`;

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

  // The sweeper's election: get/update on its one Lease; create cannot be limited to a name (RBAC authorises a create
  // before the object has one), so it is granted on leases of this namespace, where it cannot touch existing ones.
  const leaseRbac: [IRole, IRoleBinding] | [] =
    sweeper === undefined
      ? []
      : [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'Role',
            metadata: meta(leaseName),
            rules: [
              { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [leaseName], verbs: ['get', 'update'] },
              { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
            ],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: meta(leaseName),
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaseName },
            subjects: [{ kind: 'ServiceAccount', name, namespace: props.namespace }],
          },
        ];

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

  const statefulSet: IStatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(name),
    spec: {
      replicas,
      serviceName: headlessName,
      // Replicas do not depend on each other: start and replace them all at once, not one after the other.
      podManagementPolicy: 'Parallel',
      // One pod at a time, the next only once the updated one is Ready; the others keep taking deliveries.
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      selector: { matchLabels: selector },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data', labels },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: props.storageSize ?? '1Gi' } },
            ...(props.storageClassName === undefined ? {} : { storageClassName: props.storageClassName }),
          },
        },
      ],
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: needsApi,
          enableServiceLinks: false,
          // The shutdown delay, the drain and a margin (see the constants): SIGKILL never cuts a drain short.
          terminationGracePeriodSeconds: SHUTDOWN_DELAY_S + DRAIN_TIMEOUT_S + TERMINATION_MARGIN_S,
          // Preferably one replica per node and spread over zones: a node (or zone) lost takes one replica with it.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...selector } } } }],
            },
          },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...selector } } }],
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
                // Readiness turns 503 at SIGTERM, deliveries are still taken for the delay, then forwards drain.
                { name: 'RELAY_SHUTDOWN_DELAY_MS', value: String(SHUTDOWN_DELAY_S * 1000) },
                { name: 'RELAY_DRAIN_TIMEOUT_MS', value: String(DRAIN_TIMEOUT_S * 1000) },
                // A file, not an env var: the secret list can hold several values during a rotation.
                { name: 'GITHUB_WEBHOOK_SECRETS_FILE', value: `${SECRETS_DIR}/${RelaySecretKey.githubWebhookSecrets}` },
                secretEnv('RELAY_ADMIN_TOKEN', RelaySecretKey.adminToken, true),
                // Each receiver's secret under the name its routes give; the relay refuses to boot without it.
                ...needs.secretEnvs.map((env) => secretEnv(env, env)),
                // The sweeper: on when GITHUB_TOKEN is set; it needs the hook's coordinates.
                ...(sweeper === undefined
                  ? []
                  : [
                      secretEnv('GITHUB_TOKEN', RelaySecretKey.githubToken),
                      { name: 'GITHUB_HOOK_ID', value: sweeper.hookId },
                      sweeper.repo === undefined ? { name: 'GITHUB_HOOK_ORG', value: sweeper.org ?? '' } : { name: 'GITHUB_HOOK_REPO', value: sweeper.repo },
                      // One sweeper among the replicas: the holder of this Lease, each replica standing as its pod.
                      { name: 'RELAY_SWEEPER_LEASE_NAME', value: leaseName },
                      { name: 'RELAY_SWEEPER_LEASE_NAMESPACE', value: props.namespace },
                      { name: 'RELAY_SWEEPER_LEASE_IDENTITY', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                    ]),
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
          // `data` is the replica's own claim, from the template above.
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'routes', configMap: { name: routesName } },
            { name: 'secrets', secret: { secretName: props.secretName, items: [{ key: RelaySecretKey.githubWebhookSecrets, path: RelaySecretKey.githubWebhookSecrets }] } },
            ...caVolumes.map((v) => v.volume),
          ],
        },
      },
    },
  };

  // What GitHub reaches (through the Ingress): any ready replica.
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  };
  // The StatefulSet's governing Service: a DNS name per replica (`<name>-0.<name>-headless.<namespace>.svc`), to reach
  // one replica's admin API and inbox, since each replica holds only the deliveries it stored.
  const headless: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(headlessName),
    spec: { type: 'ClusterIP', clusterIP: 'None', selector, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  };

  const networkPolicy: INetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name),
    spec: networkPolicySpec(name, props, selector, { needsApi, receiverURLs: needs.receiverURLs }),
  };

  // At most one replica evicted at a time: with two or more, one always takes deliveries through a node drain. With
  // one replica the budget still lets the drain proceed (a budget that blocks it forever helps nobody); the sweeper
  // asks GitHub again for what failed while the pod was away.
  const budget: IPodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(name),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
  };

  const out: RelayWorkloadObject[] = [serviceAccount, routes, ...rbac, ...leaseRbac, headless, statefulSet, service, networkPolicy, budget];
  if (props.ingress !== undefined) {
    const ing = props.ingress;
    const tlsSecretName = ing.tlsSecretName ?? (ing.clusterIssuer === undefined ? undefined : `${name}-tls`);
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { ...meta(name), ...(ing.clusterIssuer === undefined ? {} : { annotations: { 'cert-manager.io/cluster-issuer': ing.clusterIssuer } }) },
      spec: {
        ...(ing.className === undefined ? {} : { ingressClassName: ing.className }),
        ...(tlsSecretName === undefined ? {} : { tls: [{ hosts: [ing.host], secretName: tlsSecretName }] }),
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
  /** Name of the StatefulSet, Service and ServiceAccount. */
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
