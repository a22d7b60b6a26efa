// Shapes shared by the rehearsal engine, its step runners and its report.

/**
 * A step's outcome, in Kargo's words (v1.11.2 api/v1alpha1/promotion_types.go PromotionStepStatus). A rehearsal
 * never leaves a step `Running`: waits (pull requests, syncs) are decided at once.
 */
export const StepStatus = {
  Succeeded: 'Succeeded',
  Skipped: 'Skipped',
  Failed: 'Failed',
  Errored: 'Errored',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** The final phase of a promotion (orchestrator.go DetermineFinalPhase). */
export const PromotionPhase = { Succeeded: 'Succeeded', Failed: 'Failed', Errored: 'Errored' } as const;
export type PromotionPhase = (typeof PromotionPhase)[keyof typeof PromotionPhase];

/** A promotion step as a Stage's promotionTemplate declares it. */
export interface PromotionStepSpec {
  readonly uses: string;
  readonly as?: string;
  readonly if?: string;
  readonly continueOnError?: boolean;
  readonly retry?: Readonly<Record<string, unknown>>;
  readonly vars?: readonly { readonly name: string; readonly value?: string }[];
  readonly config?: unknown;
}

/** One step of a rehearsed promotion, once it ran (or was skipped). */
export interface StepRecord {
  /** 0-based position in the Stage's steps. */
  readonly index: number;
  /** `as`, or Kargo's default `step-<n>` (1-based; promotion_types.go GetAlias). */
  readonly alias: string;
  readonly uses: string;
  readonly status: StepStatus;
  /** False for a step kargo-env cannot rehearse (notifications, helm-template, …): reported Skipped, never passed. */
  readonly rehearsed: boolean;
  /** One line for people: what the step did, or why it failed or was skipped. */
  readonly detail: string;
  /** The step's output as later steps read it (`outputs.<alias>`), when it produced one. */
  readonly output?: Readonly<Record<string, unknown>>;
  /** True when `continueOnError` lets a failure of this step pass. */
  readonly continueOnError: boolean;
  /** The config after expression evaluation (absent when evaluation did not get that far). */
  readonly config?: unknown;
}

/** What a step runner returns. */
export interface StepOutcome {
  readonly status: StepStatus;
  readonly detail: string;
  readonly output?: Record<string, unknown>;
  /** Application checks to repeat later (argocd-update's health criteria). */
  readonly health?: readonly HealthCriterion[];
}

/** A Failed (terminal, business-logic) outcome thrown by a runner; anything else thrown is Errored. */
export class StepFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** One Argo CD Application that argocd-update touched, with the revision Kargo would wait for per source. */
export interface HealthCriterion {
  readonly name: string;
  readonly namespace: string;
  /** Per Application source (same order), the desired revision or '' (argocd_revisions.go getDesiredRevisions). */
  readonly desiredRevisions: readonly string[];
  /** Per source, whether argocd-update's `updateTargetRevision` makes the desired revision the target. */
  readonly updateTargetRevision: readonly boolean[];
}

/** The check of one Application source against the rehearsal's repository. */
export interface SourceCheck {
  /** Index in the Application's sources (0 for a single `source`). */
  readonly index: number;
  readonly repoURL: string;
  readonly targetRevision: string;
  /** `checked`, `failed`, or `not-checked` (a source served by another repository or a Helm registry). */
  readonly status: 'checked' | 'failed' | 'not-checked';
  /** The commit targetRevision resolves to now. */
  readonly resolved?: string;
  readonly desiredRevision?: string;
  readonly detail: string;
}

/** The check of one Application: would Argo CD sync what Kargo waits for, from paths that exist? */
export interface ApplicationCheck {
  readonly name: string;
  readonly namespace: string;
  readonly ok: boolean;
  readonly sources: readonly SourceCheck[];
  /** The first problem, when not ok. */
  readonly reason?: string;
}

/** A branch a promotion wrote, with the files that changed on it. */
export interface BranchWrite {
  readonly branch: string;
  /** Head before this promotion first wrote it; undefined when the promotion created it. */
  readonly before?: string;
  readonly after: string;
  /** `git diff --name-status before..after` (against the empty tree for a new branch). */
  readonly files: readonly { readonly status: string; readonly path: string }[];
  /** A `kargo/promotion/…` branch git-push generated for a pull request (never pushed back by --push). */
  readonly scratch: boolean;
}
