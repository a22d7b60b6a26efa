import { describe, expect, it } from 'vitest';
import { compareVersions, formatVersion, parseConstraint, parseVersion, satisfies } from '../src/index.ts';

function v(text: string) {
  const parsed = parseVersion(text);
  if (parsed === undefined) throw new Error(`not a version: ${text}`);
  return parsed;
}

describe('compareVersions (Masterminds Compare)', () => {
  it.each([
    ['1.2.3', '1.2.3', 0],
    ['1.2.3+a', '1.2.3+b', 0],
    ['v1.2', '1.2.0', 0],
    ['1.10.0', '1.9.0', 1],
    ['1.0.0-alpha', '1.0.0', -1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-rc.1', '1.0.0-beta.11', 1],
    ['18446744073709551615.0.0', '18446744073709551614.0.0', 1],
  ] as const)('%s vs %s → %d', (a, b, expected) => {
    expect(compareVersions(v(a), v(b))).toBe(expected);
    expect(compareVersions(v(b), v(a))).toBe(expected === 0 ? 0 : -expected);
  });

  it('keeps the original text and formats without the v', () => {
    const parsed = v('v1.2-rc.1+b7');
    expect(parsed.original).toBe('v1.2-rc.1+b7');
    expect(formatVersion(parsed)).toBe('1.2.0-rc.1+b7');
  });

  it('rejects segments beyond uint64', () => {
    expect(parseVersion('18446744073709551616.0.0')).toBeUndefined();
    expect(parseVersion('1.2.18446744073709551616', { strict: true })).toBeUndefined();
  });
});

describe('parseConstraint', () => {
  it('reports why a constraint is improper', () => {
    const result = parseConstraint('>= bar');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]).toMatchObject({ code: 'invalid-constraint', message: 'improper constraint: >= bar' });
    }
  });

  it('rejects the empty constraint, as NewConstraint does', () => {
    expect(parseConstraint('').ok).toBe(false);
  });

  it('honours includePrerelease', () => {
    const c = parseConstraint('^1.0.0');
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(satisfies(v('1.1.0-rc.1'), c.value)).toBe(false);
    expect(satisfies(v('1.1.0-rc.1'), c.value, { includePrerelease: true })).toBe(true);
  });
});
