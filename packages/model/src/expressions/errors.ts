// The one error type of the expression evaluator: syntax errors, expr-lang compile ("checker") errors,
// runtime errors and constructs this port deliberately does not implement all surface as ExpressionError,
// so a rehearsal never continues on a value Kargo would not have produced.

export interface ExpressionErrorOptions {
  readonly column?: number | undefined;
  readonly expression?: string | undefined;
  readonly construct?: string | undefined;
  readonly cause?: unknown;
}

/** An expression Kargo would reject, or one outside the subset this evaluator implements. */
export class ExpressionError extends Error {
  /** The message without position, e.g. `unsupported: pipe operator |`. */
  readonly detail: string;
  /** 1-based column (in code points) inside the expression text, when the problem has a position. */
  readonly column: number | undefined;
  /** The expression being evaluated (the text between the delimiters), when known. */
  readonly expression: string | undefined;
  /** For `unsupported:` errors, the construct outside the subset (e.g. `pipe operator |`). */
  readonly construct: string | undefined;

  constructor(detail: string, options: ExpressionErrorOptions = {}) {
    const at = options.column === undefined ? '' : ` at column ${options.column}`;
    const where = options.expression === undefined ? '' : ` in ${JSON.stringify(options.expression)}`;
    super(detail + at + where, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExpressionError';
    this.detail = detail;
    this.column = options.column;
    this.expression = options.expression;
    this.construct = options.construct;
  }

  /** The same error, naming the expression it came from. */
  in(expression: string): ExpressionError {
    if (this.expression !== undefined) return this;
    return new ExpressionError(this.detail, { column: this.column, expression, construct: this.construct, cause: this.cause });
  }
}

/** `unsupported: <construct>`: expr-lang (or Kargo) accepts it, this port does not evaluate it. */
export function unsupported(construct: string, column?: number): ExpressionError {
  return new ExpressionError(`unsupported: ${construct}`, { column, construct });
}
