// Picks the newest qualifying tag the way Kargo's image selectors order candidates, for the pipeline simulator.
import { KargoModelError, ModelErrorCode } from '../errors.ts';
import { compareVersions } from './semver.ts';
import { type CompiledTagRules, type TagRulesInput, compileTagRules, parseTagAsSemver, tagAccepted } from './tags.ts';

function isCompiled(rules: TagRulesInput | CompiledTagRules): rules is CompiledTagRules {
  return 'rules' in rules && 'allow' in rules && Array.isArray(rules.allow) && rules.allow.every((r) => r instanceof RegExp);
}

function compileOrThrow(rules: TagRulesInput | CompiledTagRules): CompiledTagRules {
  if (isCompiled(rules)) return rules;
  const compiled = compileTagRules(rules);
  if (compiled.ok) return compiled.value;
  const first = compiled.errors[0];
  const code = first?.code === 'invalid-regex' ? ModelErrorCode.InvalidRegex : first?.path === 'constraint' ? ModelErrorCode.InvalidConstraint : ModelErrorCode.InvalidConfig;
  throw new KargoModelError(code, `invalid tag rules: ${compiled.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
}

// Go's strings.Compare / slices.Sort on strings: bytewise UTF-8, i.e. code-point order (not UTF-16 order).
function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    if (x[i] !== y[i]) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
  }
  return x.length - y.length < 0 ? -1 : 1;
}

/**
 * The accepted tags, newest first: SemVer by Masterminds order (ties broken by the original text, greater
 * first, as Kargo does so `1.0.0` beats `1.0`), Lexical by descending byte order, NewestBuild by reverse of
 * the given order (pass tags in push order; Kargo uses image creation time), Digest just the followed tag
 * when present. Duplicates are kept once. Throws {@link KargoModelError} when the rules are invalid.
 */
export function sortTagsNewestFirst(rules: TagRulesInput | CompiledTagRules, tags: readonly string[]): string[] {
  const compiled = compileOrThrow(rules);
  const accepted = [...new Set(tags)].filter((tag) => tagAccepted(compiled, tag).accepted);
  switch (compiled.rules.strategy) {
    case 'Digest':
      return accepted.slice(0, 1);
    case 'NewestBuild':
      return accepted.reverse();
    case 'Lexical':
      return accepted.sort((a, b) => compareGoStrings(b, a));
    case 'SemVer': {
      const strict = compiled.rules.strictSemvers;
      const parsed = accepted.flatMap((tag) => {
        const version = parseTagAsSemver(tag, strict);
        return version === undefined ? [] : [version];
      });
      parsed.sort((l, r) => compareVersions(r, l) || compareGoStrings(r.original, l.original));
      return parsed.map((v) => v.original);
    }
  }
}

/** The tag Kargo would pick as newest among `tags`, or `undefined` when none qualifies. */
export function selectNewestTag(rules: TagRulesInput | CompiledTagRules, tags: readonly string[]): string | undefined {
  return sortTagsNewestFirst(rules, tags)[0];
}
