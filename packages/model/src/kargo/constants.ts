// Well-known strings of Kargo v1alpha1: API version, annotations, labels and the Stage colour palette.

export const KARGO_API_VERSION = 'kargo.akuity.io/v1alpha1';
export type KargoApiVersion = typeof KARGO_API_VERSION;

export const KARGO_GROUP = 'kargo.akuity.io';

/** Annotations Kargo reads or writes. */
export const KargoAnnotation = {
  /** Any new value asks Kargo to reconcile now; `status.lastHandledRefresh` echoes it once handled. */
  Refresh: 'kargo.akuity.io/refresh',
  /** Stage (and, undocumented, Warehouse) colour in the UI: a palette name or a CSS colour. */
  Color: 'kargo.akuity.io/color',
  Description: 'kargo.akuity.io/description',
  /** On an Argo CD Application: `<project>:<stage>`; a comma-separated list since v1.11.0. */
  AuthorizedStage: 'kargo.akuity.io/authorized-stage',
  /** On a Stage: a verification id, or JSON `{id, actor, controlPlane}`. */
  Reverify: 'kargo.akuity.io/reverify',
  /** On a Stage: the id of the verification to abort. */
  Abort: 'kargo.akuity.io/abort',
  /** `"true"` on a Project or Namespace keeps the namespace when the Project is deleted. */
  KeepNamespace: 'kargo.akuity.io/keep-namespace',
  /** `"true"` on a Promotion Kargo created as an automatic rollback (v1.11.0, Enterprise). */
  Rollback: 'kargo.akuity.io/rollback',
} as const;
export type KargoAnnotation = (typeof KargoAnnotation)[keyof typeof KargoAnnotation];

/** Labels Kargo reads or writes. */
export const KargoLabel = {
  /** `"true"` on an existing Namespace lets a Project of the same name adopt it. */
  Project: 'kargo.akuity.io/project',
  /** The alias of a Freight. */
  Alias: 'kargo.akuity.io/alias',
  /** The Stage of a Promotion (v1.11.0). */
  Stage: 'kargo.akuity.io/stage',
  /** Kept in sync with `spec.shard` of Warehouses and Stages by Kargo's webhook. */
  Shard: 'kargo.akuity.io/shard',
  /** Kind of credentials a Secret holds, e.g. `generic` for webhook-receiver Secrets. */
  CredType: 'kargo.akuity.io/cred-type',
} as const;
export type KargoLabel = (typeof KargoLabel)[keyof typeof KargoLabel];

/**
 * kargo-env's own annotation on a Git credentials Secret (`kargo.akuity.io/cred-type: git`): the repoURL the Secret
 * holds in its data. Kargo ignores it (it matches data.repoURL, pkg/credentials/kubernetes/database.go); it lets
 * `kargo-env doctor`, which reads Secrets as metadata only, tell which repository a credential serves. infra writes it.
 */
export const GIT_REPO_URL_ANNOTATION = 'kargo-env.dev/repo-url';

/** The UI's named Stage colours (unchanged since v1.6), in palette order. */
export const STAGE_COLORS = [
  'red',
  'salmon',
  'orange',
  'amber',
  'yellow',
  'lime',
  'avocado',
  'green',
  'teal',
  'cyan',
  'sky',
  'blue',
  'indigo',
  'periwinkle',
  'violet',
  'purple',
  'fuchsia',
  'pink',
  'rose',
  'dragonfruit',
  'gray',
] as const;
export type StageColor = (typeof STAGE_COLORS)[number];

export function isStageColor(value: string): value is StageColor {
  return (STAGE_COLORS as readonly string[]).includes(value);
}

/** The value of `kargo.akuity.io/authorized-stage` that lets `<project>:<stage>` update an Argo CD Application. */
export function authorizedStageValue(project: string, stage: string): string {
  return `${project}:${stage}`;
}
