// Warehouse: where Freight is discovered from (image, Git and chart subscriptions).
import { z } from 'zod';
import { KARGO_DURATION } from './common.ts';
import { kargoObject, status } from './meta.ts';
import { SubscriptionSchema } from './subscriptions.ts';

export const FREIGHT_CREATION_POLICIES = ['Automatic', 'Manual'] as const;
export type FreightCreationPolicy = (typeof FREIGHT_CREATION_POLICIES)[number];

/** What the API server fills in for omitted Warehouse fields (parsing does not). */
export const WAREHOUSE_DEFAULTS = { interval: '5m0s', freightCreationPolicy: 'Automatic' } as const;

export const WarehouseSpecSchema = z.strictObject({
  /** Kept in sync with the `kargo.akuity.io/shard` label. */
  shard: z.string().optional(),
  /**
   * How often to discover, e.g. `5m0s`, `1h`. The CRD requires it but defaults it (`5m0s`), so it
   * may be left out. The effective interval is never below the controller's
   * `minReconciliationInterval` (default 5m).
   */
  interval: z
    .string()
    .regex(KARGO_DURATION, { message: 'must be a duration of numbers with s, m or h units, e.g. 5m0s' })
    .optional(),
  /** Default `Automatic`. */
  freightCreationPolicy: z.enum(FREIGHT_CREATION_POLICIES).optional(),
  /** v1.8.0; ignored when the policy is Manual. */
  freightCreationCriteria: z.strictObject({ expression: z.string().optional() }).optional(),
  subscriptions: z.array(SubscriptionSchema).min(1),
});
export type WarehouseSpec = z.infer<typeof WarehouseSpecSchema>;

export const WarehouseSchema = kargoObject('Warehouse', { spec: WarehouseSpecSchema, status });
export type Warehouse = z.infer<typeof WarehouseSchema>;
