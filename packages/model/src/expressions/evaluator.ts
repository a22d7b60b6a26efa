// Tree-walking evaluation with expr-lang v1.17.8's run-time semantics (vm/vm.go opcodes,
// vm/runtime/runtime.go Fetch/Slice/In, vm/runtime/helpers[generated].go arithmetic and comparisons).
import { SIGNATURES, STATUS_FUNCTIONS, check, validateRegex } from './checker.ts';
import type { ExpressionEnv } from './env.ts';
import { ExpressionError, unsupported } from './errors.ts';
import { callFunction } from './functions.ts';
import { GoStruct, goEqual, goFormat, goType, int64, isMap, isNil, isNumber, isStringMap, knownField, normalize } from './go.ts';
import { IN_STRING_SET, optimize } from './optimizer.ts';
import { type Node, parseExpression } from './parser.ts';

// Thrown by `?.` on nil and caught by the enclosing chain node, which then yields nil (compiler.go ChainNode).
const CHAIN_END = new Error('optional chain reached nil');

const fail = (message: string, column: number): ExpressionError => new ExpressionError(message, { column });

function bool(v: unknown, column: number): boolean {
  // The VM asserts .(bool): anything else, nil included, is a run-time error.
  if (typeof v !== 'boolean') throw fail(`interface conversion: interface {} is ${v === null ? 'nil' : goType(v)}, not bool`, column);
  return v;
}

// expr-lang's ToInt: any number (floats truncated), nothing else.
function index(v: unknown, column: number): number {
  if (!isNumber(v)) throw fail(`invalid operation: int(${goType(v)})`, column);
  return Number(typeof v === 'number' ? Math.trunc(v) : v);
}

// math.Pow differs from JavaScript's ** in two special cases.
function pow(x: number, y: number): number {
  if (x === 1 || (x === -1 && !Number.isFinite(y) && !Number.isNaN(y))) return 1;
  return x ** y;
}

function arithmetic(op: string, a: unknown, b: unknown, column: number): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if (op === '+') return int64(a + b);
    if (op === '-') return int64(a - b);
    if (op === '*') return int64(a * b);
    if (op === '%') {
      if (b === 0n) throw fail('runtime error: integer divide by zero', column);
      return a % b;
    }
  }
  if (isNumber(a) && isNumber(b) && op !== '%') {
    const [x, y] = [Number(a), Number(b)];
    // `/` and `**` are always float64, even for two ints: 1/2 is 0.5, 4/2 is 2.0.
    return op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : pow(x, y);
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  throw fail(`invalid operation: ${goType(a)} ${op} ${goType(b)}`, column);
}

function compare(op: string, a: unknown, b: unknown, column: number): boolean {
  let order: number;
  if (typeof a === 'bigint' && typeof b === 'bigint') order = a < b ? -1 : a > b ? 1 : 0;
  else if (isNumber(a) && isNumber(b)) order = Number(a) < Number(b) ? -1 : Number(a) > Number(b) ? 1 : Number(a) === Number(b) ? 0 : NaN;
  // Go compares strings byte-wise (UTF-8), which JavaScript's UTF-16 comparison does not always match.
  else if (typeof a === 'string' && typeof b === 'string') order = Buffer.compare(Buffer.from(a), Buffer.from(b));
  else throw fail(`invalid operation: ${goType(a)} ${op} ${goType(b)}`, column);
  return op === '<' ? order < 0 : op === '>' ? order > 0 : op === '<=' ? order <= 0 : order >= 0;
}

function contains(needle: unknown, haystack: unknown, column: number): boolean {
  if (haystack === null) return false;
  if (Array.isArray(haystack)) return haystack.some((x) => goEqual(normalize(x), needle));
  if (haystack instanceof GoStruct || isMap(haystack)) {
    const fields = haystack instanceof GoStruct ? haystack.fields : haystack;
    if (needle === null && !(haystack instanceof GoStruct)) return Object.hasOwn(fields, '');
    if (typeof needle !== 'string') throw fail(`cannot use ${goType(needle)} as field name of ${goType(haystack)}`, column);
    return Object.hasOwn(fields, needle);
  }
  throw fail(`operator "in" not defined on ${goType(haystack)}`, column);
}

// `x in ["a", "b"]` after optimizer/in_array.go: a lookup in a Go map[string]struct{}.
function inStringSet(needle: unknown, list: unknown, column: number): boolean {
  const keys = list as readonly string[];
  if (needle === null) return keys.includes('');
  if (typeof needle !== 'string') throw fail(`reflect.Value.MapIndex: value of type ${goType(needle)} is not assignable to type string`, column);
  return keys.includes(needle);
}

// repeat() is a "safe" builtin: it charges len(s)·n bytes to the memory budget.
function repeatSize([s, n]: readonly unknown[]): number {
  return typeof s === 'string' && isNumber(n) && Number(n) > 0 ? Buffer.byteLength(s) * Number(n) : 0;
}

// matches/contains/startsWith/endsWith: nil on either side is false, otherwise both must be strings.
function stringOp(op: string, a: unknown, b: unknown, column: number): boolean {
  if (a === null || b === null) return false;
  if (typeof a !== 'string' || typeof b !== 'string') throw fail(`interface conversion: interface {} is ${goType(typeof a === 'string' ? b : a)}, not string`, column);
  if (op === 'matches') return validateRegex(b, column).test(a);
  return op === 'contains' ? a.includes(b) : op === 'startsWith' ? a.startsWith(b) : a.endsWith(b);
}

/** runtime.Fetch: `obj.prop` / `obj[prop]`. */
function fetch(obj: unknown, prop: unknown, column: number): unknown {
  const cannot = (): ExpressionError => fail(`cannot fetch ${typeof prop === 'string' ? prop : goFormat(prop)} from ${goType(obj)}`, column);
  if (Array.isArray(obj)) {
    const i = index(prop, column);
    const at = i < 0 ? obj.length + i : i;
    if (at < 0 || at >= obj.length) throw fail(`index out of range: ${at} (array length is ${obj.length})`, column);
    return normalize(obj[at]);
  }
  if (typeof obj === 'string') {
    // A string indexes by byte, and the byte is a Go uint8 (held here as an int): "héllo"[1] is 195.
    const bytes = Buffer.from(obj);
    const i = index(prop, column);
    const at = i < 0 ? bytes.length + i : i;
    if (at < 0 || at >= bytes.length) throw fail(`index out of range: ${at} (array length is ${bytes.length})`, column);
    return BigInt(bytes[at] ?? 0);
  }
  if (obj instanceof GoStruct) {
    if (typeof prop !== 'string' || !Object.hasOwn(obj.fields, prop)) throw cannot();
    return knownField(obj, prop);
  }
  if (!isMap(obj)) throw cannot();
  if (prop !== null && typeof prop !== 'string') throw fail(`reflect.Value.MapIndex: value of type ${goType(prop)} is not assignable to type string`, column);
  const key = prop ?? '';
  // A missing key is the map's zero value: nil, or "" in a map[string]string.
  if (!Object.hasOwn(obj, key)) return isStringMap(obj) ? '' : null;
  return normalize(obj[key]);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** runtime.Slice: negative bounds count from the end, then both are clamped. Strings slice by byte. */
function slice(obj: unknown, from: unknown, to: unknown, column: number): unknown {
  if (typeof obj !== 'string' && !Array.isArray(obj)) throw fail(`cannot slice ${goType(obj)}`, column);
  const items = typeof obj === 'string' ? Buffer.from(obj) : obj;
  const length = items.length;
  const bound = (v: unknown, fallback: number): number => {
    const i = v === undefined ? fallback : index(v, column);
    return Math.min(Math.max(i < 0 ? length + i : i, 0), length);
  };
  const end = bound(to, length);
  const part = items.slice(Math.min(bound(from, 0), end), end);
  if (!Buffer.isBuffer(part)) return part;
  try {
    return UTF8.decode(part);
  } catch {
    throw unsupported('a string slice that cuts a multi-byte UTF-8 character (Go slices bytes)', column);
  }
}

/** The VM's memory budget (conf.DefaultMemoryBudget): ranges, repeat() and literals draw on it. */
const MEMORY_BUDGET = 1e6;

class Evaluator {
  private readonly env: ExpressionEnv;
  private readonly functions: ReadonlySet<string>;
  private memory = 0;

  constructor(env: ExpressionEnv, functions: ReadonlySet<string>) {
    this.env = env;
    this.functions = functions;
  }

  /** vm.memGrow. */
  private grow(size: number, column: number): void {
    this.memory += Math.max(size, 0);
    if (this.memory >= MEMORY_BUDGET) throw fail('memory budget exceeded', column);
  }

  // OpRange: both ends included, empty when the end is below the start.
  private range(a: unknown, b: unknown, column: number): bigint[] {
    const [from, to] = [index(a, column), index(b, column)];
    const size = Math.max(to - from + 1, 0);
    this.grow(size, column);
    return Array.from({ length: size }, (_, i) => BigInt(from + i));
  }

  eval(node: Node): unknown {
    switch (node.k) {
      case 'literal':
        return node.value;
      case 'ident':
        if (node.name === '$env') return this.env.variables;
        return normalize(Object.hasOwn(this.env.variables, node.name) ? this.env.variables[node.name] : undefined);
      case 'unary':
        return this.unary(node.op, this.eval(node.x), node.column);
      case 'binary':
        return this.binary(node);
      case 'chain':
        try {
          return this.eval(node.x);
        } catch (e) {
          if (e === CHAIN_END) return null;
          throw e;
        }
      case 'member': {
        const obj = this.eval(node.obj);
        if (node.optional && isNil(obj)) throw CHAIN_END;
        return fetch(obj, this.eval(node.prop), node.column);
      }
      case 'slice':
        return slice(this.eval(node.obj), node.from && this.eval(node.from), node.to && this.eval(node.to), node.column);
      case 'call': {
        if (!this.functions.has(node.name)) {
          // Kargo compiles without an env, so an unknown name is a nil variable, and calling nil fails.
          const where = STATUS_FUNCTIONS.has(node.name) ? ` (Kargo provides ${node.name}() only in a step's if and config, not in variables)` : '';
          throw fail(`unknown function ${node.name}(): cannot call nil${where}`, node.column);
        }
        const args = node.args.map((a) => this.eval(a));
        if (node.name === 'repeat') this.grow(repeatSize(args), node.column);
        return callFunction(node.name, args, this.env, node.column);
      }
      case 'cond':
        return bool(this.eval(node.c), node.c.column) ? this.eval(node.a) : this.eval(node.b);
      case 'array':
        // An array of literals only is a constant (optimizer fold.go); any other is built by OpArray.
        if (!node.items.every((i) => i.k === 'literal' && i.value !== null)) this.grow(node.items.length, node.column);
        return node.items.map((i) => this.eval(i));
      case 'map':
        this.grow(node.pairs.length, node.column);
        return Object.fromEntries(node.pairs.map(([k, v]) => {
          const key = this.eval(k);
          if (typeof key !== 'string') throw fail(`interface conversion: interface {} is ${goType(key)}, not string`, k.column);
          return [key, this.eval(v)];
        }));
    }
  }

  private unary(op: string, v: unknown, column: number): unknown {
    if (op === '!' || op === 'not') return !bool(v, column);
    if (op === '+') return v; // the compiler emits nothing for unary plus
    if (typeof v === 'bigint') return int64(-v);
    if (typeof v === 'number') return -v;
    throw fail(`invalid operation: - ${goType(v)}`, column);
  }

  private binary(node: Extract<Node, { k: 'binary' }>): unknown {
    const { op, column } = node;
    // Short-circuits: only the left operand must be a bool; the right one is returned as it is.
    if (op === '&&' || op === 'and') return bool(this.eval(node.l), node.l.column) ? this.eval(node.r) : false;
    if (op === '||' || op === 'or') return bool(this.eval(node.l), node.l.column) ? true : this.eval(node.r);
    if (op === '??') {
      const left = this.eval(node.l);
      return isNil(left) ? this.eval(node.r) : left;
    }
    const a = this.eval(node.l);
    const b = this.eval(node.r);
    switch (op) {
      case '==': return goEqual(a, b);
      case '!=': return !goEqual(a, b);
      case '<': case '>': case '<=': case '>=': return compare(op, a, b, column);
      case 'in': return contains(a, b, column);
      case IN_STRING_SET: return inStringSet(a, b, column);
      case '..': return this.range(a, b, column);
      case 'matches': case 'contains': case 'startsWith': case 'endsWith': return stringOp(op, a, b, column);
      default: return arithmetic(op === '^' ? '**' : op, a, b, column);
    }
  }
}

/** The function names registered in `env`: Kargo always registers all but the status functions. */
export function registeredFunctions(env: ExpressionEnv): ReadonlySet<string> {
  return new Set(Object.keys(SIGNATURES).filter((name) => env.steps !== undefined || !STATUS_FUNCTIONS.has(name)));
}

/**
 * Evaluates one expr-lang expression (no `${{ }}`) against `env` and returns its raw value: nil as null,
 * Go ints as bigint, float64 as number, maps as plain objects, Kargo structs as {@link GoStruct}.
 * Parses and type-checks the whole expression first, as expr.Compile does.
 * @throws {ExpressionError} with the column and the expression.
 */
export function evaluateExpression(expression: string, env: ExpressionEnv): unknown {
  try {
    const node = parseExpression(expression);
    const functions = registeredFunctions(env);
    check(node, functions);
    const optimized = optimize(node, (n) => check(n, functions));
    return new Evaluator(env, functions).eval(optimized);
  } catch (e) {
    if (e instanceof ExpressionError) throw e.in(expression);
    throw e;
  }
}
