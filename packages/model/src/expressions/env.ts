// What an expression sees: the env map of Kargo v1.11.2 pkg/promotion/evaluator.go (BuildCtxMap,
// BuildExprEnv, the ExprEnvWith* options and Vars), plus the data Kargo's functions read from the cluster,
// which the caller (the rehearse engine) supplies.
import type { FreightOrigin } from '../kargo/common.ts';
import type { FreightChart, FreightCommit, FreightImage } from '../kargo/freight.ts';
import { ExpressionError } from './errors.ts';
import { GoStruct, UNKNOWN_FIELD } from './go.ts';
import { evaluateTemplate } from './template.ts';

/** Step outcomes (api/v1alpha1/promotion_types.go, PromotionStepStatus). */
export const StepStatus = {
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Errored: 'Errored',
  Aborted: 'Aborted',
  Skipped: 'Skipped',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** Execution metadata of a step that already ran (StepExecutionMetadata). */
export interface StepExecution {
  /** The step's alias; `task::step` for steps inflated from a PromotionTask. */
  readonly alias: string;
  readonly status: StepStatus;
  readonly continueOnError?: boolean;
  readonly message?: string;
  readonly errorCount?: number;
}

/** The cluster data behind Kargo's functions; each may throw to fail the expression. */
export interface KargoFunctions {
  /**
   * Kargo's freight.FindImage: the image from `repoURL` in the Freight being promoted, or `null` when there
   * is none (Kargo returns a nil image, so `imageFrom(x).Tag` then fails and `imageFrom(x)` renders `null`).
   * Throw for Kargo's errors, e.g. several requested origins could provide the image and none was given.
   */
  readonly imageFrom?: (repoURL: string, origin?: FreightOrigin) => FreightImage | null;
  /** freight.FindCommit: the commit from Git repository `repoURL` in the Freight, or `null`. */
  readonly commitFrom?: (repoURL: string, origin?: FreightOrigin) => FreightCommit | null;
  /** freight.FindChart: the chart from `repoURL` (named `chartName` in a classic repository), or `null`. */
  readonly chartFrom?: (repoURL: string, chartName?: string, origin?: FreightOrigin) => FreightChart | null;
  /**
   * The Secret's data (decoded) in the Project namespace; return `{}` when it does not exist: Kargo does,
   * and a missing key then reads as "" (a Go map[string]string), so `secret('x').url` is "" — not an error.
   */
  readonly secret?: (name: string) => Readonly<Record<string, string>>;
}

/** Everything one evaluation sees. */
export interface ExpressionEnv {
  /** The env map: `ctx`, `vars`, `outputs`, `task`, `stepMetas` (see {@link stepExpressionEnv}). */
  readonly variables: Readonly<Record<string, unknown>>;
  readonly functions?: KargoFunctions;
  /**
   * Steps run so far. When set, `success()`, `failure()`, `always()` and `status()` exist, as where Kargo
   * registers them (a step's `if` and `config`); when absent (variables), calling them is an error.
   */
  readonly steps?: readonly StepExecution[];
  /** Alias of the step being evaluated: `status()` resolves aliases inside its task namespace. */
  readonly stepAlias?: string;
}

/** A promotion variable (`spec.vars[]` of the template, or a step's `vars[]`). */
export interface PromotionVariable {
  readonly name: string;
  readonly value: string;
}

/** The Promotion a step runs in. */
export interface PromotionContext {
  readonly project: string;
  readonly stage: string;
  readonly promotion: string;
  readonly uiBaseUrl?: string;
  readonly actor?: string;
  readonly rollback?: boolean;
  readonly targetFreight: { readonly name: string; readonly alias?: string; readonly origin: string };
  /** The promotion template's variables, evaluated in order before the step's own. */
  readonly vars?: readonly PromotionVariable[];
  /** Outputs of the steps run so far, by alias (the Promotion's shared state). */
  readonly state?: Readonly<Record<string, unknown>>;
  readonly steps?: readonly StepExecution[];
  readonly functions?: KargoFunctions;
}

/** Kargo's alias namespace separator (pkg/api/promotion.go PromotionAliasSeparator). */
const SEPARATOR = '::';

/** [namespace, short alias] of `task::step`; the namespace is '' unless there is exactly one separator. */
export function splitAlias(alias: string): readonly [string, string] {
  const parts = alias.split(SEPARATOR);
  return parts.length === 2 ? [parts[0] ?? '', parts[1] ?? ''] : ['', alias];
}

/** StepExecutionMetadataList.HasFailures: an Errored or Failed step without continueOnError. */
export function hasFailures(steps: readonly StepExecution[]): boolean {
  return steps.some((s) => s.continueOnError !== true && (s.status === StepStatus.Errored || s.status === StepStatus.Failed));
}

// StartedAt/FinishedAt are times of the real run: unknown here, except that a Skipped step (its `if` was
// false) never started, and the current step has not finished (Context.SetCurrentStep, StepMetadata.Started).
function stepMeta(s: Omit<StepExecution, 'status'> & { readonly status: StepStatus | '' }, current = false): GoStruct {
  const fields = {
    Alias: s.alias,
    StartedAt: s.status === StepStatus.Skipped ? null : UNKNOWN_FIELD,
    FinishedAt: s.status === StepStatus.Skipped || current ? null : UNKNOWN_FIELD,
    ErrorCount: BigInt(s.errorCount ?? 0),
    Status: s.status,
    Message: s.message ?? '',
    ContinueOnError: s.continueOnError === true,
  };
  const json = [['Alias', 'alias'], ['StartedAt', 'startedAt'], ['FinishedAt', 'finishedAt'], ['ErrorCount', 'errorCount'], ['Status', 'status'], ['Message', 'message'], ['ContinueOnError', 'continueOnError']] as const;
  return new GoStruct('v1alpha1.StepExecutionMetadata', fields, json.map(([f, k]) => [f, k, true] as const));
}

function ctxMap(p: PromotionContext, alias: string): Record<string, unknown> {
  return {
    uiBaseUrl: p.uiBaseUrl ?? '',
    project: p.project,
    promotion: p.promotion,
    stage: p.stage,
    targetFreight: { name: p.targetFreight.name, alias: p.targetFreight.alias ?? '', origin: { name: p.targetFreight.origin } },
    meta: { promotion: { actor: p.actor ?? '', rollback: p.rollback === true }, step: { alias } },
  };
}

/**
 * The environment of one step's `if` and `config`, built as Kargo's StepEvaluator does: the promotion's
 * variables first (they see `ctx` and earlier `vars` only), then the step's (they also see `outputs`,
 * `task.outputs` and `stepMetas`); the result adds the status functions.
 */
export function stepExpressionEnv(
  promotion: PromotionContext,
  step: { readonly alias: string; readonly vars?: readonly PromotionVariable[]; readonly continueOnError?: boolean },
): ExpressionEnv {
  const state = promotion.state ?? {};
  // task.outputs: the outputs of the same task's steps under their short aliases (getTaskOutputs).
  const [namespace] = splitAlias(step.alias);
  const taskOutputs = Object.fromEntries(Object.entries(state).filter(([k]) => namespace !== '' && splitAlias(k)[0] === namespace).map(([k, v]) => [splitAlias(k)[1], v]));
  // Context.SetCurrentStep adds the step's own metadata (no status yet) before its `if` and config are
  // evaluated, so stepMetas names the current step too.
  const metas = (promotion.steps ?? []).map((s) => [s.alias, stepMeta(s)] as const);
  if (!metas.some(([alias]) => alias === step.alias)) metas.push([step.alias, stepMeta({ alias: step.alias, status: '', continueOnError: step.continueOnError === true }, true)]);
  const stepScope = {
    stepMetas: Object.fromEntries(metas),
    outputs: state,
    ...(namespace === '' ? {} : { task: { outputs: taskOutputs } }),
  };
  const vars: Record<string, unknown> = {};
  const variables = (scope: object): Record<string, unknown> => ({ ctx: ctxMap(promotion, step.alias), ...scope, vars });
  const functions = promotion.functions ?? {};
  const evaluate = (list: readonly PromotionVariable[] | undefined, scope: object): void => {
    for (const v of list ?? []) {
      try {
        vars[v.name] = evaluateTemplate(v.value, { variables: variables(scope), functions });
      } catch (e) {
        throw new ExpressionError(`error pre-processing promotion variable "${v.name}": ${(e as Error).message}`, { cause: e });
      }
    }
  };
  evaluate(promotion.vars, {});
  evaluate(step.vars, stepScope);
  return { variables: variables(stepScope), functions, steps: promotion.steps ?? [], stepAlias: step.alias };
}
