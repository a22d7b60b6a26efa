// Public surface of @kargo/model.
export { KargoModelError, ModelErrorCode, type KargoModelErrorOptions } from './errors.ts';
export { Severity, formatIssue, formatPath, type Issue, type Result } from './result.ts';
export * from './images/index.ts';
export * from './config/index.ts';
export * from './kargo/index.ts';
export * from './argo.ts';
export * from './relay/index.ts';
/** Kargo promotion-step expressions (`${{ … }}`) evaluated with Kargo 1.11's exact semantics: see ./expressions. */
export * from './expressions/index.ts';
