// Public surface of @kargo/model.
export { KargoModelError, ModelErrorCode, type KargoModelErrorOptions } from './errors.ts';
export { Severity, formatIssue, formatPath, type Issue, type Result } from './result.ts';
