// Public surface of the infra components, for other Pulumi programs.
export { CertManager, type CertManagerArgs } from './cert-manager.ts';
export {
  CertManagerMode,
  InfraConfigSchema,
  DEFAULT_RELAY_ROUTES_FILE,
  readInfraConfig,
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
  checkRelayRoutes,
  loadRelayRoutes,
  planRelayRoutes,
  type KargoWebhooksEndpoint,
  type RelayRoutesPlan,
  type RelayRoutesSource,
} from './relay-routes.ts';
export { WebhookRelay, githubReceiverPath, kargoCaPem, type WebhookRelayArgs } from './webhook-relay.ts';
