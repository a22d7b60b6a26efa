// The rewrites expr.Compile applies after the type check (expr-lang v1.17.8 optimizer/optimizer.go), where
// they change what an expression does; Kargo compiles with the optimizer on (the default).
// - fold.go folds constants, and with them `&&`/`||` whose one side is a bool literal: `x && true` is x
//   (whatever x is, even a string or nil), `x || true` is true, `x && false` is false, `x || false` is x;
//   the VM would have required x to be a bool. `1 % 0` becomes a compile error.
// - in_array.go turns `x in ["a", "b"]` (string literals only, x not statically int) into a lookup in a Go
//   map[string]struct{}: nil then looks up "" and a non-string x is an error, unlike a search of an array.
// - in_range.go turns `x in 1..5` (x statically int) into `x >= 1 and x <= 5`, so no range is allocated.
import { ExpressionError } from './errors.ts';
import { int64 } from './go.ts';
import type { Node } from './parser.ts';

/** The binary operator the evaluator runs as a Go map[string]struct{} lookup (in_array.go). */
export const IN_STRING_SET = 'in (string set)';

type Literal = Extract<Node, { k: 'literal' }>;
type Value = Literal['value'];

const literal = (value: Value, column: number): Node => ({ k: 'literal', value, column });
const asLiteral = (n: Node): Literal | undefined => (n.k === 'literal' ? n : undefined);
const isInt = (v: unknown): v is bigint => typeof v === 'bigint';
const isNum = (v: unknown): v is bigint | number => typeof v === 'bigint' || typeof v === 'number';

// math.Pow's special cases where JavaScript's ** differs.
const pow = (x: number, y: number): number => (x === 1 || (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) ? 1 : x ** y);

function foldArithmetic(op: string, a: Value, b: Value, column: number): Node | undefined {
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return literal(a + b, column);
  if (!isNum(a) || !isNum(b)) return undefined;
  if (op === '%') {
    if (!isInt(a) || !isInt(b)) return undefined;
    if (b === 0n) throw new ExpressionError('integer divide by zero', { column });
    return literal(a % b, column);
  }
  if (isInt(a) && isInt(b) && (op === '+' || op === '-' || op === '*')) {
    return literal(int64(op === '+' ? a + b : op === '-' ? a - b : a * b), column);
  }
  const [x, y] = [Number(a), Number(b)];
  switch (op) {
    case '+': return literal(x + y, column);
    case '-': return literal(x - y, column);
    case '*': return literal(x * y, column);
    case '/': return literal(x / y, column);
    case '**': case '^': return literal(pow(x, y), column);
  }
  return undefined;
}

function foldBinary(node: Extract<Node, { k: 'binary' }>): Node {
  const { op, l, r, column } = node;
  const a = asLiteral(l)?.value;
  const b = asLiteral(r)?.value;
  const aBool = typeof a === 'boolean' ? a : undefined;
  const bBool = typeof b === 'boolean' ? b : undefined;
  if (op === '&&' || op === 'and') {
    if (aBool === true) return r;
    if (bBool === true) return l;
    if (aBool === false || bBool === false) return literal(false, column);
    return node;
  }
  if (op === '||' || op === 'or') {
    if (aBool === false) return r;
    if (bBool === false) return l;
    if (aBool === true || bBool === true) return literal(true, column);
    return node;
  }
  if (l.k !== 'literal' || r.k !== 'literal') return node;
  if (op === '==') {
    const same = (isInt(a) && isInt(b)) || (typeof a === 'string' && typeof b === 'string') || (typeof a === 'boolean' && typeof b === 'boolean');
    return same ? literal(a === b, column) : node;
  }
  return foldArithmetic(op, a ?? null, b ?? null, column) ?? node;
}

function fold(node: Node): Node {
  switch (node.k) {
    case 'literal': case 'ident':
      return node;
    case 'unary': {
      const x = fold(node.x);
      const v = asLiteral(x)?.value;
      if ((node.op === '-' || node.op === '+') && isNum(v)) {
        return literal(node.op === '+' ? v : typeof v === 'bigint' ? int64(-v) : -v, node.column);
      }
      if ((node.op === '!' || node.op === 'not') && typeof v === 'boolean') return literal(!v, node.column);
      return { ...node, x };
    }
    case 'binary':
      return foldBinary({ ...node, l: fold(node.l), r: fold(node.r) });
    case 'member':
      return { ...node, obj: fold(node.obj), prop: fold(node.prop) };
    case 'chain':
      return { ...node, x: fold(node.x) };
    case 'slice':
      return { ...node, obj: fold(node.obj), ...(node.from === undefined ? {} : { from: fold(node.from) }), ...(node.to === undefined ? {} : { to: fold(node.to) }) };
    case 'call':
      return { ...node, args: node.args.map(fold) };
    case 'cond':
      return { ...node, c: fold(node.c), a: fold(node.a), b: fold(node.b) };
    case 'array':
      return { ...node, items: node.items.map(fold) };
    case 'map':
      return { ...node, pairs: node.pairs.map(([k, v]) => [fold(k), fold(v)] as const) };
  }
}

// in_array.go (run before folding) and in_range.go (run after it).
function rewriteIn(node: Node, staticType: (n: Node) => string, pass: 'array' | 'range'): Node {
  const walk = (n: Node): Node => rewriteIn(n, staticType, pass);
  switch (node.k) {
    case 'literal': case 'ident':
      return node;
    case 'unary':
      return { ...node, x: walk(node.x) };
    case 'binary': {
      const rewritten = { ...node, l: walk(node.l), r: walk(node.r) };
      if (node.op !== 'in') return rewritten;
      const { l, r } = rewritten;
      const leftInt = staticType(node.l) === 'int';
      if (pass === 'array' && r.k === 'array' && r.items.length > 0 && !(leftInt && r.items.every((i) => i.k === 'literal' && isInt(i.value)))) {
        if (r.items.every((i) => i.k === 'literal' && typeof i.value === 'string')) return { ...rewritten, op: IN_STRING_SET };
      }
      if (pass === 'range' && leftInt && r.k === 'binary' && r.op === '..' && r.l.k === 'literal' && isInt(r.l.value) && r.r.k === 'literal' && isInt(r.r.value)) {
        const ge: Node = { k: 'binary', op: '>=', l, r: r.l, column: node.column };
        const le: Node = { k: 'binary', op: '<=', l, r: r.r, column: node.column };
        return { k: 'binary', op: 'and', l: ge, r: le, column: node.column };
      }
      return rewritten;
    }
    case 'member':
      return { ...node, obj: walk(node.obj), prop: walk(node.prop) };
    case 'chain':
      return { ...node, x: walk(node.x) };
    case 'slice':
      return { ...node, obj: walk(node.obj), ...(node.from === undefined ? {} : { from: walk(node.from) }), ...(node.to === undefined ? {} : { to: walk(node.to) }) };
    case 'call':
      return { ...node, args: node.args.map(walk) };
    case 'cond':
      return { ...node, c: walk(node.c), a: walk(node.a), b: walk(node.b) };
    case 'array':
      return { ...node, items: node.items.map(walk) };
    case 'map':
      return { ...node, pairs: node.pairs.map(([k, v]) => [walk(k), walk(v)] as const) };
  }
}

/**
 * Applies expr-lang's optimizer passes that change results or errors. `staticType` is the checker's type
 * of a sub-expression (`int`, `string`, `unknown`…).
 * @throws {ExpressionError} for a constant `%` by zero.
 */
export function optimize(node: Node, staticType: (n: Node) => string): Node {
  return rewriteIn(fold(rewriteIn(node, staticType, 'array')), staticType, 'range');
}
