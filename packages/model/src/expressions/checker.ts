// The compile-time type check expr.Compile runs before anything is evaluated (expr-lang v1.17.8
// checker/checker.go). Kargo compiles without expr.Env (pkg/expressions/json_templates.go
// evaluateExpression), so every variable is of unknown type and only literals, operators and the declared
// function signatures are checked. It matters even so: `1 == "1"` or `true && "x"` are compile errors in
// Kargo, not false/"x", and they fail even inside a branch that would never run.
import { ExpressionError, unsupported } from './errors.ts';
import type { Node } from './parser.ts';

/** A static type: `array:<elem>`, `map` = map[string]any, `smap` = map[string]string, or a Kargo struct. */
export type StaticType = string;
type Param = 'any' | 'string' | 'origin' | 'array' | 'scalar' | 'sized' | 'int' | 'number' | 'list';

interface Signature {
  readonly overloads: readonly (readonly Param[])[];
  readonly returns: StaticType;
}

const sig = (returns: StaticType, ...overloads: Param[][]): Signature => ({ overloads, returns });

/** The functions this port implements: Kargo's (pkg/expressions/function/functions.go) and expr-lang builtins. */
export const SIGNATURES: Readonly<Record<string, Signature>> = {
  quote: sig('string', ['any']), unsafeQuote: sig('string', ['any']), asJSON: sig('string', ['any']), asYAML: sig('string', ['any']),
  imageFrom: sig('Image', ['string'], ['string', 'origin']), warehouse: sig('FreightOrigin', ['string']),
  commitFrom: sig('GitCommit', ['string'], ['string', 'origin']),
  chartFrom: sig('Chart', ['string'], ['string', 'string'], ['string', 'origin'], ['string', 'string', 'origin']),
  secret: sig('smap', ['string']), semverDiff: sig('string', ['string', 'string']),
  success: sig('bool', []), failure: sig('bool', []), always: sig('bool', []), status: sig('string', ['string']),
  len: sig('int', ['sized']), upper: sig('string', ['string']), lower: sig('string', ['string']),
  trim: sig('string', ['string'], ['string', 'string']), split: sig('array:string', ['string', 'string'], ['string', 'string', 'int']),
  join: sig('string', ['array'], ['array', 'string']),
  hasPrefix: sig('bool', ['string', 'string']), hasSuffix: sig('bool', ['string', 'string']),
  trimPrefix: sig('string', ['string', 'string'], ['string']), trimSuffix: sig('string', ['string', 'string'], ['string']),
  replace: sig('string', ['string', 'string', 'string'], ['string', 'string', 'string', 'int']),
  repeat: sig('string', ['string', 'int']), indexOf: sig('int', ['string', 'string']), lastIndexOf: sig('int', ['string', 'string']),
  splitAfter: sig('array:string', ['string', 'string'], ['string', 'string', 'int']),
  toBase64: sig('string', ['string']), fromBase64: sig('string', ['string']),
  type: sig('string', ['any']), abs: sig('unknown', ['number']),
  ceil: sig('float', ['number']), floor: sig('float', ['number']), round: sig('float', ['number']),
  first: sig('unknown', ['list']), last: sig('unknown', ['list']),
  string: sig('string', ['any']), int: sig('int', ['scalar']), float: sig('float', ['scalar']),
  toJSON: sig('string', ['any']), fromJSON: sig('unknown', ['string']),
};

/** Kargo's status functions exist only where Kargo registers StatusOperations (step `if` and config). */
export const STATUS_FUNCTIONS = new Set(['success', 'failure', 'always', 'status']);

// Known to Kargo or expr-lang but not implemented here: calling one is an `unsupported:` error.
const NOT_IMPLEMENTED = new Set([
  'artifactFrom', 'configMap', 'sharedSecret', 'sharedConfigMap', 'freightMetadata', 'stageMetadata', 'semverParse',
  'max', 'min', 'mean', 'median', 'now', 'duration', 'date', 'timezone', 'get', 'take', 'keys', 'values', 'toPairs',
  'fromPairs', 'reverse', 'uniq', 'concat', 'flatten', 'sort', 'bitnot', 'bitand', 'bitor', 'bitxor', 'bitnand', 'bitshl', 'bitshr', 'bitushr',
]);

/** Go field names expr-lang reads on the Kargo structs functions return (api/v1alpha1 stage_types.go). */
export const STRUCT_FIELDS: Readonly<Record<string, Readonly<Record<string, StaticType>>>> = {
  Image: { RepoURL: 'string', Tag: 'string', Digest: 'string', Annotations: 'smap' },
  FreightOrigin: { Kind: 'string', Name: 'string' },
  GitCommit: { RepoURL: 'string', ID: 'string', Branch: 'string', Tag: 'string', Message: 'string', Author: 'string', Committer: 'string' },
  Chart: { RepoURL: 'string', Name: 'string', Version: 'string' },
};

const GO_NAMES: Readonly<Record<string, string>> = {
  unknown: 'interface {}', map: 'map[string]interface {}', smap: 'map[string]string', float: 'float64',
  Image: '*v1alpha1.Image', FreightOrigin: 'v1alpha1.FreightOrigin', GitCommit: '*v1alpha1.GitCommit', Chart: '*v1alpha1.Chart',
};
const goName = (t: StaticType): string => (t.startsWith('array:') ? `[]${goName(t.slice(6))}` : GO_NAMES[t] ?? t);

const unknown = (t: StaticType): boolean => t === 'unknown';
const num = (t: StaticType): boolean => t === 'int' || t === 'float';
const isArray = (t: StaticType): boolean => t.startsWith('array:');
const isMapType = (t: StaticType): boolean => t === 'map' || t === 'smap';
const isStruct = (t: StaticType): boolean => Object.hasOwn(STRUCT_FIELDS, t);
// Nature.MaybeCompatible: one side unknown and the other of an accepted kind (or both unknown).
const maybe = (l: StaticType, r: StaticType, ok: (t: StaticType) => boolean): boolean => (unknown(l) && (unknown(r) || ok(r))) || (unknown(r) && ok(l));
const comparable = (l: StaticType, r: StaticType): boolean =>
  unknown(l) || unknown(r) || l === 'nil' || r === 'nil' || (num(l) && num(r)) || (isArray(l) && isArray(r)) || l === r;

const PARAM_NAMES: Readonly<Record<Param, string>> = {
  any: 'interface {}', string: 'string', origin: 'v1alpha1.FreightOrigin', array: '[]interface {}', int: 'int',
  scalar: 'interface {}', sized: 'interface {}', number: 'float64', list: '[]interface {}',
};

function accepts(param: Param, t: StaticType): boolean {
  if (param === 'any' || unknown(t)) return true;
  if (param === 'array') return isArray(t) || t === 'nil';
  if (param === 'origin') return t === 'FreightOrigin';
  if (param === 'scalar') return num(t) || t === 'string';
  if (param === 'sized') return isArray(t) || isMapType(t) || t === 'string';
  if (param === 'int') return t === 'int';
  if (param === 'number') return num(t);
  if (param === 'list') return isArray(t);
  return t === 'string';
}

class Checker {
  private readonly functions: ReadonlySet<string>;

  constructor(functions: ReadonlySet<string>) {
    this.functions = functions;
  }

  private fail(message: string, node: Node): never {
    throw new ExpressionError(message, { column: node.column });
  }

  visit(node: Node): StaticType {
    switch (node.k) {
      case 'literal':
        return node.value === null ? 'nil' : typeof node.value === 'bigint' ? 'int' : typeof node.value === 'number' ? 'float' : typeof node.value === 'boolean' ? 'bool' : 'string';
      case 'ident':
        return 'unknown';
      case 'unary':
        return this.unary(node.op, this.visit(node.x), node);
      case 'binary':
        return this.binary(node.op, this.visit(node.l), this.visit(node.r), node);
      case 'chain':
        return this.visit(node.x);
      case 'member':
        return this.member(this.visit(node.obj), node.prop, this.visit(node.prop), node);
      case 'slice':
        return this.slice(node);
      case 'call':
        return this.call(node.name, node.args.map((a) => this.visit(a)), node);
      case 'cond':
        return this.cond(this.visit(node.c), this.visit(node.a), this.visit(node.b), node);
      case 'array': {
        const types = node.items.map((i) => this.visit(i));
        return `array:${types.every((t) => t === types[0]) ? types[0] ?? 'unknown' : 'unknown'}`;
      }
      case 'map':
        node.pairs.forEach(([k, v]) => [this.visit(k), this.visit(v)]);
        return 'map';
    }
  }

  private unary(op: string, t: StaticType, node: Node): StaticType {
    if ((op === '!' || op === 'not') && (t === 'bool' || unknown(t))) return 'bool';
    if ((op === '-' || op === '+') && (num(t) || unknown(t))) return t;
    return this.fail(`invalid operation: ${op} (mismatched type ${goName(t)})`, node);
  }

  private binary(op: string, l: StaticType, r: StaticType, node: Extract<Node, { k: 'binary' }>): StaticType {
    const numeric = num(l) && num(r);
    const promoted = l === 'int' && r === 'int' ? 'int' : 'float';
    const str = (t: StaticType): boolean => t === 'string';
    switch (op) {
      case '==': case '!=':
        if (comparable(l, r)) return 'bool';
        break;
      case '&&': case '||': case 'and': case 'or':
        if ((l === 'bool' && r === 'bool') || maybe(l, r, (t) => t === 'bool')) return 'bool';
        break;
      case '<': case '>': case '<=': case '>=':
        if (numeric || (str(l) && str(r)) || maybe(l, r, (t) => num(t) || str(t))) return 'bool';
        break;
      case '-': case '*':
        if (numeric) return promoted;
        if (maybe(l, r, num)) return 'unknown';
        break;
      case '/': case '**': case '^':
        if (numeric || maybe(l, r, num)) return 'float';
        break;
      case '%':
        if ((l === 'int' && r === 'int') || maybe(l, r, (t) => t === 'int')) return 'int';
        break;
      case '+':
        if (numeric) return promoted;
        if (str(l) && str(r)) return 'string';
        if (maybe(l, r, (t) => num(t) || str(t))) return 'unknown';
        break;
      case 'in':
        return this.in(l, r, node);
      case 'matches':
        if (node.r.k === 'literal' && typeof node.r.value === 'string') validateRegex(node.r.value, node.r.column);
        if ((str(l) && str(r)) || maybe(l, r, str)) return 'bool';
        break;
      case 'contains': case 'startsWith': case 'endsWith':
        if ((str(l) && str(r)) || maybe(l, r, str)) return 'bool';
        break;
      case '..':
        if ((l === 'int' && r === 'int') || maybe(l, r, (t) => t === 'int')) return 'array:int';
        break;
      case '??':
        return l === 'nil' ? r : r === 'nil' || l === r ? l : 'unknown';
    }
    return this.fail(`invalid operation: ${op} (mismatched types ${goName(l)} and ${goName(r)})`, node);
  }

  private in(l: StaticType, r: StaticType, node: Node): StaticType {
    if (isStruct(r) && (l === 'string' || unknown(l))) return 'bool';
    if (isMapType(r)) return unknown(l) || l === 'string' ? 'bool' : this.fail(`cannot use ${goName(l)} as type string in map key`, node);
    if (isArray(r)) return comparable(l, r.slice(6)) ? 'bool' : this.fail(`cannot use ${goName(l)} as type ${goName(r.slice(6))} in array`, node);
    if (unknown(r) || (unknown(l) && r === 'string')) return 'bool';
    return this.fail(`invalid operation: in (mismatched types ${goName(l)} and ${goName(r)})`, node);
  }

  private member(base: StaticType, prop: Node, p: StaticType, node: Node): StaticType {
    if (unknown(base)) return 'unknown';
    const name = prop.k === 'literal' && typeof prop.value === 'string' ? prop.value : undefined;
    if (base === 'nil' && name !== undefined) return this.fail(`type nil has no field ${name}`, node);
    if (isMapType(base)) {
      if (p !== 'string' && !unknown(p)) return this.fail(`cannot use ${goName(p)} to get an element from ${goName(base)}`, prop);
      return base === 'smap' ? 'string' : 'unknown';
    }
    if (isArray(base)) {
      if (p !== 'int' && !unknown(p)) return this.fail(`array elements can only be selected using an integer (got ${goName(p)})`, prop);
      return base.slice(6);
    }
    const field = name === undefined ? undefined : STRUCT_FIELDS[base]?.[name];
    if (field !== undefined) return field;
    return this.fail(name === undefined ? `type ${goName(base)}[${goName(p)}] is undefined` : `type ${goName(base)} has no field ${name}`, node);
  }

  private slice(node: Extract<Node, { k: 'slice' }>): StaticType {
    const base = this.visit(node.obj);
    for (const bound of [node.from, node.to]) {
      const t = bound === undefined ? 'int' : this.visit(bound);
      if (t !== 'int' && !unknown(t) && bound !== undefined) this.fail(`non-integer slice index ${goName(t)}`, bound);
    }
    if (unknown(base) || base === 'string' || isArray(base)) return base;
    return this.fail(`cannot slice ${goName(base)}`, node);
  }

  private call(name: string, args: readonly StaticType[], node: Node): StaticType {
    if (NOT_IMPLEMENTED.has(name)) throw unsupported(`function ${name}()`, node.column);
    const signature = SIGNATURES[name];
    if (signature === undefined || !this.functions.has(name)) return 'unknown'; // an unknown name: fails when called, as in Kargo
    const arity = signature.overloads.filter((o) => o.length === args.length);
    if (arity.length === 0) {
      const fewer = signature.overloads.every((o) => o.length > args.length);
      return this.fail(`${fewer ? 'not enough' : 'too many'} arguments to call ${name}`, node);
    }
    if (arity.some((o) => o.every((p, i) => accepts(p, args[i] ?? 'unknown')))) return signature.returns;
    // Name the first argument the first overload of this arity refuses, as expr-lang does.
    const params = arity[0] ?? [];
    const at = params.findIndex((p, i) => !accepts(p, args[i] ?? 'unknown'));
    const [param, arg] = [params[at] ?? 'any', goName(args[at] ?? 'unknown')];
    const where = node.k === 'call' ? node.args[at] ?? node : node;
    if (param === 'list') return this.fail(`cannot get ${name === 'last' ? 'last' : 'first'} element from ${arg}`, where);
    if (param === 'sized' || param === 'scalar' || param === 'number') return this.fail(`invalid argument for ${name} (type ${arg})`, where);
    return this.fail(`cannot use ${arg} as argument (type ${PARAM_NAMES[param]}) to call ${name}`, where);
  }

  private cond(c: StaticType, a: StaticType, b: StaticType, node: Extract<Node, { k: 'cond' }>): StaticType {
    if (c !== 'bool' && !unknown(c)) this.fail(`non-bool expression (type ${goName(c)}) used as condition`, node.c);
    return a === 'nil' ? b : b === 'nil' || a === b ? a : 'unknown';
  }
}

/**
 * Go's RE2 and JavaScript regexps agree on plain patterns only; anything else is refused rather than risk
 * a different match: flags `(?…)`, escapes other than \d \w \s \b and escaped punctuation, POSIX classes.
 * Returns the JavaScript equivalent: `.` and `\s` narrowed to Go's meaning (no `\r`/U+2028, ASCII space).
 */
export function validateRegex(pattern: string, column?: number): RegExp {
  if (/\(\?|\[\[:|\\[^dDwWsSbB.\\+*?()[\]{}|^$\-/nrtf]/.test(pattern)) throw unsupported(`regular expression ${JSON.stringify(pattern)}`, column);
  const SPACE = '\\t\\n\\f\\r ';
  let js = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\') {
      const e = pattern[++i] ?? '';
      if (e === 'S' && inClass) throw unsupported(`regular expression ${JSON.stringify(pattern)}`, column);
      js += e === 's' ? (inClass ? SPACE : `[${SPACE}]`) : e === 'S' ? `[^${SPACE}]` : e === '-' && !inClass ? '-' : c + e;
    } else if (c === '[' && !inClass) {
      inClass = true;
      const negated = pattern[i + 1] === '^';
      // A `]` right after `[` (or `[^`) is a literal in Go and an empty class in JavaScript.
      const bracket = pattern[i + (negated ? 2 : 1)] === ']';
      js += `[${negated ? '^' : ''}${bracket ? '\\]' : ''}`;
      i += (negated ? 1 : 0) + (bracket ? 1 : 0);
    } else {
      if (c === ']') inClass = false;
      js += c === '.' && !inClass ? '[^\\n]' : c;
    }
  }
  try {
    return new RegExp(js, 'u');
  } catch (e) {
    throw new ExpressionError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`, { column });
  }
}

/** Type-checks a parsed expression; `functions` are the function names registered in this context. */
export function check(node: Node, functions: ReadonlySet<string>): StaticType {
  return new Checker(functions).visit(node);
}
