// Image, chart and tag helpers shared by the webhook relay and the pipeline simulator (Kargo 1.11.2 rules).
export {
  compareVersions,
  formatVersion,
  parseConstraint,
  parseVersion,
  satisfies,
  type Comparator,
  type Constraint,
  type ParseVersionOptions,
  type SatisfiesOptions,
  type SemVer,
} from './semver.ts';
export {
  ImageReferenceError,
  normalizeChartRepoUrl,
  normalizeImageRepoUrl,
  packageUrlToImage,
  packageUrlToRepoUrls,
  parseImageReference,
  sanitizeUrl,
  tryParseImageReference,
  type ImageReference,
} from './reference.ts';
export { compileTagRegex } from './regex.ts';
export {
  ImageSelectionStrategy,
  ImageSubscriptionTagFieldsSchema,
  TagRejection,
  TagRulesSchema,
  chartVersionAccepted,
  compileTagRules,
  imageTagAccepted,
  parseTagAsSemver,
  tagAccepted,
  tagRulesFromImageSubscription,
  type CompiledTagRules,
  type ImageSubscriptionTagFields,
  type TagDecision,
  type TagRules,
  type TagRulesInput,
} from './tags.ts';
export { selectNewestTag, sortTagsNewestFirst } from './select.ts';
