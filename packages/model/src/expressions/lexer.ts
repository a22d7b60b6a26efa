// Tokenizer for expr-lang v1.17.8 (the version Kargo v1.11.2's go.mod pins), following
// parser/lexer/state.go and lexer.go: same token kinds, same operator spelling, same escapes.
import { ExpressionError, unsupported } from './errors.ts';

export type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'bracket' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Raw text for numbers/operators/identifiers; the unescaped value for strings. */
  readonly value: string;
  /** 1-based column, in code points, of the token's first character. */
  readonly column: number;
}

// Words the lexer turns into operators (state.go identifier()); `let`/`if`/`else` only to refuse them.
const WORD_OPS = new Set(['in', 'or', 'and', 'matches', 'contains', 'startsWith', 'endsWith', 'let', 'if', 'else']);
const NEGATABLE = new Set(['in', 'matches', 'contains', 'startsWith', 'endsWith']);
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

const isSpace = (c: string): boolean => /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u.test(c);
const isAlpha = (c: string): boolean => c === '_' || c === '$' || /^\p{L}$/u.test(c);
const isAlnum = (c: string): boolean => isAlpha(c) || /^\p{Nd}$/u.test(c);

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  readonly tokens: Token[] = [];

  constructor(source: string) {
    this.chars = [...source];
  }

  private peek(offset = 0): string {
    return this.chars[this.pos + offset] ?? '';
  }

  private error(message: string, at = this.pos): ExpressionError {
    return new ExpressionError(message, { column: at + 1 });
  }

  private push(kind: TokenKind, value: string, start: number): void {
    this.tokens.push({ kind, value, column: start + 1 });
  }

  private run(set: string | ((c: string) => boolean)): string {
    const start = this.pos;
    while (this.peek() !== '' && (typeof set === 'string' ? set.includes(this.peek()) : set(this.peek()))) this.pos++;
    return this.chars.slice(start, this.pos).join('');
  }

  lex(): Token[] {
    for (;;) {
      const start = this.pos;
      const c = this.peek();
      if (c === '') break;
      if (isSpace(c)) this.pos++;
      else if (c === "'" || c === '"') this.push('string', this.quoted(c), start);
      else if (c === '/' && this.peek(1) === '/') this.lineComment();
      else if (c === '/' && this.peek(1) === '*') this.blockComment();
      else if (c === '`') this.push('string', this.raw(), start);
      else if ((c === 'b' || c === 'B') && (this.peek(1) === "'" || this.peek(1) === '"')) throw unsupported('byte string literal', start + 1);
      else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(this.peek(1)))) this.push('number', this.number(), start);
      else if (c === '#') throw unsupported('predicate pointer #', start + 1);
      else if ('([{)]}'.includes(c)) this.push('bracket', this.chars[this.pos++] ?? c, start);
      else if (isAlpha(c)) this.word(start);
      else this.operator(c, start);
    }
    this.push('eof', '', this.pos);
    return this.tokens;
  }

  private operator(c: string, start: number): void {
    this.pos++;
    const two = c + this.peek();
    // Pairs the lexer joins (state.go root): `?.` `??` `||` `::` `..`, and `&&` `==` `!=` `<=` `>=` `**`.
    const joins = ['?.', '??', '||', '::', '..', '&&', '&=', '&*', '==', '!=', '!&', '!*', '=&', '=*', '*&', '**', '*=', '<=', '<&', '<*', '>=', '>&', '>*'];
    if (joins.includes(two)) this.pos++;
    else if (!'?|:.,;%+-^&!=*<>/'.includes(c)) throw this.error(`unrecognized character: ${JSON.stringify(c)}`, start);
    this.push('op', this.chars.slice(start, this.pos).join(''), start);
  }

  // scanNumber: base prefixes, `_` separators, fraction, exponent; a letter right after is an error.
  private number(): string {
    const start = this.pos;
    let digits = '0123456789_';
    if (this.peek() === '0' && /[xXoObB]/.test(this.peek(1))) {
      digits = /[xX]/.test(this.peek(1)) ? '0123456789abcdefABCDEF_' : /[oO]/.test(this.peek(1)) ? '01234567_' : '01_';
      this.pos += 2;
    }
    this.run(digits);
    if (this.peek() === '.' && this.peek(1) !== '.') {
      this.pos++;
      this.run(digits);
    }
    if (/[eE]/.test(this.peek())) {
      this.pos++;
      if (/[+-]/.test(this.peek())) this.pos++;
      this.run(digits);
    }
    const text = this.chars.slice(start, this.pos).join('');
    if (isAlnum(this.peek())) throw this.error(`bad number syntax: "${text}${this.peek()}"`, this.pos);
    return text;
  }

  private word(start: number): void {
    const word = this.run(isAlnum);
    if (word !== 'not') {
      this.push(WORD_OPS.has(word) ? 'op' : 'ident', word, start);
      return;
    }
    this.push('op', 'not', start);
    // `not in`, `not matches`…: the following word is an operator too (state.go not()).
    const save = this.pos;
    this.run(' ');
    const next = this.pos;
    const following = this.run(isAlnum);
    if (NEGATABLE.has(following)) this.push('op', following, next);
    else this.pos = save;
  }

  // `// …` up to the end of the line, `/* … */` anywhere (state.go singleLineComment, multiLineComment).
  private lineComment(): void {
    while (this.peek() !== '' && this.peek() !== '\n') this.pos++;
  }

  private blockComment(): void {
    const start = this.pos;
    this.pos += 2;
    while (!(this.peek() === '*' && this.peek(1) === '/')) {
      if (this.peek() === '') throw this.error('unclosed comment', start);
      this.pos++;
    }
    this.pos += 2;
  }

  // A raw string runs to the next lone backquote, across lines, without escapes; `` is one backquote
  // (lexer.go scanRawString). Unlike quoted strings, its CR/LF are kept as written.
  private raw(): string {
    const start = this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '') throw this.error('literal not terminated', start);
      this.pos++;
      if (c !== '`') out += c;
      else if (this.peek() === '`') {
        out += '`';
        this.pos++;
      } else return out;
    }
  }

  private quoted(quote: string): string {
    const start = this.pos++;
    let out = '';
    for (;;) {
      const c = this.peek();
      // A line feed ends the literal with an error; a lone CR is allowed and, like CRLF, becomes LF (utils.go unescape).
      if (c === '' || c === '\n') throw this.error('literal not terminated', start);
      this.pos++;
      if (c === quote) return out;
      out += c === '\\' ? this.escape(quote) : c === '\r' ? '\n' : c;
    }
  }

  // The escapes lexer.go scanEscape accepts: \a \b \f \n \r \t \v \\ \<quote>, \NNN, \xHH, \uHHHH, \u{H…}, \UHHHHHHHH.
  // utils.go unescapeChar then turns each numeric escape into a code point, written as UTF-8: `\xe9` and
  // `\351` are "é" (not a byte as in Go source), a surrogate becomes U+FFFD, an octal escape must start 0-3.
  private escape(quote: string): string {
    const rest = this.chars.slice(this.pos, this.pos + 10).join('');
    const m = /^(?:[abfnrtv\\]|[0-7]{3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]{1,6}\}|U[0-9a-fA-F]{8})/.exec(rest)?.[0] ?? (rest.startsWith(quote) ? quote : '');
    if (m === '') throw this.error('invalid char escape');
    this.pos += m.length;
    if (m === quote || m.length === 1) return m === quote ? quote : SIMPLE_ESCAPES[m] ?? m;
    if (/^[4-7]/.test(m)) throw this.error('unable to unescape string');
    const code = /^[0-7]/.test(m) ? parseInt(m, 8) : parseInt(m.replace(/^[uxU]\{?|\}$/g, ''), 16);
    if (code > 0x10ffff) throw this.error('unable to unescape string');
    return code >= 0xd800 && code <= 0xdfff ? '\ufffd' : String.fromCodePoint(code);
  }
}

/** Splits an expression into tokens, ending with an `eof` token. */
export function tokenize(source: string): Token[] {
  return new Lexer(source).lex();
}
