// The boundary check for Kargo objects: dispatch on apiVersion/kind, parse, report issues by path.
import { z } from 'zod';
import { Severity, formatPath, type Issue, type Result } from '../result.ts';
import { KARGO_API_VERSION } from './constants.ts';
import { FreightSchema } from './freight.ts';
import { KARGO_KINDS, type KargoKind } from './meta.ts';
import { ClusterConfigSchema, ProjectConfigSchema, ProjectSchema } from './project.ts';
import { ClusterPromotionTaskSchema, PromotionSchema, PromotionTaskSchema } from './promotion.ts';
import { StageSchema } from './stage.ts';
import { WarehouseSchema } from './warehouse.ts';

/** Kind → schema of that kind. */
export const kargoSchemas = {
  Project: ProjectSchema,
  ProjectConfig: ProjectConfigSchema,
  ClusterConfig: ClusterConfigSchema,
  Warehouse: WarehouseSchema,
  Stage: StageSchema,
  Freight: FreightSchema,
  Promotion: PromotionSchema,
  PromotionTask: PromotionTaskSchema,
  ClusterPromotionTask: ClusterPromotionTaskSchema,
} as const satisfies Record<KargoKind, z.ZodType>;

/** Any Kargo v1alpha1 object, discriminated on `kind`. */
export const KargoObjectSchema = z.discriminatedUnion('kind', [
  ProjectSchema,
  ProjectConfigSchema,
  ClusterConfigSchema,
  WarehouseSchema,
  StageSchema,
  FreightSchema,
  PromotionSchema,
  PromotionTaskSchema,
  ClusterPromotionTaskSchema,
]);
export type KargoObject = z.infer<typeof KargoObjectSchema>;

export function isKargoKind(kind: unknown): kind is KargoKind {
  return typeof kind === 'string' && (KARGO_KINDS as readonly string[]).includes(kind);
}

type ZodIssue = z.core.$ZodIssue;

/** A union branch that failed only because the value has another type (or is not an expression). */
function isTypeMismatch(branch: readonly ZodIssue[]): boolean {
  return branch.every(
    (issue) =>
      issue.path.length === 0 &&
      (issue.code === 'invalid_type' ||
        issue.code === 'invalid_value' ||
        (issue.code === 'invalid_format' && issue.format === 'template_literal') ||
        (issue.code === 'invalid_union' && issue.errors.every(isTypeMismatch))),
  );
}

function issueCode(issue: ZodIssue): string {
  if (issue.code === 'custom') {
    const code = (issue.params as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
  }
  return issue.code;
}

/**
 * zod issues → Issues with dotted paths. A union (value-or-expression, one-of) that failed in
 * exactly one plausible branch reports that branch's issues, so paths reach the offending field;
 * an unknown key becomes one issue at `<object>.<key>`.
 */
export function zodIssuesToIssues(issues: readonly ZodIssue[], base: readonly PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const plausible = issue.errors.filter((branch) => !isTypeMismatch(branch));
      if (plausible.length === 1) {
        out.push(...zodIssuesToIssues(plausible[0] as ZodIssue[], path));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: formatPath([...path, key]), message: `unknown field "${key}"`, severity: Severity.Error, code: 'unrecognized_keys' });
      }
      continue;
    }
    out.push({ path: formatPath(path), message: issue.message, severity: Severity.Error, code: issueCode(issue) });
  }
  return out;
}

function error(path: string, message: string, code: string): Issue {
  return { path, message, severity: Severity.Error, code };
}

function warning(path: (string | number)[], message: string): Issue {
  return { path: formatPath(path), message, severity: Severity.Warning, code: 'deprecated' };
}

type Steps = readonly { uses?: string | undefined; config?: unknown }[];

function stepWarnings(steps: Steps, at: (string | number)[]): Issue[] {
  const out: Issue[] = [];
  steps.forEach((step, i) => {
    const config = step.config as Record<string, unknown> | undefined;
    if (step.uses === 'git-commit' && config?.['author'] !== undefined) {
      out.push(warning([...at, i, 'config', 'author'], 'git-commit author is deprecated since v1.10.0: set it on git-clone or in ClusterConfig.spec.gitClient'));
    }
    if (step.uses === 'git-open-pr' && config?.['createTargetBranch'] !== undefined) {
      out.push(warning([...at, i, 'config', 'createTargetBranch'], 'git-open-pr createTargetBranch is deprecated'));
    }
  });
  return out;
}

/** Deprecated or Enterprise-only fields that Kargo v1.11 still accepts but that deserve a note. */
function warningsOf(obj: KargoObject): Issue[] {
  const out: Issue[] = [];
  switch (obj.kind) {
    case 'Warehouse':
      obj.spec.subscriptions.forEach((sub, i) => {
        const typed = sub.image ?? sub.git;
        const type = sub.image !== undefined ? 'image' : 'git';
        if (typed === undefined) return;
        for (const field of ['allowTags', 'ignoreTags'] as const) {
          const value = typed[field];
          if (value !== undefined && value.length > 0) {
            out.push(warning(['spec', 'subscriptions', i, type, field], `${field} is deprecated since v1.9.0 and makes discovery fail from v1.11.0: use ${field}Regexes`));
          }
        }
        if (sub.git !== undefined && !/^https?:\/\//u.test(sub.git.repoURL)) {
          out.push(warning(['spec', 'subscriptions', i, 'git', 'repoURL'], 'SSH and SCP-style Git URLs are deprecated since v1.10.0: use https'));
        }
      });
      break;
    case 'ProjectConfig':
      obj.spec?.promotionPolicies?.forEach((policy, i) => {
        if (policy.stage !== undefined) out.push(warning(['spec', 'promotionPolicies', i, 'stage'], 'stage is deprecated: use stageSelector: {name}'));
        if (policy.autoRollback !== undefined) {
          out.push({ ...warning(['spec', 'promotionPolicies', i, 'autoRollback'], 'autoRollback is Kargo Enterprise only; OSS ignores it'), code: 'enterprise-only' });
        }
      });
      break;
    case 'Stage':
      if (obj.spec.promotionTemplate !== undefined) {
        out.push(...stepWarnings(obj.spec.promotionTemplate.spec.steps, ['spec', 'promotionTemplate', 'spec', 'steps']));
      }
      break;
    case 'Promotion':
    case 'PromotionTask':
    case 'ClusterPromotionTask':
      out.push(...stepWarnings(obj.spec.steps, ['spec', 'steps']));
      break;
    default:
      break;
  }
  return out;
}

/**
 * Checks one Kargo object (already parsed from YAML/JSON). Dispatches on apiVersion and kind, so
 * issues come from that kind's schema only, with paths such as
 * `spec.promotionTemplate.spec.steps[1].config.targetBranch`. Warnings flag deprecated fields.
 */
export function validateKargoObject(obj: unknown): Result<KargoObject> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { ok: false, errors: [error('', 'a Kargo object must be a mapping', 'invalid_type')], warnings: [] };
  }
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (apiVersion !== KARGO_API_VERSION) {
    return {
      ok: false,
      errors: [error('apiVersion', `expected apiVersion "${KARGO_API_VERSION}", got ${JSON.stringify(apiVersion)}`, 'invalid-api-version')],
      warnings: [],
    };
  }
  if (!isKargoKind(kind)) {
    return {
      ok: false,
      errors: [error('kind', `unknown Kargo kind ${JSON.stringify(kind)}: expected one of ${KARGO_KINDS.join(', ')}`, 'unknown-kind')],
      warnings: [],
    };
  }
  const parsed = (kargoSchemas[kind] as z.ZodType<KargoObject>).safeParse(obj);
  if (!parsed.success) return { ok: false, errors: zodIssuesToIssues(parsed.error.issues), warnings: [] };
  return { ok: true, value: parsed.data, warnings: warningsOf(parsed.data) };
}
