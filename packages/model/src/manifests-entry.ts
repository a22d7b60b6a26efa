// `@kargo/model/manifests`: offline validation of Kargo, Argo CD and Argo Rollouts manifests against the
// upstream API schemas bundled with this package (see upstream/SOURCE.md). A subpath of its own so that
// importing the model does not load ajv, CEL or the schemas.
export {
  ManifestStatus,
  bundledKinds,
  bundledStepNames,
  bundledUpstreams,
  normalizeGitRepoUrl,
  upstreamObjectSchema,
  validateManifest,
  validateStepConfig,
  validateSubscription,
  type ManifestReport,
} from './upstream/manifests.ts';
export { closedSchema } from './upstream/schema-check.ts';
export type { BundledUpstream, SchemaObject } from './upstream/bundle.ts';
