// Names, annotations and defaults shared by the constructs (Kargo 1.11, Argo CD 3.x, Argo Rollouts 1.9).

export const KARGO_API_VERSION = 'kargo.akuity.io/v1alpha1';
export const ARGOCD_API_VERSION = 'argoproj.io/v1alpha1';
export const ROLLOUTS_API_VERSION = 'argoproj.io/v1alpha1';

export const Annotation = {
  color: 'kargo.akuity.io/color',
  description: 'kargo.akuity.io/description',
  authorizedStage: 'kargo.akuity.io/authorized-stage',
  syncWave: 'argocd.argoproj.io/sync-wave',
} as const;

export const Label = {
  managedBy: 'managed-by',
  kargoProject: 'kargo.akuity.io/project',
} as const;

/** The value of the `managed-by` label on every Argo CD Application the render writes. */
export const MANAGED_BY = 'kargo';

/** Where Argo CD runs and which cluster the environment apps target unless told otherwise. */
export const ARGOCD_NAMESPACE = 'argocd';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** `kargo.akuity.io/authorized-stage` value that lets Stage `stage` of Project `project` update an Application. */
export function authorizedStageValue(project: string, stage: string): string {
  return `${project}:${stage}`;
}

