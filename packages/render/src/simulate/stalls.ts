// What is left at the end of a run: the promotions still pending (and what each waits for), and the stalls a
// real cluster would sit in until someone acts.
import { PR_POLL_INTERVAL_MINUTES } from './kargo.ts';
import { PendingWait, StallKind, formatMinutes, type PendingPromotion, type SimulationStall } from './result.ts';
import {
  activeHold,
  autoPromotionCandidate,
  freightLabel,
  minutes,
  soakAllBlocked,
  soakedAt,
  type Freight,
  type PipelineState,
  type Promo,
  type StageState,
} from './state.ts';

const at = (seconds: number): string => `+${formatMinutes(minutes(seconds))}`;

/** Where an environment's change sits while its sync waits: its branch, or (argocd mode) its Application. */
export function changeHolder(s: StageState): string {
  return s.env.promotion.mode === 'argocd' ? `the Application ${s.env.applicationName} already has the new Helm parameter` : `${s.branch} already has the commit`;
}

function isOpen(promo: Promo | undefined): boolean {
  return promo?.pr !== undefined && promo.pr.mergedAt === undefined && promo.pr.closedAt === undefined;
}

function waitOf(s: StageState, promo: Promo, end: number): { waitingFor: PendingWait; reason: string } {
  const head = s.queue[0];
  if (promo.startedAt === undefined) {
    return { waitingFor: PendingWait.Queue, reason: `queued behind the promotion of ${head === undefined ? 'another Freight' : freightLabel(head.freight)} (Kargo runs one promotion of a Stage at a time)` };
  }
  if (isOpen(promo)) return { waitingFor: PendingWait.Merge, reason: 'pull request open, waiting for a merge' };
  const pr = promo.pr;
  const closedUnseen = pr?.closedAt !== undefined && (promo.failAt ?? Infinity) > end;
  const mergedUnseen = pr?.mergedAt !== undefined && (promo.updateAt ?? Infinity) > end;
  if (closedUnseen || mergedUnseen) {
    return { waitingFor: PendingWait.PullRequestPoll, reason: `pull request ${closedUnseen ? 'closed' : 'merged'}; git-wait-for-pr notices at its next poll (every ${formatMinutes(PR_POLL_INTERVAL_MINUTES)})` };
  }
  const by = promo.delayedBy.length > 0 ? `sync blocked by ${promo.delayedBy.join(', ')}` : 'sync blocked by a window';
  const until = typeof promo.syncAt === 'number' ? `until ${at(promo.syncAt)}` : 'and no window opens within a year';
  return { waitingFor: PendingWait.SyncWindow, reason: `Running in argocd-update ${until} (${by}); ${changeHolder(s)}` };
}

export function pendingPromotions(states: readonly PipelineState[], end: number): PendingPromotion[] {
  const out: PendingPromotion[] = [];
  for (const p of states) {
    for (const s of p.order) {
      for (const promo of s.queue) {
        out.push({
          pipeline: p.pipeline.name,
          stage: s.env.name,
          tag: promo.freight.tag,
          freight: promo.freight.id,
          trigger: promo.trigger,
          requestedAtMinutes: minutes(promo.requestedAt),
          ...(promo.startedAt === undefined ? {} : { promotedAtMinutes: minutes(promo.startedAt) }),
          ...(promo.pr?.mergedAt === undefined ? {} : { mergedAtMinutes: minutes(promo.pr.mergedAt) }),
          ...(promo.updateAt === undefined ? {} : { argocdUpdateAtMinutes: minutes(promo.updateAt) }),
          ...(typeof promo.syncAt === 'number' ? { syncAtMinutes: minutes(promo.syncAt) } : {}),
          delayedBy: promo.delayedBy,
          ...waitOf(s, promo, end),
        });
      }
    }
  }
  return out;
}

/** The newest Freight soaked in every upstream by `end` that the Stage neither has nor is getting, and since when. */
function heldBackBySoakWithAll(p: PipelineState, s: StageState, end: number): { freight: Freight; since: number } | undefined {
  for (let i = p.freight.length - 1; i >= 0; i--) {
    const f = p.freight[i];
    if (f === undefined || f === s.current || s.queue.some((q) => q.freight === f)) continue;
    const times = s.upstreams.map((u) => soakedAt(u, f, s.soak));
    if (times.every((x) => x !== undefined && x <= end)) return { freight: f, since: Math.max(...(times as number[])) };
  }
  return undefined;
}

/** The stalls still in force at `end` (timeouts are flagged when they happen, by the engine). */
export function endStalls(states: readonly PipelineState[], end: number): SimulationStall[] {
  const out: SimulationStall[] = [];
  for (const p of states) {
    for (const s of p.order) {
      const base = { pipeline: p.pipeline.name, stage: s.env.name };
      const name = s.env.name;
      if (s.env.promotion.auto && soakAllBlocked(s)) {
        const held = heldBackBySoakWithAll(p, s, end);
        if (held !== undefined) {
          out.push({
            ...base,
            kind: StallKind.SoakWithAll,
            sinceMinutes: minutes(held.since),
            freight: held.freight.id,
            reason: `${freightLabel(held.freight)} has soaked in ${s.upstreams.map((u) => u.env.name).join(' and ')}, but Kargo does not auto-promote a soak time with availability All (akuity/kargo#4586); ${name} moves only on --approve`,
          });
        }
      }
      const hold = activeHold(s);
      if (s.env.promotion.auto && hold !== undefined) {
        const candidate = autoPromotionCandidate(p.freight, s, end);
        const newer = candidate !== undefined && candidate !== hold.freight ? `; ${freightLabel(candidate)} is available and will not be promoted automatically` : '';
        out.push({
          ...base,
          kind: StallKind.AutoPromotionHold,
          sinceMinutes: minutes(hold.since),
          freight: hold.freight.id,
          reason: `auto-promotion held since the manual promotion of ${freightLabel(hold.freight)}, which was not the newest available Freight (AutoPromotionHolds, Kargo 1.11)${newer}; a manual promotion of the newest Freight (--approve ${name}) resumes it`,
        });
      }
      const head = s.queue[0];
      if (head !== undefined && isOpen(head) && head.pr !== undefined) {
        const behind = s.queue.length - 1;
        out.push({
          ...base,
          kind: StallKind.PullRequestOpen,
          sinceMinutes: minutes(head.pr.openedAt),
          freight: head.freight.id,
          reason: `the pull request for ${freightLabel(head.freight)} is open, waiting for a merge (git-wait-for-pr has no timeout)${behind > 0 ? `; ${behind} later promotion${behind === 1 ? '' : 's'} of ${name} queue${behind === 1 ? 's' : ''} behind it` : ''}`,
        });
      }
      if (head !== undefined && head.syncAt === null && head.failAt === undefined && head.updateAt !== undefined) {
        out.push({
          ...base,
          kind: StallKind.SyncWindowNeverOpens,
          sinceMinutes: minutes(head.updateAt),
          freight: head.freight.id,
          reason: `argocd-update stays Running for ${freightLabel(head.freight)}: no window lets the sync through within a year (${head.delayedBy.join(', ')})`,
        });
      }
      const candidate = s.env.promotion.auto ? autoPromotionCandidate(p.freight, s, end) : undefined;
      const last = candidate === undefined ? undefined : s.lastTerminal.get(candidate.order);
      if (candidate !== undefined && last !== undefined && !last.ok && candidate !== s.current && !s.queue.some((q) => q.freight === candidate)) {
        out.push({
          ...base,
          kind: StallKind.FailedNotRetried,
          sinceMinutes: minutes(last.at),
          freight: candidate.id,
          reason: `the promotion of ${freightLabel(candidate)} failed at ${at(last.at)} and Kargo never retries a failed auto-promotion of the same Freight (autoPromoteFreight, regular_stages.go); only newer Freight or --approve ${name} moves it`,
        });
      }
    }
  }
  return out;
}
