// `@kargo/model/relay`: only what the webhook relay needs (routes file, tag rules, image names), so it does not
// build the schemas of every Kargo kind at import (about 20 MB of heap and RSS it would never use).
export { KargoModelError, ModelErrorCode, type KargoModelErrorOptions } from './errors.ts';
export { Severity, formatIssue, formatPath, type Issue, type Result } from './result.ts';
export {
  ImageReferenceError,
  TagRulesSchema,
  compileTagRules,
  normalizeImageRepoUrl,
  packageUrlToImage,
  packageUrlToRepoUrls,
  parseImageReference,
  tagAccepted,
  tryParseImageReference,
  type CompiledTagRules,
  type ImageReference,
  type TagDecision,
  type TagRules,
  type TagRulesInput,
} from './images/index.ts';
export * from './relay/index.ts';
