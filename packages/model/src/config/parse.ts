// The boundary of kargo-env.yaml: YAML → schema → normalise → rules, every problem located, never a throw.
import { LineCounter, isScalar, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { formatPath, Severity, type Issue, type Result } from '../result.ts';
import { normalisePipelineConfig } from './defaults.ts';
import { locate } from './locate.ts';
import { checkPipelineRules } from './rules.ts';
import { PipelineConfigInputSchema, type PipelineConfig } from './schema.ts';

export interface ParsePipelineConfigOptions {
  /** Shown in every issue (`file:line:column`). */
  readonly filename?: string;
}

type ZodIssue = z.core.$ZodIssue;

interface Located {
  readonly path: readonly PropertyKey[];
  readonly atKey?: boolean;
  readonly message: string;
  readonly code: string;
  readonly severity: Severity;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/**
 * How unlikely it is that the user meant this union branch: a missing discriminator or required field weighs
 * far more than a wrong value, so `{ preset: smok }` is reported against the presets, not as "template missing".
 */
function branchCost(issues: readonly ZodIssue[], value: unknown): number {
  let cost = 0;
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && 'discriminator' in issue && typeof issue.discriminator === 'string') {
      const present = typeof value === 'object' && value !== null && Object.hasOwn(value, issue.discriminator);
      cost += present ? 1 : 1000;
    } else if (issue.code === 'invalid_type' && issue.path.length === 1 && valueAt(value, issue.path) === undefined) {
      cost += 10;
    } else if (issue.code === 'unrecognized_keys') {
      cost += 10 * issue.keys.length;
    } else {
      cost += 1;
    }
  }
  return cost;
}

/** Zod issues in the shape users read: unions resolved to the branch they meant, one issue per unknown key. */
function explain(issue: ZodIssue, root: unknown, prefix: readonly PropertyKey[] = []): Located[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === 'Invalid input') {
    const value = valueAt(root, path);
    let best: readonly ZodIssue[] | undefined;
    let bestCost = Infinity;
    for (const branch of issue.errors) {
      const cost = branchCost(branch, value);
      if (cost < bestCost) {
        best = branch;
        bestCost = cost;
      }
    }
    if (best !== undefined) return best.flatMap((inner) => explain(inner, root, path));
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key],
      atKey: true,
      message: `unknown field "${key}"`,
      code: 'unknown-field',
      severity: Severity.Error,
    }));
  }
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const value = valueAt(root, path);
    if (value === undefined) message = `required field is missing (expected ${issue.expected})`;
    else {
      message = `expected ${issue.expected}, got ${describeType(value)}`;
      if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
        message += ` (quote it in YAML: "${String(value)}")`;
      }
    }
  } else if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    message = issue.message.replace(/^Invalid discriminator value\. Expected /, 'must be one of ');
  } else {
    message = message.replace(/^Invalid input: /, '').replace(/^Invalid option: /, '');
  }
  return [{ path, message, code: issue.code, severity: Severity.Error }];
}

function toIssue(item: Located, where: (l: Located) => { line?: number; column?: number }, file: string | undefined): Issue {
  return {
    path: formatPath(item.path),
    message: item.message,
    severity: item.severity,
    code: item.code,
    ...(file === undefined ? {} : { file }),
    ...where(item),
  };
}

/** Document order; issues without a position keep their relative order at the end. */
function byPosition(a: Issue, b: Issue): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0);
}

/**
 * The rules' findings for a config the schema rejected, so one run reports every problem (a type error must
 * not hide a bad SemVer constraint elsewhere). The fields the schema rejected are dropped from a copy; when
 * the rest then parses, the rules run on it, and only findings outside the objects that held a dropped field
 * are kept (inside them, a rule could be reacting to the drop itself). Nothing is returned when the copy
 * still does not parse (a dropped field was required).
 */
function salvagedRuleViolations(data: unknown, rejected: readonly Located[]): Located[] {
  const copy: unknown = structuredClone(data);
  const touched: (readonly PropertyKey[])[] = [];
  for (const item of rejected) {
    const parent = item.path.slice(0, -1);
    const holder = valueAt(copy, parent);
    const key = item.path.at(-1);
    // Only a plain mapping can lose a field; anything else (a list, YAML's !!binary bytes) ends the salvage.
    if (key === undefined || typeof holder !== 'object' || holder === null || Object.getPrototypeOf(holder) !== Object.prototype) return [];
    delete (holder as Record<PropertyKey, unknown>)[key];
    touched.push(parent);
  }
  const reparsed = PipelineConfigInputSchema.safeParse(copy);
  if (!reparsed.success) return [];
  const inside = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean => prefix.every((segment, i) => path[i] === segment);
  return checkPipelineRules(normalisePipelineConfig(reparsed.data)).filter((v) => !touched.some((prefix) => inside(v.path, prefix)));
}

function validate(data: unknown, where: (l: Located) => { line?: number; column?: number }, file: string | undefined, extraWarnings: Issue[]): Result<PipelineConfig> {
  const parsed = PipelineConfigInputSchema.safeParse(data);
  if (!parsed.success) {
    const rejected = parsed.error.issues.flatMap((i) => explain(i, data));
    const rules = salvagedRuleViolations(data, rejected).map((v) => toIssue(v, where, file));
    const errors = [...rejected.map((l) => toIssue(l, where, file)), ...rules.filter((v) => v.severity === Severity.Error)].sort(byPosition);
    return { ok: false, errors, warnings: [...extraWarnings, ...rules.filter((v) => v.severity === Severity.Warning)] };
  }
  const config = normalisePipelineConfig(parsed.data);
  const violations = checkPipelineRules(config)
    .map((v) => toIssue(v, where, file))
    .sort(byPosition);
  const errors = violations.filter((v) => v.severity === Severity.Error);
  const warnings = [...extraWarnings, ...violations.filter((v) => v.severity === Severity.Warning)];
  return errors.length > 0 ? { ok: false, errors, warnings } : { ok: true, value: config, warnings };
}

/**
 * Parses kargo-env.yaml text into a normalised PipelineConfig. Every YAML, schema and rule problem is returned
 * at once, each with its path and (1-based) line and column; nothing thrown on any input.
 */
export function parsePipelineConfig(text: string, options: ParsePipelineConfigOptions = {}): Result<PipelineConfig> {
  const file = options.filename;
  const lineCounter = new LineCounter();
  const at = (offset: number | undefined): { line?: number; column?: number } => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    return { ok: false, errors: [{ path: '', message: `cannot parse YAML: ${String(error)}`, severity: Severity.Error, code: 'yaml', ...(file === undefined ? {} : { file }) }], warnings: [] };
  }
  const yamlIssue = (e: { message: string; code: string; pos: [number, number] }, severity: Severity): Issue => ({
    path: '',
    message: e.message,
    severity,
    code: `yaml-${e.code.toLowerCase().replaceAll('_', '-')}`,
    ...(file === undefined ? {} : { file }),
    ...at(e.pos[0]),
  });
  const warnings = doc.warnings.map((w) => yamlIssue(w, Severity.Warning));
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => yamlIssue(e, Severity.Error)), warnings };
  }
  // A mapping or alias used as a key has no JSON meaning, and yaml's toJS stringifies such keys in time that
  // grows exponentially with nesting (and warns on the process); refuse them before converting.
  const complexKeys: Issue[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        complexKeys.push({
          path: '',
          message: 'a mapping key must be a plain value, not a collection or alias',
          severity: Severity.Error,
          code: 'yaml-complex-key',
          ...(file === undefined ? {} : { file }),
          ...at((pair.key as Node).range?.[0]),
        });
        return visit.SKIP;
      }
      return undefined;
    },
  });
  if (complexKeys.length > 0) return { ok: false, errors: complexKeys, warnings };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, errors: [{ path: '', message, severity: Severity.Error, code: 'yaml-aliases', ...(file === undefined ? {} : { file }) }], warnings };
  }
  const where = (l: Located): { line?: number; column?: number } => {
    const pos = locate(doc, lineCounter, l.path, { atKey: l.atKey === true });
    return pos === undefined ? {} : { line: pos.line, column: pos.column };
  };
  return validate(data, where, file, warnings);
}

/** The same checks for a config given as data (from code rather than a file); issues carry paths only. */
export function validatePipelineConfig(input: unknown): Result<PipelineConfig> {
  return validate(input, () => ({}), undefined, []);
}
