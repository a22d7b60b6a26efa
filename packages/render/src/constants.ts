// Names, annotations and defaults shared by the constructs (Kargo 1.11, Argo CD 3.x, Argo Rollouts 1.9).
// Kargo's own strings come from @kargo/model, which defines them once.
import { KargoAnnotation, KargoLabel } from '@kargo/model';

export { KARGO_API_VERSION, authorizedStageValue } from '@kargo/model';

export const ARGOCD_API_VERSION = 'argoproj.io/v1alpha1';
export const ROLLOUTS_API_VERSION = 'argoproj.io/v1alpha1';

export const Annotation = {
  color: KargoAnnotation.Color,
  description: KargoAnnotation.Description,
  authorizedStage: KargoAnnotation.AuthorizedStage,
  syncWave: 'argocd.argoproj.io/sync-wave',
} as const;

export const Label = {
  managedBy: 'managed-by',
  kargoProject: KargoLabel.Project,
} as const;

/** The value of the `managed-by` label on every Argo CD Application the render writes. */
export const MANAGED_BY = 'kargo';

/** Where Argo CD runs and which cluster the environment apps target unless told otherwise. */
export const ARGOCD_NAMESPACE = 'argocd';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

