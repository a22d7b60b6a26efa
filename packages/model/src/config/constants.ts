// Fixed vocabulary of the pipeline config: header strings, palettes, enums and the pinned preset images.
import { STAGE_COLORS, type StageColor } from '../kargo/constants.ts';

/** The `apiVersion` every `kargo-env.yaml` starts with. Bumped only on a breaking change of the format. */
export const PIPELINE_CONFIG_API_VERSION = 'kargo-env.dev/v1alpha1';
/** The `kind` of the document. */
export const PIPELINE_CONFIG_KIND = 'PipelineConfig';
/** The file name `kargo-env` looks for by default. */
export const PIPELINE_CONFIG_FILENAME = 'kargo-env.yaml';
/**
 * `$id` of the generated JSON Schema; also the address editors can fetch it from: the file on the
 * repository's default branch, which serves whether or not a version of the package has been published.
 */
export const PIPELINE_CONFIG_SCHEMA_ID = 'https://raw.githubusercontent.com/alkon/kargo-gitops-toolkit/main/packages/model/schema/kargo-env.schema.json';

/** Stage colour names the Kargo UI knows: the model's one palette, re-exported under the config's name. */
export const KARGO_PALETTE = STAGE_COLORS;
export type KargoPaletteColor = StageColor;

// The Warehouse strategies are defined once, beside the tag rules that implement them.
export { ImageSelectionStrategy } from '../images/tags.ts';

export const ServiceType = { ClusterIP: 'ClusterIP', NodePort: 'NodePort', LoadBalancer: 'LoadBalancer' } as const;
export type ServiceType = (typeof ServiceType)[keyof typeof ServiceType];

export const AvailabilityStrategy = { All: 'All', OneOf: 'OneOf' } as const;
export type AvailabilityStrategy = (typeof AvailabilityStrategy)[keyof typeof AvailabilityStrategy];

/**
 * How a promotion lands: `git` commits the new tag into the environment's values file, `pull-request` pushes it
 * to a branch and waits for the pull request to merge, `argocd` sets a Helm parameter on the Argo CD Application
 * (no Git write credentials needed).
 */
export const PromotionMode = { Git: 'git', PullRequest: 'pull-request', ArgoCD: 'argocd' } as const;
export type PromotionMode = (typeof PromotionMode)[keyof typeof PromotionMode];

export const VerificationPreset = {
  Smoke: 'smoke',
  Integration: 'integration',
  SecurityScan: 'security-scan',
  Performance: 'performance',
} as const;
export type VerificationPreset = (typeof VerificationPreset)[keyof typeof VerificationPreset];

export const AnalysisTemplateKind = {
  AnalysisTemplate: 'AnalysisTemplate',
  ClusterAnalysisTemplate: 'ClusterAnalysisTemplate',
} as const;
export type AnalysisTemplateKind = (typeof AnalysisTemplateKind)[keyof typeof AnalysisTemplateKind];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const WindowKind = { Allow: 'allow', Deny: 'deny' } as const;
export type WindowKind = (typeof WindowKind)[keyof typeof WindowKind];

export const NotificationType = { Slack: 'slack', Teams: 'teams' } as const;
export type NotificationType = (typeof NotificationType)[keyof typeof NotificationType];

/**
 * How the relay makes Kargo refresh a pipeline's Warehouse. `kubernetes`: merge-patch the Warehouse's
 * `kargo.akuity.io/refresh` annotation through the Kubernetes API (needs a Role allowing get/patch on
 * Warehouses, no receiver secret). `kargoWebhook`: re-sign the delivery to the Project's GitHub receiver (needs
 * the receiver's secret, no Kubernetes API access, and Kargo applies its own tag filtering).
 */
export const RelayTargetKind = { Kubernetes: 'kubernetes', KargoWebhook: 'kargoWebhook' } as const;
export type RelayTargetKind = (typeof RelayTargetKind)[keyof typeof RelayTargetKind];

/**
 * Kargo's external webhooks server inside the cluster, as the kargo-infra program installs it (namespace
 * `kargo-ns`, self-signed TLS through cert-manager). Another namespace: `kargo-external-webhooks-server.<ns>.svc`.
 */
export const DEFAULT_KARGO_WEBHOOKS_BASE_URL = 'https://kargo-external-webhooks-server.kargo-ns.svc';
/** Where the relay's pod finds the CA of Kargo's self-signed webhooks certificate (kargo-infra mounts it there). */
export const DEFAULT_KARGO_WEBHOOKS_CA_FILE = '/etc/kargo-webhooks-ca/ca.crt';
/** The relay's environment variable holding the receiver Secret's `secret` value. */
export const DEFAULT_KARGO_RECEIVER_SECRET_ENV = 'KARGO_RECEIVER_SECRET';

export const SCAN_SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type ScanSeverity = (typeof SCAN_SEVERITIES)[number];

/**
 * Images the verification presets run when the config names none. Pinned to exact versions so a render is
 * reproducible and a registry's moving `latest` never changes what a verification does.
 */
export const PRESET_IMAGES = {
  smoke: 'curlimages/curl:8.11.1',
  integration: 'curlimages/curl:8.11.1',
  'security-scan': 'aquasec/trivy:0.58.1',
  performance: 'grafana/k6:0.55.0',
} as const satisfies Record<VerificationPreset, string>;
