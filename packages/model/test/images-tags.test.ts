import { describe, expect, it } from 'vitest';
import {
  type ImageSubscriptionTagFields,
  TagRejection,
  chartVersionAccepted,
  compileTagRules,
  imageTagAccepted,
  tagRulesFromImageSubscription,
} from '../src/index.ts';

const repoURL = 'ghcr.io/alkon/flask-app';
const seed: ImageSubscriptionTagFields = { repoURL, imageSelectionStrategy: 'SemVer', constraint: '^1.0.0' };

type Row = [string, ImageSubscriptionTagFields, string, true | TagRejection];

const rows: Row[] = [
  // the seed's rule: SemVer within ^1.0.0 (pre-releases and `latest` never create Freight)
  ['seed release', seed, '1.8.4', true],
  ['seed lower bound', seed, '1.0.0', true],
  ['seed pre-release', seed, '1.1.0-rc.1', TagRejection.OutsideConstraint],
  ['seed latest', seed, 'latest', TagRejection.NotSemver],
  ['seed next major', seed, '2.0.0', TagRejection.OutsideConstraint],
  ['seed below range', seed, '0.9.9', TagRejection.OutsideConstraint],
  ['seed v prefix (strict after trimming v)', seed, 'v1.2.3', true],
  ['seed two segments (strict)', seed, '1.2', TagRejection.NotStrictSemver],
  ['seed v two segments (strict)', seed, 'v1.2', TagRejection.NotStrictSemver],
  ['seed build metadata', seed, '1.2.3+build.5', true],
  ['seed leading zero (strict)', seed, '1.02.3', TagRejection.NotStrictSemver],
  ['seed short sha', seed, 'abc1234', TagRejection.NotSemver],
  ['seed numeric short sha (strict)', seed, '1234567', TagRejection.NotStrictSemver],
  ['seed double v', seed, 'vv1.2.3', TagRejection.NotSemver],
  ['seed capital V', seed, 'V1.2.3', TagRejection.NotSemver],
  ['seed four segments', seed, '1.2.3.4', TagRejection.NotSemver],
  ['seed empty tag', seed, '', TagRejection.Untagged],
  // strictSemvers: false (loose NewVersion)
  ['loose two segments', { ...seed, strictSemvers: false }, '1.2', true],
  ['loose v one segment', { ...seed, strictSemvers: false }, 'v1', true],
  ['loose leading zero', { ...seed, strictSemvers: false }, '01.2.3', true],
  ['loose numeric sha becomes a major', { repoURL, strictSemvers: false }, '1234567', true],
  ['loose still not latest', { ...seed, strictSemvers: false }, 'latest', TagRejection.NotSemver],
  // default strategy (missing or empty) is SemVer, with no constraint
  ['default strategy', { repoURL }, '3.0.0', true],
  ['empty strategy', { repoURL, imageSelectionStrategy: '' }, '3.0.0', true],
  ['default strategy pre-release, no constraint', { repoURL }, '3.0.0-alpha.1', true],
  ['default strategy latest', { repoURL }, 'latest', TagRejection.NotSemver],
  // constraints that opt into pre-releases
  ['pre-release constraint admits pre-release', { repoURL, constraint: '>=1.0.0-0' }, '1.1.0-rc.1', true],
  ['tilde', { repoURL, constraint: '~1.2' }, '1.2.9', true],
  ['tilde next minor', { repoURL, constraint: '~1.2' }, '1.3.0', TagRejection.OutsideConstraint],
  ['x-range', { repoURL, constraint: '1.x' }, '1.99.0', true],
  ['or', { repoURL, constraint: '^1.0.0 || ^3.0.0' }, '3.1.0', true],
  ['not-equal', { repoURL, constraint: '>=1.0.0, !=1.2.3' }, '1.2.3', TagRejection.OutsideConstraint],
  ['hyphen range', { repoURL, constraint: '1.0.0 - 1.5.0' }, '1.5.0', true],
  // allow / ignore interplay (ignore wins, then any allow)
  ['allow matches', { ...seed, allowTagsRegexes: ['^1\\.'] }, '1.2.3', true],
  ['allow misses', { ...seed, allowTagsRegexes: ['^1\\.9\\.'] }, '1.2.3', TagRejection.NotAllowed],
  ['any allow suffices', { ...seed, allowTagsRegexes: ['^9', '^1\\.2'] }, '1.2.3', true],
  ['ignore wins over allow', { ...seed, allowTagsRegexes: ['^1\\.'], ignoreTagsRegexes: ['\\.3$'] }, '1.2.3', TagRejection.Ignored],
  ['ignore does not match', { ...seed, ignoreTagsRegexes: ['-debug$'] }, '1.2.3', true],
  ['regex is a search, not anchored', { ...seed, allowTagsRegexes: ['2'] }, '1.2.3', true],
  ['regex before semver parse', { ...seed, ignoreTagsRegexes: ['^latest$'] }, 'latest', TagRejection.Ignored],
  ['case-insensitive flag', { repoURL, imageSelectionStrategy: 'Lexical', allowTagsRegexes: ['(?i)^release-'] }, 'RELEASE-7', true],
  // Lexical / NewestBuild: only the regexes
  ['lexical any tag', { repoURL, imageSelectionStrategy: 'Lexical' }, 'nightly-20240101', true],
  ['lexical ignores constraint', { repoURL, imageSelectionStrategy: 'Lexical', constraint: '^1.0.0' }, 'latest', true],
  ['lexical allow', { repoURL, imageSelectionStrategy: 'Lexical', allowTagsRegexes: ['^nightly-'] }, 'latest', TagRejection.NotAllowed],
  ['newest build any tag', { repoURL, imageSelectionStrategy: 'NewestBuild' }, 'sha-abc1234', true],
  ['newest build ignore', { repoURL, imageSelectionStrategy: 'NewestBuild', ignoreTagsRegexes: ['^sha-'] }, 'sha-abc1234', TagRejection.Ignored],
  ['newest build empty tag', { repoURL, imageSelectionStrategy: 'NewestBuild' }, '', TagRejection.Untagged],
  // Digest: the tag must equal constraint exactly; regexes do not apply
  ['digest follows latest', { repoURL, imageSelectionStrategy: 'Digest', constraint: 'latest' }, 'latest', true],
  ['digest other tag', { repoURL, imageSelectionStrategy: 'Digest', constraint: 'latest' }, '1.2.3', TagRejection.DigestMismatch],
  ['digest is case-sensitive', { repoURL, imageSelectionStrategy: 'Digest', constraint: 'latest' }, 'Latest', TagRejection.DigestMismatch],
  ['digest ignores regexes', { repoURL, imageSelectionStrategy: 'Digest', constraint: 'stable', ignoreTagsRegexes: ['.*'] }, 'stable', true],
  // invalid rules: Kargo's receiver answers 500 for these Warehouses
  ['bad constraint', { repoURL, constraint: '>= bar' }, '1.0.0', TagRejection.InvalidRules],
  ['lookahead regex', { ...seed, allowTagsRegexes: ['^(?=1)'] }, '1.0.0', TagRejection.InvalidRules],
  ['deprecated allowTags', { ...seed, allowTags: '^1' }, '1.0.0', TagRejection.InvalidRules],
  ['deprecated ignoreTags', { ...seed, ignoreTags: ['1.0.0'] }, '1.0.0', TagRejection.InvalidRules],
  ['unknown strategy', { repoURL, imageSelectionStrategy: 'Newest' }, '1.0.0', TagRejection.InvalidRules],
];

describe('imageTagAccepted (receiver qualifier, Kargo 1.11.2)', () => {
  it('has a broad table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows)('%s: %j accepts %j → %s', (_name, sub, tag, expected) => {
    const decision = imageTagAccepted(sub, tag);
    if (expected === true) {
      expect(decision).toEqual({ accepted: true });
    } else {
      expect(decision.accepted).toBe(false);
      if (!decision.accepted) {
        expect(decision.reason).toBe(expected);
        expect(decision.message.length).toBeGreaterThan(0);
      }
    }
  });

  it('an empty empty-deprecated field is fine', () => {
    expect(imageTagAccepted({ ...seed, allowTags: '', ignoreTags: [] }, '1.0.0')).toEqual({ accepted: true });
  });
});

describe('tagRulesFromImageSubscription / compileTagRules', () => {
  it('applies Kargo defaults', () => {
    const rules = tagRulesFromImageSubscription({ repoURL, platform: 'linux/amd64' });
    expect(rules).toEqual({
      ok: true,
      value: { strategy: 'SemVer', constraint: undefined, strictSemvers: true, allow: [], ignore: [] },
      warnings: [],
    });
  });

  it('names the offending regex and constraint', () => {
    const compiled = compileTagRules({ strategy: 'SemVer', constraint: '>>1', allow: ['^ok$', '(a)\\1'] });
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.errors.map((e) => e.path)).toEqual(['allow[1]', 'constraint']);
  });

  it('does not parse the constraint of a Digest subscription as semver', () => {
    expect(compileTagRules({ strategy: 'Digest', constraint: 'latest' }).ok).toBe(true);
  });

  it('rejects unknown keys in TagRules', () => {
    expect(compileTagRules({ strategy: 'SemVer', allowTags: 'x' } as never).ok).toBe(false);
  });
});

describe('chartVersionAccepted (loose parse)', () => {
  it.each([
    [undefined, '1.2.3', true],
    ['', 'v1.2', true],
    ['^1.0.0', '1.4', true],
    ['^1.0.0', '2.0.0', TagRejection.OutsideConstraint],
    ['^1.0.0', '1.1.0-rc.1', TagRejection.OutsideConstraint],
    [undefined, 'latest', TagRejection.NotSemver],
    ['>= bar', '1.0.0', TagRejection.InvalidRules],
    ['^1.0.0', '', TagRejection.Untagged],
  ] as const)('%j accepts %j → %s', (constraint, version, expected) => {
    const decision = chartVersionAccepted(constraint, version);
    if (expected === true) expect(decision.accepted).toBe(true);
    else expect(decision).toMatchObject({ accepted: false, reason: expected });
  });
});
