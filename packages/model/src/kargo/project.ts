// Project, ProjectConfig and ClusterConfig, with promotion policies, webhook receivers and UI links.
import { z } from 'zod';
import {
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  LabelSelectorRequirementSchema,
  LabelSelectorSchema,
  LocalObjectReferenceSchema,
  ResourceNameSchema,
  exactlyOneOf,
} from './common.ts';
import { kargoObject, noNamespace, status } from './meta.ts';

// ---- Project -----------------------------------------------------------------------------------

/**
 * A Project: only metadata (and Kargo-written status). Kargo creates a Namespace of the same name,
 * so the name must be a DNS-1123 label. Kargo ≤ 1.6 also had a deprecated `spec` (same shape as
 * ProjectConfig.spec); it was removed in v1.7.0 and is rejected here.
 */
export const ProjectSchema = kargoObject('Project', {
  spec: z
    .never({ error: 'Project has no spec since Kargo v1.7.0: put promotionPolicies in the ProjectConfig' })
    .optional(),
  status,
}).superRefine((project, ctx) => {
  noNamespace(project, ctx);
  const name = project.metadata.name;
  if (name !== undefined && (name.length > 63 || !DNS1123_LABEL.test(name))) {
    ctx.addIssue({
      code: 'custom',
      path: ['metadata', 'name'],
      message: 'a Project name is also its Namespace name: a DNS-1123 label of at most 63 characters',
      params: { code: 'project-name' },
    });
  }
});
export type Project = z.infer<typeof ProjectSchema>;

// ---- promotion policies --------------------------------------------------------------------------

const SELECTOR_PREFIXES = ['regex:', 'regexp:', 'glob:'] as const;

/**
 * Selects Stages by `name` and/or labels (ANDed). `name` is an exact Stage name, `regex:<re>` /
 * `regexp:<re>` (Go RE2 syntax, not checked here), or `glob:<pattern>`.
 */
export const StageSelectorSchema = z
  .strictObject({
    name: z.string().optional(),
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
  })
  .superRefine((selector, ctx) => {
    const name = selector.name;
    if (name === undefined) return;
    const prefix = SELECTOR_PREFIXES.find((p) => name.startsWith(p));
    if (prefix !== undefined ? name.length === prefix.length : !DNS1123_SUBDOMAIN.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message:
          prefix !== undefined
            ? `"${prefix}" needs a pattern after it`
            : 'must be a Stage name, or regex:<re>, regexp:<re> or glob:<pattern>',
        params: { code: 'stage-selector-name' },
      });
    }
  });
export type StageSelector = z.infer<typeof StageSelectorSchema>;

const uniqueItems = <T>(items: readonly T[]): boolean => new Set(items).size === items.length;

/** Enterprise only (v1.11.0): OSS ignores it. `{}` turns it on with the defaults. */
export const AutoRollbackSchema = z.strictObject({
  /** Default `[]`. Note the spelling: `Errored` for promotions. */
  onPromotion: z.array(z.enum(['Failed', 'Errored'])).max(2).refine(uniqueItems, { message: 'items must be unique' }).optional(),
  /** Default `["Failed"]`. Note the spelling: `Error` for verifications. */
  onVerification: z.array(z.enum(['Failed', 'Error'])).max(2).refine(uniqueItems, { message: 'items must be unique' }).optional(),
});
export type AutoRollback = z.infer<typeof AutoRollbackSchema>;

/** Exactly one of `stage` (deprecated) or `stageSelector`, as the CRD's CEL rule requires. */
export const PromotionPolicySchema = exactlyOneOf(
  {
    /** @deprecated since v1.5.0: use `stageSelector: {name}`. */
    stage: ResourceNameSchema,
    stageSelector: StageSelectorSchema,
  },
  {
    /** Default false. Auto-promotion can be switched on only here. */
    autoPromotionEnabled: z.boolean().optional(),
    autoRollback: AutoRollbackSchema.optional(),
  },
  'a promotion policy',
);
export type PromotionPolicy = z.infer<typeof PromotionPolicySchema>;

// ---- webhook receivers ---------------------------------------------------------------------------

export const WEBHOOK_RECEIVER_TYPES = [
  'github',
  'gitlab',
  'bitbucket',
  'dockerhub',
  'quay',
  'artifactory',
  'azure',
  'gitea',
  'harbor',
  'generic',
] as const;
export type WebhookReceiverType = (typeof WEBHOOK_RECEIVER_TYPES)[number];

/** The key of the referenced Secret's data that each receiver type reads its secret from. */
export const WEBHOOK_RECEIVER_SECRET_KEYS = {
  github: 'secret',
  gitlab: 'secret-token',
  bitbucket: 'secret',
  dockerhub: 'secret',
  quay: 'secret',
  artifactory: 'secret-token',
  azure: 'secret',
  gitea: 'secret',
  harbor: 'auth-header',
  generic: 'secret',
} as const satisfies Record<WebhookReceiverType, string>;

const secretReceiver = z.strictObject({ secretRef: LocalObjectReferenceSchema });

export const GenericWebhookActionSchema = z.strictObject({
  action: z.literal('Refresh'),
  /** Expression over `request`; the action runs only when it is true. */
  whenExpression: z.string().optional(),
  parameters: z.record(z.string(), z.string()).optional(),
  targetSelectionCriteria: z
    .array(
      z.strictObject({
        /** The CRD allows only Warehouse in v1.11.2. */
        kind: z.literal('Warehouse'),
        name: z.string().optional(),
        labelSelector: LabelSelectorSchema.optional(),
        indexSelector: z
          .strictObject({
            matchIndices: z
              .array(
                z.strictObject({
                  key: z.enum(['subscribedURLs', 'receiverPaths']),
                  /** The CRD enforces no enum; these are the two operators Kargo's code understands. */
                  operator: z.enum(['Equals', 'NotEquals']),
                  value: z.string(),
                }),
              )
              .min(1)
              .optional(),
          })
          .optional(),
      }),
    )
    .min(1)
    .optional(),
});
export type GenericWebhookAction = z.infer<typeof GenericWebhookActionSchema>;

/** `{name, <type>: {secretRef: {name}}}` with exactly one receiver type. */
export const WebhookReceiverSchema = exactlyOneOf(
  {
    github: secretReceiver,
    gitlab: secretReceiver,
    bitbucket: secretReceiver,
    dockerhub: secretReceiver,
    quay: secretReceiver,
    artifactory: z.strictObject({ secretRef: LocalObjectReferenceSchema, virtualRepoName: z.string().optional() }),
    azure: secretReceiver,
    gitea: secretReceiver,
    harbor: secretReceiver,
    generic: z.strictObject({
      secretRef: LocalObjectReferenceSchema,
      actions: z.array(GenericWebhookActionSchema).min(1).optional(),
    }),
  },
  { name: ResourceNameSchema },
  'a webhook receiver',
);
export type WebhookReceiver = z.infer<typeof WebhookReceiverSchema>;

/** The receiver type of `receiver` (the one key it sets). */
export function webhookReceiverType(receiver: WebhookReceiver): WebhookReceiverType {
  const type = WEBHOOK_RECEIVER_TYPES.find((t) => (receiver as Partial<Record<WebhookReceiverType, unknown>>)[t] !== undefined);
  // The schema guarantees one; a hand-built object that skipped it still gets a stable answer.
  return type ?? 'generic';
}

const WebhookReceiversSchema = z.array(WebhookReceiverSchema).superRefine((receivers, ctx) => {
  const seen = new Set<string>();
  receivers.forEach((r, i) => {
    if (seen.has(r.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate webhook receiver name "${r.name}"`, params: { code: 'duplicate-name' } });
    }
    seen.add(r.name);
  });
});

/** A link the UI shows on Freight or Stages (v1.11.0). `url` and `if` are expressions. */
export const DeepLinkSchema = z.strictObject({
  title: z.string().min(1),
  url: z.string().min(1),
  if: z.string().optional(),
});
export type DeepLink = z.infer<typeof DeepLinkSchema>;

// ---- ProjectConfig ---------------------------------------------------------------------------------

export const ProjectConfigSpecSchema = z.strictObject({
  promotionPolicies: z.array(PromotionPolicySchema).optional(),
  /** v1.6.0; Secrets live in the ProjectConfig's namespace. */
  webhookReceivers: WebhookReceiversSchema.optional(),
  /** v1.11.0 */
  freightLinks: z.array(DeepLinkSchema).optional(),
  /** v1.11.0 */
  stageLinks: z.array(DeepLinkSchema).optional(),
});
export type ProjectConfigSpec = z.infer<typeof ProjectConfigSpecSchema>;

/** One per Project (v1.5.0+): named like the Project and in the Project's namespace. */
export const ProjectConfigSchema = kargoObject('ProjectConfig', {
  spec: ProjectConfigSpecSchema.optional(),
  status,
}).superRefine((config, ctx) => {
  const { name, namespace } = config.metadata;
  if (namespace !== undefined && name !== undefined && name !== namespace) {
    ctx.addIssue({
      code: 'custom',
      path: ['metadata', 'name'],
      message: `a ProjectConfig is named like its Project and lives in its namespace: expected name "${namespace}"`,
      params: { code: 'project-config-name' },
    });
  }
});
export type ProjectConfig = z.infer<typeof ProjectConfigSchema>;

// ---- ClusterConfig ---------------------------------------------------------------------------------

export const CLUSTER_CONFIG_NAME = 'cluster';

export const ClusterConfigSpecSchema = z.strictObject({
  /** v1.6.0; Secrets live in the system-resources namespace (default `kargo-system-resources`, v1.9.0+). */
  webhookReceivers: WebhookReceiversSchema.optional(),
  /** v1.10.0: the identity Kargo commits with. */
  gitClient: z
    .strictObject({
      name: z.string().min(1),
      email: z.email(),
      signingKeySecret: LocalObjectReferenceSchema.optional(),
    })
    .optional(),
  freightLinks: z.array(DeepLinkSchema).optional(),
  stageLinks: z.array(DeepLinkSchema).optional(),
});
export type ClusterConfigSpec = z.infer<typeof ClusterConfigSpecSchema>;

/** The cluster-wide singleton (v1.6.0+); its name must be `cluster`. */
export const ClusterConfigSchema = kargoObject('ClusterConfig', {
  spec: ClusterConfigSpecSchema.optional(),
  status,
}).superRefine((config, ctx) => {
  noNamespace(config, ctx);
  if (config.metadata.name !== CLUSTER_CONFIG_NAME) {
    ctx.addIssue({
      code: 'custom',
      path: ['metadata', 'name'],
      message: `the ClusterConfig must be named "${CLUSTER_CONFIG_NAME}"`,
      params: { code: 'cluster-config-name' },
    });
  }
});
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;
