// A TypeScript port of the parts of github.com/Masterminds/semver v3.4.0 that Kargo 1.11.2 relies on:
// NewVersion / StrictNewVersion, Version.Compare, NewConstraint and Constraints.Check.
//
// Why our own code instead of a library: Kargo decides which tags make Freight with this Go library, and
// no npm package reproduces it. node's `semver` rejects `1.4`/`v1.2` unless coerced, treats `1.x` and
// `~`/`^` with pre-releases differently, has no `!=`, ignores Masterminds' "a group containing a
// pre-release comparator admits pre-releases" rule and its dirty (x-range) comparisons. Agreement is
// pinned by our own case tables of v3.4.0's behaviour (test/semver-masterminds.cases.ts), written from the
// library's rules; the port also passed every row of the library's own test tables when it was written.
//
// The regular expressions below are the library's, with Go's ASCII-only `\s` spelled out so JavaScript's
// Unicode-aware `\s` cannot widen them. Go's regexp uses leftmost-first semantics, like JavaScript's
// backtracking engine, so captures agree.
import { type Issue, type Result, Severity } from '../result.ts';

/** A parsed version. Segments are `bigint` because Masterminds parses them as uint64. */
export interface SemVer {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Pre-release identifiers without the leading `-`; `''` when absent. */
  readonly prerelease: string;
  /** Build metadata without the leading `+`; `''` when absent. Ignored by comparisons. */
  readonly metadata: string;
  /** The exact text that was parsed (Masterminds' `Original()`), e.g. `v1.2`. */
  readonly original: string;
}

export interface ParseVersionOptions {
  /** `true` = `StrictNewVersion` (exactly MAJOR.MINOR.PATCH, no `v`, no leading zeros); default loose `NewVersion`. */
  readonly strict?: boolean;
  /**
   * Masterminds' package-level `CoerceNewVersion` (default `true`, which Kargo keeps): loose parsing accepts
   * leading zeros such as `01.1.1`. `false` applies the SemVer-shaped regex instead. Ignored when `strict`.
   */
  readonly coerce?: boolean;
}

const UINT64_MAX = (1n << 64n) - 1n;
const NUM = /^[0-9]*$/;
const ALLOWED = /^[0-9A-Za-z-]*$/;

// Go's strconv.ParseUint(s, 10, 64): digits only, non-empty, no overflow.
function parseUint64(text: string): bigint | undefined {
  if (text === '' || !NUM.test(text)) return undefined;
  const value = BigInt(text);
  return value > UINT64_MAX ? undefined : value;
}

function validPrerelease(pre: string): boolean {
  for (const part of pre.split('.')) {
    if (part === '') return false;
    if (NUM.test(part)) {
      if (part.length > 1 && part.startsWith('0')) return false;
    } else if (!ALLOWED.test(part)) {
      return false;
    }
  }
  return true;
}

function validMetadata(meta: string): boolean {
  return meta.split('.').every((part) => part !== '' && ALLOWED.test(part));
}

// looseSemVerRegex; CoerceNewVersion defaults to true in v3.4.0, so NewVersion uses this one.
const LOOSE_VERSION =
  /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

function newVersion(text: string): SemVer | undefined {
  const m = LOOSE_VERSION.exec(text);
  if (m === null) return undefined;
  const major = parseUint64(m[1] ?? '');
  const minor = m[2] === undefined ? 0n : parseUint64(m[2].slice(1));
  const patch = m[3] === undefined ? 0n : parseUint64(m[3].slice(1));
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  const prerelease = m[5] ?? '';
  const metadata = m[8] ?? '';
  if (prerelease !== '' && !validPrerelease(prerelease)) return undefined;
  if (metadata !== '' && !validMetadata(metadata)) return undefined;
  return { major, minor, patch, prerelease, metadata, original: text };
}

// semVerRegex, used by NewVersion only when CoerceNewVersion is false.
const UNCOERCED_VERSION = new RegExp(
  '^v?(0|[1-9]\\d*)(?:\\.(0|[1-9]\\d*))?(?:\\.(0|[1-9]\\d*))?' +
    '(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?' +
    '(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$',
);

function uncoercedNewVersion(text: string): SemVer | undefined {
  const m = UNCOERCED_VERSION.exec(text);
  if (m === null) return undefined;
  const major = parseUint64(m[1] ?? '');
  const minor = m[2] === undefined ? 0n : parseUint64(m[2]);
  const patch = m[3] === undefined ? 0n : parseUint64(m[3]);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  const prerelease = m[4] ?? '';
  const metadata = m[5] ?? '';
  if (prerelease !== '' && !validPrerelease(prerelease)) return undefined;
  if (metadata !== '' && !validMetadata(metadata)) return undefined;
  return { major, minor, patch, prerelease, metadata, original: text };
}

function strictNewVersion(text: string): SemVer | undefined {
  if (text === '') return undefined;
  // strings.SplitN(v, ".", 3)
  const first = text.indexOf('.');
  const second = first < 0 ? -1 : text.indexOf('.', first + 1);
  if (second < 0) return undefined;
  const parts = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  let rest = parts[2] ?? '';
  let metadata = '';
  let prerelease = '';
  const plus = rest.indexOf('+');
  if (plus >= 0) {
    metadata = rest.slice(plus + 1);
    rest = rest.slice(0, plus);
    if (!validMetadata(metadata)) return undefined;
  }
  const dash = rest.indexOf('-');
  if (dash >= 0) {
    prerelease = rest.slice(dash + 1);
    rest = rest.slice(0, dash);
    if (!validPrerelease(prerelease)) return undefined;
  }
  parts[2] = rest;
  for (const part of parts) {
    if (!NUM.test(part)) return undefined;
    if (part.length > 1 && part.startsWith('0')) return undefined;
  }
  const [major, minor, patch] = parts.map(parseUint64);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, prerelease, metadata, original: text };
}

/**
 * Parses like Masterminds `NewVersion` (loose: `v1`, `1.4`, leading zeros) or, with `strict`,
 * `StrictNewVersion`. Returns `undefined` for text that is not a version.
 */
export function parseVersion(text: string, options: ParseVersionOptions = {}): SemVer | undefined {
  if (options.strict === true) return strictNewVersion(text);
  return options.coerce === false ? uncoercedNewVersion(text) : newVersion(text);
}

/** Masterminds' `String()`: `MAJOR.MINOR.PATCH[-pre][+meta]`, without any leading `v`. */
export function formatVersion(version: SemVer): string {
  const pre = version.prerelease === '' ? '' : `-${version.prerelease}`;
  const meta = version.metadata === '' ? '' : `+${version.metadata}`;
  return `${version.major}.${version.minor}.${version.patch}${pre}${meta}`;
}

function sign(a: bigint, b: bigint): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Go compares strings bytewise (UTF-8), which is code-point order, not UTF-16 order.
function compareBytes(a: string, b: string): -1 | 0 | 1 {
  const x = Array.from(a);
  const y = Array.from(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const cx = x[i]?.codePointAt(0) ?? 0;
    const cy = y[i]?.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function comparePrePart(s: string, o: string): -1 | 0 | 1 {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const oi = parseUint64(o);
  const si = parseUint64(s);
  if (oi === undefined && si === undefined) return compareBytes(s, o) > 0 ? 1 : -1;
  if (oi === undefined) return -1; // a number sorts before an alphanumeric identifier
  if (si === undefined) return 1;
  return si > oi ? 1 : -1;
}

function comparePrerelease(a: string, b: string): -1 | 0 | 1 {
  const sp = a.split('.');
  const op = b.split('.');
  const len = Math.max(sp.length, op.length);
  for (let i = 0; i < len; i++) {
    const d = comparePrePart(sp[i] ?? '', op[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

/** Masterminds `Compare`: -1, 0 or 1. Build metadata is ignored; a pre-release sorts below its release. */
export function compareVersions(a: SemVer, b: SemVer): -1 | 0 | 1 {
  const d = sign(a.major, b.major) || sign(a.minor, b.minor) || sign(a.patch, b.patch);
  if (d !== 0) return d;
  if (a.prerelease === '' && b.prerelease === '') return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return comparePrerelease(a.prerelease, b.prerelease);
}

// ---------------------------------------------------------------------------------------------------------
// Constraints

const S = '[\\t\\n\\f\\r ]'; // Go RE2 `\s`
const CV =
  'v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?' +
  '(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?' +
  '(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?';
const OPS = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';

const CONSTRAINT_RE = new RegExp(`^${S}*(${OPS})${S}*(${CV})${S}*$`);
const RANGE_RE = new RegExp(`${S}*(${CV})${S}+-${S}+(${CV})${S}*`, 'g');
const FIND_RE = new RegExp(`(${OPS})${S}*(${CV})`, 'g');
const VALID_RE = new RegExp(`^(${S}*(${OPS})${S}*(${CV})${S}*)((?:${S}+|,${S}*)(${OPS})${S}*(${CV})${S}*)*$`);

type Op = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';

/** One comparator of a constraint, e.g. `>=1.2` (dirty when a segment is missing or an x). */
export interface Comparator {
  readonly op: Op;
  /** The version text as written, e.g. `1.x`. */
  readonly orig: string;
  readonly version: SemVer;
  readonly dirty: boolean;
  readonly minorDirty: boolean;
  readonly patchDirty: boolean;
}

/** A parsed constraint: OR of AND groups. */
export interface Constraint {
  readonly source: string;
  readonly groups: readonly (readonly Comparator[])[];
  /** Per group: whether any comparator names a pre-release (then the group admits pre-release versions). */
  readonly groupHasPrerelease: readonly boolean[];
}

function isX(text: string): boolean {
  return text === 'x' || text === '*' || text === 'X';
}

// Go's strings.Replace(o, old, new, 1).
function replaceFirst(haystack: string, needle: string, replacement: string): string {
  const at = haystack.indexOf(needle);
  return at < 0 ? haystack : haystack.slice(0, at) + replacement + haystack.slice(at + needle.length);
}

function rewriteRange(input: string): string {
  let out = input;
  for (const m of input.matchAll(RANGE_RE)) {
    out = replaceFirst(out, m[0], `>= ${m[1] ?? ''}, <= ${m[11] ?? ''} `);
  }
  return out;
}

function parseComparator(text: string): Comparator | string {
  const m = CONSTRAINT_RE.exec(text);
  if (m === null) return `improper constraint: ${text}`;
  const op = (m[1] ?? '') as Op;
  const orig = m[2] ?? '';
  const major = m[3] ?? '';
  const minor = m[4];
  const patch = m[5];
  const pre = m[6] ?? '';
  let ver = orig;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major)) {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (minor === undefined || isX(minor.slice(1))) {
    minorDirty = true;
    dirty = true;
    ver = `${major}.0.0${pre}`;
  } else if (patch === undefined || isX(patch.slice(1))) {
    dirty = true;
    patchDirty = true;
    ver = `${major}${minor}.0${pre}`;
  }
  const version = newVersion(ver);
  if (version === undefined) return 'constraint parser error';
  return { op, orig, version, dirty, minorDirty, patchDirty };
}

function issue(message: string): Issue {
  return { path: '', message, severity: Severity.Error, code: 'invalid-constraint' };
}

/** Masterminds `NewConstraint`: `||` separates alternatives; commas or spaces join comparators. */
export function parseConstraint(text: string): Result<Constraint> {
  const rewritten = rewriteRange(text);
  const groups: Comparator[][] = [];
  const groupHasPrerelease: boolean[] = [];
  for (const alternative of rewritten.split('||')) {
    if (!VALID_RE.test(alternative)) {
      return { ok: false, errors: [issue(`improper constraint: ${alternative}`)], warnings: [] };
    }
    const found = Array.from(alternative.matchAll(FIND_RE), (m) => m[0]);
    const parts = found.length === 0 ? [alternative] : found;
    const group: Comparator[] = [];
    let hasPre = false;
    for (const part of parts) {
      const parsed = parseComparator(part);
      if (typeof parsed === 'string') return { ok: false, errors: [issue(parsed)], warnings: [] };
      if (parsed.version.prerelease !== '') hasPre = true;
      group.push(parsed);
    }
    groups.push(group);
    groupHasPrerelease.push(hasPre);
  }
  return { ok: true, value: { source: text, groups, groupHasPrerelease }, warnings: [] };
}

function lessThan(a: SemVer, b: SemVer): boolean {
  return compareVersions(a, b) < 0;
}

function tilde(v: SemVer, c: Comparator): boolean {
  if (lessThan(v, c.version)) return false;
  const con = c.version;
  // ~0.0.0 behaves like >=0.0.0
  if (con.major === 0n && con.minor === 0n && con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== con.major) return false;
  if (v.minor !== con.minor && !c.minorDirty) return false;
  return true;
}

function caret(v: SemVer, c: Comparator): boolean {
  const con = c.version;
  if (lessThan(v, con)) return false;
  if (con.major > 0n || c.minorDirty) return v.major === con.major;
  if (con.major === 0n && v.major > 0n) return false;
  if (con.minor > 0n || c.patchDirty) return v.minor === con.minor;
  if (con.minor === 0n && v.minor > 0n) return false;
  return con.patch === v.patch;
}

function notEqual(v: SemVer, c: Comparator): boolean {
  const con = c.version;
  if (c.dirty) {
    if (con.major !== v.major) return true;
    if (con.minor !== v.minor && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (con.patch !== v.patch && !c.patchDirty) return true;
    if (c.patchDirty) {
      if (v.prerelease !== '' || con.prerelease !== '') {
        return comparePrerelease(v.prerelease, con.prerelease) !== 0;
      }
      return false;
    }
  }
  return compareVersions(v, con) !== 0;
}

function greaterThan(v: SemVer, c: Comparator): boolean {
  const con = c.version;
  if (!c.dirty) return compareVersions(v, con) === 1;
  if (v.major > con.major) return true;
  if (v.major < con.major) return false;
  if (c.minorDirty) return false; // >11 needs 12 or higher
  if (c.patchDirty) return v.minor > con.minor; // >11.1 needs 11.2 or higher
  return compareVersions(v, con) === 1;
}

function lessThanEqual(v: SemVer, c: Comparator): boolean {
  const con = c.version;
  if (!c.dirty) return compareVersions(v, con) <= 0;
  if (v.major > con.major) return false;
  if (v.major === con.major && v.minor > con.minor && !c.minorDirty) return false;
  return true;
}

function checkComparator(v: SemVer, c: Comparator, includePre: boolean): boolean {
  // Every comparator refuses a pre-release unless its group (or the caller) opted in.
  if (v.prerelease !== '' && !includePre) return false;
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : compareVersions(v, c.version) === 0;
    case '!=':
      return notEqual(v, c);
    case '>':
      return greaterThan(v, c);
    case '<':
      return compareVersions(v, c.version) < 0;
    case '>=':
    case '=>':
      return compareVersions(v, c.version) >= 0;
    case '<=':
    case '=<':
      return lessThanEqual(v, c);
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      return caret(v, c);
  }
}

export interface SatisfiesOptions {
  /** Masterminds' `Constraints.IncludePrerelease`; Kargo never sets it. */
  readonly includePrerelease?: boolean;
}

/** Masterminds `Constraints.Check`. */
export function satisfies(version: SemVer, constraint: Constraint, options: SatisfiesOptions = {}): boolean {
  return constraint.groups.some((group, i) => {
    const includePre = options.includePrerelease === true || constraint.groupHasPrerelease[i] === true;
    return group.every((c) => checkComparator(version, c, includePre));
  });
}
