// Argo CD and Argo Rollouts types consumers need beside Kargo, re-exported from @kubernetes-models
// (classes validate with `.validate()`; the I-prefixed interfaces are the plain-object shapes).
export {
  Application,
  type IApplication,
} from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
export { ApplicationSpec, type IApplicationSpec } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSpec';
export { ApplicationSource, type IApplicationSource } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSource';
export type { ApplicationSources, IApplicationSources } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSources';
export {
  ApplicationSourceHelm,
  type IApplicationSourceHelm,
} from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSourceHelm';
export {
  ApplicationSourceKustomize,
  type IApplicationSourceKustomize,
} from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSourceKustomize';
export { HelmParameter, type IHelmParameter } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/HelmParameter';
export {
  ApplicationDestination,
  type IApplicationDestination,
} from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationDestination';
export { SyncPolicy, type ISyncPolicy } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/SyncPolicy';
export {
  SyncPolicyAutomated,
  type ISyncPolicyAutomated,
} from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/SyncPolicyAutomated';
export type { SyncOptions, ISyncOptions } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/SyncOptions';
export { RetryStrategy, type IRetryStrategy } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/RetryStrategy';
export { Backoff, type IBackoff } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Backoff';
export {
  ManagedNamespaceMetadata,
  type IManagedNamespaceMetadata,
} from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ManagedNamespaceMetadata';
export { SyncWindow, type ISyncWindow } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/SyncWindow';
export type { SyncWindows, ISyncWindows } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/SyncWindows';
export { AppProject, type IAppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
export { AppProjectSpec, type IAppProjectSpec } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProjectSpec';
export {
  ClusterResourceRestrictionItem,
  type IClusterResourceRestrictionItem,
} from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ClusterResourceRestrictionItem';
export { ProjectRole, type IProjectRole } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ProjectRole';

export {
  AnalysisTemplate,
  type IAnalysisTemplate,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
export {
  AnalysisTemplateSpec,
  type IAnalysisTemplateSpec,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplateSpec';
export {
  ClusterAnalysisTemplate,
  type IClusterAnalysisTemplate,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/ClusterAnalysisTemplate';
export { Metric, type IMetric } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Metric';
export { MetricProvider, type IMetricProvider } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/MetricProvider';
export { JobMetric, type IJobMetric } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/JobMetric';
export { WebMetric, type IWebMetric } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/WebMetric';
export {
  WebMetricHeader,
  type IWebMetricHeader,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/WebMetricHeader';
export {
  PrometheusMetric,
  type IPrometheusMetric,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/PrometheusMetric';
export { DryRun, type IDryRun } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/DryRun';
export {
  MeasurementRetention,
  type IMeasurementRetention,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/MeasurementRetention';
// Renamed: "Argument" alone is too generic for this package's flat namespace.
export {
  Argument as AnalysisArgument,
  type IArgument as IAnalysisArgument,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Argument';
export {
  ArgumentValueFrom as AnalysisArgumentValueFrom,
  type IArgumentValueFrom as IAnalysisArgumentValueFrom,
} from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/ArgumentValueFrom';
