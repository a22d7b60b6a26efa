// WebhookRelay: the relay's secrets, the Kargo receiver Secrets it shares with the ProjectConfigs, and its workload.
import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { KARGO_RECEIVER_SECRET_ENV, RelaySecretKey, relayWorkloadObjects, type RelayWorkloadObject } from '@kargo/render';
import type { RelayTargetMode } from './config.ts';
import { checkRelayRoutes, routedNamespaces, toReceiverRoutes, type RelayRoutesSource } from './relay-routes.ts';

export interface WebhookRelayArgs {
  /** Namespace of the relay (the Kargo namespace). */
  readonly namespace: pulumi.Input<string> & string;
  readonly image: string;
  /**
   * The routes file `kargo-env render` writes (kargo/relay/routes.yaml). With `target: kubernetes` the relay
   * mounts it verbatim; its `kubernetes` targets name the Project namespaces that get RBAC and receiver Secrets.
   */
  readonly routes: RelayRoutesSource;
  /** `kubernetes` (patch the Warehouse, as render's routes do) or `kargoWebhook` (Kargo's GitHub receiver). */
  readonly target: RelayTargetMode;
  /** GitHub's webhook secret; generated (and exported as a secret) when absent. */
  readonly githubWebhookSecret?: pulumi.Input<string> | undefined;
  /** Receiver name in each ProjectConfig. @default `ghcr` */
  readonly receiverName?: string;
  /** Secret (key `secret`) each ProjectConfig's receiver references. @default `kargo-ghcr-webhook` */
  readonly receiverSecretName?: string;
  /** Create each Project namespace, labelled so Kargo adopts it. @default true */
  readonly createProjectNamespaces?: boolean;
  /** Whether Kargo's external webhooks server serves HTTPS (self-signed through cert-manager). */
  readonly kargoWebhooksTls: boolean;
  readonly kargoWebhooksServiceName: string;
  readonly kargoWebhooksCertSecret: string;
  readonly ingress?: { readonly host: string; readonly className?: string | undefined } | undefined;
  /** Resources the workload waits for (the Kargo release: CRDs and the webhook server). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Kargo's receiver path: `/github/<hex sha256(project + receiverName + secret)>` (reference/kargo.md §a). */
export function githubReceiverPath(project: string, receiverName: string, secret: string): string {
  return `/github/${createHash('sha256').update(project + receiverName + secret).digest('hex')}`;
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
    case 'PersistentVolumeClaim':
      // Bound only once the pod is scheduled on WaitForFirstConsumer classes: don't wait for it here.
      return new k8s.core.v1.PersistentVolumeClaim(
        resourceName,
        { ...m, metadata: { ...m.metadata, annotations: { 'pulumi.com/skipAwait': 'true' } } } as k8s.core.v1.PersistentVolumeClaimArgs,
        opts,
      );
    case 'Deployment':
      return new k8s.apps.v1.Deployment(resourceName, m as k8s.apps.v1.DeploymentArgs, opts);
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

export class WebhookRelay extends pulumi.ComponentResource {
  /** GitHub's webhook secret (secret output): paste it into the GitHub hook. */
  readonly githubWebhookSecret: pulumi.Output<string>;
  /** Where GitHub delivers: the public Ingress URL, or the in-cluster Service URL. */
  readonly url: string;
  /** Kargo receiver path per Project (secret output: it is derived from the receiver secret). */
  readonly receiverPaths: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: WebhookRelayArgs, opts?: pulumi.ComponentResourceOptions) {
    super('kargo:infra:WebhookRelay', name, {}, opts);
    const parent = { parent: this };
    const receiverName = args.receiverName ?? 'ghcr';
    const receiverSecretName = args.receiverSecretName ?? 'kargo-ghcr-webhook';
    // Project = namespace in Kargo, so the routes' Warehouse namespaces are the Projects to wire up.
    const projects = routedNamespaces(checkRelayRoutes(args.routes));

    const github =
      args.githubWebhookSecret === undefined
        ? new random.RandomPassword(`${name}-github-webhook-secret`, { length: 40, special: false }, parent).result
        : pulumi.output(args.githubWebhookSecret);
    const receiverSecret = new random.RandomPassword(`${name}-kargo-receiver-secret`, { length: 48, special: false }, parent).result;
    const adminToken = new random.RandomPassword(`${name}-admin-token`, { length: 40, special: false }, parent).result;

    // Each Project's receiver Secret holds the same value the relay signs with, so the relay's
    // `kargoWebhook` targets and GitHub-direct deliveries to Kargo both verify.
    const receiverDeps: pulumi.Resource[] = [];
    for (const project of projects) {
      const ns =
        args.createProjectNamespaces === false
          ? undefined
          : new k8s.core.v1.Namespace(
              `${name}-project-${project}`,
              // Kargo adopts an existing namespace for a Project only with this label.
              { metadata: { name: project, labels: { 'kargo.akuity.io/project': 'true' } } },
              parent,
            );
      if (ns !== undefined) receiverDeps.push(ns);
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
          parent,
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
          [RelaySecretKey.kargoReceiverSecret]: pulumi.secret(receiverSecret),
          [RelaySecretKey.adminToken]: pulumi.secret(adminToken),
        },
      },
      parent,
    );

    const scheme = args.kargoWebhooksTls ? 'https' : 'http';
    const base = `${scheme}://${args.kargoWebhooksServiceName}.${args.namespace}.svc`;
    const kubernetesMode = args.target === 'kubernetes';
    // kubernetes: the committed file, verbatim. kargoWebhook: receiver URLs derive from the receiver secret,
    // so the ConfigMap's data is that Output; the objects are built without Warehouse access (no RBAC).
    const receiverRoutes = kubernetesMode
      ? undefined
      : receiverSecret.apply((s) => toReceiverRoutes(args.routes.text, (project) => `${base}${githubReceiverPath(project, receiverName, s)}`, KARGO_RECEIVER_SECRET_ENV));

    const manifests = relayWorkloadObjects({
      name,
      namespace: args.namespace,
      image: args.image,
      secretName: name,
      routesYaml: kubernetesMode ? args.routes.text : 'routes: []\n',
      kargoNamespace: args.namespace,
      ...(!kubernetesMode && args.kargoWebhooksTls ? { kargoCaSecretName: args.kargoWebhooksCertSecret } : {}),
      ...(args.ingress === undefined
        ? {}
        : { ingress: { host: args.ingress.host, ...(args.ingress.className === undefined ? {} : { className: args.ingress.className }) } }),
    });
    const deps = [relaySecret, ...receiverDeps, ...(args.dependsOn ?? [])];
    for (const m of manifests) {
      const objectName = m.metadata?.name ?? name;
      const objectNs = m.metadata?.namespace ?? args.namespace;
      const resourceName = `${name}-${m.kind.toLowerCase()}-${objectNs === args.namespace ? '' : `${objectNs}-`}${objectName}`;
      const input = m.kind === 'ConfigMap' && receiverRoutes !== undefined ? { ...m, data: { 'routes.yaml': receiverRoutes } } : m;
      applyManifest(resourceName, input as RelayWorkloadObject, { parent: this, dependsOn: deps });
    }

    this.githubWebhookSecret = pulumi.secret(github);
    this.url = args.ingress === undefined ? `http://${name}.${args.namespace}.svc/webhooks/github` : `https://${args.ingress.host}/webhooks/github`;
    this.receiverPaths = pulumi.secret(
      receiverSecret.apply((s) => Object.fromEntries(projects.map((p) => [p, githubReceiverPath(p, receiverName, s)]))),
    );
    this.registerOutputs({ githubWebhookSecret: this.githubWebhookSecret, url: this.url, receiverPaths: this.receiverPaths });
  }
}
