// Promotion, PromotionTask and ClusterPromotionTask: the kinds that carry step lists.
import { z } from 'zod';
import { FreightOriginSchema, ResourceNameSchema, VarSchema, exactlyOneOf } from './common.ts';
import { kargoObject, noNamespace, status } from './meta.ts';
import { BuiltinPromotionStepSchema } from './steps.ts';

/** Promotion steps must use `uses`: the CRD's CEL rule forbids task references here. */
const steps = z.array(BuiltinPromotionStepSchema).min(1);

/**
 * Exactly one of `freight` (a Freight name) or `origin` (v1.11.0: the origin's current candidate).
 * Since v1.11.0 Kargo's webhook copies the Stage's template steps into a Promotion created with
 * kubectl, but the CRD still requires `steps` (minItems 1) on what is stored.
 */
export const PromotionSpecSchema = exactlyOneOf(
  { freight: ResourceNameSchema, origin: FreightOriginSchema },
  { stage: ResourceNameSchema, vars: z.array(VarSchema).optional(), steps },
  'a Promotion spec',
);
export type PromotionSpec = z.infer<typeof PromotionSpecSchema>;

export const PromotionSchema = kargoObject('Promotion', { spec: PromotionSpecSchema, status });
export type Promotion = z.infer<typeof PromotionSchema>;

export const PromotionTaskSpecSchema = z.strictObject({
  /** Inputs of the task; a var without a value must be set by the referencing step. */
  vars: z.array(VarSchema).optional(),
  steps,
});
export type PromotionTaskSpec = z.infer<typeof PromotionTaskSpecSchema>;

/** Reusable steps in a Project namespace (no status subresource). */
export const PromotionTaskSchema = kargoObject('PromotionTask', { spec: PromotionTaskSpecSchema });
export type PromotionTask = z.infer<typeof PromotionTaskSchema>;

/** Reusable steps for every Project (cluster-scoped, no status subresource). */
export const ClusterPromotionTaskSchema = kargoObject('ClusterPromotionTask', { spec: PromotionTaskSpecSchema }).superRefine(noNamespace);
export type ClusterPromotionTask = z.infer<typeof ClusterPromotionTaskSchema>;
