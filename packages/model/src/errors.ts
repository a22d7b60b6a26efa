// Typed errors of @kargo/model: every error has a stable `code` callers can switch on.

export const ModelErrorCode = {
  InvalidConfig: 'KARGO_MODEL_INVALID_CONFIG',
  InvalidObject: 'KARGO_MODEL_INVALID_OBJECT',
  InvalidImageReference: 'KARGO_MODEL_INVALID_IMAGE_REFERENCE',
  InvalidSemver: 'KARGO_MODEL_INVALID_SEMVER',
  InvalidConstraint: 'KARGO_MODEL_INVALID_CONSTRAINT',
  InvalidRegex: 'KARGO_MODEL_INVALID_REGEX',
  UpstreamSchemaMissing: 'KARGO_MODEL_UPSTREAM_SCHEMA_MISSING',
} as const;
export type ModelErrorCode = (typeof ModelErrorCode)[keyof typeof ModelErrorCode];

export interface KargoModelErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
}

/** Base class of every error this package throws. */
export class KargoModelError extends Error {
  readonly code: ModelErrorCode;
  readonly hint: string | undefined;

  constructor(code: ModelErrorCode, message: string, options: KargoModelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KargoModelError';
    this.code = code;
    this.hint = options.hint;
  }
}
