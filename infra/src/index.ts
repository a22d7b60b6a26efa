// Public surface of the infra components, for other Pulumi programs.
export { ARGOCD_APPLICATIONS_CRD, checkArgoCdApplicationsCrd, requireArgoCd } from './argo-cd.ts';
export { ARGO_ROLLOUTS_CHART, ARGO_ROLLOUTS_REPO, ArgoRollouts, DEFAULT_ARGO_ROLLOUTS_VERSION, type ArgoRolloutsArgs } from './argo-rollouts.ts';
export { CertManager, type CertManagerArgs } from './cert-manager.ts';
export {
  ArgoRolloutsMode,
  CertManagerMode,
  checkGitCredentials,
  DEFAULT_KARGO_DIR,
  GIT_CREDENTIAL_KEYS,
  InfraConfigSchema,
  DEFAULT_RELAY_ROUTES_FILE,
  readInfraConfig,
  type GitCredentials,
  type InfraConfig,
  type InfraSecrets,
  type InfraSettings,
} from './config.ts';
export { InfraErrorCode, KargoInfraError } from './errors.ts';
export { KargoConfigsApp, type KargoConfigsAppArgs } from './kargo-configs-app.ts';
export {
  ADMIN_SECRET_NAME,
  KARGO_API_SERVICE,
  KARGO_CHART,
  KargoInstallation,
  kargoChartValues,
  kargoTlsValues,
  type KargoInstallationArgs,
} from './kargo-installation.ts';
export {
  GIT_CREDENTIALS_SECRET,
  GIT_CRED_TYPE_LABEL,
  GIT_REPO_URL_ANNOTATION,
  KargoProjects,
  loadKargoTree,
  missingGitCredentialsWarning,
  PROJECT_NAMESPACE_LABEL,
  type KargoProjectsArgs,
  type KargoTree,
  type RenderedStage,
} from './kargo-projects.ts';
export {
  checkRelayRoutes,
  loadRelayRoutes,
  planRelayRoutes,
  type KargoWebhooksEndpoint,
  type RelayRoutesPlan,
  type RelayRoutesSource,
} from './relay-routes.ts';
export { WebhookRelay, githubReceiverPath, kargoCaPem, type WebhookRelayArgs } from './webhook-relay.ts';
