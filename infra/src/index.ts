// Public surface of the infra components, for other Pulumi programs.
export { CertManager, type CertManagerArgs } from './cert-manager.ts';
export {
  CertManagerMode,
  InfraConfigSchema,
  RelayTargetMode,
  RelayWarehouseSchema,
  readInfraConfig,
  type InfraConfig,
  type InfraSecrets,
  type RelayWarehouse,
} from './config.ts';
export { InfraErrorCode, KargoInfraError } from './errors.ts';
export { KargoConfigsApp, kargoConfigsApplication, type KargoConfigsAppArgs } from './kargo-configs-app.ts';
export {
  ADMIN_SECRET_NAME,
  KARGO_API_SERVICE,
  KARGO_CHART,
  KargoInstallation,
  kargoChartValues,
  kargoTlsValues,
  type KargoInstallationArgs,
} from './kargo-installation.ts';
export { KARGO_RECEIVER_SECRET_ENV, RELAY_PORT, RelaySecretKey, relayWorkloadManifests, type RelayManifest, type RelayWorkloadProps } from './relay-workload.ts';
export { WebhookRelay, githubReceiverPath, relayRoutesYaml, type WebhookRelayArgs } from './webhook-relay.ts';
