// Compiles Kargo's allow/ignore tag regexes (Go RE2 syntax) into JavaScript RegExps with the same meaning.
//
// Go's regexp and JavaScript's RegExp share most syntax, but some patterns compile in one and not the
// other, and some compile in both with different meanings. Patterns Go accepts and JavaScript spells
// differently are rewritten (`(?P<n>…)`, a leading `(?i)`, `\A`, `\z`, `\Q…\E`, `\x{…}`, `\a`, octal
// `\0`, POSIX `[[:alpha:]]`, `\pL`, a `]` first in a class). Patterns Kargo would reject (lookarounds,
// backreferences, `\u`, `\c`, repeat counts above 1000, inline flags in mid-pattern) are refused with a
// message, because the relay must not accept a tag Kargo's selector cannot even be built for.
//
// `\s`, `\d`, `\w`, `.` and `$` differ only on non-ASCII or line-terminator input; image tags are limited to
// `[A-Za-z0-9_.-]`, so those differences cannot change a tag decision and are left alone.
import { type Issue, type Result, Severity } from '../result.ts';

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

// Characters JavaScript lets (or, under the `u` flag, requires) a backslash in front of.
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/');
const MAX_REPEAT = 1000;

// Internal control flow only: caught in compileTagRegex and turned into an Issue.
class RegexSyntaxError extends Error {}

function fail(message: string): never {
  throw new RegexSyntaxError(message);
}

function escapeLiteral(ch: string, inClass: boolean): string {
  if (JS_SYNTAX.has(ch) || (inClass && ch === '-')) return `\\${ch}`;
  return ch;
}

function hex4(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

interface Translation {
  readonly pattern: string;
  readonly flags: string;
}

function translate(source: string): Translation {
  let flags = '';
  let i = 0;
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (leading !== null) {
    for (const f of leading[1] ?? '') {
      if (f === 'U') fail('the (?U) ungreedy flag has no JavaScript equivalent');
      if (!'ims'.includes(f)) fail(`unknown flag ${f} in ${leading[0]}`);
      if (!flags.includes(f)) flags += f;
    }
    i = leading[0].length;
  }
  let unicode = false;
  let out = '';
  let inClass = false;
  let classStart = false; // just after `[` or `[^`
  const chars = Array.from(source);
  // Code points, so a non-ASCII literal is one step; the leading-flag prefix is ASCII, so `i` carries over.
  const at = (k: number): string => chars[k] ?? '';
  while (i < chars.length) {
    const ch = at(i);
    if (ch === '\\') {
      const next = at(i + 1);
      if (next === '') fail('trailing backslash');
      if (next === 'Q') {
        let k = i + 2;
        while (k < chars.length && !(at(k) === '\\' && at(k + 1) === 'E')) {
          out += escapeLiteral(at(k), inClass);
          k++;
        }
        i = k < chars.length ? k + 2 : k;
        classStart = false;
        continue;
      }
      i += 2;
      classStart = false;
      if (/[1-9]/.test(next)) fail(`backreferences (\\${next}) are not supported by Go's RE2`);
      if (next === '0') {
        let digits = '';
        while (digits.length < 2 && /[0-7]/.test(at(i))) digits += at(i++);
        out += hex4(parseInt(`0${digits}`, 8));
        continue;
      }
      if (next === 'A' || next === 'z') {
        if (inClass) fail(`\\${next} is not allowed in a character class`);
        out += next === 'A' ? '(?<![\\s\\S])' : '(?![\\s\\S])';
        continue;
      }
      if (next === 'a') {
        out += '\\x07';
        continue;
      }
      if (next === 'x') {
        if (at(i) === '{') {
          const close = chars.indexOf('}', i);
          const digits = close < 0 ? '' : chars.slice(i + 1, close).join('');
          if (!/^[0-9A-Fa-f]{1,6}$/.test(digits)) fail('invalid \\x{…} escape');
          const code = parseInt(digits, 16);
          if (code > 0x10ffff) fail('invalid \\x{…} escape');
          out += code <= 0xffff ? hex4(code) : `\\u{${code.toString(16)}}`;
          if (code > 0xffff) unicode = true;
          i = close + 1;
          continue;
        }
        if (!/^[0-9A-Fa-f]{2}$/.test(at(i) + at(i + 1))) fail('\\x needs two hex digits');
        out += `\\x${at(i)}${at(i + 1)}`;
        i += 2;
        continue;
      }
      if (next === 'p' || next === 'P') {
        unicode = true;
        let name: string;
        if (at(i) === '{') {
          const close = chars.indexOf('}', i);
          if (close < 0) fail('unterminated \\p{…}');
          name = chars.slice(i + 1, close).join('');
          i = close + 1;
        } else {
          name = at(i);
          i += 1;
        }
        let negate = next === 'P';
        if (name.startsWith('^')) {
          negate = !negate;
          name = name.slice(1);
        }
        if (!/^[A-Za-z_]+$/.test(name)) fail(`invalid Unicode class \\${next}{${name}}`);
        out += `\\${negate ? 'P' : 'p'}{${name}}`;
        continue;
      }
      if (next === 'b' || next === 'B') {
        if (inClass) fail(`\\${next} is not allowed in a character class`);
        out += `\\${next}`;
        continue;
      }
      if ('dDwWsSfnrtv'.includes(next)) {
        out += `\\${next}`;
        continue;
      }
      if (/[A-Za-z]/.test(next)) fail(`invalid escape sequence \\${next} (not RE2 syntax)`);
      if (next.codePointAt(0)! >= 0x80) fail(`invalid escape sequence \\${next}`);
      out += escapeLiteral(next, inClass);
      continue;
    }
    if (inClass) {
      if (ch === '[' && at(i + 1) === ':') {
        const close = chars.indexOf(']', i);
        const body = close < 0 ? '' : chars.slice(i, close + 1).join('');
        const m = /^\[:(\^?)([a-z]+):\]$/.exec(body);
        if (m !== null) {
          const expansion = POSIX_CLASSES[m[2] ?? ''];
          if (expansion === undefined) fail(`unknown POSIX class ${body}`);
          if (m[1] === '^') fail(`negated POSIX classes (${body}) are not supported; negate the bracket instead`);
          out += expansion;
          i = close + 1;
          classStart = false;
          continue;
        }
      }
      if (ch === ']' && !classStart) {
        inClass = false;
        out += ']';
        i++;
        continue;
      }
      if (ch === ']') {
        out += '\\]'; // Go: a `]` first in a class is a literal
      } else if (ch === '[') {
        out += '\\[';
      } else {
        out += ch;
      }
      classStart = false;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += '[';
      i++;
      if (at(i) === '^') {
        out += '^';
        i++;
      }
      classStart = true;
      continue;
    }
    if (ch === '(' && at(i + 1) === '?') {
      const rest = chars.slice(i + 2, i + 40).join('');
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (rest.startsWith(':') || /^<[A-Za-z_]/.test(rest)) {
        out += '(?';
        i += 2;
        continue;
      }
      if (/^(=|!|<=|<!)/.test(rest)) fail('lookahead and lookbehind assertions are not supported by Go\'s RE2');
      const flagGroup = /^([a-zA-Z]*)(-[a-zA-Z]*)?([:)])/.exec(rest);
      if (flagGroup !== null) {
        if (flagGroup[3] === ')') fail('inline flags are only supported at the very start of the pattern');
        if (/U/.test(flagGroup[0])) fail('the U (ungreedy) flag has no JavaScript equivalent');
        out += `(?${flagGroup[0]}`;
        i += 2 + flagGroup[0].length;
        continue;
      }
      fail(`unsupported group syntax (?${rest.slice(0, 2)}`);
    }
    if (ch === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(chars.slice(i, i + 24).join(''));
      if (m !== null) {
        const low = Number(m[1]);
        const high = m[2] === undefined || m[2] === '' ? low : Number(m[2]);
        if (low > MAX_REPEAT || high > MAX_REPEAT) fail(`repeat count above ${MAX_REPEAT} in ${m[0]}`);
        if (m[2] !== undefined && m[2] !== '' && high < low) fail(`invalid repeat count ${m[0]}`);
        out += m[0];
        i += Array.from(m[0]).length;
        continue;
      }
      out += '\\{'; // Go treats a `{` that does not start a repetition as a literal
      i++;
      continue;
    }
    if (ch === '}') {
      out += '\\}';
      i++;
      continue;
    }
    out += ch;
    i++;
  }
  if (inClass) fail('missing closing ]');
  return { pattern: out, flags: flags + (unicode ? 'u' : '') };
}

function regexIssue(source: string, message: string): Issue {
  return { path: '', message: `invalid tag regex ${JSON.stringify(source)}: ${message}`, severity: Severity.Error, code: 'invalid-regex' };
}

/**
 * Compiles one `allowTagsRegexes`/`ignoreTagsRegexes` entry. Kargo tests it with Go's `MatchString`
 * (unanchored search); the returned RegExp has no `g`/`y` flag, so `.test()` behaves the same and is
 * stateless.
 */
export function compileTagRegex(source: string): Result<RegExp> {
  let translation: Translation;
  try {
    translation = translate(source);
  } catch (error) {
    if (error instanceof RegexSyntaxError) return { ok: false, errors: [regexIssue(source, error.message)], warnings: [] };
    throw error;
  }
  try {
    return { ok: true, value: new RegExp(translation.pattern, translation.flags), warnings: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, errors: [regexIssue(source, message)], warnings: [] };
  }
}
