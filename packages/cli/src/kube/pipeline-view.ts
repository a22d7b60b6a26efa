// One environment as the cluster sees it: what it runs, its health, its last Promotion, its holds and what
// happens next (and when), from the Stage, the Project's Freight and Kargo 1.11.2's availability rules.
// `status` prints it as a table; `doctor` turns it into checks.
import type { Pipeline, PipelineEnvironment } from '@kargo/model';
import { blockingWindows, nextSyncTime } from '@kargo/render';
import {
  autoPromotionCandidate,
  currentFreightName,
  freightAvailability,
  freightTags,
  humanDuration,
  newestFirst,
  originKey,
  type AutoPromotionHold,
  type Freight,
  type Stage,
  type VerificationInfo,
} from './kargo.ts';

/** Kargo's Stage requeue interval (pkg/controller/stages/regular_stages.go, v1.11.2): 5 minutes. */
const STAGE_REQUEUE_MS = 5 * 60_000;

export interface HoldView {
  readonly origin: string;
  readonly freight: string;
  readonly tags: readonly string[];
  readonly actor: string | undefined;
  readonly promotion: string | undefined;
  readonly since: string | undefined;
  readonly resume: string | undefined;
}

export interface NextView {
  /** `promoting`, `auto` (Kargo will promote on its next pass), `soak`, `verification`, `approval`, `held`, `upstream`, `none`. */
  readonly kind: 'promoting' | 'auto' | 'soak' | 'verification' | 'approval' | 'held' | 'upstream' | 'none';
  readonly text: string;
  /** For `soak`: when the Freight becomes available (ISO). */
  readonly at?: string;
  /** When the environment's deployment windows keep Argo CD from syncing at the moment the step would deploy. */
  readonly window?: { readonly blockedBy: readonly string[]; readonly opensAt: string | undefined };
  readonly tag?: string;
}

export interface StageView {
  readonly pipeline: string;
  readonly env: string;
  readonly project: string;
  readonly exists: boolean;
  readonly freight: string | undefined;
  readonly tags: readonly string[];
  readonly health: string;
  readonly healthIssues: readonly string[];
  readonly autoPromotion: boolean;
  readonly verification: VerificationInfo | undefined;
  readonly lastPromotion: { readonly name: string; readonly phase: string | undefined; readonly message: string | undefined; readonly finishedAt: string | undefined; readonly tags: readonly string[] } | undefined;
  readonly currentPromotion: { readonly name: string; readonly tags: readonly string[] } | undefined;
  readonly holds: readonly HoldView[];
  readonly next: NextView;
}

function holdViews(stage: Stage, freight: readonly Freight[], resume: (tag: string) => string): HoldView[] {
  const holds: Readonly<Record<string, AutoPromotionHold>> = stage.status?.effectiveAutoPromotionHolds ?? {};
  return Object.entries(holds).map(([origin, h]) => {
    const held = freight.find((f) => f.metadata.name === h.freightName);
    const candidate = autoPromotionCandidate(stage, h.origin, freight, Date.now());
    const tag = candidate === undefined ? undefined : freightTags(candidate)[0];
    return {
      origin,
      freight: h.freightName,
      tags: held === undefined ? [] : freightTags(held),
      actor: h.actor,
      promotion: h.promotionName,
      since: h.createdAt,
      resume: tag === undefined ? undefined : resume(tag),
    };
  });
}

export function stageView(pipeline: Pipeline, env: PipelineEnvironment, stage: Stage | undefined, freight: readonly Freight[], now: number, several: boolean): StageView {
  const base = { pipeline: pipeline.name, env: env.name, project: pipeline.project };
  const promoteCmd = (tag: string) => `kargo-env promote --env ${env.name} --tag ${tag}${several ? ` --pipeline ${pipeline.name}` : ''}`;
  if (stage === undefined) {
    return { ...base, exists: false, freight: undefined, tags: [], health: 'Missing', healthIssues: [], autoPromotion: false, verification: undefined, lastPromotion: undefined, currentPromotion: undefined, holds: [], next: { kind: 'none', text: 'the Stage does not exist in the cluster' } };
  }
  const byName = new Map(freight.map((f) => [f.metadata.name as string, f]));
  const currentName = currentFreightName(stage);
  const current = currentName === undefined ? undefined : byName.get(currentName);
  const verification = stage.status?.freightHistory?.[0]?.verificationHistory?.[0];
  const last = stage.status?.lastPromotion;
  const running = stage.status?.currentPromotion;
  const holds = holdViews(stage, freight, promoteCmd);
  const autoPromotion = stage.status?.autoPromotionEnabled === true;
  const view = {
    ...base,
    exists: true,
    freight: currentName,
    tags: current === undefined ? [] : freightTags(current),
    health: stage.status?.health?.status ?? 'Unknown',
    healthIssues: stage.status?.health?.issues ?? [],
    autoPromotion,
    verification,
    lastPromotion: last === undefined ? undefined : { name: last.name, phase: last.status?.phase, message: last.status?.message, finishedAt: last.finishedAt ?? last.status?.finishedAt, tags: freightTags(last.freight) },
    currentPromotion: running === undefined ? undefined : { name: running.name, tags: freightTags(running.freight) },
    holds,
  };
  return { ...view, next: withWindows(nextStep(stage, env, freight, now, view, promoteCmd), env, now) };
}

function nextStep(stage: Stage, env: PipelineEnvironment, freight: readonly Freight[], now: number, view: Omit<StageView, 'next'>, promoteCmd: (tag: string) => string): NextView {
  if (view.currentPromotion !== undefined) return { kind: 'promoting', text: `promoting ${view.currentPromotion.tags.join(', ') || view.currentPromotion.name}`, ...(view.currentPromotion.tags[0] === undefined ? {} : { tag: view.currentPromotion.tags[0] }) };
  if (view.verification !== undefined && (view.verification.phase === undefined || view.verification.phase === 'Pending' || view.verification.phase === 'Running')) {
    return { kind: 'verification', text: `verification ${view.verification.phase ?? 'Pending'}${view.verification.analysisRun === undefined ? '' : ` (AnalysisRun ${view.verification.analysisRun.name})`}` };
  }
  const req = stage.spec.requestedFreight[0];
  if (req === undefined) return { kind: 'none', text: 'the Stage requests no Freight' };
  const origin = req.origin;
  const ofOrigin = freight.filter((f) => f.origin.kind === origin.kind && f.origin.name === origin.name).sort(newestFirst);
  const current = view.freight === undefined ? undefined : ofOrigin.find((f) => f.metadata.name === view.freight);
  // Only Freight newer than what the Stage runs is "next"; older Freight is a rollback.
  const newer = current === undefined ? ofOrigin : ofOrigin.filter((f) => newestFirst(f, current) < 0);
  const candidate = autoPromotionCandidate(stage, origin, freight, now);
  const hold = view.holds.find((h) => h.origin === originKey(origin));
  if (candidate !== undefined && candidate.metadata.name !== view.freight && newer.some((f) => f.metadata.name === candidate.metadata.name)) {
    const tag = freightTags(candidate)[0] ?? candidate.metadata.name ?? '';
    if (hold !== undefined) return { kind: 'held', text: `held on ${hold.tags.join(', ') || hold.freight}${hold.actor === undefined ? '' : ` by ${hold.actor}`}; ${tag} waits — resume: ${promoteCmd(tag)}`, tag };
    if (view.autoPromotion) return { kind: 'auto', text: `auto-promotes ${tag} on Kargo's next pass`, tag };
    return { kind: 'approval', text: `${tag} is ready: ${promoteCmd(tag)}`, tag };
  }
  // Nothing available yet: the newest Freight still on its way, and what it waits for.
  for (const f of newer) {
    const a = freightAvailability(stage, f, now);
    if (a.available) continue;
    const tag = freightTags(f)[0] ?? f.metadata.name ?? '';
    const soaking = a.gaps.filter((g) => g.soaking && g.soakRemainingMs !== undefined).sort((x, y) => (x.soakRemainingMs ?? 0) - (y.soakRemainingMs ?? 0))[0];
    if (soaking !== undefined) {
      const at = new Date(now + (soaking.soakRemainingMs ?? 0)).toISOString();
      const left = soaking.soakRemainingMs ?? 0;
      // Kargo notices a soak's end on the Stage's next reconcile, so auto-promotion follows within one requeue
      // interval of it (the same rule simulate applies: STAGE_REQUEUE_MINUTES in @kargo/render).
      const then = env.promotion.auto ? `auto-promotes in ${humanDuration(left)}–${humanDuration(left + STAGE_REQUEUE_MS)}, on the Stage's next requeue` : 'then needs a promotion';
      return { kind: 'soak', text: `${tag} soaking in ${soaking.stage}: ${humanDuration(left)} left (${then})`, at, tag };
    }
    if (a.gaps.some((g) => !g.verified && f.status?.currentlyIn?.[g.stage] !== undefined)) {
      const where = a.gaps.find((g) => !g.verified && f.status?.currentlyIn?.[g.stage] !== undefined)?.stage ?? '';
      return { kind: 'verification', text: `${tag} is in ${where}, not verified there yet`, tag };
    }
    return { kind: 'upstream', text: `${tag} has not reached ${(req.sources.stages ?? []).join(' or ') || 'an upstream'} yet`, tag };
  }
  return { kind: 'none', text: 'up to date' };
}

/** How far ahead a closed window's opening is looked for (simulate bounds its waits the same way, by retry.timeout). */
const WINDOW_HORIZON_MS = 14 * 24 * 60 * 60_000;

/**
 * A deploy the next step makes waits for the environment's deployment windows (the rule simulate applies: Argo CD
 * keeps a window-blocked sync Running, controller/sync.go, and argocd-update waits for it): when the windows are
 * closed at the moment it would deploy, say which window and when the sync can run.
 */
function withWindows(next: NextView, env: PipelineEnvironment, now: number): NextView {
  if (env.windows.length === 0) return next;
  if (next.kind !== 'promoting' && next.kind !== 'auto' && next.kind !== 'soak' && next.kind !== 'approval') return next;
  const from = next.kind === 'soak' && next.at !== undefined ? Date.parse(next.at) : now;
  const blockedBy = blockingWindows(env.windows, from);
  if (blockedBy.length === 0) return next;
  const opens = nextSyncTime(env.windows, from, from + WINDOW_HORIZON_MS);
  const opensAt = opens === undefined ? undefined : new Date(opens).toISOString();
  const when = opens === undefined ? 'not within 14 days' : `at ${new Date(opens).toISOString().slice(0, 16).replace('T', ' ')} UTC (in ${humanDuration(opens - now)})`;
  return { ...next, text: `${next.text}; deploys when ${blockedBy.join(', ')} lets Argo CD sync, ${when}`, window: { blockedBy, opensAt } };
}
