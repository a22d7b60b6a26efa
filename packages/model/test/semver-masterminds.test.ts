// Every row of Masterminds/semver v3.4.0's own test tables (read from ../shared) must agree with our port.
import { describe, expect, it } from 'vitest';
import { parseConstraint, parseVersion, satisfies } from '../src/images/index.ts';
import { readSharedJson } from '@kargo/upstream-schemas';

interface Tables {
  constraintCheck: { constraint: string; version: string; matches: boolean }[];
  constraintParse: { constraint: string; invalid: boolean }[];
  strictVersion: { version: string; invalid: boolean }[];
  looseVersion: { version: string; invalid: boolean }[];
}

const tables = readSharedJson<Tables>('fixtures', 'semver', 'masterminds-v3.4.0.json');

// TestNewVersion has two sub-tests, concatenated in the fixture: "With loose NewVersion" (the default,
// CoerceNewVersion = true, which Kargo uses) and "Without loose NewVersion" (CoerceNewVersion = false).
// The second starts where the first row's version appears again.
const firstLoose = tables.looseVersion[0]?.version;
const restart = tables.looseVersion.findIndex((row, i) => i > 0 && row.version === firstLoose);
const looseRows = tables.looseVersion.map((row, i) => ({ ...row, coerce: restart < 0 || i < restart }));

describe('Masterminds/semver v3.4.0 tables', () => {
  it('has the four tables with rows', () => {
    expect(tables.constraintCheck.length).toBeGreaterThan(100);
    expect(tables.constraintParse.length).toBeGreaterThan(10);
    expect(tables.strictVersion.length).toBeGreaterThan(40);
    expect(tables.looseVersion.length).toBeGreaterThan(80);
  });

  it.each(tables.constraintCheck)('TestConstraintsCheck: $constraint vs $version → $matches', ({ constraint, version, matches }) => {
    const c = parseConstraint(constraint);
    const v = parseVersion(version);
    expect(c.ok).toBe(true);
    expect(v).toBeDefined();
    if (!c.ok || v === undefined) return;
    expect(satisfies(v, c.value)).toBe(matches);
  });

  it.each(tables.constraintParse)('TestNewConstraint: $constraint invalid=$invalid', ({ constraint, invalid }) => {
    expect(parseConstraint(constraint).ok).toBe(!invalid);
  });

  it.each(tables.strictVersion)('TestStrictNewVersion: $version invalid=$invalid', ({ version, invalid }) => {
    expect(parseVersion(version, { strict: true }) === undefined).toBe(invalid);
  });

  it('splits TestNewVersion into its two sub-tests', () => {
    expect(restart).toBeGreaterThan(0);
    expect(looseRows.filter((r) => !r.coerce).length).toBeGreaterThan(30);
  });

  it.each(looseRows)('TestNewVersion: $version coerce=$coerce invalid=$invalid', ({ version, invalid, coerce }) => {
    expect(parseVersion(version, { coerce }) === undefined).toBe(invalid);
  });
});
