// The envelope every Kargo kind shares: apiVersion, kind, metadata and (loosely) status.
import { z } from 'zod';
import { LooseStatusSchema, ObjectMetaSchema } from './common.ts';
import { KARGO_API_VERSION } from './constants.ts';

export const KARGO_KINDS = [
  'Project',
  'ProjectConfig',
  'ClusterConfig',
  'Warehouse',
  'Stage',
  'Freight',
  'Promotion',
  'PromotionTask',
  'ClusterPromotionTask',
] as const;
export type KargoKind = (typeof KARGO_KINDS)[number];

/** Kinds without a namespace. */
export const CLUSTER_SCOPED_KINDS = ['Project', 'ClusterConfig', 'ClusterPromotionTask'] as const satisfies readonly KargoKind[];

/** apiVersion + kind + metadata (+ status when the kind has a status subresource) + `shape`. */
export function kargoObject<K extends KargoKind, S extends z.ZodRawShape>(kind: K, shape: S) {
  return z.strictObject({
    apiVersion: z.literal(KARGO_API_VERSION),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    ...shape,
  });
}

/** The loose `status` of kinds that have one: written by Kargo, accepted but never checked. */
export const status = LooseStatusSchema.optional();

/** Refinement for cluster-scoped kinds. */
export function noNamespace(obj: { kind: string; metadata: { namespace?: string | undefined } }, ctx: z.RefinementCtx): void {
  if (obj.metadata.namespace !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['metadata', 'namespace'],
      message: `${obj.kind} is cluster-scoped and takes no namespace`,
      params: { code: 'cluster-scoped' },
    });
  }
}
