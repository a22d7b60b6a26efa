// The kargo-infra Pulumi program: read config, build the components, export outputs. Nothing else.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { requireArgoCd } from './src/argo-cd.ts';
import { ArgoRollouts } from './src/argo-rollouts.ts';
import { CertManager } from './src/cert-manager.ts';
import { readInfraConfig, type InfraConfig, type InfraSecrets } from './src/config.ts';
import { planRelayRoutes, type RelayRoutesSource } from './src/relay-routes.ts';
import { KargoConfigsApp } from './src/kargo-configs-app.ts';
import { KARGO_EXTERNAL_WEBHOOKS_CERT_SECRET, KargoInstallation } from './src/kargo-installation.ts';
import { KargoProjects, missingGitCredentialsWarning, type KargoTree } from './src/kargo-projects.ts';
import { WebhookRelay } from './src/webhook-relay.ts';

// Pulumi runs the program in infra/, so relayRoutesFile's default ../kargo/relay/routes.yaml is the committed file.
const { config, secrets, relayRoutes, kargoTree } = readInfraConfig(new pulumi.Config(), process.cwd());

function build(c: InfraConfig, s: InfraSecrets, tree: KargoTree, routes: RelayRoutesSource | undefined) {
  const provider =
    c.kubeconfig === undefined && c.kubeContext === undefined
      ? undefined
      : new k8s.Provider('kargo-k8s', {
          ...(c.kubeconfig === undefined ? {} : { kubeconfig: pulumi.secret(c.kubeconfig) }),
          ...(c.kubeContext === undefined ? {} : { context: c.kubeContext }),
        });
  const opts: pulumi.ComponentResourceOptions = provider === undefined ? {} : { providers: [provider] };

  // What `pulumi up` creates, in order: the Argo CD check (a read) → cert-manager and Argo Rollouts → Kargo →
  // Project namespaces → their Secrets (Git credentials, webhook receiver) → kargo-configs; the relay after Kargo.
  const argoCd = requireArgoCd('argocd-applications-crd', provider === undefined ? {} : { provider });
  const certManager = c.certManager === 'install' ? new CertManager('cert-manager', { version: c.certManagerVersion }, opts) : undefined;
  const rollouts = c.argoRollouts === 'install' ? new ArgoRollouts('argo-rollouts', { version: c.argoRolloutsVersion }, opts) : undefined;
  const kargo = new KargoInstallation(
    'kargo',
    {
      namespace: c.namespace,
      version: c.kargoVersion,
      certManager: c.certManager,
      adminPassword: s.adminPassword,
      argocdNamespace: c.argocdNamespace,
      minReconciliationInterval: c.minReconciliationInterval,
      imageCacheByTagPolicy: c.imageCacheByTagPolicy,
      releaseDependsOn: [argoCd, ...(certManager === undefined ? [] : [certManager.release]), ...(rollouts === undefined ? [] : [rollouts.release])],
    },
    opts,
  );

  // Every Project of the rendered tree, and every Project the relay's routes reach.
  const routedProjects = routes === undefined ? [] : planRelayRoutes(routes, { namespace: c.namespace, tls: c.certManager !== 'none', receiverName: c.webhookReceiverName }).projects;
  const projectNames = [...new Set([...tree.projects, ...routedProjects])].sort();
  if (s.gitCredentials === undefined) {
    const warning = missingGitCredentialsWarning(tree, projectNames, c.gitRepoURL);
    if (warning !== undefined) void pulumi.log.warn(warning);
  }
  const projects = new KargoProjects(
    'kargo-projects',
    { projects: projectNames, createNamespaces: c.createProjectNamespaces, gitRepoURL: c.gitRepoURL, gitCredentials: s.gitCredentials, dependsOn: [kargo.release] },
    opts,
  );
  // Argo CD then finds the Project namespaces adopted (not racing Kargo to create them) and the credentials in place.
  new KargoConfigsApp(
    'kargo-configs',
    { repoURL: c.gitRepoURL, targetRevision: c.gitRevision, path: c.kargoPath, argocdNamespace: c.argocdNamespace, dependsOn: [kargo.release, argoCd, ...projects.resources] },
    opts,
  );
  const relay = routes !== undefined
    ? new WebhookRelay(
        'kargo-webhook-relay',
        {
          namespace: c.namespace,
          image: c.relayImage,
          routes,
          githubWebhookSecret: s.githubWebhookSecret,
          receiverName: c.webhookReceiverName,
          receiverSecretName: c.webhookSecretName,
          projectNamespaces: projects.namespaces,
          kargoWebhooksTls: kargo.externalWebhooksTls,
          kargoWebhooksCertSecret: KARGO_EXTERNAL_WEBHOOKS_CERT_SECRET,
          kargoRelease: kargo.release,
          ingress:
            c.relayIngressHost === undefined
              ? undefined
              : { host: c.relayIngressHost, className: c.relayIngressClassName, tlsSecretName: c.relayIngressTlsSecret, clusterIssuer: c.relayIngressClusterIssuer },
          network: {
            ingressNamespaceSelector: c.relayIngressNamespaceSelector,
            monitoringNamespaceSelector: c.relayMonitoringNamespaceSelector,
            apiServerCidrs: c.relayApiServerCidrs,
            apiServerProxyCidrs: c.relayApiServerProxyCidrs,
          },
          sweeper:
            s.relayGithubToken === undefined || c.relayGithubHookId === undefined
              ? undefined
              : { token: s.relayGithubToken, hookId: c.relayGithubHookId, repo: c.relayGithubHookRepo, org: c.relayGithubHookOrg },
          storage: { size: c.relayStorageSize, className: c.relayStorageClassName },
          replicas: c.relayReplicas,
          dependsOn: [kargo.release],
        },
        opts,
      )
    : undefined;

  const localPort = kargo.apiServicePort === 443 ? 8443 : 8080;
  return {
    namespace: kargo.namespace,
    kargoApiService: pulumi.interpolate`${kargo.namespace}/${kargo.apiServiceName}`,
    portForwardCommand: pulumi.interpolate`kubectl -n ${kargo.namespace} port-forward svc/${kargo.apiServiceName} ${localPort}:${kargo.apiServicePort}`,
    kargoUiUrl: `${kargo.apiServicePort === 443 ? 'https' : 'http'}://localhost:${localPort}`,
    adminPassword: kargo.adminPassword,
    relayUrl: relay?.url,
    githubWebhookSecret: relay?.githubWebhookSecret,
    webhookReceiverPaths: relay?.receiverPaths,
  };
}

// enableKargo=false (the default) registers no resource at all, so `pulumi up` removes whatever a previous
// enabled run created.
const out = config.enableKargo && kargoTree !== undefined ? build(config, secrets, kargoTree, relayRoutes) : undefined;

export const enabled = config.enableKargo;
export const namespace = out?.namespace;
export const kargoApiService = out?.kargoApiService;
export const portForwardCommand = out?.portForwardCommand;
export const kargoUiUrl = out?.kargoUiUrl;
export const adminPassword = out?.adminPassword;
export const relayUrl = out?.relayUrl;
export const githubWebhookSecret = out?.githubWebhookSecret;
export const webhookReceiverPaths = out?.webhookReceiverPaths;
