// Pratt parser for the expr-lang subset, mirroring expr-lang v1.17.8 parser/parser.go (precedences from
// parser/operator/operator.go): the same tree shapes, so quirks such as `-2 ** 2` = -(2 ** 2), chained
// comparisons `a < b < c` = `a < b && b < c`, and where an optional chain `?.` ends, come out identical.
import { ExpressionError, unsupported } from './errors.ts';
import { int64, parseGoFloat } from './go.ts';
import { type Token, tokenize } from './lexer.ts';

export type Node =
  | { readonly k: 'literal'; readonly value: null | boolean | string | number | bigint; readonly column: number }
  | { readonly k: 'ident'; readonly name: string; readonly column: number }
  | { readonly k: 'unary'; readonly op: string; readonly x: Node; readonly column: number }
  | { readonly k: 'binary'; readonly op: string; readonly l: Node; readonly r: Node; readonly column: number }
  | { readonly k: 'member'; readonly obj: Node; readonly prop: Node; readonly optional: boolean; readonly column: number }
  | { readonly k: 'chain'; readonly x: Node; readonly column: number }
  | { readonly k: 'slice'; readonly obj: Node; readonly from?: Node; readonly to?: Node; readonly column: number }
  | { readonly k: 'call'; readonly name: string; readonly args: readonly Node[]; readonly column: number }
  | { readonly k: 'cond'; readonly c: Node; readonly a: Node; readonly b: Node; readonly column: number }
  | { readonly k: 'array'; readonly items: readonly Node[]; readonly column: number }
  | { readonly k: 'map'; readonly pairs: readonly (readonly [Node, Node])[]; readonly column: number };

const BINARY: Readonly<Record<string, number>> = {
  '|': 0, or: 10, '||': 10, and: 15, '&&': 15,
  '==': 20, '!=': 20, '<': 20, '>': 20, '>=': 20, '<=': 20, in: 20, matches: 20, contains: 20, startsWith: 20, endsWith: 20,
  '..': 25, '+': 30, '-': 30, '*': 60, '/': 60, '%': 60, '**': 100, '^': 100, '??': 500,
};
const RIGHT_ASSOCIATIVE = new Set(['**', '^']);
const UNARY: Readonly<Record<string, number>> = { not: 50, '!': 50, '-': 90, '+': 90 };
const COMPARISON = new Set(['<', '>', '<=', '>=']);
const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);
// Builtins that take a closure (parser.go predicates); the subset has no closures.
const PREDICATES = new Set(['all', 'none', 'any', 'one', 'filter', 'map', 'count', 'sum', 'find', 'findIndex', 'findLast', 'findLastIndex', 'groupBy', 'sortBy', 'reduce']);

const describe = (t: Token): string => (t.kind === 'eof' ? 'EOF' : t.kind === 'string' ? JSON.stringify(t.value) : `${t.kind === 'op' || t.kind === 'bracket' ? 'token' : t.kind} ${JSON.stringify(t.value)}`);

class Parser {
  private i = 0;
  private readonly tokens: readonly Token[];

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }

  private get cur(): Token {
    return this.tokens[this.i] ?? this.tokens[this.tokens.length - 1] ?? { kind: 'eof', value: '', column: 1 };
  }

  private is(kind: Token['kind'], value?: string, t = this.cur): boolean {
    return t.kind === kind && (value === undefined || t.value === value);
  }

  private next(): Token {
    const t = this.cur;
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private fail(t = this.cur): ExpressionError {
    return new ExpressionError(`unexpected ${describe(t)}`, { column: t.column });
  }

  private expect(kind: Token['kind'], value: string): void {
    if (!this.is(kind, value)) throw this.fail();
    this.next();
  }

  parseAll(): Node {
    const node = this.parseExpression(0);
    if (this.is('op', ';')) throw unsupported('sequence operator ;', this.cur.column);
    if (!this.is('eof')) throw this.fail();
    return node;
  }

  private parseExpression(precedence: number): Node {
    if (precedence === 0 && this.is('op', 'let')) throw unsupported('variable declaration let', this.cur.column);
    if (precedence === 0 && this.is('op', 'if')) throw unsupported('if/else expression', this.cur.column);
    let left = this.parsePrimary();
    let previous = '';
    while (this.is('op')) {
      let op = this.cur;
      const negate = op.value === 'not';
      if (negate) {
        const suffix = this.tokens[this.i + 1];
        if (suffix === undefined || !this.is('op', undefined, suffix) || !NEGATABLE.has(suffix.value)) throw this.fail(suffix);
        if ((BINARY[suffix.value] ?? -1) < precedence) break;
        this.next();
        op = suffix;
      }
      const opPrecedence = BINARY[op.value];
      if (opPrecedence === undefined || opPrecedence < precedence) break;
      this.next();
      if (op.value === '|') throw unsupported('pipe operator |', op.column);
      if (previous === '??' && op.value !== '??') {
        throw new ExpressionError(`Operator (${op.value}) and coalesce expressions (??) cannot be mixed. Wrap either by parentheses.`, { column: op.column });
      }
      if (COMPARISON.has(op.value)) left = this.parseComparison(left, op, opPrecedence);
      else {
        const right = this.parseExpression(RIGHT_ASSOCIATIVE.has(op.value) ? opPrecedence : opPrecedence + 1);
        left = { k: 'binary', op: op.value, l: left, r: right, column: op.column };
      }
      if (negate) left = { k: 'unary', op: 'not', x: left, column: op.column };
      previous = op.value;
    }
    return precedence === 0 ? this.parseConditional(left) : left;
  }

  // `a < b <= c` means `a < b && b <= c` (parser.go parseComparison).
  private parseComparison(left: Node, op: Token, precedence: number): Node {
    let root: Node | undefined;
    for (;;) {
      const right = this.parseExpression(precedence + 1);
      const cmp: Node = { k: 'binary', op: op.value, l: left, r: right, column: op.column };
      root = root === undefined ? cmp : { k: 'binary', op: '&&', l: root, r: cmp, column: op.column };
      left = right;
      op = this.cur;
      if (!(this.is('op') && COMPARISON.has(op.value))) return root;
      this.next();
    }
  }

  private parseConditional(node: Node): Node {
    while (this.is('op', '?')) {
      const column = this.next().column;
      let a: Node;
      if (this.is('op', ':')) {
        this.next();
        a = node; // `x ?: y` is `x ? x : y`
      } else {
        a = this.parseExpression(0);
        this.expect('op', ':');
      }
      node = { k: 'cond', c: node, a, b: this.parseExpression(0), column };
    }
    return node;
  }

  private parsePrimary(): Node {
    const t = this.cur;
    const unary = this.is('op') ? UNARY[t.value] : undefined;
    if (unary !== undefined) {
      this.next();
      return this.parsePostfix({ k: 'unary', op: t.value, x: this.parseExpression(unary), column: t.column });
    }
    if (this.is('bracket', '(')) {
      this.next();
      const inner = this.parseExpression(0);
      if (this.is('op', ';')) throw unsupported('sequence operator ;', this.cur.column);
      this.expect('bracket', ')');
      return this.parsePostfix(inner);
    }
    if (this.is('op', '::')) throw unsupported('global function call ::', t.column);
    return this.parseSecondary();
  }

  private parseSecondary(): Node {
    const t = this.next();
    let node: Node;
    if (t.kind === 'ident') {
      const words: Readonly<Record<string, null | boolean>> = { true: true, false: false, nil: null };
      // true/false/nil and numbers take no postfix: `true.x` is a syntax error in expr-lang too.
      if (Object.hasOwn(words, t.value)) return { k: 'literal', value: words[t.value] ?? null, column: t.column };
      node = this.is('bracket', '(') ? this.parseCall(t) : { k: 'ident', name: t.value, column: t.column };
    } else if (t.kind === 'number') return { k: 'literal', value: numberLiteral(t), column: t.column };
    else if (t.kind === 'string') node = { k: 'literal', value: t.value, column: t.column };
    else if (this.is('bracket', '[', t)) node = { k: 'array', items: this.parseList(']'), column: t.column };
    else if (this.is('bracket', '{', t)) node = this.parseMap(t);
    else throw this.fail(t);
    return this.parsePostfix(node);
  }

  private parseCall(name: Token): Node {
    if (PREDICATES.has(name.value)) throw unsupported(`builtin ${name.value} with a predicate`, name.column);
    this.next();
    return { k: 'call', name: name.value, args: this.parseList(')'), column: name.column };
  }

  // Comma-separated expressions up to `close`; a trailing comma is allowed.
  private parseList(close: string): Node[] {
    const items: Node[] = [];
    while (!this.is('bracket', close)) {
      if (items.length > 0) {
        this.expect('op', ',');
        if (this.is('bracket', close)) break;
      }
      items.push(this.parseExpression(0));
    }
    this.next();
    return items;
  }

  private parseMap(open: Token): Node {
    const pairs: [Node, Node][] = [];
    while (!this.is('bracket', '}')) {
      if (pairs.length > 0) {
        this.expect('op', ',');
        if (this.is('bracket', '}')) break;
      }
      const t = this.cur;
      let key: Node;
      // Keys: a number, string or identifier (taken as its text), or a parenthesised expression.
      if (t.kind === 'number' || t.kind === 'string' || t.kind === 'ident') {
        this.next();
        key = { k: 'literal', value: t.value, column: t.column };
      } else if (this.is('bracket', '(')) key = this.parseExpression(0);
      else throw new ExpressionError(`a map key must be a quoted string, a number, a identifier, or an expression enclosed in parentheses (unexpected ${describe(t)})`, { column: t.column });
      this.expect('op', ':');
      pairs.push([key, this.parseExpression(0)]);
    }
    this.next();
    return { k: 'map', pairs, column: open.column };
  }

  private parsePostfix(node: Node): Node {
    for (;;) {
      const t = this.cur;
      if (this.is('op', '.') || (this.is('op', '?.') && !this.is('bracket', '[', this.tokens[this.i + 1]))) {
        node = this.parseProperty(node, t.value === '?.');
      } else if (this.is('bracket', '[') || this.is('op', '?.')) {
        const optional = t.value === '?.';
        if (optional) this.next();
        node = this.parseIndex(node, optional, this.next().column);
      } else return node;
    }
  }

  private parseProperty(node: Node, optional: boolean): Node {
    this.next();
    const p = this.next();
    // Operator words (`not`, `in`, `matches`…) are valid property names too.
    if (!(p.kind === 'ident' || (p.kind === 'op' && /^[A-Za-z_$][\w$]*$/.test(p.value)))) throw new ExpressionError('expected name', { column: p.column });
    if (this.is('bracket', '(')) throw unsupported(`method call .${p.value}()`, p.column);
    // An optional link makes the whole postfix run one chain: a nil before `?.` ends it as nil.
    const isChain = node.k === 'chain';
    const member: Node = { k: 'member', obj: node.k === 'chain' ? node.x : node, prop: { k: 'literal', value: p.value, column: p.column }, optional, column: p.column };
    return isChain || optional ? { k: 'chain', x: member, column: p.column } : member;
  }

  private parseIndex(node: Node, optional: boolean, column: number): Node {
    const from = this.is('op', ':') ? undefined : this.parseExpression(0);
    if (this.is('op', ':')) {
      this.next();
      const to = this.is('bracket', ']') ? undefined : this.parseExpression(0);
      this.expect('bracket', ']');
      return { k: 'slice', obj: node, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), column };
    }
    this.expect('bracket', ']');
    if (from === undefined) throw new ExpressionError('expected an index', { column });
    const member: Node = { k: 'member', obj: node, prop: from, optional, column };
    return optional ? { k: 'chain', x: member, column } : member;
  }
}

// Integer literals are int64 (hex/octal/binary prefixes allowed); any `.` or `e` makes a float64.
function numberLiteral(t: Token): bigint | number {
  const text = t.value.replaceAll('_', '');
  const lower = text.toLowerCase();
  const prefixed = /^0[xob]/.test(lower);
  if (!prefixed && /[.e]/.test(lower)) {
    const f = parseGoFloat(text);
    if (f === undefined) throw new ExpressionError(`invalid float literal: ${t.value}`, { column: t.column });
    return f;
  }
  const digits = prefixed ? text.slice(2) : text;
  const base = prefixed ? ({ x: 16, o: 8, b: 2 } as const)[lower[1] as 'x' | 'o' | 'b'] : 10;
  const valid = digits !== '' && [...digits.toLowerCase()].every((c) => parseInt(c, base) < base);
  const value = valid ? BigInt(prefixed ? `0${lower[1] ?? 'x'}${digits}` : digits) : undefined;
  if (value === undefined || value !== int64(value)) throw new ExpressionError(`invalid integer literal: ${t.value}`, { column: t.column });
  return value;
}

/** Parses one expression (the text between `${{` and `}}`). */
export function parseExpression(source: string): Node {
  return new Parser(tokenize(source)).parseAll();
}
