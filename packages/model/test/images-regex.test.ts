import { describe, expect, it } from 'vitest';
import { compileTagRegex } from '../src/index.ts';

function compile(source: string): RegExp {
  const result = compileTagRegex(source);
  if (!result.ok) throw new Error(result.errors[0]?.message);
  return result.value;
}

describe('compileTagRegex (Go RE2 → JavaScript)', () => {
  it.each([
    // [pattern, tag, matches]
    ['^v?\\d+\\.\\d+\\.\\d+$', 'v1.2.3', true],
    ['rc', '1.0.0-rc.1', true],
    ['(?i)^RELEASE', 'release-1', true],
    ['(?i:ab)c', 'ABc', true],
    ['(?P<major>\\d+)\\.', '12.0', true],
    ['\\A1\\.', '1.0', true],
    ['1\\z', '2.1', true],
    ['1\\z', '1.2', false],
    ['\\Q1.2\\E', '1x2', false],
    ['\\Q1.2\\E', '1.2', true],
    ['^[[:digit:]]+$', '123', true],
    ['^[[:alpha:]_]+$', 'abc_', true],
    ['^[]a]+$', ']a]', true],
    ['\\x{2d}', 'a-b', true],
    ['^\\pL+$', 'abc', true],
    ['a{2}', 'aa', true],
    ['a{,2}', 'a{,2}', true],
  ])('%j on %j → %s', (pattern, tag, matches) => {
    expect(compile(pattern).test(tag)).toBe(matches);
  });

  it('is stateless across calls (no g/y flag)', () => {
    const re = compile('1');
    expect([re.test('1'), re.test('1'), re.test('1')]).toEqual([true, true, true]);
  });

  it.each([
    ['(?=1)', /lookahead/],
    ['(?!1)', /lookahead/],
    ['(?<=1)x', /lookahead/],
    ['(?<!1)x', /lookahead/],
    ['(a)\\1', /backreference/],
    ['\\k<n>', /invalid escape/],
    ['\\u0041', /invalid escape/],
    ['\\cA', /invalid escape/],
    ['\\e', /invalid escape/],
    ['a(?i)b', /only supported at the very start/],
    ['(?U)a+', /ungreedy/],
    ['a{1001}', /repeat count/],
    ['[abc', /closing/],
    ['(', /Unterminated group|invalid/i],
    ['[[:foo:]]', /POSIX/],
  ])('rejects %j', (pattern, message) => {
    const result = compileTagRegex(pattern);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]?.code).toBe('invalid-regex');
      expect(result.errors[0]?.message).toMatch(message);
    }
  });
});
