// Public surface of @kargo/render.
export { KargoRenderError, RenderErrorCode, type RenderErrorOptions } from './errors.ts';
export { ARGOCD_NAMESPACE, Annotation, IN_CLUSTER_SERVER, Label, MANAGED_BY } from './constants.ts';
export { GENERATED_HEADER, GENERATED_NOTICE, KEY_ORDER, RELAY_ROUTES_KIND, YAML_OPTIONS, compareStrings, generatedYamlFile, manifestFile, orderKeys } from './emit.ts';
export { KargoProject, type GitHubReceiverProps, type KargoProjectProps } from './constructs/kargo-project.ts';
export { ImageSelectionStrategy, PipelineWarehouse, type PipelineWarehouseProps } from './constructs/pipeline-warehouse.ts';
export {
  EnvironmentStage,
  PROMOTED_IMAGE,
  PROMOTED_TAG,
  PROMOTED_TAG_TEXT,
  PR_GUARDS,
  PUSHED_COMMIT,
  MERGED_COMMIT,
  promotionSteps,
  type EnvironmentStageProps,
  type StageGitTarget,
  type StageHelmSource,
  type StageNotification,
  type StageVerification,
} from './constructs/environment-stage.ts';
export { PresetArg, VerificationTemplate, type VerificationTemplateProps } from './constructs/verification-template.ts';
export { EnvironmentApplication, type ChartLocation, type EnvironmentApplicationProps } from './constructs/environment-application.ts';
export { PipelineAppProject, SyncWindowKind, type PipelineAppProjectProps, type SyncWindow } from './constructs/pipeline-app-project.ts';
export { KargoConfigsApp, RESOURCES_FINALIZER, kargoConfigsApplication, type KargoConfigsAppProps } from './constructs/kargo-configs-app.ts';
export { RelayRoutes, type RelayRoutesDocument, type RelayRoutesProps, type RelayRoutesTarget, type RelayWarehouse } from './constructs/relay-routes.ts';
export {
  DEFAULT_RELAY_API_SERVER_CIDRS,
  DEFAULT_RELAY_INGRESS_NAMESPACE_SELECTOR,
  DEFAULT_RELAY_MONITORING_NAMESPACE_SELECTOR,
  DEFAULT_RELAY_REPLICAS,
  GITHUB_API_PEER,
  KARGO_EXTERNAL_WEBHOOKS_POD_LABELS,
  KARGO_EXTERNAL_WEBHOOKS_POD_PORT,
  KARGO_RECEIVER_SECRET_ENV,
  NAMESPACE_NAME_LABEL,
  RELAY_NAME,
  RELAY_PORT,
  RelaySecretKey,
  RelayWorkload,
  relayIngressTls,
  relayRoutesNeeds,
  relayWorkloadObjects,
  type RelayCaBundle,
  type RelayIngressProps,
  type RelayNamespaceLabels,
  type RelayNetworkProps,
  type RelayRoutesNeeds,
  type RelaySweeperProps,
  type RelayWorkloadObject,
  type RelayWorkloadProps,
  type RelayWorkloadResources,
} from './constructs/relay-workload.ts';
export { compileSyncWindows } from './windows.ts';
export { VALUES_HEADER, mergeValuesFile, type MergeValuesOptions, type ValuesTree } from './values.ts';
export { PIPELINE_PAGE, ownedValues, renderPipelines, type RenderOptions, type RenderResult, type RenderedObject } from './tree.ts';
export { diffTree, listTree, writeTreeAtomic, type TreeDiff, type TreeFs } from './fs.ts';
export * from './graph/index.ts';
export * from './simulate/index.ts';
