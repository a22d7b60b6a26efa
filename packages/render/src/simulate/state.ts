// The simulator's internal state of one run, and the Kargo rules that read it: availability (with soak),
// the auto-promotion candidate and auto-promotion holds.
import type { CompiledTagRules, Pipeline, PipelineEnvironment } from '@kargo/model';
import type { FailureReason, InitialTagSource, PromotionTrigger } from './result.ts';

export interface Freight {
  readonly id: string;
  readonly order: number;
  readonly tag: string;
  /** The digest the push gave; the identity uses an internal stand-in when it gave none. */
  readonly digest: string | undefined;
  readonly createdAt: number;
}

/** What a tag points to in the simulated registry. */
export interface RegistryTag {
  /** The digest, given or a stand-in (`#1`, `#2`, …, which no given digest can equal). */
  readonly digest: string;
  /** Whether the push gave the digest (only given digests are shown). */
  readonly given: boolean;
}

/** A stay of Freight in a Stage: from its sync until the next one. */
export interface Occupancy {
  readonly freight: Freight;
  readonly from: number;
  to: number | undefined;
}

export interface PullRequest {
  readonly openedAt: number;
  mergedAt?: number;
  closedAt?: number;
}

/** One Promotion, all times in seconds after the start. */
export interface Promo {
  readonly seq: number;
  readonly freight: Freight;
  readonly trigger: PromotionTrigger;
  readonly requestedAt: number;
  /** When it started Running (Kargo runs one Promotion of a Stage at a time; the rest stay Pending). */
  startedAt?: number;
  fromTag?: string;
  /** pull-request mode, when the tag changes: the pull request git-open-pr opened. */
  pr?: PullRequest;
  /** When argocd-update started. */
  updateAt?: number;
  /** When a window lets the sync through; `null`: none opens within the horizon. */
  syncAt?: number | null;
  /** When the promotion fails, if it does, and why. */
  failAt?: number;
  failure?: { readonly reason: FailureReason; readonly message: string };
  delayedBy: readonly string[];
}

/** An auto-promotion hold (Kargo 1.11 AutoPromotionHolds). */
export interface Hold {
  readonly freight: Freight;
  readonly since: number;
  releasedAt?: number;
  releasedBy?: Freight;
}

/** The newest terminal Promotion of a Stage for one Freight (what autoPromoteFreight looks at). */
export interface Terminal {
  readonly ok: boolean;
  readonly at: number;
}

export interface StageState {
  readonly env: PipelineEnvironment;
  /** The tag at minute 0 and where it comes from. */
  readonly start: { readonly tag: string; readonly source: InitialTagSource; readonly note?: string };
  /** Seconds. */
  readonly soak: number;
  /** The environment's Git branch. */
  readonly branch: string;
  /** argocd-update's timeout in seconds, when the input gave one. */
  readonly timeout: number | undefined;
  readonly upstreams: readonly StageState[];
  readonly downstreams: StageState[];
  /** The tag Argo CD runs (what Kargo recorded last). */
  currentTag: string;
  /** The tag on the environment's branch (or in the Application, argocd mode). */
  committedTag: string;
  /** The Stage's current Freight (FreightHistory.Current()): the last promotion that succeeded. */
  current: Freight | undefined;
  /** Promotions not yet terminal: the head is Running, the rest Pending. */
  readonly queue: Promo[];
  readonly history: Occupancy[];
  /** Freight approved for the Stage (by order). */
  readonly approved: Set<number>;
  readonly lastTerminal: Map<number, Terminal>;
  readonly holds: Hold[];
  /** The last time something woke the Stage's reconciler (an event, not the periodic requeue). */
  lastWake: number;
}

export interface PipelineState {
  readonly pipeline: Pipeline;
  readonly rules: CompiledTagRules;
  /** Every accepted tag pushed, and the image it points to now. */
  readonly registry: Map<string, RegistryTag>;
  /** When each digest was first pushed (push sequence): an image's build time, for NewestBuild. */
  readonly builtAt: Map<string, number>;
  /** Freight by repository + tag + digest. */
  readonly byImage: Map<string, Freight>;
  /** Stand-in digests handed out so far. */
  implicitDigests: number;
  readonly freight: Freight[];
  readonly stages: Map<string, StageState>;
  /** Stages in promotion order (upstreams first). */
  readonly order: readonly StageState[];
}

/** Soak of Freight `f` in `u`: the first moment it had been there continuously for `soak` seconds (Freight.GetLongestSoak). */
export function soakedAt(u: StageState, f: Freight, soak: number): number | undefined {
  let best: number | undefined;
  for (const occ of u.history) {
    if (occ.freight !== f) continue;
    if ((occ.to ?? Infinity) - occ.from >= soak && (best === undefined || occ.from + soak < best)) best = occ.from + soak;
  }
  return best;
}

/**
 * Is `f` available to `s` at `t` (ListFreightAvailableToStage in akuity/kargo v1.11.2 pkg/api/stage.go: from the
 * Warehouse directly, verified upstream per the availability strategy with the soak elapsed, or approved)?
 * With `noticeLag` > 0 a soak counts only once the Stage has reconciled since it completed: an event woke it,
 * or the periodic requeue `noticeLag` seconds later did.
 */
export function available(s: StageState, f: Freight, t: number, noticeLag = 0): boolean {
  if (f.createdAt > t) return false;
  if (s.approved.has(f.order)) return true;
  if (s.upstreams.length === 0) return true;
  const ok = (u: StageState): boolean => {
    const at = soakedAt(u, f, s.soak);
    if (at === undefined || at > t) return false;
    return noticeLag === 0 || s.soak === 0 || at + noticeLag <= t || s.lastWake > at;
  };
  return s.env.availability === 'All' ? s.upstreams.every(ok) : s.upstreams.some(ok);
}

/**
 * The auto-promotion candidate: the newest available Freight (SelectAutoPromotionCandidates in akuity/kargo
 * v1.11.2 pkg/api/auto_promotion.go sorts by discovery time, newest first; Freight order here).
 */
export function autoPromotionCandidate(freight: readonly Freight[], s: StageState, t: number, noticeLag = 0): Freight | undefined {
  for (let i = freight.length - 1; i >= 0; i--) {
    const f = freight[i];
    if (f !== undefined && available(s, f, t, noticeLag)) return f;
  }
  return undefined;
}

export function activeHold(s: StageState): Hold | undefined {
  return s.holds.find((h) => h.releasedAt === undefined);
}

/** Kargo does not auto-promote a Stage that combines a soak time with availability All (akuity/kargo#4586). */
export function soakAllBlocked(s: StageState): boolean {
  return s.soak > 0 && s.env.availability === 'All' && s.upstreams.length > 1;
}

export function minutes(seconds: number): number {
  return seconds / 60;
}

/** `1.8.4@sha256:3f9a` when the push gave a digest, else the tag. */
export function imageLabel(tag: string, digest: string | undefined): string {
  return digest === undefined ? tag : `${tag}@${digest}`;
}

/** `F2 (1.8.4)`. */
export function freightLabel(f: Freight): string {
  return `${f.id} (${imageLabel(f.tag, f.digest)})`;
}
