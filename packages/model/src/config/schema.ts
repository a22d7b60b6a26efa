// Runtime schemas of kargo-env.yaml: the input users write (with context-free defaults) and the resolved form
// every consumer (render, CLI, infra) receives after normalisation.
import { z } from 'zod';
import {
  AnalysisTemplateKind,
  AvailabilityStrategy,
  DEFAULT_KARGO_RECEIVER_SECRET_ENV,
  DEFAULT_KARGO_WEBHOOKS_BASE_URL,
  DEFAULT_KARGO_WEBHOOKS_CA_FILE,
  ImageSelectionStrategy,
  KARGO_PALETTE,
  NotificationType,
  PIPELINE_CONFIG_API_VERSION,
  PIPELINE_CONFIG_KIND,
  PRESET_IMAGES,
  PromotionMode,
  RelayTargetKind,
  SCAN_SEVERITIES,
  ServiceType,
  WEEKDAYS,
  WindowKind,
} from './constants.ts';
import { DURATION_PATTERN } from './duration.ts';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../kargo/common.ts';
import { KargoWebhookReceiverSchema } from '../relay/schema.ts';

const HEX_COLOR = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const IMAGE_REPOSITORY =
  /^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]+)?\/)?[a-z0-9]+([._-]+[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;
const CPU_QUANTITY = /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/;
const MEMORY_QUANTITY = /^[0-9]+(\.[0-9]+)?(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const RELATIVE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\\]+$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const HOURS = /^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$/;
const DATE = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;

/** A Kubernetes DNS-1123 label: lower-case alphanumerics and `-`, at most 63 characters. */
export const DnsLabelSchema = z
  .string()
  .max(63, 'must be at most 63 characters (a DNS-1123 label)')
  .regex(DNS1123_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with an alphanumeric');

/** A Kubernetes DNS-1123 subdomain (Secret names, for instance). */
export const DnsSubdomainSchema = z
  .string()
  .max(253, 'must be at most 253 characters (a DNS-1123 subdomain)')
  .regex(DNS1123_SUBDOMAIN, 'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and "."');

/** A Go-style duration as Kargo accepts it. */
export const DurationSchema = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration such as "30m", "1h30m" or "90s" (units s, m, h)')
  .meta({ examples: ['30m', '1h30m'] });

/** A Kargo palette name or a CSS hex colour. */
export const ColorSchema = z
  .union([
    z.enum(KARGO_PALETTE),
    // Zod reports a failed string union through its last string branch, so that branch carries the message.
    z.string().regex(HEX_COLOR, `must be a Kargo palette colour (${KARGO_PALETTE.join(', ')}) or a hex colour like "#1e90ff"`),
  ])
  .describe('Stage colour in the Kargo UI: a palette name or a hex colour (#rgb or #rrggbb).');

const RegexListSchema = z.array(z.string().min(1, 'must not be empty'));

// ---------------------------------------------------------------------------------------------------------------
// Input schemas (what users write). Defaults that depend on nothing else live here; the rest in normalise.
// ---------------------------------------------------------------------------------------------------------------

export const ImageInputSchema = z
  .strictObject({
    repository: z
      .string()
      .regex(IMAGE_REPOSITORY, 'must be an image repository without tag or digest, e.g. "ghcr.io/owner/app" (lower case)')
      .describe('Image repository Kargo watches, without tag or digest, e.g. ghcr.io/alkon/flask-app.'),
    strategy: z
      .enum(Object.values(ImageSelectionStrategy) as [ImageSelectionStrategy, ...ImageSelectionStrategy[]])
      .default('SemVer')
      .describe('How Kargo picks the newest image: SemVer (highest version within `constraint`), Lexical, NewestBuild, or Digest (the digest behind the mutable tag in `constraint`).'),
    constraint: z
      .string()
      .min(1)
      .optional()
      .describe('SemVer: a version range (Masterminds syntax), default "^1.0.0" so pre-releases and "latest" never create Freight. Digest: the mutable tag to follow (required). Not used by Lexical/NewestBuild.'),
    strictSemvers: z.boolean().optional().describe('SemVer only: accept only strict MAJOR.MINOR.PATCH tags (Kargo default: true).'),
    allowTags: RegexListSchema.optional().describe('Only tags matching one of these regular expressions (RE2 syntax) are considered. Rendered as allowTagsRegexes.'),
    ignoreTags: RegexListSchema.optional().describe('Tags matching any of these regular expressions (RE2 syntax) are ignored. Rendered as ignoreTagsRegexes.'),
    discoveryLimit: z.number().int().min(1).max(100).optional().describe('How many images Kargo keeps from discovery, 1-100 (Kargo default: 20).'),
    platform: z
      .string()
      .regex(/^\w+\/\w+$/, 'must look like "linux/amd64"')
      .optional()
      .describe('Only consider images for this OS/architecture, e.g. linux/amd64 (default: the controller\'s).'),
    interval: z
      .string()
      .regex(DURATION_PATTERN, 'must be a duration such as "5m0s", "10m" or "1h" (units s, m, h)')
      .default('5m0s')
      .meta({ examples: ['5m0s', '15m'] })
      .describe(
        "How often the Warehouse polls the registry for new tags (a Go duration, default 5m0s). Kargo polls at the larger of this and the controller's minReconciliationInterval (5m by default), so a shorter value alone does not speed discovery up: webhooks (the relay) make new images show up at once.",
      ),
    initialTag: z
      .string()
      .min(1)
      .default('1.0.0')
      .describe('Tag written into a values file that does not exist yet, before Kargo promotes anything.'),
  })
  .describe('The container image Kargo watches for new Freight.');

export const GitInputSchema = z
  .strictObject({
    repoURL: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL (Kargo deprecated SSH URLs), e.g. "https://github.com/owner/repo.git"')
      .describe('HTTPS URL of the Git repository holding the Helm values files Kargo writes to.'),
    branch: z
      .string()
      .min(1)
      .default('main')
      .describe(
        'Source branch: where kargo-env.yaml, the rendered kargo/ tree (values files) and the chart live. Every promotion reads it; none writes to it.',
      ),
    envBranch: z
      .string()
      .min(1)
      .regex(/\{env\}/, 'must contain "{env}", replaced by the environment name, so every environment has its own branch')
      .optional()
      .describe(
        'Branch of each environment ("{env}" and "{pipeline}" are replaced). A promotion copies the chart and the environment\'s values file from the source branch, sets the image tag, and commits to this branch (pull-request mode: opens the pull request against it); the environment\'s Argo CD Application tracks it. One branch per environment keeps each Stage\'s pinned revision valid while other Stages promote (Kargo judges health by the revision each Application synced). Default: "env/{env}" for a single pipeline, "env/{pipeline}/{env}" with several.',
      ),
    valuesDir: z
      .string()
      .regex(RELATIVE_PATH, 'must be a relative path inside the repository, without ".."')
      .optional()
      .describe('Folder of the values files, relative to the repository root. Default: "kargo/values" for a single pipeline, "kargo/<pipeline>/values" with several.'),
    valuesFile: z
      .string()
      .regex(RELATIVE_PATH, 'must be a relative path without ".."')
      .regex(/\{env\}/, 'must contain "{env}", replaced by the environment name')
      .default('{env}-values.yaml')
      .describe('Values file name pattern inside valuesDir; "{env}" becomes the environment name.'),
  })
  .describe('Where Kargo writes promotions back to Git.');

const ChartPathSchema = z
  .strictObject({
    path: z.string().regex(RELATIVE_PATH, 'must be a relative path inside the repository, without ".."').describe('Chart folder in the Git repository, e.g. charts/flask-app.'),
  })
  .describe('A Helm chart stored in the same Git repository.');

const ChartHelmRepoSchema = z
  .strictObject({
    repoURL: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) Helm repository URL').describe('Helm repository URL.'),
    chart: z.string().min(1).describe('Chart name in the repository.'),
    version: z.string().min(1).describe('Chart version (or a range Argo CD resolves).'),
  })
  .describe('A chart from a classic Helm repository; the values still come from this Git repository.');

const ChartOciSchema = z
  .strictObject({
    repoURL: z.string().regex(/^oci:\/\/[^\s]+$/, 'must start with oci://').describe('OCI registry URL, e.g. oci://ghcr.io/owner/charts.'),
    chart: z.string().min(1).optional().describe('Chart name, when repoURL names the registry path rather than the chart.'),
    version: z.string().min(1).describe('Chart version.'),
  })
  .describe('A chart from an OCI registry; the values still come from this Git repository.');

export const ChartInputSchema = z.union([ChartPathSchema, ChartHelmRepoSchema, ChartOciSchema]);

export const ArgoCDInputSchema = z
  .strictObject({
    namespace: DnsLabelSchema.default('argocd').describe('Namespace Argo CD runs in (where Applications are created).'),
    project: DnsLabelSchema.optional().describe('Argo CD AppProject for the environment Applications (generated, with the sync windows). Default: the app name.'),
    destination: z
      .strictObject({
        server: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL').optional().describe('API server URL of the target cluster. Default: https://kubernetes.default.svc (the cluster Argo CD runs in).'),
        name: z.string().min(1).optional().describe('Name of a cluster registered in Argo CD (instead of server).'),
      })
      .default({})
      .describe('Cluster the environments deploy to.'),
    appNameSuffix: z
      .string()
      .regex(/^([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and "-", not ending with "-"')
      .default('')
      .describe('Appended to every Application name (<app>-<env><suffix>), e.g. "-kargo" to run beside existing Applications.'),
    chart: ChartInputSchema.optional().describe('Helm chart to deploy. Default: { path: charts/<app> }.'),
  })
  .describe('How Argo CD deploys each environment.');

const ResourceAmountSchema = z.strictObject({
  cpu: z.string().regex(CPU_QUANTITY, 'must be a CPU quantity such as "50m" or "0.5"').optional().describe('CPU limit, e.g. "500m".'),
  memory: z.string().regex(MEMORY_QUANTITY, 'must be a memory quantity such as "64Mi" or "1Gi"').optional().describe('Memory limit, e.g. "256Mi".'),
});

export const ResourcesInputSchema = z
  .strictObject({
    cpu: z.string().regex(CPU_QUANTITY, 'must be a CPU quantity such as "50m" or "0.5"').optional().describe('CPU request (default 50m); also the limit unless limits.cpu is set.'),
    memory: z.string().regex(MEMORY_QUANTITY, 'must be a memory quantity such as "64Mi" or "1Gi"').optional().describe('Memory request (default 64Mi); also the limit unless limits.memory is set.'),
    limits: ResourceAmountSchema.optional().describe('Limits that differ from the requests.'),
  })
  .describe('Container resources. Requests equal limits unless `limits` says otherwise.');

export const ServiceInputSchema = z
  .strictObject({
    type: z.enum(Object.values(ServiceType) as [ServiceType, ...ServiceType[]]).optional().describe('Kubernetes Service type (default ClusterIP).'),
    port: z.number().int().min(1).max(65535).optional().describe('Service port, when the chart default is not wanted.'),
  })
  .describe('The Service in front of the app.');

export const PromotionInputSchema = z
  .strictObject({
    auto: z.boolean().optional().describe('Promote new Freight automatically. Default: false for environments named like production (prod, production, prd, live, prod-*), true otherwise.'),
    soak: DurationSchema.optional().describe('How long Freight must have been in the upstream environment before it can be promoted here, e.g. "30m".'),
    mode: z
      .enum(Object.values(PromotionMode) as [PromotionMode, ...PromotionMode[]])
      .optional()
      .describe('git: commit the tag into the values file · pull-request: push a branch and wait for the merged pull request · argocd: set a Helm parameter on the Application, no Git write. Default: pull-request for production-like names, git otherwise.'),
  })
  .describe('How Freight reaches this environment.');

const StringMapSchema = z.record(z.string(), z.string());

const SmokeInputSchema = z
  .strictObject({
    preset: z.literal('smoke'),
    image: z.string().min(1).default(PRESET_IMAGES.smoke).describe('Image that runs the HTTP check.'),
    path: z.string().regex(/^\//, 'must start with "/"').default('/').describe('HTTP path that must answer 2xx.'),
  })
  .describe('HTTP check of the environment\'s Service after each promotion.');

const IntegrationInputSchema = z
  .strictObject({
    preset: z.literal('integration'),
    image: z.string().min(1).default(PRESET_IMAGES.integration).describe('Test image; it receives the Service URL in $TARGET_URL.'),
    command: z.array(z.string()).optional().describe('Container command (default: the image entrypoint).'),
    args: z.array(z.string()).default([]).describe('Container arguments.'),
    env: StringMapSchema.default({}).describe('Extra environment variables for the test container.'),
  })
  .describe('Runs an integration-test container against the environment.');

const SecurityScanInputSchema = z
  .strictObject({
    preset: z.literal('security-scan'),
    image: z.string().min(1).default(PRESET_IMAGES['security-scan']).describe('Scanner image (Trivy CLI compatible).'),
    severity: z.array(z.enum(SCAN_SEVERITIES)).min(1).default(['HIGH', 'CRITICAL']).describe('Severities that fail the verification.'),
    ignoreUnfixed: z.boolean().default(true).describe('Ignore vulnerabilities without a fixed version.'),
  })
  .describe('Scans the promoted image; a finding at the given severities fails the verification.');

const PerformanceInputSchema = z
  .strictObject({
    preset: z.literal('performance'),
    image: z.string().min(1).default(PRESET_IMAGES.performance).describe('Load-test image (k6 compatible).'),
    vus: z.number().int().min(1).max(10000).default(10).describe('Virtual users.'),
    duration: DurationSchema.default('30s').describe('How long the load runs.'),
    thresholds: z
      .strictObject({
        p95Ms: z.number().positive().default(500).describe('Maximum 95th-percentile response time in milliseconds.'),
        errorRate: z.number().min(0).max(1).default(0.01).describe('Maximum share of failed requests (0-1).'),
      })
      .default({ p95Ms: 500, errorRate: 0.01 })
      .describe('Limits that fail the verification.'),
  })
  .describe('Load test against the environment with pass/fail thresholds.');

export const VerificationPresetInputSchema = z.discriminatedUnion('preset', [
  SmokeInputSchema,
  IntegrationInputSchema,
  SecurityScanInputSchema,
  PerformanceInputSchema,
]);

export const VerificationTemplateInputSchema = z
  .strictObject({
    template: DnsSubdomainSchema.describe('Name of an existing Argo Rollouts AnalysisTemplate.'),
    kind: z
      .enum(Object.values(AnalysisTemplateKind) as [AnalysisTemplateKind, ...AnalysisTemplateKind[]])
      .default('AnalysisTemplate')
      .describe('AnalysisTemplate (in the Kargo project namespace) or ClusterAnalysisTemplate.'),
    args: StringMapSchema.default({}).describe('Arguments passed to the analysis.'),
  })
  .describe('A custom AnalysisTemplate reference.');

export const VerificationInputSchema = z.union([VerificationPresetInputSchema, VerificationTemplateInputSchema]);

export const WindowInputSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('Label for people and error messages. Default: "<kind>-<index>".'),
    kind: z
      .enum(Object.values(WindowKind) as [WindowKind, ...WindowKind[]])
      .optional()
      .describe('allow: deployments only inside the window · deny: none inside it. Default: deny when `dates` is given, allow otherwise.'),
    timezone: z.string().min(1).default('UTC').describe('IANA time zone of days/hours/dates, e.g. Europe/Berlin.'),
    days: z.array(z.enum(WEEKDAYS)).min(1).optional().describe('Weekdays the window is open (allow) or closed (deny). Default: every day.'),
    hours: z
      .string()
      .regex(HOURS, 'must be "HH:MM-HH:MM", e.g. "09:00-17:00"')
      .optional()
      .describe('Time range within each day, e.g. "09:00-17:00"; may wrap past midnight ("22:00-06:00"). Default: the whole day.'),
    dates: z
      .array(z.string().regex(DATE, 'must be a date "YYYY-MM-DD"'))
      .min(1)
      .optional()
      .describe('Whole calendar days, e.g. a freeze on ["2026-12-24", "2026-12-31"]. Argo CD sync windows have no year field, so a date recurs every year.'),
  })
  .describe('A deployment window, compiled into an Argo CD sync window (which Kargo\'s argocd-update honours).');

export const NotificationInputSchema = z
  .strictObject({
    type: z.enum(Object.values(NotificationType) as [NotificationType, ...NotificationType[]]).describe('slack or teams incoming webhook.'),
    secretRef: z
      .strictObject({
        name: DnsSubdomainSchema.describe('Secret in the Kargo project namespace.'),
        key: z.string().regex(SECRET_KEY, 'must be a Secret data key').default('url').describe('Key holding the incoming-webhook URL.'),
      })
      .describe('Where the incoming-webhook URL is kept; the URL itself never appears in Git.'),
  })
  .describe('A message posted after a successful promotion.');

export const EnvironmentInputSchema = z
  .strictObject({
    name: DnsLabelSchema.describe('Environment (and Kargo Stage) name, e.g. dev.'),
    description: z.string().optional().describe('Shown in the Kargo UI.'),
    color: ColorSchema.optional(),
    namespace: DnsLabelSchema.optional().describe('Namespace the app runs in. Default: <app>-<env>.'),
    replicas: z.number().int().min(0).max(1000).optional().describe('Replica count (default 1).'),
    resources: ResourcesInputSchema.optional(),
    service: ServiceInputSchema.optional(),
    upstreams: z
      .array(DnsLabelSchema)
      .optional()
      .describe('Environments Freight comes from. Default: the previous environment; [] (or the first environment) takes Freight directly from the Warehouse. Several upstreams make a fan-in; several environments naming the same upstream a fan-out.'),
    availability: z
      .enum(Object.values(AvailabilityStrategy) as [AvailabilityStrategy, ...AvailabilityStrategy[]])
      .default('OneOf')
      .describe('With several upstreams: OneOf (verified in any) or All (verified in every one).'),
    promotion: PromotionInputSchema.optional(),
    verification: z.array(VerificationInputSchema).optional().describe('Checks that must pass before Freight counts as verified here (default: none).'),
    windows: z.array(WindowInputSchema).default([]).describe('Deployment windows.'),
    notifications: z.array(NotificationInputSchema).default([]).describe('Where to post promotion results.'),
    values: z.record(z.string(), z.unknown()).default({}).describe('Extra Helm values merged into this environment\'s values file.'),
  })
  .describe('One environment (a Kargo Stage and an Argo CD Application), in promotion order.');

export const PipelineInputSchema = z
  .strictObject({
    name: DnsLabelSchema.optional().describe('Pipeline name (folder kargo/<name>/ with several pipelines; Warehouse name). Default: app.'),
    app: DnsLabelSchema.describe('Application name; prefix of namespaces and Argo CD Application names.'),
    project: DnsLabelSchema.optional().describe('Kargo Project (and its namespace). Default: app.'),
    image: ImageInputSchema,
    git: GitInputSchema,
    argocd: ArgoCDInputSchema.default({ namespace: 'argocd', destination: {}, appNameSuffix: '' }),
    environments: z
      .array(EnvironmentInputSchema)
      .min(1, 'must list at least one environment')
      .optional()
      .describe('Environments in promotion order. Default: dev → staging → prod as in the kargo-env example.'),
  })
  .describe('One app promoted through its environments.');

/** Environment variables the relay reads for itself; a receiver secret under one of these names would clash. */
const RELAY_OWN_ENV = /^(PORT|HOST|LOG_LEVEL|KUBECONFIG|(RELAY|GITHUB|NODE)_.*)$/;

export const RelayKargoWebhookInputSchema = z
  .strictObject({
    baseURL: z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'must be an http:// or https:// URL without query or fragment', abort: true })
      // The routes file's own check, so render never writes a URL the relay rejects.
      .refine((url) => KargoWebhookReceiverSchema.shape.baseURL.safeParse(url).success, 'must be an http:// or https:// URL')
      .default(DEFAULT_KARGO_WEBHOOKS_BASE_URL)
      .describe(
        `Base URL of Kargo's external webhooks server as the relay reaches it (EXTERNAL_WEBHOOK_SERVER_BASE_URL; its path, if any, is the receivers' base path). Default ${DEFAULT_KARGO_WEBHOOKS_BASE_URL}: the in-cluster Service in kargo-ns, the kargo-infra default namespace; use kargo-external-webhooks-server.<namespace>.svc for another namespace, and http:// when Kargo runs without TLS (kargo-infra certManager=none).`,
      ),
    caFile: z
      .union([z.string().regex(/^\/.*[^/]$/, 'must be an absolute file path, e.g. /etc/kargo-webhooks-ca/ca.crt'), z.null()])
      .optional()
      .describe(
        `PEM CA bundle the relay trusts for this receiver, so it can verify the self-signed (cert-manager) certificate Kargo's webhooks server has by default. The relay's workload mounts the CA there (kargo-infra copies it from Kargo's kargo-external-webhooks-server-cert Secret). Default ${DEFAULT_KARGO_WEBHOOKS_CA_FILE} for an https baseURL, none for http; null trusts the system CAs only (a publicly trusted certificate).`,
      ),
    secretEnv: KargoWebhookReceiverSchema.shape.secretEnv
      .refine((name) => !RELAY_OWN_ENV.test(name), 'must not be a variable the relay reads itself (PORT, HOST, LOG_LEVEL, KUBECONFIG, RELAY_*, GITHUB_*, NODE_*)')
      .default(DEFAULT_KARGO_RECEIVER_SECRET_ENV)
      .describe(
        "Environment variable of the relay that holds the receiver Secret's `secret` value (the relay signs deliveries with it and derives the receiver's URL path from it). Default KARGO_RECEIVER_SECRET.",
      ),
  })
  .describe('Where the relay finds Kargo\'s GitHub receiver when relay.target is kargoWebhook.');

export const RelayInputSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Route GHCR package webhooks through the kargo-env webhook relay.'),
    receiverName: DnsLabelSchema.default('ghcr').describe('Name of the GitHub webhook receiver in each ProjectConfig.'),
    secretName: DnsSubdomainSchema.default('kargo-ghcr-webhook').describe('Secret holding the receiver\'s shared secret.'),
    target: z
      .enum(Object.values(RelayTargetKind) as [RelayTargetKind, ...RelayTargetKind[]])
      .default(RelayTargetKind.Kubernetes)
      .describe(
        "How the relay makes Kargo refresh each pipeline's Warehouse. kubernetes (default): patch the Warehouse's refresh annotation through the Kubernetes API; needs RBAC (get/patch on Warehouses in each Project namespace) but no secret. kargoWebhook: re-sign the delivery to the Project's GitHub receiver (relay.receiverName); needs the receiver's secret in the relay (relay.kargoWebhook.secretEnv) but no Kubernetes API access, and Kargo applies its own tag filtering per Warehouse subscription.",
      ),
    kargoWebhook: RelayKargoWebhookInputSchema.default({ baseURL: DEFAULT_KARGO_WEBHOOKS_BASE_URL, secretEnv: DEFAULT_KARGO_RECEIVER_SECRET_ENV }),
  })
  .describe('The webhook relay that turns GHCR pushes into immediate Warehouse refreshes.');

export const PipelineConfigInputSchema = z
  .strictObject({
    apiVersion: z.literal(PIPELINE_CONFIG_API_VERSION).describe('Format version of this file.'),
    kind: z.literal(PIPELINE_CONFIG_KIND).describe('Always PipelineConfig.'),
    relay: RelayInputSchema.default({
      enabled: false,
      receiverName: 'ghcr',
      secretName: 'kargo-ghcr-webhook',
      target: RelayTargetKind.Kubernetes,
      kargoWebhook: { baseURL: DEFAULT_KARGO_WEBHOOKS_BASE_URL, secretEnv: DEFAULT_KARGO_RECEIVER_SECRET_ENV },
    }),
    pipelines: z.array(PipelineInputSchema).min(1, 'must list at least one pipeline').describe('One entry per app.'),
  })
  .describe('kargo-env pipeline config: apps, their images and environments, rendered into Kargo and Argo CD objects by `kargo-env render`.');

/** What users write in kargo-env.yaml. */
export type PipelineConfigInput = z.input<typeof PipelineConfigInputSchema>;
export type PipelineInput = z.input<typeof PipelineInputSchema>;
export type EnvironmentInput = z.input<typeof EnvironmentInputSchema>;
export type VerificationInput = z.input<typeof VerificationInputSchema>;
export type WindowInput = z.input<typeof WindowInputSchema>;
/** The input after schema defaults, before normalisation. */
export type ParsedPipelineConfig = z.output<typeof PipelineConfigInputSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Resolved schemas (what normalisation returns). Everything that has a default is filled in.
// ---------------------------------------------------------------------------------------------------------------

const ResourceListSchema = z.strictObject({ cpu: z.string(), memory: z.string() });

export const ResolvedVerificationSchema = z.union([
  z.discriminatedUnion('preset', [
    SmokeInputSchema.required(),
    IntegrationInputSchema.required({ image: true, args: true, env: true }),
    SecurityScanInputSchema.required(),
    PerformanceInputSchema.extend({
      vus: z.number().int(),
      duration: z.string(),
      thresholds: z.strictObject({ p95Ms: z.number(), errorRate: z.number() }),
    }).required(),
  ]),
  VerificationTemplateInputSchema.required(),
]);

export const ResolvedWindowSchema = z.strictObject({
  name: z.string(),
  kind: z.enum(Object.values(WindowKind) as [WindowKind, ...WindowKind[]]),
  timezone: z.string(),
  /** Weekdays; empty when the window is given by `dates`. */
  days: z.array(z.enum(WEEKDAYS)),
  /** `undefined` means the whole day. */
  hours: z.strictObject({ start: z.string(), end: z.string() }).optional(),
  dates: z.array(z.string()),
});

export const ResolvedChartSchema = z.union([
  ChartPathSchema,
  ChartHelmRepoSchema,
  ChartOciSchema,
]);

export const ResolvedEnvironmentSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  color: z.string(),
  namespace: z.string(),
  replicas: z.number().int(),
  resources: z.strictObject({ requests: ResourceListSchema, limits: ResourceListSchema }),
  service: z.strictObject({ type: z.enum(Object.values(ServiceType) as [ServiceType, ...ServiceType[]]), port: z.number().int().optional() }),
  /** Explicit upstream environment names; empty = Freight comes directly from the Warehouse. */
  upstreams: z.array(z.string()),
  availability: z.enum(Object.values(AvailabilityStrategy) as [AvailabilityStrategy, ...AvailabilityStrategy[]]),
  promotion: z.strictObject({
    auto: z.boolean(),
    soak: z.string().optional(),
    mode: z.enum(Object.values(PromotionMode) as [PromotionMode, ...PromotionMode[]]),
  }),
  verification: z.array(ResolvedVerificationSchema),
  windows: z.array(ResolvedWindowSchema),
  notifications: z.array(NotificationInputSchema.extend({ secretRef: z.strictObject({ name: z.string(), key: z.string() }) })),
  values: z.record(z.string(), z.unknown()),
  /** `<valuesDir>/<valuesFile with {env}>`: render writes it on the source branch; promotions copy it to `branch` and set the tag. */
  valuesPath: z.string(),
  /** The environment's own Git branch (`git.envBranch` resolved): promotions commit there, its Application tracks it. */
  branch: z.string(),
  /** Argo CD Application name, `<app>-<env><appNameSuffix>`. */
  applicationName: z.string(),
});

export const ResolvedPipelineSchema = z.strictObject({
  name: z.string(),
  app: z.string(),
  project: z.string(),
  image: ImageInputSchema.required({ strategy: true, interval: true, initialTag: true }),
  git: GitInputSchema.required(),
  argocd: z.strictObject({
    namespace: z.string(),
    project: z.string(),
    destination: z.strictObject({ server: z.string().optional(), name: z.string().optional() }),
    appNameSuffix: z.string(),
    chart: ResolvedChartSchema,
  }),
  environments: z.array(ResolvedEnvironmentSchema).min(1),
});

export const ResolvedRelaySchema = z.strictObject({
  enabled: z.boolean(),
  receiverName: z.string(),
  secretName: z.string(),
  target: z.enum(Object.values(RelayTargetKind) as [RelayTargetKind, ...RelayTargetKind[]]),
  /** Filled in whatever the target, so switching `target` needs nothing else. */
  kargoWebhook: z.strictObject({
    baseURL: z.string(),
    /** `undefined`: the system CAs only (an http baseURL, or `caFile: null`). */
    caFile: z.string().optional(),
    secretEnv: z.string(),
  }),
});

export const PipelineConfigSchema = z.strictObject({
  apiVersion: z.literal(PIPELINE_CONFIG_API_VERSION),
  kind: z.literal(PIPELINE_CONFIG_KIND),
  relay: ResolvedRelaySchema,
  pipelines: z.array(ResolvedPipelineSchema).min(1),
});

/** A normalised pipeline config: every default applied, upstreams explicit, names resolved. */
export type PipelineConfig = z.output<typeof PipelineConfigSchema>;
export type Pipeline = PipelineConfig['pipelines'][number];
export type PipelineEnvironment = Pipeline['environments'][number];
export type EnvironmentVerification = PipelineEnvironment['verification'][number];
export type DeploymentWindow = PipelineEnvironment['windows'][number];
export type EnvironmentNotification = PipelineEnvironment['notifications'][number];
export type PipelineChartSource = Pipeline['argocd']['chart'];
export type PipelineRelaySettings = PipelineConfig['relay'];
export type RelayInput = z.input<typeof RelayInputSchema>;
