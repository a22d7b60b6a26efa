// Function implementations: Kargo's (v1.11.2 pkg/expressions/json_templates.go quoteFunc & co., and
// pkg/expressions/function/functions.go) and the expr-lang v1.17.8 builtins of the subset
// (builtin/builtin.go, builtin/lib.go). Argument counts and static types were checked before evaluation
// (checker.ts); what is checked here is what Go checks at run time.
import { parseVersion } from '../images/semver.ts';
import type { FreightOrigin } from '../kargo/common.ts';
import type { FreightChart, FreightCommit, FreightImage } from '../kargo/freight.ts';
import { type ExpressionEnv, hasFailures, splitAlias } from './env.ts';
import { ExpressionError, unsupported } from './errors.ts';
import { GoStruct, goFormat, goJSON, goQuote, goType, goUnmarshal, int64, isMap, nilSlice, nilStringMap, parseGoFloat, parseGoInt, stringMap } from './go.ts';

type Impl = (args: readonly unknown[], env: ExpressionEnv) => unknown;

function str(v: unknown, what = 'argument'): string {
  if (typeof v !== 'string') throw new ExpressionError(`${what} must be string, got ${goType(v)}`);
  return v;
}

// Go's unicode.ToUpper/ToLower map one rune to one rune (UnicodeData's simple mappings: no ß → SS as in
// JavaScript). Where JavaScript's full mapping has several runes, Go keeps the rune, except for these
// simple mappings: İ → i, and Greek letters with ypogegrammeni to their prosgegrammeni (titlecase) forms.
const SIMPLE_UPPER = (cp: number): number | undefined =>
  (cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7) ? cp + 8 : ({ 0x1fb3: 0x1fbc, 0x1fc3: 0x1fcc, 0x1ff3: 0x1ffc } as Record<number, number>)[cp];
const SIMPLE_LOWER = (cp: number): number | undefined => (cp === 0x130 ? 0x69 : undefined);
function mapRunes(s: string, f: (c: string) => string, simple: (cp: number) => number | undefined): string {
  return [...s].map((c) => {
    const mapped = f(c);
    if ([...mapped].length === 1) return mapped;
    const special = simple(c.codePointAt(0) ?? 0);
    return special === undefined ? c : String.fromCodePoint(special);
  }).join('');
}
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
  // Freight read from the API server never holds an empty map (omitempty): no annotations is a nil map.
  const annotations = found.annotations === undefined || Object.keys(found.annotations).length === 0 ? nilStringMap() : stringMap(found.annotations);
  const fields = { RepoURL: found.repoURL ?? '', Tag: found.tag ?? '', Digest: found.digest ?? '', Annotations: annotations };
  return new GoStruct('*v1alpha1.Image', fields, [['RepoURL', 'repoURL', true], ['Tag', 'tag', true], ['Digest', 'digest', true], ['Annotations', 'annotations', true]]);
}

// kargoapi.GitCommit and kargoapi.Chart: string fields only, every json tag omitempty.
function stringStruct(goType: string, fields: readonly (readonly [string, string])[], found: Readonly<Record<string, string | undefined>> | null): GoStruct | null {
  if (found === null) return null;
  return new GoStruct(goType, Object.fromEntries(fields.map(([f, k]) => [f, found[k] ?? ''])), fields.map(([f, k]) => [f, k, true] as const));
}
const commit = (found: FreightCommit | null): GoStruct | null =>
  stringStruct('*v1alpha1.GitCommit', [['RepoURL', 'repoURL'], ['ID', 'id'], ['Branch', 'branch'], ['Tag', 'tag'], ['Message', 'message'], ['Author', 'author'], ['Committer', 'committer']], found);
const chart = (found: FreightChart | null): GoStruct | null => stringStruct('*v1alpha1.Chart', [['RepoURL', 'repoURL'], ['Name', 'name'], ['Version', 'version']], found);

// getChartFromFreight: (repoURL), (repoURL, name), (repoURL, origin), (repoURL, name, origin).
function chartFrom(args: readonly unknown[], env: ExpressionEnv): GoStruct | null {
  const repoURL = str(args[0], 'first argument');
  const find = supplied(env.functions?.chartFrom, 'chartFrom');
  const [, second, third] = args;
  if (second === undefined) return chart(find(repoURL));
  if (typeof second !== 'string' && !(second instanceof GoStruct)) throw new ExpressionError(`second argument must be string or FreightOrigin, got ${goType(second)}`);
  if (third === undefined) return chart(typeof second === 'string' ? find(repoURL, second) : find(repoURL, undefined, origin(second)));
  if (typeof second !== 'string' || second === '') throw new ExpressionError(`when using three arguments, second argument must be string, got ${goType(second)}`);
  return chart(find(repoURL, second, origin(third, 'third')));
}

function origin(v: unknown, position = 'second'): FreightOrigin {
  if (!(v instanceof GoStruct) || v.goType !== 'v1alpha1.FreightOrigin') throw new ExpressionError(`${position} argument must be FreightOrigin, got ${goType(v)}`);
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

// runtime.ToInt for an int parameter (the checker let only ints and unknowns through).
function goInt(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Math.trunc(v);
  throw new ExpressionError(`cannot use ${goType(v)} as int`);
}

// strings.SplitN / SplitAfterN (n < 0: all; n == 0: a nil slice; sep "": one piece per character).
function goSplit(s: string, sep: string, n: number, after: boolean): readonly string[] {
  if (n === 0) return nilSlice();
  if (sep === '') {
    const runes = [...s];
    if (n < 0 || n >= runes.length) return runes;
    return [...runes.slice(0, n - 1), runes.slice(n - 1).join('')];
  }
  const parts: string[] = [];
  let rest = s;
  for (let at = rest.indexOf(sep); at >= 0 && (n < 0 || parts.length < n - 1); at = rest.indexOf(sep)) {
    parts.push(rest.slice(0, at + (after ? sep.length : 0)));
    rest = rest.slice(at + sep.length);
  }
  parts.push(rest);
  return parts;
}

// strings.Replace: at most n replacements (all when n < 0); an empty `old` matches before every character and at the end.
function goReplace(s: string, old: string, by: string, n: number): string {
  if (n === 0 || old === by) return s;
  if (old !== '') {
    const parts = s.split(old);
    if (n < 0 || n >= parts.length - 1) return parts.join(by);
    return parts.slice(0, n + 1).join(by) + old + parts.slice(n + 1).join(old);
  }
  const runes = [...s];
  let out = '';
  let done = 0;
  for (let i = 0; i <= runes.length; i++) {
    if (n < 0 || done < n) {
      out += by;
      done++;
    }
    out += runes[i] ?? '';
  }
  return out;
}

function byteIndex(s: string, sub: string, last: boolean): number {
  const bytes = Buffer.from(s);
  if (sub === '') return last ? bytes.length : 0;
  return last ? bytes.lastIndexOf(Buffer.from(sub)) : bytes.indexOf(Buffer.from(sub));
}

// base64.StdEncoding.DecodeString: padded standard alphabet (CR and LF ignored); the bytes must be UTF-8 here.
function fromBase64(s: string): string {
  const text = s.replace(/[\r\n]/g, '');
  const bad = /[^A-Za-z0-9+/=]|=[^=]|=(?:==)/.exec(text);
  if (bad !== null || text.length % 4 !== 0) throw new ExpressionError(`illegal base64 data at input byte ${bad?.index ?? text.length - (text.length % 4)}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64'));
  } catch {
    throw unsupported('fromBase64() of bytes that are not UTF-8');
  }
}

// builtin.Type: named types print with their package path; a pointer has no name and is "unknown".
function goTypeName(v: unknown): string {
  if (v === null) return 'nil';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string' || typeof v === 'boolean') return typeof v === 'string' ? 'string' : 'bool';
  if (Array.isArray(v)) return 'array';
  if (v instanceof GoStruct) return v.goType.startsWith('*') ? 'unknown' : `github.com/akuity/kargo/api/${v.goType}`;
  return isMap(v) ? 'map' : 'unknown';
}

function number(v: unknown, name: string): number {
  if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
  throw new ExpressionError(`invalid argument for ${name} (type ${goType(v)})`);
}

// math.Round: half away from zero (JavaScript's Math.round goes half up).
function goRound(x: number): number {
  const t = Math.trunc(x);
  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
}

// first()/last(): runtime.Fetch(v, 0 or -1), and nil wherever that would fail.
function element(v: unknown, at: 0 | -1): unknown {
  if (Array.isArray(v)) return v.length === 0 ? null : (v.at(at) as unknown);
  if (typeof v === 'string' && v !== '') return BigInt(Buffer.from(v).at(at) ?? 0);
  return null;
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
  commitFrom: ([repo, from], env) => {
    const repoURL = str(repo, 'first argument');
    const find = supplied(env.functions?.commitFrom, 'commitFrom');
    return commit(from === undefined ? find(repoURL) : find(repoURL, origin(from)));
  },
  chartFrom: (args, env) => chartFrom(args, env),
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
  upper: ([s]) => mapRunes(str(s), (c) => c.toUpperCase(), SIMPLE_UPPER),
  lower: ([s]) => mapRunes(str(s), (c) => c.toLowerCase(), SIMPLE_LOWER),
  trim: ([s, cut]) => trimWith(str(s), cut === undefined ? SPACE : `[${escapeClass(str(cut))}]`, 'both'),
  split: ([s, sep, n]) => goSplit(str(s), str(sep), n === undefined ? -1 : goInt(n), false),
  splitAfter: ([s, sep, n]) => goSplit(str(s), str(sep), n === undefined ? -1 : goInt(n), true),
  hasPrefix: ([s, prefix]) => str(s).startsWith(str(prefix)),
  hasSuffix: ([s, suffix]) => str(s).endsWith(str(suffix)),
  trimPrefix: ([s, prefix]) => {
    const p = prefix === undefined ? ' ' : str(prefix);
    return str(s).startsWith(p) ? str(s).slice(p.length) : str(s);
  },
  trimSuffix: ([s, suffix]) => {
    const p = suffix === undefined ? ' ' : str(suffix);
    return str(s).endsWith(p) ? str(s).slice(0, str(s).length - p.length) : str(s);
  },
  replace: ([s, old, by, n]) => goReplace(str(s), str(old), str(by), n === undefined ? -1 : goInt(n)),
  repeat: ([s, n]) => {
    const times = goInt(n);
    if (times < 0) throw new ExpressionError(`invalid argument for repeat (expected positive integer, got ${times})`);
    if (times > 1e6) throw new ExpressionError('memory budget exceeded');
    return str(s).repeat(times);
  },
  // strings.Index / LastIndex count bytes, not characters: indexOf("héllo", "l") is 3.
  indexOf: ([s, sub]) => BigInt(byteIndex(str(s), str(sub), false)),
  lastIndexOf: ([s, sub]) => BigInt(byteIndex(str(s), str(sub), true)),
  toBase64: ([s]) => Buffer.from(str(s)).toString('base64'),
  fromBase64: ([s]) => fromBase64(str(s)),
  type: ([v]) => goTypeName(v),
  abs: ([v]) => {
    if (typeof v === 'bigint') return int64(v < 0n ? -v : v);
    if (typeof v === 'number') return Math.abs(v);
    throw new ExpressionError(`invalid argument for abs (type ${goType(v)})`);
  },
  ceil: ([v]) => Math.ceil(number(v, 'ceil')),
  floor: ([v]) => Math.floor(number(v, 'floor')),
  round: ([v]) => goRound(number(v, 'round')),
  first: ([v]) => element(v, 0),
  last: ([v]) => element(v, -1),
  join: ([list, glue]) => join(list, glue),
  string: ([v]) => goFormat(v),
  int: ([v]) => toInt(v),
  float: ([v]) => toFloat(v),
  toJSON: ([v]) => goJSON(v, '  '),
  fromJSON: ([s]) => {
    const parsed = goUnmarshal(str(s));
    if (!parsed.ok) throw new ExpressionError(`invalid JSON ${JSON.stringify(s)}`);
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
    if (e instanceof ExpressionError) {
      if (e.column !== undefined) throw e;
      // `unsupported: …` keeps its wording; anything else says which function failed.
      throw new ExpressionError(e.construct === undefined ? `${name}(): ${e.detail}` : e.detail, { column, construct: e.construct, cause: e.cause });
    }
    throw new ExpressionError(`${name}(): ${e instanceof Error ? e.message : String(e)}`, { column, cause: e });
  }
}
