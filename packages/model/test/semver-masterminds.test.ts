// Pins the SemVer port (src/images/semver.ts) to Masterminds/semver v3.4.0 as Kargo 1.11.2 uses it, for
// Kargo's SemVer image selector. The rows live in ./semver-masterminds.cases.ts; they are our own cases,
// written from the library's rules, not copies of its test tables, and nothing here reads outside the repo.
import { describe, expect, it } from 'vitest';
import { parseConstraint, parseVersion, satisfies } from '../src/images/index.ts';
import {
  constraintChecks,
  constraintParses,
  type Group,
  looseVersions,
  strictVersions,
} from './semver-masterminds.cases.ts';

function rows<Row>(groups: readonly Group<Row>[]): Row[] {
  return groups.flatMap((group) => group.rows);
}

// Titles quote the inputs so empty, padded and control-character text stays readable.
const q = (text: string): string => JSON.stringify(text);

function titled<Row extends object>(groupRows: readonly Row[], title: (row: Row) => string) {
  return groupRows.map((row) => ({ ...row, shown: title(row) }));
}

function duplicates(keys: readonly string[]): string[] {
  return keys.filter((key, i) => keys.indexOf(key) !== i);
}

describe('Masterminds/semver v3.4.0 behaviour (our cases)', () => {
  it('keeps broad tables without duplicate rows', () => {
    expect(rows(constraintChecks).length).toBeGreaterThanOrEqual(150);
    expect(rows(constraintParses).length).toBeGreaterThanOrEqual(30);
    expect(rows(strictVersions).length).toBeGreaterThanOrEqual(40);
    expect(rows(looseVersions).length).toBeGreaterThanOrEqual(60);
    expect(
      duplicates(rows(constraintChecks).map((r) => `${r.constraint}|${r.version}|${r.includePrerelease === true}`)),
    ).toEqual([]);
    expect(duplicates(rows(constraintParses).map((r) => r.constraint))).toEqual([]);
    expect(duplicates(rows(strictVersions).map((r) => r.version))).toEqual([]);
    expect(duplicates(rows(looseVersions).map((r) => r.version))).toEqual([]);
  });

  describe('Constraints.Check', () => {
    describe.each(constraintChecks)('$behaviour', ({ rows: groupRows }) => {
      const cases = titled(groupRows, (r) => `${q(r.constraint)} vs ${q(r.version)}`);
      it.each(cases)('$shown → $matches', ({ constraint, version, matches, includePrerelease }) => {
        const c = parseConstraint(constraint);
        const v = parseVersion(version);
        expect(c.ok).toBe(true);
        expect(v).toBeDefined();
        if (!c.ok || v === undefined) return;
        expect(satisfies(v, c.value, { includePrerelease: includePrerelease === true })).toBe(matches);
      });
    });
  });

  describe('NewConstraint', () => {
    describe.each(constraintParses)('$behaviour', ({ rows: groupRows }) => {
      it.each(titled(groupRows, (r) => q(r.constraint)))('$shown valid=$valid', ({ constraint, valid }) => {
        expect(parseConstraint(constraint).ok).toBe(valid);
      });
    });
  });

  describe('StrictNewVersion', () => {
    describe.each(strictVersions)('$behaviour', ({ rows: groupRows }) => {
      it.each(titled(groupRows, (r) => q(r.version)))('$shown valid=$valid', ({ version, valid }) => {
        expect(parseVersion(version, { strict: true }) !== undefined).toBe(valid);
      });
    });
  });

  describe('NewVersion', () => {
    describe.each(looseVersions)('$behaviour', ({ rows: groupRows }) => {
      const cases = titled(groupRows, (r) => q(r.version));
      it.each(cases)('$shown coerced=$coerced uncoerced=$uncoerced', ({ version, coerced, uncoerced }) => {
        expect(parseVersion(version) !== undefined).toBe(coerced);
        expect(parseVersion(version, { coerce: true }) !== undefined).toBe(coerced);
        expect(parseVersion(version, { coerce: false }) !== undefined).toBe(uncoerced);
      });
    });
  });
});
