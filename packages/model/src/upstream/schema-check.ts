// Checks a value against an upstream schema the way the Kubernetes API server does with strict field
// validation: defaults applied first, every object schema that lists properties closed (unknown fields are
// errors), Go (RE2) patterns, x-kubernetes-list-type uniqueness and x-kubernetes-validations CEL rules.
// ajv does the JSON Schema part; the Kubernetes extensions are checked by a walk of the defaulted value.
import { isCelError, run } from '@bufbuild/cel';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Severity, formatPath, type Issue } from '../result.ts';
import type { SchemaObject } from './bundle.ts';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Path = readonly (string | number)[];
type Json = { readonly [key: string]: unknown };

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Keywords whose value maps names to subschemas, lists subschemas, or is one subschema. */
const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas'] as const;
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
const SCHEMA_ONE = ['items', 'additionalProperties', 'additionalItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'] as const;

/** A copy of a schema node with `map` applied to each direct subschema. */
function mapSubschemas(node: Json, map: (sub: unknown, keyword: string) => unknown): Json {
  const out: Record<string, unknown> = { ...node };
  for (const keyword of SCHEMA_MAPS) {
    const value = node[keyword];
    if (isObject(value)) out[keyword] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, map(sub, keyword)]));
  }
  for (const keyword of [...SCHEMA_LISTS, 'items'] as const) {
    const value = node[keyword];
    if (Array.isArray(value)) out[keyword] = value.map((sub) => map(sub, keyword));
  }
  for (const keyword of SCHEMA_ONE) {
    const value = node[keyword];
    if (value !== undefined && !Array.isArray(value)) out[keyword] = map(value, keyword);
  }
  return out;
}

/**
 * A copy of `schema` in which every object schema that lists `properties` and does not say
 * `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`: what the API server does with
 * unknown fields under strict field validation. Open maps (`additionalProperties: {…}`) and preserved
 * subtrees stay open.
 */
export function closedSchema<T>(schema: T): T {
  const close = (node: unknown): unknown => {
    if (!isObject(node)) return node;
    const out = mapSubschemas(node, close) as Record<string, unknown>;
    if (isObject(node['properties']) && node['x-kubernetes-preserve-unknown-fields'] !== true && node['additionalProperties'] === undefined) {
      out['additionalProperties'] = false;
    }
    return out;
  };
  return close(schema) as T;
}

/**
 * Kargo evaluates `${{ … }}` / `${% … %}` in a step's config before it validates it, and a templated string
 * may become any JSON value ("true", a number, an object: `pkg/expressions/json_templates.go`,
 * EvaluateJSONTemplate). Such strings are replaced by this marker, and the schema accepts the marker at
 * every position a value can stand (`acceptTemplates`), so only what is not templated is checked.
 */
export const TEMPLATE_MARKER = '\u0000kargo-env:template\u0000';
const TEMPLATE_DELIMITERS = ['${{', '${%'] as const;

export function isTemplated(value: unknown): value is string {
  return typeof value === 'string' && TEMPLATE_DELIMITERS.some((d) => value.includes(d));
}

/** `value` with every templated string replaced by the marker. */
export function markTemplates(value: unknown): unknown {
  if (isTemplated(value)) return TEMPLATE_MARKER;
  if (Array.isArray(value)) return value.map(markTemplates);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markTemplates(v)]));
  return value;
}

/** Keywords whose subschemas describe a value of the instance (a property, an item), not the same value. */
const VALUE_POSITIONS = new Set(['properties', 'patternProperties', 'additionalProperties', 'unevaluatedProperties', 'items', 'prefixItems', 'additionalItems', 'unevaluatedItems', 'contains']);

/**
 * A copy of a JSON Schema that accepts TEMPLATE_MARKER wherever a value stands (each property, item and
 * additional value), through `if: {const: marker}, then: true, else: <original>`. Composite branches
 * (`oneOf` members, definitions) are not wrapped themselves — a marker matching every `oneOf` branch
 * would fail it — but the values inside them are.
 */
export function acceptTemplates(schema: SchemaObject): SchemaObject {
  const atValue = (node: unknown): unknown => {
    if (!isObject(node)) return node;
    return { if: { const: TEMPLATE_MARKER }, then: true, else: inside(node) };
  };
  const inside = (node: unknown): unknown => {
    if (!isObject(node)) return node;
    return mapSubschemas(node, (sub, keyword) => (VALUE_POSITIONS.has(keyword) ? atValue(sub) : inside(sub)));
  };
  return inside(schema) as SchemaObject;
}

/** One compiled schema: ajv for the JSON Schema keywords, and the schema itself for the Kubernetes walk. */
export interface CompiledSchema {
  readonly schema: SchemaObject;
  readonly validate: ValidateFunction;
  /** Whether it is a CRD schema: defaults, RE2 patterns, list types and CEL rules apply. */
  readonly kubernetes: boolean;
}

export interface CompileOptions {
  /** A CRD's structural schema (true) or a plain JSON Schema such as a step config (false). */
  readonly kubernetes: boolean;
  /** Other schema files the schema refers to by name (`argocd-common.json#/…`). */
  readonly references?: Readonly<Record<string, SchemaObject>>;
}

/**
 * One ajv instance per kind of schema (CRD, JSON Schema draft-07, 2020-12), shared by every schema of that
 * kind: creating an instance and adding the formats costs more than compiling a small schema, and a run
 * compiles a dozen. With ajv's code optimisation off as well (it makes compiling slower and these
 * validators no faster for documents this size), the first validation of the example tree took 0.6–1.1 s
 * instead of 1.6–2.3 s (three runs each, same loaded 2-core machine); the second pass 30–60 ms either way.
 */
const instances = new Map<string, Ajv>();

function ajvFor(kubernetes: boolean, draft2020: boolean): Ajv {
  const key = `${kubernetes}:${draft2020}`;
  let ajv = instances.get(key);
  if (ajv === undefined) {
    // strict: false tolerates the x-kubernetes-* keywords, which the walk below interprets. CRD patterns are
    // Go RE2, e.g. `[\w.\-\_]`, which JS rejects under the `u` flag: compile them without it.
    const options = {
      strict: false,
      allErrors: true,
      useDefaults: kubernetes,
      unicodeRegExp: !kubernetes,
      logger: false as const,
      // parentSchema in errors: the known fields of an object, for "did you mean".
      verbose: true,
      code: { optimize: false },
    };
    ajv = draft2020 ? new Ajv2020(options) : new Ajv(options);
    addFormats(ajv);
    instances.set(key, ajv);
  }
  return ajv;
}

export function compileSchema(schema: SchemaObject, options: CompileOptions): CompiledSchema {
  const draft2020 = typeof schema['$schema'] === 'string' && schema['$schema'].includes('2020-12');
  const ajv = ajvFor(options.kubernetes, draft2020);
  for (const [name, referenced] of Object.entries(options.references ?? {})) {
    if (ajv.getSchema(name) !== undefined) continue;
    // A definitions file is only a container of `definitions`; its `$schema` may name another draft than
    // the schema that refers to it (git-tag is draft-07, common.json 2020-12), which ajv would refuse.
    const { $schema: _draft, ...definitions } = referenced;
    ajv.addSchema(definitions, name);
  }
  return { schema, validate: ajv.compile(schema as object), kubernetes: options.kubernetes };
}

/** Validates `value` (never mutated) and returns every problem, paths relative to `base`. */
export function checkAgainst(compiled: CompiledSchema, value: unknown, base: Path = []): Issue[] {
  // Defaults mutate: work on a copy, as the API server defaults its decoded copy before validating.
  const copy: unknown = structuredClone(value);
  const issues = compiled.validate(copy) ? [] : ajvIssues(compiled.validate.errors ?? [], copy, base);
  if (compiled.kubernetes) issues.push(...kubernetesIssues(compiled.schema, copy, base));
  return dedupe(issues);
}

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((key) => (/^\d+$/.test(key) ? Number(key) : key));
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object (a map of fields)',
  array: 'a list',
  null: 'null',
};

const error = (path: Path, message: string, code: string): Issue => ({ path: formatPath(path), message, severity: Severity.Error, code });

/** The value at a JSON pointer of `data`. */
function valueAt(data: unknown, pointer: string): unknown {
  return pointerSegments(pointer).reduce<unknown>((o, k) => (Array.isArray(o) ? o[k as number] : isObject(o) ? o[k] : undefined), data);
}

function containsTemplate(value: unknown): boolean {
  if (value === TEMPLATE_MARKER) return true;
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (isObject(value)) return Object.values(value).some(containsTemplate);
  return false;
}

/**
 * Which of ajv's errors to report. An anyOf/oneOf that matched none of its branches reports its summary
 * and the errors of the branch that came closest (fewest errors), not every branch's. A oneOf that matched
 * more than one branch only because a templated value fits several is no error: once Kargo evaluates the
 * expression, one branch remains.
 */
function reportable(errors: readonly ErrorObject[], data: unknown): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const summary of errors) {
    if (summary.keyword !== 'anyOf' && summary.keyword !== 'oneOf') continue;
    const prefix = `${summary.schemaPath}/`;
    const branches = errors.filter((e) => e !== summary && e.schemaPath.startsWith(prefix));
    const passing = (summary.params as { passingSchemas?: unknown }).passingSchemas;
    if (summary.keyword === 'oneOf' && passing !== null && passing !== undefined) {
      if (containsTemplate(valueAt(data, summary.instancePath))) dropped.add(summary);
      for (const e of branches) dropped.add(e);
      continue;
    }
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of branches) {
      const branch = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    const closest = [...byBranch.values()].sort((a, b) => a.length - b.length)[0] ?? [];
    const intOrString = isObject(summary.parentSchema) && summary.parentSchema['x-kubernetes-int-or-string'] === true;
    for (const e of branches) if (intOrString || !closest.includes(e)) dropped.add(e);
  }
  // `if` only says which branch failed; that branch's own errors are reported. This also drops the
  // wrapper of `acceptTemplates`.
  return errors.filter((e) => !dropped.has(e) && e.keyword !== 'if');
}

/** ajv's errors as issues: one per problem, at the field it concerns, in the API server's vocabulary. */
function ajvIssues(errors: readonly ErrorObject[], data: unknown, base: Path): Issue[] {
  const out: Issue[] = [];
  for (const e of reportable(errors, data)) {
    const at = [...base, ...pointerSegments(e.instancePath)];
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = String(params['additionalProperty']);
        const known = Object.keys(isObject(e.parentSchema) && isObject(e.parentSchema['properties']) ? e.parentSchema['properties'] : {});
        const near = closest(field, known);
        out.push(error([...at, field], `unknown field "${field}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`, 'unknown-field'));
        break;
      }
      case 'required':
        out.push(error([...at, String(params['missingProperty'])], 'required field is missing', 'required'));
        break;
      case 'enum':
        out.push(error(at, `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, 'enum'));
        break;
      case 'const':
        out.push(error(at, `must be ${JSON.stringify(params['allowedValue'])}`, 'const'));
        break;
      case 'type': {
        const types = String(params['type']).split(',');
        out.push(error(at, `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`, 'type'));
        break;
      }
      case 'anyOf':
      case 'oneOf': {
        const intOrString = isObject(e.parentSchema) && e.parentSchema['x-kubernetes-int-or-string'] === true;
        const message = intOrString
          ? 'must be an integer or a string'
          : e.keyword === 'oneOf' && params['passingSchemas'] !== null && params['passingSchemas'] !== undefined
            ? 'matches more than one of the allowed forms; it must match exactly one'
            : 'matches none of the allowed forms';
        out.push(error(at, message, e.keyword));
        break;
      }
      case 'pattern':
        out.push(error(at, `must match the pattern ${String(params['pattern'])}`, 'pattern'));
        break;
      case 'format':
        out.push(error(at, `must be a valid ${String(params['format'])}`, 'format'));
        break;
      default:
        out.push(error(at, e.message ?? `fails "${e.keyword}"`, e.keyword));
    }
  }
  return out;
}

/** The known name nearest to a misspelt one (edit distance ≤ 2, or one a case change away). */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps ("Freigth"). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Follows local `$ref`s (`#/definitions/…`) to the schema they name. */
function deref(root: SchemaObject, node: Json): Json {
  let current = node;
  for (let hops = 0; hops < 32; hops++) {
    const ref = current['$ref'];
    if (typeof ref !== 'string') break;
    const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), root);
    if (!isObject(target)) return current;
    current = target;
  }
  return current;
}

/**
 * The Kubernetes extensions ajv does not know, checked on the defaulted value: list types (`map` keys and
 * `set` items unique) and CEL rules. A rule is only evaluated where its value is present, as the API server does.
 */
function kubernetesIssues(root: SchemaObject, value: unknown, base: Path): Issue[] {
  const out: Issue[] = [];
  const walk = (node: Json, data: unknown, at: Path): void => {
    const schema = deref(root, node);
    if (data === undefined) return;
    const listType = schema['x-kubernetes-list-type'];
    if (Array.isArray(data) && (listType === 'map' || listType === 'set')) {
      const keys = listType === 'map' && Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as string[]) : undefined;
      const seen = new Map<string, number>();
      data.forEach((item, i) => {
        const identity = JSON.stringify(keys === undefined ? item : keys.map((k) => (isObject(item) ? item[k] : undefined)));
        const first = seen.get(identity);
        if (first !== undefined) {
          const what = keys === undefined ? `the same value as [${first}]` : `the same ${keys.join('/')} as [${first}]`;
          out.push(error([...at, i], `duplicate entry: ${what} (x-kubernetes-list-type: ${listType})`, 'duplicate'));
        } else {
          seen.set(identity, i);
        }
      });
    }
    const rules = schema['x-kubernetes-validations'];
    if (Array.isArray(rules)) {
      for (const rule of rules as { rule?: unknown; fieldPath?: unknown }[]) {
        if (typeof rule.rule !== 'string') continue;
        const result = run(rule.rule, { self: toCel(data) });
        const field = typeof rule.fieldPath === 'string' ? pointerOfFieldPath(rule.fieldPath) : [];
        if (isCelError(result)) out.push(error([...at, ...field], `rule could not be evaluated: ${rule.rule} (${String(result)})`, 'cel-rule'));
        else if (result !== true) out.push(error([...at, ...field], `failed rule: ${rule.rule}`, 'cel-rule'));
      }
    }
    if (isObject(data)) {
      const properties = isObject(schema['properties']) ? schema['properties'] : {};
      for (const [key, child] of Object.entries(data)) {
        const sub = properties[key] ?? (isObject(schema['additionalProperties']) ? schema['additionalProperties'] : undefined);
        if (isObject(sub)) walk(sub, child, [...at, key]);
      }
    } else if (Array.isArray(data) && isObject(schema['items'])) {
      const items = schema['items'];
      data.forEach((child, i) => walk(items, child, [...at, i]));
    }
  };
  walk(root, value, base);
  return out;
}

/** `.spec.foo` (a rule's fieldPath) as path segments. */
function pointerOfFieldPath(fieldPath: string): string[] {
  return fieldPath.split('.').filter((s) => s !== '');
}

/** JSON as CEL sees a Kubernetes object: maps, lists, int for whole numbers (CRD integers), double otherwise. */
function toCel(value: unknown): Parameters<typeof run>[1] extends Record<string, infer V> | undefined ? V : never {
  const convert = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(convert);
    if (isObject(v)) return new Map(Object.entries(v).map(([k, x]) => [k, convert(x)]));
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    return v;
  };
  return convert(value) as never;
}
