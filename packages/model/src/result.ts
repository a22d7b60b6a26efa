// The result shape every boundary check of @kargo/model returns instead of throwing on user input.

export const Severity = { Error: 'error', Warning: 'warning' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** One problem found in user input, located by a path and, for files, by line and column (1-based). */
export interface Issue {
  /** Where the problem is, e.g. `pipelines[0].environments[2].soak`; `` for the document itself. */
  readonly path: string;
  readonly message: string;
  readonly severity: Severity;
  /** A stable machine-readable identifier such as `unknown-upstream` or `invalid_type`. */
  readonly code: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly Issue[] }
  | { readonly ok: false; readonly errors: readonly Issue[]; readonly warnings: readonly Issue[] };

/** `['pipelines', 0, 'environments', 2, 'soak']` → `pipelines[0].environments[2].soak`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else {
      const key = String(segment);
      out += /^[A-Za-z_$][\w$-]*$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** `file:line:column: path: message`, the one-line form the CLI prints. */
export function formatIssue(issue: Issue): string {
  const where = issue.file === undefined ? '' : `${issue.file}${issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`}: `;
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}${issue.severity}: ${path}${issue.message}`;
}
