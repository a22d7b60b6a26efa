import { describe, expect, it } from 'vitest';
import { KargoModelError, ModelErrorCode, compileTagRules, selectNewestTag, sortTagsNewestFirst } from '../src/index.ts';

const pushed = ['1.0.0', 'latest', '1.10.0', '1.9.3', '1.11.0-rc.1', 'v1.10.1', '2.0.0', 'sha-abc1234', '1.2', ''];

describe('selectNewestTag / sortTagsNewestFirst', () => {
  it('SemVer: highest by Masterminds order (1.10 > 1.9), pre-releases and latest excluded by ^1.0.0', () => {
    expect(selectNewestTag({ strategy: 'SemVer', constraint: '^1.0.0' }, pushed)).toBe('v1.10.1');
    expect(sortTagsNewestFirst({ strategy: 'SemVer', constraint: '^1.0.0' }, pushed)).toEqual(['v1.10.1', '1.10.0', '1.9.3', '1.0.0']);
  });

  it('SemVer without constraint includes pre-releases and, loose, short versions', () => {
    expect(sortTagsNewestFirst({ strategy: 'SemVer', strictSemvers: false }, pushed)).toEqual([
      '2.0.0', '1.11.0-rc.1', 'v1.10.1', '1.10.0', '1.9.3', '1.2', '1.0.0',
    ]);
  });

  it('SemVer ties break on the original text, greater first, as Kargo does', () => {
    expect(sortTagsNewestFirst({ strictSemvers: false }, ['1.0', '1.0.0', 'v1.0.0'])).toEqual(['v1.0.0', '1.0.0', '1.0']);
  });

  it('Lexical: lexically greatest accepted tag', () => {
    const tags = ['nightly-20240102', 'nightly-20240110', 'nightly-20231231', 'latest'];
    expect(selectNewestTag({ strategy: 'Lexical', allow: ['^nightly-'] }, tags)).toBe('nightly-20240110');
    expect(selectNewestTag({ strategy: 'Lexical' }, ['1.9.0', '1.10.0'])).toBe('1.9.0');
  });

  it('NewestBuild: the last accepted tag in push order', () => {
    expect(selectNewestTag({ strategy: 'NewestBuild', ignore: ['^latest$'] }, ['a', 'b', 'latest'])).toBe('b');
    expect(sortTagsNewestFirst({ strategy: 'NewestBuild' }, ['a', 'b', 'c'])).toEqual(['c', 'b', 'a']);
  });

  it('Digest: the followed tag when present', () => {
    expect(selectNewestTag({ strategy: 'Digest', constraint: 'latest' }, pushed)).toBe('latest');
    expect(selectNewestTag({ strategy: 'Digest', constraint: 'stable' }, pushed)).toBeUndefined();
  });

  it('returns undefined when nothing qualifies', () => {
    expect(selectNewestTag({ constraint: '^3.0.0' }, pushed)).toBeUndefined();
    expect(selectNewestTag({}, [])).toBeUndefined();
  });

  it('accepts pre-compiled rules', () => {
    const compiled = compileTagRules({ constraint: '~1.9' });
    expect(compiled.ok).toBe(true);
    if (compiled.ok) expect(selectNewestTag(compiled.value, pushed)).toBe('1.9.3');
  });

  it('throws a typed error for invalid rules', () => {
    const codeOf = (run: () => unknown): unknown => {
      try {
        run();
      } catch (error) {
        return error instanceof KargoModelError ? error.code : error;
      }
      return 'no error';
    };
    expect(codeOf(() => selectNewestTag({ allow: ['(?=x)'] }, pushed))).toBe(ModelErrorCode.InvalidRegex);
    expect(codeOf(() => selectNewestTag({ constraint: '>= bar' }, pushed))).toBe(ModelErrorCode.InvalidConstraint);
  });
});
