// Typed errors of @kargo/render: every error has a stable `code` callers can switch on.

export const RenderErrorCode = {
  /** A construct was given props that cannot produce a valid object (names the object). */
  InvalidProps: 'KARGO_RENDER_INVALID_PROPS',
  /** Two pipelines or constructs would write the same file or object. */
  Conflict: 'KARGO_RENDER_CONFLICT',
  /** An existing values file could not be parsed for merging. */
  InvalidValuesFile: 'KARGO_RENDER_INVALID_VALUES_FILE',
  /** Writing the tree failed; the previous tree was left in place. */
  WriteFailed: 'KARGO_RENDER_WRITE_FAILED',
  /** A path in a file map escapes the output directory or is not a relative posix path. */
  InvalidPath: 'KARGO_RENDER_INVALID_PATH',
} as const;
export type RenderErrorCode = (typeof RenderErrorCode)[keyof typeof RenderErrorCode];

export interface RenderErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
}

/** Base class of every error this package throws. */
export class KargoRenderError extends Error {
  readonly code: RenderErrorCode;
  readonly hint: string | undefined;

  constructor(code: RenderErrorCode, message: string, options: RenderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KargoRenderError';
    this.code = code;
    this.hint = options.hint;
  }
}

/** Rejects an invalid combination of props, naming the construct kind and object. */
export function invalidProps(what: string, name: string, message: string, hint?: string): KargoRenderError {
  return new KargoRenderError(RenderErrorCode.InvalidProps, `${what} "${name}": ${message}`, hint === undefined ? {} : { hint });
}
