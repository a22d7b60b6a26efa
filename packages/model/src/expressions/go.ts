// The Go side of expression values: how Kargo's Go code types, prints, compares and parses them.
// Value model (an expr-lang value as this port holds it): null = nil, boolean, string, bigint = Go int
// (int64, wraps like Go), number = float64, arrays = []any, plain objects = map[string]any (or
// map[string]string when registered with stringMap), GoStruct = a Kargo API struct.
import { ExpressionError, unsupported } from './errors.ts';

/** A Go struct such as `kargoapi.Image`: expr-lang reads its Go field names, encoding/json its json tags. */
export class GoStruct {
  /** Go type for messages, e.g. `*v1alpha1.Image`. */
  readonly goType: string;
  /** Field values by Go field name. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** [Go field, json key, omitempty] in declaration order: what json.Marshal writes. */
  readonly json: readonly (readonly [string, string, boolean])[];

  constructor(goType: string, fields: Readonly<Record<string, unknown>>, json: readonly (readonly [string, string, boolean])[]) {
    this.goType = goType;
    this.fields = fields;
    this.json = json;
  }
}

/**
 * The value of a struct field this port cannot know, e.g. when a step started: reading it, or writing the
 * struct as JSON, is an `unsupported:` error rather than a made-up value.
 */
export const UNKNOWN_FIELD: unique symbol = Symbol('unknown Go field');

/** Fails for a field holding {@link UNKNOWN_FIELD}; returns the value otherwise. */
export function knownField(struct: GoStruct, field: string): unknown {
  const value = struct.fields[field];
  if (value === UNKNOWN_FIELD) throw unsupported(`${struct.goType}.${field} (only known during a real promotion)`);
  return value;
}

// map[string]string values (secret(), configMap(), Image.Annotations): a missing key reads as "" there
// (reflect.Zero of the element type, expr-lang vm/runtime/runtime.go Fetch), not nil.
const STRING_MAPS = new WeakSet<object>();

/** A copy of `data` that behaves as a Go map[string]string. */
export function stringMap(data: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const copy = { ...data };
  STRING_MAPS.add(copy);
  return copy;
}

export function isStringMap(v: unknown): boolean {
  return typeof v === 'object' && v !== null && STRING_MAPS.has(v);
}

// A nil map[string]string (the Annotations of an image that has none) or a nil []string (split(s, sep, 0)):
// it reads like an empty one (len 0, any key ""), yet it is nil to `??`, `?.` and `== nil`, and
// json.Marshal writes it as null.
const NILS = new WeakSet<object>();

/** A nil Go map[string]string. */
export function nilStringMap(): Readonly<Record<string, string>> {
  const map = Object.freeze({});
  STRING_MAPS.add(map);
  NILS.add(map);
  return map;
}

/** A nil Go []string. */
export function nilSlice(): readonly string[] {
  const slice: readonly string[] = Object.freeze([]);
  NILS.add(slice);
  return slice;
}

/** runtime.IsNil: nil itself, or a nil map or slice. */
export function isNil(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'object' && NILS.has(v));
}

export function isMap(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoStruct);
}

export function isNumber(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** Go int arithmetic wraps at 64 bits. */
export const int64 = (v: bigint): bigint => BigInt.asIntN(64, v);

/** An env value as a Go value: undefined reads as nil; anything not JSON-like is refused. */
export function normalize(v: unknown): unknown {
  if (v === undefined) return null;
  if (v === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof v) || Array.isArray(v) || v instanceof GoStruct) return v;
  if (isMap(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null)) return v;
  throw new ExpressionError(`value of JavaScript type ${typeof v} cannot be an expression value`);
}

/** Go's %T of a value, for messages. */
export function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string' || typeof v === 'boolean') return v === true || v === false ? 'bool' : 'string';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof GoStruct) return v.goType;
  return isStringMap(v) ? 'map[string]string' : 'map[string]interface {}';
}

// ---- encoding/json (json.Marshal / MarshalIndent), used by templates, quote() and toJSON().

function jsonString(s: string): string {
  // Go escapes <, >, & and U+2028/2029 (HTMLEscape is on by default); JSON.stringify does the rest alike.
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function jsonNumber(n: number): string {
  if (!Number.isFinite(n)) throw new ExpressionError(`json: unsupported value: ${goFormat(n)}`);
  // Go switches to exponent form below 1e-6 and from 1e21, exactly where JavaScript does (encode.go floatEncoder).
  return Object.is(n, -0) ? '-0' : String(n);
}

function isEmpty(v: unknown): boolean {
  return v === null || v === '' || v === false || v === 0 || v === 0n || (isMap(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

/** json.Marshal (indent = '') or json.MarshalIndent(v, "", indent): map keys sorted, structs by json tag. */
export function goJSON(v: unknown, indent = '', depth = 0): string {
  if (isNil(v)) return 'null';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return jsonNumber(v);
  if (typeof v === 'string') return jsonString(v);
  let entries: [string | undefined, unknown][];
  if (Array.isArray(v)) entries = v.map((x: unknown) => [undefined, x]);
  else if (v instanceof GoStruct) entries = v.json.filter(([f, , omit]) => !(omit && isEmpty(knownField(v, f)))).map(([f, key]) => [key, v.fields[f]]);
  else if (isMap(v)) entries = Object.keys(v).sort().map((k) => [k, v[k]]);
  else throw new ExpressionError(`json: unsupported type ${typeof v}`);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const pad = indent === '' ? '' : `\n${indent.repeat(depth + 1)}`;
  const items = entries.map(([k, x]) => (k === undefined ? '' : jsonString(k) + (indent === '' ? ':' : ': ')) + goJSON(x, indent, depth + 1));
  return open + pad + items.join(`,${pad}`) + (indent === '' ? '' : `\n${indent.repeat(depth)}`) + close;
}

/** json.Unmarshal into `any`: numbers become float64, and a number float64 cannot hold is an error. */
export function goUnmarshal(text: string): { ok: true; value: unknown } | { ok: false } {
  let finite = true;
  try {
    const value: unknown = JSON.parse(text, (_k, x: unknown) => {
      if (typeof x === 'number' && !Number.isFinite(x)) finite = false;
      return x;
    });
    return finite ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

// ---- fmt: %v (the string() builtin) and %q (Kargo's quote() of a string).

/** strconv.FormatFloat(f, 'g', -1, 64) as %v prints it: exponent form below 1e-4 and from 1e6 (eprec 6). */
function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 6) return String(n);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** fmt.Sprintf("%v", v). Structs are refused: their %v (`&{repo tag  map[]}`) is never what anyone wants. */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goFormat(v[k])}`).join(' ')}]`;
  throw unsupported(`string() of ${goType(v)}`);
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };

/** strconv.Quote (fmt's %q of a string): printable runes kept, the rest escaped with lower-case hex. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

// ---- strconv parsing: ParseFloat / ParseBool decide what a template's text turns into.

// Go allows `_` only between digits (or right after a base prefix): strconv/atoi.go underscoreOK.
function underscoresOk(s: string): boolean {
  const body = s.replace(/^[+-]/, '');
  const hex = /^0[xX]/.test(body);
  let saw = hex ? '0' : '^';
  for (const c of hex ? body.slice(2) : body) {
    if (/[0-9]/.test(c) || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

const DECIMAL = /^[+-]?([0-9_]*\.?[0-9_]*)([eE][+-]?[0-9][0-9_]*)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9][0-9_]*)$/;

/** A hex float, mantissa·2^exp; double rounding can only occur for subnormal results. */
function hexFloat(m: RegExpExecArray): number | undefined {
  const [, sign = '', int = '', frac = '', exp = ''] = m;
  const digits = (int + frac).replaceAll('_', '');
  if (digits === '') return undefined;
  const mantissa = Number(BigInt(`0x${digits}`));
  let e = Number(exp.replaceAll('_', '')) - 4 * frac.replaceAll('_', '').length;
  let value = mantissa;
  while (e !== 0 && value !== 0 && Number.isFinite(value)) {
    const step = Math.max(-1000, Math.min(1000, e));
    value *= 2 ** step;
    e -= step;
  }
  return sign === '-' ? -value : value;
}

/** strconv.ParseFloat(s, 64); `undefined` where Go returns an error (syntax, or overflow to ±Inf). */
export function parseGoFloat(s: string): number | undefined {
  // strconv/atof.go special(): signed inf/infinity and unsigned nan, any case.
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special !== null) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!underscoresOk(s)) return undefined;
  const hex = HEX.exec(s);
  const dec = DECIMAL.exec(s);
  let value: number | undefined;
  if (hex !== null) value = hexFloat(hex);
  else if (dec !== null && /[0-9]/.test(dec[1] ?? '')) value = Number(s.replaceAll('_', ''));
  return value === undefined || !Number.isFinite(value) ? undefined : value;
}

const BOOLS: Readonly<Record<string, boolean>> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  return Object.hasOwn(BOOLS, s) ? BOOLS[s] : undefined;
}

/** strconv.Atoi: optional sign, decimal digits, int64 range. */
export function parseGoInt(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v === int64(v) ? v : undefined;
}

// ---- equality: expr-lang runtime.Equal (numbers across int/float, arrays element-wise, rest DeepEqual).

function deepEqual(a: unknown, b: unknown): boolean {
  if (isNil(a) !== isNil(b)) return false;
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a instanceof GoStruct || b instanceof GoStruct) {
    return a instanceof GoStruct && b instanceof GoStruct && a.goType === b.goType && deepEqual(a.fields, b.fields);
  }
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return isStringMap(a) === isStringMap(b) && keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return a === b;
}

export function goEqual(a: unknown, b: unknown): boolean {
  if (isNumber(a) && isNumber(b)) return typeof a === typeof b ? a === b : Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => goEqual(x, b[i]));
  // runtime.Equal: two nils of any kind are equal; reflect.DeepEqual then tells a nil map from an empty one.
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  return deepEqual(a, b);
}
