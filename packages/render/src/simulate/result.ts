// What a simulation reports: Freight, promotions (with the earliest and latest time each can happen), failures,
// pending work, auto-promotion holds and the stalls a real Kargo 1.11 cluster would hit.
import { TagRejection, type PipelineEnvironment } from '@kargo/model';

/** Why a push made no Freight: the subscription's tag rules, or the Warehouse's newest-tag rule. */
export const RejectionReason = {
  ...TagRejection,
  /** Accepted by the rules but older than a tag already seen: Kargo makes Freight only from the newest. */
  NotNewest: 'not-newest',
  /** This image (repository + tag + digest) already has Freight: Freight names are hashes of exactly that. */
  Duplicate: 'duplicate',
} as const;
export type RejectionReason = (typeof RejectionReason)[keyof typeof RejectionReason];

export const PromotionTrigger = { Auto: 'auto', Approval: 'approval' } as const;
export type PromotionTrigger = (typeof PromotionTrigger)[keyof typeof PromotionTrigger];

export const ApprovalOutcome = {
  /** The Freight was approved and promoted. */
  Promoted: 'promoted',
  /** The Freight was approved but the environment already has (or is getting) it. */
  Current: 'current',
  /** No Freight matched at that time; nothing happened. */
  NoFreight: 'no-freight',
} as const;
export type ApprovalOutcome = (typeof ApprovalOutcome)[keyof typeof ApprovalOutcome];

export const PullRequestAction = { Merge: 'merge', Close: 'close' } as const;
export type PullRequestAction = (typeof PullRequestAction)[keyof typeof PullRequestAction];

export const PullRequestOutcome = {
  Merged: 'merged',
  /** Closed without merging: git-wait-for-pr fails the promotion. */
  Closed: 'closed',
  /** The environment had no open pull request at that time; nothing happened. */
  NoOpenPullRequest: 'no-open-pr',
} as const;
export type PullRequestOutcome = (typeof PullRequestOutcome)[keyof typeof PullRequestOutcome];

/**
 * Which of the two timings a promotion (or failure, or stall) happens in when it does not happen in both. The
 * simulation runs twice: once with every soak noticed the moment it completes, once with each noticed by the
 * Stage's periodic requeue 5 minutes later (and each merge by git-wait-for-pr's next poll).
 */
export const Timing = { NoticedAtOnce: 'noticed-at-once', NoticedLate: 'noticed-late' } as const;
export type Timing = (typeof Timing)[keyof typeof Timing];

export const FailureReason = {
  /** git-wait-for-pr saw the pull request closed without a merge (a terminal step failure). */
  PullRequestClosed: 'pull-request-closed',
  /** argocd-update stayed Running (sync blocked by a window) past the step's timeout. */
  ArgoCDUpdateTimeout: 'argocd-update-timeout',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

export const PendingWait = {
  /** Pending behind another promotion of the same Stage (Kargo runs one at a time). */
  Queue: 'queue',
  /** git-wait-for-pr: the pull request is open. */
  Merge: 'merge',
  /** Merged or closed; git-wait-for-pr has not polled since (at most its poll interval). */
  PullRequestPoll: 'pull-request-poll',
  /** Running in argocd-update: Argo CD reports "Sync operation blocked by sync window". */
  SyncWindow: 'sync-window',
} as const;
export type PendingWait = (typeof PendingWait)[keyof typeof PendingWait];

export const StallKind = {
  /** Soak time with availability All: Kargo never auto-promotes (akuity/kargo#4586). */
  SoakWithAll: 'soak-with-all',
  /** A manual promotion of Freight other than the candidate holds auto-promotion (Kargo 1.11). */
  AutoPromotionHold: 'auto-promotion-hold',
  /** A pull request nobody merged: git-wait-for-pr has no timeout. */
  PullRequestOpen: 'pull-request-open',
  /** The candidate's last promotion failed; auto-promotion never retries it. */
  FailedNotRetried: 'failed-not-retried',
  /** argocd-update would wait for a window longer than its timeout. */
  SyncWindowTimeout: 'sync-window-timeout',
  /** No window opens within the simulated year: argocd-update stays Running. */
  SyncWindowNeverOpens: 'sync-window-never-opens',
} as const;
export type StallKind = (typeof StallKind)[keyof typeof StallKind];

export const InitialTagSource = { ValuesFile: 'values-file', Config: 'config' } as const;
export type InitialTagSource = (typeof InitialTagSource)[keyof typeof InitialTagSource];

export interface SimulatedFreight {
  readonly pipeline: string;
  /** `F1`, `F2`, … in creation order per pipeline. */
  readonly id: string;
  readonly tag: string;
  /** The digest, when the push gave one. */
  readonly digest?: string;
  readonly atMinutes: number;
}

export interface SimulatedRejection {
  readonly pipeline: string;
  readonly tag: string;
  /** The digest, when the push gave one. */
  readonly digest?: string;
  readonly atMinutes: number;
  readonly reason: RejectionReason;
  readonly message: string;
}

/** What the promotion writes: the values file on the environment's branch (git, pull-request) or the Application's Helm parameter (argocd). */
export interface SimulatedChange {
  readonly file?: string;
  /** The environment's Git branch the file is written on (git and pull-request modes). */
  readonly branch?: string;
  readonly application: string;
  readonly key: string;
  readonly from: string;
  readonly to: string;
}

export interface SimulatedPromotion {
  readonly pipeline: string;
  readonly stage: string;
  readonly tag: string;
  /** The Freight's digest, when its push gave one. */
  readonly digest?: string;
  readonly freight: string;
  /** When the environment runs the tag (the Argo CD sync), in minutes after the start: the earliest it can be. */
  readonly atMinutes: number;
  /** The latest it can be: every soak gate on the way noticed a requeue (5 minutes) late. */
  readonly latestAtMinutes: number;
  /** Set when the promotion happens in only one of the two timings. */
  readonly onlyIf?: Timing;
  /** When the promotion started: the commit pushed to the env branch (git), the pull request opened, or the Application updated (argocd). */
  readonly promotedAtMinutes: number;
  /** pull-request mode: when the pull request was merged. */
  readonly mergedAtMinutes?: number;
  /** When argocd-update started (after the push, or once git-wait-for-pr saw the merge). */
  readonly argocdUpdateAtMinutes: number;
  /** `atMinutes - argocdUpdateAtMinutes`: how long argocd-update stayed Running while a window blocked the sync. */
  readonly delayMinutes: number;
  /** The windows that blocked it (active deny windows, or the allow windows none of which was open). */
  readonly delayedBy: readonly string[];
  readonly trigger: PromotionTrigger;
  readonly mode: PipelineEnvironment['promotion']['mode'];
  readonly change: SimulatedChange;
}

/** A promotion that ended Failed or Errored: the environment keeps its Freight, and auto-promotion never retries it. */
export interface SimulatedFailure {
  readonly pipeline: string;
  readonly stage: string;
  readonly tag: string;
  readonly freight: string;
  readonly trigger: PromotionTrigger;
  readonly promotedAtMinutes: number;
  readonly failedAtMinutes: number;
  readonly latestFailedAtMinutes: number;
  readonly onlyIf?: Timing;
  readonly reason: FailureReason;
  readonly message: string;
}

/** A promotion requested before the end that had not finished by then. */
export interface PendingPromotion {
  readonly pipeline: string;
  readonly stage: string;
  readonly tag: string;
  readonly freight: string;
  readonly trigger: PromotionTrigger;
  readonly requestedAtMinutes: number;
  /** Absent while it waits behind another promotion of the same environment. */
  readonly promotedAtMinutes?: number;
  readonly mergedAtMinutes?: number;
  /** When argocd-update started, once it has. */
  readonly argocdUpdateAtMinutes?: number;
  /** When the sync will happen, if a window opens within the simulated year. */
  readonly syncAtMinutes?: number;
  readonly delayedBy: readonly string[];
  readonly waitingFor: PendingWait;
  /** In words, e.g. "pull request open, waiting for a merge". */
  readonly reason: string;
}

export interface SimulatedApproval {
  readonly pipeline: string;
  readonly stage: string;
  readonly atMinutes: number;
  /** The tag asked for (`ENV=TAG`), if any. */
  readonly requestedTag?: string;
  /** The tag approved. */
  readonly tag?: string;
  readonly outcome: ApprovalOutcome;
  readonly message: string;
}

export interface SimulatedPullRequestAction {
  readonly pipeline: string;
  readonly stage: string;
  readonly atMinutes: number;
  readonly action: PullRequestAction;
  readonly outcome: PullRequestOutcome;
  /** The promotion whose pull request it was. */
  readonly tag?: string;
  readonly freight?: string;
  readonly message: string;
}

/** An auto-promotion hold (Stage status.autoPromotionHolds in Kargo 1.11): auto-promotion stops while it lasts. */
export interface SimulatedHold {
  /** The Freight whose manual promotion set the hold. */
  readonly freight: string;
  readonly tag: string;
  readonly sinceMinutes: number;
  /** When a manual promotion of the candidate (or another hold) ended it; absent: still held at the end. */
  readonly releasedAtMinutes?: number;
  /** The Freight whose manual promotion ended it. */
  readonly releasedBy?: string;
}

/** Something that would stop an environment from moving on a real cluster until a person acts. */
export interface SimulationStall {
  readonly pipeline: string;
  readonly stage: string;
  readonly kind: StallKind;
  readonly sinceMinutes: number;
  /** The Freight concerned, when there is one. */
  readonly freight?: string;
  readonly onlyIf?: Timing;
  readonly reason: string;
}

export interface SimulatedEnvironment {
  readonly pipeline: string;
  readonly stage: string;
  readonly auto: boolean;
  readonly mode: PipelineEnvironment['promotion']['mode'];
  readonly soak?: string;
  /** Empty: Freight comes from the Warehouse. */
  readonly upstreams: readonly string[];
  readonly availability: PipelineEnvironment['availability'];
  readonly windows: readonly string[];
  readonly valuesFile: string;
  /** The environment's Git branch (promotions commit there; its Application tracks it). */
  readonly branch: string;
  readonly application: string;
  /** The argocd-update timeout the simulation applied, if one was given. */
  readonly argocdUpdateTimeoutMinutes?: number;
  /** The tag the environment runs at minute 0. */
  readonly initialTag: string;
  /** Where `initialTag` comes from: the environment's values file, or the config's `image.initialTag`. */
  readonly initialTagSource: InitialTagSource;
  /** Where it was read, or why the values file gave none; absent when no values file was looked at. */
  readonly initialTagNote?: string;
  /** What Kargo records as the Stage's Freight at the end (the earliest timing). */
  readonly finalTag: string;
  /** Auto-promotion holds set during the run, oldest first. */
  readonly holds: readonly SimulatedHold[];
}

export interface SimulatedWarehouse {
  readonly pipeline: string;
  readonly repository: string;
  readonly rule: string;
}

export interface SimulationResult {
  /** The instant of minute 0, as given. */
  readonly start: string;
  /** The last simulated minute. */
  readonly untilMinutes: number;
  readonly warehouses: readonly SimulatedWarehouse[];
  /** Environments in promotion order per pipeline (pipelines sorted by name). */
  readonly environments: readonly SimulatedEnvironment[];
  readonly freight: readonly SimulatedFreight[];
  /** Sorted by `atMinutes`, then stage, then pipeline, then commit order. */
  readonly promotions: readonly SimulatedPromotion[];
  readonly failed: readonly SimulatedFailure[];
  readonly rejected: readonly SimulatedRejection[];
  readonly approvals: readonly SimulatedApproval[];
  readonly pullRequests: readonly SimulatedPullRequestAction[];
  /** What had not finished at the end (the earliest timing). */
  readonly pending: readonly PendingPromotion[];
  /** What would stop an environment on a real cluster until someone acts. */
  readonly stalls: readonly SimulationStall[];
  /** Things a reader should know (Kargo limitations hit, inputs after the end). */
  readonly notes: readonly string[];
}

/** Minutes as a Go-style duration: 90 → `1h30m`, 0 → `0m`, 0.5 → `30s`. */
export function formatMinutes(value: number): string {
  const total = Math.round(value * 60);
  if (total === 0) return '0m';
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${d > 0 ? `${d}d` : ''}${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 ? `${s}s` : ''}`;
}
