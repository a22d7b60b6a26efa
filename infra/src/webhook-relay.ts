// WebhookRelay: the relay's secrets, the Kargo receiver Secrets it shares with the ProjectConfigs, Kargo's webhooks
// CA when the routes trust it, and the workload.
import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { kargoReceiverPath } from '@kargo/model';
import { RelaySecretKey, relayIngressTls, relayWorkloadObjects, type RelayNetworkProps, type RelayWorkloadObject } from '@kargo/render';
import { InfraErrorCode, KargoInfraError } from './errors.ts';
import { planRelayRoutes, type RelayRoutesSource } from './relay-routes.ts';

export interface WebhookRelayArgs {
  /** Namespace of the relay (the Kargo namespace). */
  readonly namespace: pulumi.Input<string> & string;
  /** Kargo's namespace, where its external webhooks server and certificate are. @default namespace */
  readonly kargoNamespace?: string;
  readonly image: string;
  /**
   * The routes file `kargo-env render` writes (kargo/relay/routes.yaml), mounted verbatim. Its `kubernetes`
   * targets and `kargoWebhook` receivers name the Projects that get the receiver Secret; its receivers'
   * `secretEnv`s become keys of the relay Secret; a `caFile` brings Kargo's webhooks CA next to the relay.
   */
  readonly routes: RelayRoutesSource;
  /** GitHub's webhook secret; generated (and exported as a secret) when absent. */
  readonly githubWebhookSecret?: pulumi.Input<string> | undefined;
  /** Receiver name in each ProjectConfig; receiver targets must name it. @default `ghcr` */
  readonly receiverName?: string;
  /** Secret (key `secret`) each ProjectConfig's receiver references. @default `kargo-ghcr-webhook` */
  readonly receiverSecretName?: string;
  /**
   * The Project namespaces created elsewhere (KargoProjects), by Project: a receiver Secret goes into its namespace
   * and waits for it. A Project not in it gets its Secret in the namespace of its name, which must exist.
   */
  readonly projectNamespaces?: ReadonlyMap<string, k8s.core.v1.Namespace>;
  /** Whether Kargo's external webhooks server serves HTTPS (self-signed through cert-manager). */
  readonly kargoWebhooksTls: boolean;
  /** The chart's certificate Secret of the external webhooks server (its `ca.crt` is copied for `caFile`). */
  readonly kargoWebhooksCertSecret: string;
  /**
   * The Kargo release: the certificate Secret exists once it is ready, so the CA is read after it (and not at
   * all in the preview of a first install, when it does not exist yet).
   */
  readonly kargoRelease?: pulumi.CustomResource;
  /**
   * The public Ingress for `/webhooks/github`. TLS from the Secret `tlsSecretName` and/or a cert-manager ClusterIssuer
   * (`cert-manager.io/cluster-issuer`, writing `tlsSecretName` or `<name>-tls`); the URL is https only with TLS.
   */
  readonly ingress?:
    | { readonly host: string; readonly className?: string | undefined; readonly tlsSecretName?: string | undefined; readonly clusterIssuer?: string | undefined }
    | undefined;
  /** The NetworkPolicy's peers: ingress controller and monitoring namespaces, the API server's CIDRs. @default render's */
  readonly network?: RelayNetworkProps | undefined;
  /**
   * The sweeper (redelivers what GitHub failed to deliver): its GitHub token goes into the relay Secret, and the
   * NetworkPolicy lets the relay reach GitHub's API over HTTPS. @default none (no GitHub egress)
   */
  readonly sweeper?: { readonly token: pulumi.Input<string>; readonly hookId: string; readonly repo?: string | undefined; readonly org?: string | undefined } | undefined;
  /** Each replica's inbox volume: size and StorageClass. @default `1Gi`, the cluster's default class */
  readonly storage?: { readonly size?: string | undefined; readonly className?: string | undefined };
  /**
   * Replicas of the relay's StatefulSet, each with its own inbox; with the sweeper, the one holding its Lease sweeps.
   * @default 2 (render's DEFAULT_RELAY_REPLICAS)
   */
  readonly replicas?: number | undefined;
  /** Resources the workload waits for (the Kargo release: CRDs and the webhook server). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Kargo's receiver path: `/github/<hex sha256(project + receiverName + secret)>` (reference/kargo.md §a). */
export function githubReceiverPath(project: string, receiverName: string, secret: string): string {
  return kargoReceiverPath({ project, receiver: receiverName, secret });
}

/**
 * The CA bundle of a cert-manager certificate Secret's `data` (base64 values), as PEM. Throws a KargoInfraError
 * when `ca.crt` is missing or holds no certificate: the relay would otherwise fail at boot on an empty bundle.
 */
export function kargoCaPem(data: Readonly<Record<string, string>> | undefined, secretId: string): string {
  const pem = Buffer.from(data?.['ca.crt'] ?? '', 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new KargoInfraError(InfraErrorCode.KargoCaMissing, `Secret ${secretId} has no PEM certificate under ca.crt, so the relay cannot trust Kargo's webhooks server`, {
      hint: "check the cert-manager Certificate of Kargo's external webhooks server (kubectl -n <namespace> describe certificate)",
    });
  }
  return pem;
}

/** Pulumi resource for one of @kargo/render's relay objects; typed resources keep Pulumi's readiness await logic. */
// render types them with kubernetes-models, whose optional fields are looser than Pulumi's Args in a few kinds (e.g. a required
// podSelector); the manifests always set them, so those casts only bridge the two type libraries.
function applyManifest(resourceName: string, m: RelayWorkloadObject, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  switch (m.kind) {
    case 'ServiceAccount':
      return new k8s.core.v1.ServiceAccount(resourceName, m, opts);
    case 'ConfigMap':
      return new k8s.core.v1.ConfigMap(resourceName, m, opts);
    case 'Role':
      return new k8s.rbac.v1.Role(resourceName, m, opts);
    case 'RoleBinding':
      return new k8s.rbac.v1.RoleBinding(resourceName, m, opts);
    case 'StatefulSet':
      // Pulumi awaits the rollout: every replica Ready at the new revision (RollingUpdate, one pod at a time).
      return new k8s.apps.v1.StatefulSet(resourceName, m as k8s.apps.v1.StatefulSetArgs, opts);
    case 'Service':
      return new k8s.core.v1.Service(resourceName, m, opts);
    case 'NetworkPolicy':
      return new k8s.networking.v1.NetworkPolicy(resourceName, m as k8s.networking.v1.NetworkPolicyArgs, opts);
    case 'PodDisruptionBudget':
      return new k8s.policy.v1.PodDisruptionBudget(resourceName, m, opts);
    case 'Ingress':
      return new k8s.networking.v1.Ingress(resourceName, m, opts);
  }
}

/** Pod-template annotation carrying the sha256 of the copied Kargo CA, so a new CA rolls the relay. */
export const CA_CHECKSUM_ANNOTATION = 'kargo-env.dev/kargo-ca-sha256';

/** The StatefulSet with one more pod-template annotation (an Output: the StatefulSet waits for it). */
function withPodAnnotation(m: Extract<RelayWorkloadObject, { kind: 'StatefulSet' }>, key: string, value: pulumi.Output<string>): RelayWorkloadObject {
  const template = m.spec?.template;
  // Typed as the plain object render builds; Pulumi resolves the Output inside it when the resource registers.
  return {
    ...m,
    spec: { ...m.spec, template: { ...template, metadata: { ...template?.metadata, annotations: { ...template?.metadata?.annotations, [key]: value as unknown as string } } } },
  } as RelayWorkloadObject;
}

export class WebhookRelay extends pulumi.ComponentResource {
  /** GitHub's webhook secret (secret output): paste it into the GitHub hook. */
  readonly githubWebhookSecret: pulumi.Output<string>;
  /** Where GitHub delivers: the public Ingress URL (https with TLS, http without), or the in-cluster Service URL. */
  readonly url: string;
  /** Kargo receiver path per Project (secret output: it is derived from the receiver secret). */
  readonly receiverPaths: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: WebhookRelayArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:WebhookRelay', name, {}, opts);
    const parent = { parent: this };
    const receiverName = args.receiverName ?? 'ghcr';
    const receiverSecretName = args.receiverSecretName ?? 'kargo-ghcr-webhook';
    const kargoNamespace = args.kargoNamespace ?? args.namespace;
    const plan = planRelayRoutes(args.routes, { namespace: kargoNamespace, tls: args.kargoWebhooksTls, receiverName });

    const github =
      args.githubWebhookSecret === undefined
        ? new random.RandomPassword(`${name}-github-webhook-secret`, { length: 40, special: false }, parent).result
        : pulumi.output(args.githubWebhookSecret);
    // Every ProjectConfig declares the receiver (render adds it whenever the relay is on), so its Secret is needed
    // whatever the routes' target; the relay itself holds it only for kargoWebhook targets.
    const receiverSecret = new random.RandomPassword(`${name}-kargo-receiver-secret`, { length: 48, special: false }, parent).result;
    const adminToken = new random.RandomPassword(`${name}-admin-token`, { length: 40, special: false }, parent).result;

    // Each Project's receiver Secret holds the same value the relay signs with, so the relay's
    // `kargoWebhook` targets and GitHub-direct deliveries to Kargo both verify.
    const receiverDeps: pulumi.Resource[] = [];
    for (const project of plan.projects) {
      const ns = args.projectNamespaces?.get(project);
      receiverDeps.push(
        new k8s.core.v1.Secret(
          `${name}-receiver-${project}`,
          {
            metadata: {
              name: receiverSecretName,
              namespace: ns === undefined ? project : ns.metadata.name,
              labels: { 'kargo.akuity.io/cred-type': 'generic' },
            },
            type: 'Opaque',
            stringData: { secret: pulumi.secret(receiverSecret) },
          },
          { parent: this, dependsOn: ns === undefined ? [] : [ns] },
        ),
      );
    }

    const relaySecret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name, namespace: args.namespace },
        type: 'Opaque',
        stringData: {
          [RelaySecretKey.githubWebhookSecrets]: pulumi.secret(github),
          [RelaySecretKey.adminToken]: pulumi.secret(adminToken),
          // The workload reads each receiver target's `secretEnv` from the key of that name.
          ...Object.fromEntries(plan.secretEnvs.map((env) => [env, pulumi.secret(receiverSecret)])),
          ...(args.sweeper === undefined ? {} : { [RelaySecretKey.githubToken]: pulumi.secret(args.sweeper.token) }),
        },
      },
      parent,
    );

    // The chart's webhooks certificate is self-signed by cert-manager (its `ca.crt` is the issuing CA); the relay
    // trusts exactly that CA, copied into its namespace as a ConfigMap (a CA bundle is public; the Secret beside
    // it also holds the private key, which the relay must not be able to mount).
    const caDeps: pulumi.Resource[] = [];
    const caName = `${name}-kargo-ca`;
    let caChecksum: pulumi.Output<string> | undefined;
    if (plan.needsKargoCa) {
      const certId = `${kargoNamespace}/${args.kargoWebhooksCertSecret}`;
      const cert = k8s.core.v1.Secret.get(
        `${name}-kargo-webhooks-cert`,
        // An id that waits for the release: unknown in the preview of a first install (no read), read after it otherwise.
        args.kargoRelease === undefined ? certId : args.kargoRelease.id.apply(() => certId),
        { parent: this, ...(args.kargoRelease === undefined ? {} : { dependsOn: [args.kargoRelease] }) },
      );
      const ca = cert.data.apply((data) => kargoCaPem(data, certId));
      caDeps.push(new k8s.core.v1.ConfigMap(caName, { metadata: { name: caName, namespace: args.namespace }, data: { 'ca.crt': ca } }, parent));
      // The relay reads caFile at boot only: a changed CA (a renewed certificate) must roll the pods.
      caChecksum = ca.apply((pem) => createHash('sha256').update(pem).digest('hex'));
    }

    const ingress =
      args.ingress === undefined
        ? undefined
        : {
            host: args.ingress.host,
            ...(args.ingress.className === undefined ? {} : { className: args.ingress.className }),
            ...(args.ingress.tlsSecretName === undefined ? {} : { tlsSecretName: args.ingress.tlsSecretName }),
            ...(args.ingress.clusterIssuer === undefined ? {} : { clusterIssuer: args.ingress.clusterIssuer }),
          };
    const sweeper = args.sweeper;
    const manifests = relayWorkloadObjects({
      name,
      namespace: args.namespace,
      image: args.image,
      secretName: name,
      routesYaml: args.routes.text,
      kargoNamespace,
      ...(plan.needsKargoCa ? { caBundle: { configMapName: caName } } : {}),
      ...(args.storage?.size === undefined ? {} : { storageSize: args.storage.size }),
      ...(args.storage?.className === undefined ? {} : { storageClassName: args.storage.className }),
      ...(args.replicas === undefined ? {} : { replicas: args.replicas }),
      ...(ingress === undefined ? {} : { ingress }),
      ...(args.network === undefined ? {} : { network: args.network }),
      ...(sweeper === undefined
        ? {}
        : { sweeper: { hookId: sweeper.hookId, ...(sweeper.repo === undefined ? {} : { repo: sweeper.repo }), ...(sweeper.org === undefined ? {} : { org: sweeper.org }) } }),
    });
    const deps = [relaySecret, ...receiverDeps, ...caDeps, ...(args.dependsOn ?? [])];
    for (const m of manifests) {
      const objectName = m.metadata?.name ?? name;
      const objectNs = m.metadata?.namespace ?? args.namespace;
      const resourceName = `${name}-${m.kind.toLowerCase()}-${objectNs === args.namespace ? '' : `${objectNs}-`}${objectName}`;
      applyManifest(resourceName, m.kind === 'StatefulSet' && caChecksum !== undefined ? withPodAnnotation(m, CA_CHECKSUM_ANNOTATION, caChecksum) : m, { parent: this, dependsOn: deps });
    }

    this.githubWebhookSecret = pulumi.secret(github);
    // https only when the Ingress serves TLS: a plain Ingress is reached over http.
    this.url = ingress === undefined ? `http://${name}.${args.namespace}.svc/webhooks/github` : `${relayIngressTls(ingress) ? 'https' : 'http'}://${ingress.host}/webhooks/github`;
    this.receiverPaths = pulumi.secret(
      receiverSecret.apply((s) => Object.fromEntries(plan.projects.map((p) => [p, githubReceiverPath(p, receiverName, s)]))),
    );
    this.registerOutputs({ githubWebhookSecret: this.githubWebhookSecret, url: this.url, receiverPaths: this.receiverPaths });
  }
}
