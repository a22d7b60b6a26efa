// The Kargo v1.11.2 and Argo CD v3.5.1 timings and rules the simulator follows, each with where it comes from.
import type { Pipeline, PipelineEnvironment } from '@kargo/model';

/**
 * How often a regular Stage reconciles when nothing wakes it: `RequeueAfter: 5 * time.Minute` at the end of
 * `RegularStageReconciler.Reconcile` (akuity/kargo v1.11.2 pkg/controller/stages/regular_stages.go). Its
 * watches (SetupWithManager) wake it for Freight newly in or verified in an upstream, Freight approved for it,
 * its Promotions changing phase and its Applications' health or sync changing, but nothing fires when a soak
 * time completes, so a soak-gated auto-promotion starts between `soak` and `soak + 5m` after the Freight
 * landed upstream.
 */
export const STAGE_REQUEUE_MINUTES = 5;

/**
 * How often git-wait-for-pr looks at an open pull request: `gitWaitForPRPollIntervalDefault = 30 * time.Second`
 * (akuity/kargo v1.11.2 pkg/promotion/runner/builtin/git_pr_waiter.go), returned as the Running step's
 * RetryAfter; a merge or a close is noticed at the next poll. The step registers no DefaultTimeout, so it
 * waits for a merge for ever.
 */
export const PR_POLL_INTERVAL_MINUTES = 0.5;

/**
 * argocd-update's timeout when the step sets no `retry.timeout`: `DefaultTimeout: 5 * time.Minute` in its
 * registration (akuity/kargo v1.11.2 pkg/promotion/runner/builtin/argocd_updater.go); past it the orchestrator
 * marks the Running step Errored (pkg/promotion/local_orchestrator.go, "step %q timed out after %s").
 */
export const ARGOCD_UPDATE_DEFAULT_TIMEOUT_MINUTES = 5;

/** One of the two timings the simulation runs: how late a Stage notices a completed soak, and a merge. */
export interface NoticeLag {
  /** Seconds after a soak completes before the Stage reconciles (unless something wakes it sooner). */
  readonly soakSeconds: number;
  /** Seconds after a merge or close before git-wait-for-pr polls. */
  readonly pullRequestSeconds: number;
}

/** Best case: every wait noticed the moment it ends. */
export const NOTICED_AT_ONCE: NoticeLag = { soakSeconds: 0, pullRequestSeconds: 0 };
/** Worst case: each soak noticed by the periodic requeue, each merge by the next poll. */
export const NOTICED_LATE: NoticeLag = { soakSeconds: STAGE_REQUEUE_MINUTES * 60, pullRequestSeconds: PR_POLL_INTERVAL_MINUTES * 60 };

/** The `git.envBranch` default while the config has none: one branch per environment. */
export const DEFAULT_ENV_BRANCH = 'env/{env}';

/**
 * The Git branch an environment's promotions commit to and its Application tracks: the environment's resolved
 * `branch` when the config has one, else the pipeline's `git.envBranch` pattern (`{env}`, `{pipeline}`), else
 * `env/{env}`.
 */
export function environmentBranch(pipeline: Pick<Pipeline, 'name' | 'git'>, env: Pick<PipelineEnvironment, 'name'>): string {
  const resolved = (env as { readonly branch?: unknown }).branch;
  if (typeof resolved === 'string' && resolved !== '') return resolved;
  const pattern = (pipeline.git as { readonly envBranch?: unknown }).envBranch;
  return (typeof pattern === 'string' && pattern !== '' ? pattern : DEFAULT_ENV_BRANCH).replaceAll('{pipeline}', pipeline.name).replaceAll('{env}', env.name);
}
