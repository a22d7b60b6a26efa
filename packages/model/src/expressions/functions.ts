// Function implementations: Kargo's (v1.11.2 pkg/expressions/json_templates.go quoteFunc & co., and
// pkg/expressions/function/functions.go) and the expr-lang v1.17.8 builtins of the subset
// (builtin/builtin.go, builtin/lib.go). Argument counts and static types were checked before evaluation
// (checker.ts); what is checked here is what Go checks at run time.
import { parseVersion } from '../images/semver.ts';
import type { FreightOrigin } from '../kargo/common.ts';
import type { FreightImage } from '../kargo/freight.ts';
import { type ExpressionEnv, hasFailures, splitAlias } from './env.ts';
import { ExpressionError, unsupported } from './errors.ts';
import { GoStruct, goFormat, goJSON, goQuote, goType, goUnmarshal, int64, parseGoFloat, parseGoInt, stringMap } from './go.ts';

type Impl = (args: readonly unknown[], env: ExpressionEnv) => unknown;

function str(v: unknown, what = 'argument'): string {
  if (typeof v !== 'string') throw new ExpressionError(`${what} must be string, got ${goType(v)}`);
  return v;
}

// Go's unicode.ToUpper/ToLower map one rune to one rune (no ß → SS as in JavaScript).
const mapRunes = (s: string, f: (c: string) => string): string => [...s].map((c) => (f(c).length === c.length ? f(c) : c)).join('');
const SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const escapeClass = (cutset: string): string => [...cutset].map((c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`).join('');
const trimWith = (s: string, cls: string, where: 'both' | 'start' | 'end'): string =>
  s.replace(new RegExp(`${where === 'end' ? '' : `^${cls}+`}${where === 'both' ? '|' : ''}${where === 'start' ? '' : `${cls}+$`}`, 'gu'), '');

function unsafeQuote(v: unknown): string {
  try {
    return `"${goJSON(v)}"`;
  } catch (e) {
    throw new ExpressionError(`error applying quote() function: ${(e as Error).message}`, { cause: e });
  }
}

function image(found: FreightImage | null): GoStruct | null {
  if (found === null) return null;
  const fields = { RepoURL: found.repoURL ?? '', Tag: found.tag ?? '', Digest: found.digest ?? '', Annotations: stringMap(found.annotations ?? {}) };
  return new GoStruct('*v1alpha1.Image', fields, [['RepoURL', 'repoURL', true], ['Tag', 'tag', true], ['Digest', 'digest', true], ['Annotations', 'annotations', true]]);
}

function origin(v: unknown): FreightOrigin {
  if (!(v instanceof GoStruct) || v.goType !== 'v1alpha1.FreightOrigin') throw new ExpressionError(`second argument must be FreightOrigin, got ${goType(v)}`);
  return { kind: 'Warehouse', name: str(v.fields.Name) };
}

function supplied<T>(fn: T | undefined, name: string): T {
  if (fn === undefined) throw new ExpressionError(`${name}(): this environment supplies no data for it`);
  return fn;
}

// status(): the step with this alias in the caller's task namespace (functions.go getStatus); '' if none ran.
function status(alias: string, env: ExpressionEnv): string {
  if (alias === '') throw new ExpressionError('argument must not be empty');
  const [own] = splitAlias(env.stepAlias ?? '');
  const found = (env.steps ?? []).find((s) => {
    const [ns, short] = splitAlias(s.alias);
    return ns === own && short === alias;
  });
  return found?.status ?? '';
}

function semverDiff(a: string, b: string): string {
  const v1 = parseVersion(a);
  const v2 = parseVersion(b);
  if (v1 === undefined || v2 === undefined) return 'Incomparable';
  if (v1.major !== v2.major) return 'Major';
  if (v1.minor !== v2.minor) return 'Minor';
  if (v1.patch !== v2.patch) return 'Patch';
  return v1.metadata !== v2.metadata ? 'Metadata' : 'None';
}

function toInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    // Go's int(float64) is implementation-defined outside the int64 range.
    if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 63) throw unsupported(`int() of ${goFormat(v)}`);
    return int64(BigInt(Math.trunc(v)));
  }
  const parsed = typeof v === 'string' ? parseGoInt(v) : undefined;
  if (parsed === undefined) throw new ExpressionError(`invalid operation: int(${typeof v === 'string' ? v : goType(v)})`);
  return parsed;
}

function toFloat(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
  const parsed = typeof v === 'string' ? parseGoFloat(v) : undefined;
  if (parsed === undefined) throw new ExpressionError(`invalid operation: float(${typeof v === 'string' ? v : goType(v)})`);
  return parsed;
}

function len(v: unknown): bigint {
  if (typeof v === 'string') return BigInt([...v].length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (typeof v === 'object' && v !== null && !(v instanceof GoStruct)) return BigInt(Object.keys(v).length);
  throw new ExpressionError(`invalid argument for len (type ${goType(v)})`);
}

function join(list: unknown, glue: unknown): string {
  if (!Array.isArray(list)) throw new ExpressionError(`invalid argument for join (type ${goType(list)})`);
  return list.map((x) => str(x, 'element')).join(glue === undefined ? '' : str(glue));
}

const IMPLEMENTATIONS: Readonly<Record<string, Impl>> = {
  // A string comes back Go-quoted (%q), so "1.10" stays a string after the template's JSON step; anything
  // else is JSON inside quotes, which the template step unwraps to the JSON text as a string.
  quote: ([v]) => (typeof v === 'string' ? goQuote(v) : unsafeQuote(v)),
  unsafeQuote: ([v]) => unsafeQuote(v),
  asJSON: ([v]) => `"${goJSON(v, '  ')}\n"`,
  asYAML: () => {
    throw unsupported('asYAML() (go-yaml v3 formatting)');
  },
  imageFrom: ([repo, from], env) => {
    const repoURL = str(repo, 'first argument');
    const find = supplied(env.functions?.imageFrom, 'imageFrom');
    return image(from === undefined ? find(repoURL) : find(repoURL, origin(from)));
  },
  warehouse: ([name]) => {
    if (str(name) === '') throw new ExpressionError('name must not be empty');
    return new GoStruct('v1alpha1.FreightOrigin', { Kind: 'Warehouse', Name: name }, [['Kind', 'kind', false], ['Name', 'name', false]]);
  },
  secret: ([name], env) => stringMap(supplied(env.functions?.secret, 'secret')(str(name))),
  semverDiff: ([a, b]) => semverDiff(str(a, 'first argument'), str(b, 'second argument')),
  success: (_, env) => !hasFailures(env.steps ?? []),
  failure: (_, env) => hasFailures(env.steps ?? []),
  always: () => true,
  status: ([alias], env) => status(str(alias), env),
  len: ([v]) => len(v),
  upper: ([s]) => mapRunes(str(s), (c) => c.toUpperCase()),
  lower: ([s]) => mapRunes(str(s), (c) => c.toLowerCase()),
  trim: ([s, cut]) => trimWith(str(s), cut === undefined ? SPACE : `[${escapeClass(str(cut))}]`, 'both'),
  split: ([s, sep]) => (str(sep) === '' ? [...str(s)] : str(s).split(str(sep))),
  join: ([list, glue]) => join(list, glue),
  string: ([v]) => goFormat(v),
  int: ([v]) => toInt(v),
  float: ([v]) => toFloat(v),
  toJSON: ([v]) => goJSON(v, '  '),
  fromJSON: ([s]) => {
    const parsed = goUnmarshal(str(s));
    if (!parsed.ok) throw new ExpressionError(`fromJSON(): invalid JSON ${JSON.stringify(s)}`);
    return parsed.value;
  },
};

/** Calls function `name` (known to the checker) with evaluated arguments. */
export function callFunction(name: string, args: readonly unknown[], env: ExpressionEnv, column: number): unknown {
  const impl = IMPLEMENTATIONS[name];
  if (impl === undefined) throw new ExpressionError(`unknown function ${name}(): cannot call nil`, { column });
  try {
    return impl(args, env);
  } catch (e) {
    if (e instanceof ExpressionError) throw e.column === undefined ? new ExpressionError(`${name}(): ${e.detail}`, { column, construct: e.construct, cause: e.cause }) : e;
    throw new ExpressionError(`${name}(): ${e instanceof Error ? e.message : String(e)}`, { column, cause: e });
  }
}
