// Freight: a set of artifact versions from one origin. Its content is top-level, not under `spec`.
import { z } from 'zod';
import { FreightOriginSchema } from './common.ts';
import { kargoObject, status } from './meta.ts';

export const FreightCommitSchema = z.strictObject({
  repoURL: z.string().optional(),
  id: z.string().optional(),
  branch: z.string().optional(),
  tag: z.string().optional(),
  message: z.string().optional(),
  author: z.string().optional(),
  committer: z.string().optional(),
});
export type FreightCommit = z.infer<typeof FreightCommitSchema>;

export const FreightImageSchema = z.strictObject({
  repoURL: z.string().optional(),
  tag: z.string().optional(),
  digest: z.string().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type FreightImage = z.infer<typeof FreightImageSchema>;

export const FreightChartSchema = z.strictObject({
  repoURL: z.string().optional(),
  name: z.string().optional(),
  version: z.string().optional(),
});
export type FreightChart = z.infer<typeof FreightChartSchema>;

/** v1.9.0: an artifact of a generic subscription. */
export const FreightArtifactSchema = z.strictObject({
  artifactType: z.string().min(1).optional(),
  subscriptionName: z.string().min(1),
  version: z.string().min(1),
  metadata: z.unknown().optional(),
});
export type FreightArtifact = z.infer<typeof FreightArtifactSchema>;

/** Kargo names Freight by a hash of its content; `alias` is the human-friendly name. */
export const FreightSchema = kargoObject('Freight', {
  alias: z.string().optional(),
  /** v1.11.0 */
  discoveredAt: z.iso.datetime({ offset: true }).optional(),
  origin: FreightOriginSchema,
  commits: z.array(FreightCommitSchema).optional(),
  images: z.array(FreightImageSchema).optional(),
  charts: z.array(FreightChartSchema).optional(),
  artifacts: z.array(FreightArtifactSchema).optional(),
  status,
});
export type Freight = z.infer<typeof FreightSchema>;
