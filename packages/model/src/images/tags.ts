// Whether an image tag (or chart version) would be accepted by a Warehouse subscription, decided exactly as
// Kargo 1.11.2's GitHub receiver qualifies a `package` event (the selectors' `MatchesTag` in pkg/image).
import { z } from 'zod';
import { type Issue, type Result, Severity } from '../result.ts';
import { compileTagRegex } from './regex.ts';
import { type Constraint, type SemVer, parseConstraint, parseVersion, satisfies } from './semver.ts';

export const ImageSelectionStrategy = {
  Digest: 'Digest',
  Lexical: 'Lexical',
  NewestBuild: 'NewestBuild',
  SemVer: 'SemVer',
} as const;
export type ImageSelectionStrategy = (typeof ImageSelectionStrategy)[keyof typeof ImageSelectionStrategy];

const STRATEGIES = ['Digest', 'Lexical', 'NewestBuild', 'SemVer'] as const;

/**
 * The part of an image subscription that decides which tags qualify. `strategy` defaults to SemVer (Kargo
 * also treats an empty string as SemVer); `strictSemvers` defaults to true.
 */
export const TagRulesSchema = z.strictObject({
  strategy: z
    .enum([...STRATEGIES, ''])
    .optional()
    .transform((value): ImageSelectionStrategy => (value === undefined || value === '' ? 'SemVer' : value)),
  /** SemVer: a Masterminds constraint; Digest: the mutable tag to follow. */
  constraint: z.string().optional(),
  strictSemvers: z.boolean().default(true),
  allow: z.array(z.string()).default([]),
  ignore: z.array(z.string()).default([]),
});
export type TagRules = z.output<typeof TagRulesSchema>;
export type TagRulesInput = z.input<typeof TagRulesSchema>;

/**
 * The tag-related fields of a Kargo image subscription, shaped like `spec.subscriptions[].image`. Other
 * keys of a full subscription (repoURL, platform, …) pass through untouched.
 */
export const ImageSubscriptionTagFieldsSchema = z.looseObject({
  imageSelectionStrategy: z.string().optional(),
  constraint: z.string().optional(),
  strictSemvers: z.boolean().optional(),
  allowTagsRegexes: z.array(z.string()).optional(),
  ignoreTagsRegexes: z.array(z.string()).optional(),
  /** Deprecated in v1.9.0; Kargo ≥ 1.11 fails to build the selector when it is non-empty. */
  allowTags: z.string().optional(),
  /** Deprecated in v1.9.0; Kargo ≥ 1.11 fails to build the selector when it is non-empty. */
  ignoreTags: z.array(z.string()).optional(),
});
export type ImageSubscriptionTagFields = z.input<typeof ImageSubscriptionTagFieldsSchema>;

function error(path: string, message: string, code: string): Issue {
  return { path, message, severity: Severity.Error, code };
}

/** Converts a subscription-shaped object into {@link TagRules}, refusing what Kargo 1.11 refuses. */
export function tagRulesFromImageSubscription(sub: ImageSubscriptionTagFields): Result<TagRules> {
  const fields = ImageSubscriptionTagFieldsSchema.safeParse(sub);
  if (!fields.success) {
    const errors = fields.error.issues.map((i) => error(i.path.map(String).join('.'), i.message, i.code));
    return { ok: false, errors, warnings: [] };
  }
  const f = fields.data;
  const errors: Issue[] = [];
  if (f.allowTags !== undefined && f.allowTags !== '') {
    errors.push(error('allowTags', 'allowTags is no longer supported (Kargo ≥ 1.11 fails discovery); use allowTagsRegexes', 'deprecated-field'));
  }
  if (f.ignoreTags !== undefined && f.ignoreTags.length > 0) {
    errors.push(error('ignoreTags', 'ignoreTags is no longer supported (Kargo ≥ 1.11 fails discovery); use ignoreTagsRegexes', 'deprecated-field'));
  }
  const strategy = f.imageSelectionStrategy;
  if (strategy !== undefined && strategy !== '' && !(STRATEGIES as readonly string[]).includes(strategy)) {
    errors.push(error('imageSelectionStrategy', `unknown image selection strategy ${JSON.stringify(strategy)}`, 'invalid_value'));
  }
  if (errors.length > 0) return { ok: false, errors, warnings: [] };
  const rules = TagRulesSchema.parse({
    strategy: strategy as TagRulesInput['strategy'],
    constraint: f.constraint === '' ? undefined : f.constraint,
    strictSemvers: f.strictSemvers,
    allow: f.allowTagsRegexes,
    ignore: f.ignoreTagsRegexes,
  });
  return { ok: true, value: rules, warnings: [] };
}

/** Rules with their regexes and constraint compiled once, for deciding many tags. */
export interface CompiledTagRules {
  readonly rules: TagRules;
  readonly allow: readonly RegExp[];
  readonly ignore: readonly RegExp[];
  /** Present for SemVer rules with a non-empty constraint. */
  readonly constraint: Constraint | undefined;
}

/** Validates and compiles {@link TagRulesInput}; errors name the offending field (`allow[1]`, `constraint`). */
export function compileTagRules(input: TagRulesInput): Result<CompiledTagRules> {
  const parsed = TagRulesSchema.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => error(i.path.map(String).join('.'), i.message, i.code));
    return { ok: false, errors, warnings: [] };
  }
  const rules = parsed.data;
  const errors: Issue[] = [];
  const compileAll = (sources: readonly string[], field: string): RegExp[] =>
    sources.flatMap((source, index) => {
      const compiled = compileTagRegex(source);
      if (compiled.ok) return [compiled.value];
      errors.push(...compiled.errors.map((e) => ({ ...e, path: `${field}[${index}]` })));
      return [];
    });
  const allow = compileAll(rules.allow, 'allow');
  const ignore = compileAll(rules.ignore, 'ignore');
  let constraint: Constraint | undefined;
  if (rules.strategy === 'SemVer' && rules.constraint !== undefined && rules.constraint !== '') {
    const c = parseConstraint(rules.constraint);
    if (c.ok) constraint = c.value;
    else errors.push(...c.errors.map((e) => ({ ...e, path: 'constraint', message: `invalid semver constraint: ${e.message}` })));
  }
  if (errors.length > 0) return { ok: false, errors, warnings: [] };
  return { ok: true, value: { rules, allow, ignore, constraint }, warnings: [] };
}

export const TagRejection = {
  /** The event carried no tag. Kargo's receiver then refreshes every matching Warehouse; the relay drops it by default. */
  Untagged: 'untagged',
  Ignored: 'ignored',
  NotAllowed: 'not-allowed',
  NotSemver: 'not-semver',
  NotStrictSemver: 'not-strict-semver',
  OutsideConstraint: 'outside-constraint',
  DigestMismatch: 'digest-mismatch',
  /** The rules themselves are invalid; Kargo's receiver answers 500 for such a Warehouse. */
  InvalidRules: 'invalid-rules',
} as const;
export type TagRejection = (typeof TagRejection)[keyof typeof TagRejection];

export type TagDecision =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly reason: TagRejection; readonly message: string };

const ACCEPTED: TagDecision = { accepted: true };

function reject(reason: TagRejection, message: string): TagDecision {
  return { accepted: false, reason, message };
}

/**
 * Kargo's `libSemver.Parse`: loose `NewVersion` first (so `original` keeps a leading `v`), then with
 * `strictSemvers` also `StrictNewVersion` on the text without one leading `v`.
 */
export function parseTagAsSemver(tag: string, strict: boolean): SemVer | undefined {
  const loose = parseVersion(tag);
  if (loose === undefined) return undefined;
  if (strict && parseVersion(tag.startsWith('v') ? tag.slice(1) : tag, { strict: true }) === undefined) return undefined;
  return loose;
}

// tagBasedSelector.MatchesTag: any ignore match rejects; otherwise no allow list, or any allow match, accepts.
function regexDecision(compiled: CompiledTagRules, tag: string): TagDecision {
  const ignoredBy = compiled.ignore.find((re) => re.test(tag));
  if (ignoredBy !== undefined) return reject(TagRejection.Ignored, `tag ${tag} matches ignore regex ${ignoredBy.source}`);
  if (compiled.allow.length > 0 && !compiled.allow.some((re) => re.test(tag))) {
    return reject(TagRejection.NotAllowed, `tag ${tag} matches none of the allow regexes`);
  }
  return ACCEPTED;
}

/** Decides one tag against compiled rules (the hot path for many tags). */
export function tagAccepted(compiled: CompiledTagRules, tag: string): TagDecision {
  if (tag === '') return reject(TagRejection.Untagged, 'the event has no tag');
  const { rules } = compiled;
  switch (rules.strategy) {
    case 'Digest':
      return rules.constraint === tag
        ? ACCEPTED
        : reject(TagRejection.DigestMismatch, `Digest subscriptions follow only tag ${JSON.stringify(rules.constraint ?? '')}`);
    case 'Lexical':
    case 'NewestBuild':
      return regexDecision(compiled, tag);
    case 'SemVer': {
      const byRegex = regexDecision(compiled, tag);
      if (!byRegex.accepted) return byRegex;
      const version = parseTagAsSemver(tag, rules.strictSemvers);
      if (version === undefined) {
        return parseVersion(tag) === undefined
          ? reject(TagRejection.NotSemver, `tag ${tag} is not a semantic version`)
          : reject(TagRejection.NotStrictSemver, `tag ${tag} is not a strict MAJOR.MINOR.PATCH version (strictSemvers is on)`);
      }
      if (compiled.constraint !== undefined && !satisfies(version, compiled.constraint)) {
        return reject(TagRejection.OutsideConstraint, `tag ${tag} does not satisfy ${compiled.constraint.source}`);
      }
      return ACCEPTED;
    }
  }
}

function invalid(errors: readonly Issue[]): TagDecision {
  return reject(TagRejection.InvalidRules, errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('; '));
}

/**
 * Would this image subscription accept `tag`? Mirrors the receiver's qualifier check (Kargo ≥ 1.7):
 * SemVer (also the default and the empty strategy) needs the allow/ignore regexes, a semver parse (strict
 * unless `strictSemvers: false`) and the constraint; Lexical and NewestBuild only the regexes; Digest an
 * exact match of `constraint`. An empty tag gives `reason: 'untagged'`.
 */
export function imageTagAccepted(sub: ImageSubscriptionTagFields, tag: string): TagDecision {
  if (tag === '') return reject(TagRejection.Untagged, 'the event has no tag');
  const rules = tagRulesFromImageSubscription(sub);
  if (!rules.ok) return invalid(rules.errors);
  const compiled = compileTagRules(rules.value);
  if (!compiled.ok) return invalid(compiled.errors);
  return tagAccepted(compiled.value, tag);
}

/**
 * Would a chart subscription with this `semverConstraint` accept `version`? The version is parsed loosely
 * (Masterminds `NewVersion`), and must satisfy the constraint when one is set.
 */
export function chartVersionAccepted(semverConstraint: string | undefined, version: string): TagDecision {
  if (version === '') return reject(TagRejection.Untagged, 'the event has no tag');
  let constraint: Constraint | undefined;
  if (semverConstraint !== undefined && semverConstraint !== '') {
    const parsed = parseConstraint(semverConstraint);
    if (!parsed.ok) return invalid(parsed.errors);
    constraint = parsed.value;
  }
  const v = parseVersion(version);
  if (v === undefined) return reject(TagRejection.NotSemver, `version ${version} is not a semantic version`);
  if (constraint !== undefined && !satisfies(v, constraint)) {
    return reject(TagRejection.OutsideConstraint, `version ${version} does not satisfy ${constraint.source}`);
  }
  return ACCEPTED;
}
