// A short single-hunk diff of one changed file for `render --check`.
//
// Why not a diff library: the summary only needs to show *where* a file first differs, and trimming the
// common prefix and suffix yields exactly one valid unified hunk in linear time; a full LCS diff would add
// a dependency and output nobody reads in a CI log.

export interface DiffExcerpt {
  readonly path: string;
  /** Unified-diff lines: `@@ -a,b +c,d @@` header, then ` `/`-`/`+` lines. */
  readonly lines: readonly string[];
  /** True when the hunk was cut to `maxLines` changed lines per side. */
  readonly truncated: boolean;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** `current` is what is on disk, `next` what the config renders. */
export function diffExcerpt(path: string, current: string, next: string, options: { context?: number; maxLines?: number } = {}): DiffExcerpt {
  const context = options.context ?? 2;
  const maxLines = options.maxLines ?? 8;
  const a = splitLines(current);
  const b = splitLines(next);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;

  const removed = a.slice(prefix, a.length - suffix);
  const added = b.slice(prefix, b.length - suffix);
  const before = a.slice(Math.max(0, prefix - context), prefix);
  const after = a.slice(a.length - suffix, Math.min(a.length, a.length - suffix + context));
  const truncated = removed.length > maxLines || added.length > maxLines;

  const start = prefix - before.length;
  const oldCount = before.length + removed.length + after.length;
  const newCount = before.length + added.length + after.length;
  // Unified diff numbers lines from 1; an empty side starts at the line before the hunk.
  const header = `@@ -${oldCount === 0 ? start : start + 1},${oldCount} +${newCount === 0 ? start : start + 1},${newCount} @@`;
  const lines = [
    header,
    ...before.map((line) => ` ${line}`),
    ...removed.slice(0, maxLines).map((line) => `-${line}`),
    ...added.slice(0, maxLines).map((line) => `+${line}`),
    ...(truncated ? ['…'] : after.map((line) => ` ${line}`)),
  ];
  return { path, lines, truncated };
}
