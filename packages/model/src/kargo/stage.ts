// Stage: requested Freight, promotion template, verification.
import { z } from 'zod';
import { FreightOriginSchema, KARGO_DURATION, ResourceNameSchema, VarSchema } from './common.ts';
import { kargoObject, status } from './meta.ts';
import { PromotionStepSchema } from './steps.ts';

export const AVAILABILITY_STRATEGIES = ['All', 'OneOf', ''] as const;
export type AvailabilityStrategy = (typeof AVAILABILITY_STRATEGIES)[number];

export const AUTO_PROMOTION_SELECTION_POLICIES = ['NewestFreight', 'MatchUpstream'] as const;
export type AutoPromotionSelectionPolicy = (typeof AUTO_PROMOTION_SELECTION_POLICIES)[number];

/** Where a Stage may take Freight from: straight from the origin and/or from upstream Stages. */
export const FreightSourcesSchema = z
  .strictObject({
    direct: z.boolean().optional(),
    stages: z.array(ResourceNameSchema).optional(),
    /** Blocks auto and manual promotion until the Freight has been upstream this long (approval overrides). */
    requiredSoakTime: z
      .string()
      .regex(KARGO_DURATION, { message: 'must be a duration of numbers with s, m or h units, e.g. 30m' })
      .optional(),
    /** `OneOf` (the default, also for `""`): verified in one upstream Stage; `All`: in every one. */
    availabilityStrategy: z.enum(AVAILABILITY_STRATEGIES).optional(),
    /** v1.8.0 */
    autoPromotionOptions: z.strictObject({ selectionPolicy: z.enum(AUTO_PROMOTION_SELECTION_POLICIES).optional() }).optional(),
  })
  .superRefine((sources, ctx) => {
    const upstream = sources.stages?.length ?? 0;
    if (sources.direct !== true && upstream === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'sources needs direct: true or at least one upstream stage',
        params: { code: 'no-freight-source' },
      });
    }
    if (sources.autoPromotionOptions?.selectionPolicy === 'MatchUpstream' && upstream !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoPromotionOptions', 'selectionPolicy'],
        message: 'MatchUpstream needs exactly one upstream stage',
        params: { code: 'match-upstream' },
      });
    }
  });
export type FreightSources = z.infer<typeof FreightSourcesSchema>;

export const FreightRequestSchema = z.strictObject({ origin: FreightOriginSchema, sources: FreightSourcesSchema });
export type FreightRequest = z.infer<typeof FreightRequestSchema>;

export const PromotionTemplateSchema = z.strictObject({
  spec: z.strictObject({
    vars: z.array(VarSchema).optional(),
    steps: z.array(PromotionStepSchema).min(1),
  }),
});
export type PromotionTemplate = z.infer<typeof PromotionTemplateSchema>;

export const ANALYSIS_TEMPLATE_KINDS = ['AnalysisTemplate', 'ClusterAnalysisTemplate'] as const;
export type AnalysisTemplateKind = (typeof ANALYSIS_TEMPLATE_KINDS)[number];

/** Argo Rollouts analysis that verifies Freight in this Stage. */
export const VerificationSchema = z.strictObject({
  analysisTemplates: z
    .array(z.strictObject({ name: z.string().min(1), kind: z.enum(ANALYSIS_TEMPLATE_KINDS).optional() }))
    .optional(),
  analysisRunMetadata: z
    .strictObject({
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  args: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
});
export type Verification = z.infer<typeof VerificationSchema>;

export const StageSpecSchema = z.strictObject({
  /** Kept in sync with the `kargo.akuity.io/shard` label. */
  shard: z.string().optional(),
  /** Available to the promotion template and verification args (v1.5.0). */
  vars: z.array(VarSchema).optional(),
  requestedFreight: z
    .array(FreightRequestSchema)
    .min(1)
    .superRefine((requests, ctx) => {
      const seen = new Set<string>();
      requests.forEach((r, i) => {
        if (seen.has(r.origin.name)) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'origin'],
            message: `Freight from Warehouse "${r.origin.name}" is requested twice`,
            params: { code: 'duplicate-origin' },
          });
        }
        seen.add(r.origin.name);
      });
    }),
  promotionTemplate: PromotionTemplateSchema.optional(),
  verification: VerificationSchema.optional(),
});
export type StageSpec = z.infer<typeof StageSpecSchema>;

export const StageSchema = kargoObject('Stage', { spec: StageSpecSchema, status });
export type Stage = z.infer<typeof StageSchema>;
