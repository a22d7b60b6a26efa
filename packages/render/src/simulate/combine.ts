// One result from the two timings: promotions paired by pipeline + stage + Freight (+ occurrence) get the
// earliest and latest time; what happens in only one timing says which; the rest comes from the earliest.
import { compareStrings } from '../emit.ts';
import { STAGE_REQUEUE_MINUTES } from './kargo.ts';
import { Timing, formatMinutes, type SimulatedFailure, type SimulatedPromotion, type SimulationResult, type SimulationStall } from './result.ts';

export type RunPromotion = Omit<SimulatedPromotion, 'latestAtMinutes' | 'onlyIf'> & { readonly seq: number };
export type RunFailure = Omit<SimulatedFailure, 'latestFailedAtMinutes' | 'onlyIf'> & { readonly seq: number };
export type RunStall = Omit<SimulationStall, 'onlyIf'>;

/** One run's result, before pairing. */
export interface RunOutput extends Omit<SimulationResult, 'promotions' | 'failed' | 'stalls'> {
  readonly promotions: readonly RunPromotion[];
  readonly failed: readonly RunFailure[];
  readonly stalls: readonly RunStall[];
}

interface Keyed {
  readonly pipeline: string;
  readonly stage: string;
  readonly freight: string;
  readonly seq: number;
}

/** `pipeline/stage/freight#n`, n counting the promotions of that Freight to that Stage in commit order. */
function byOccurrence<T extends Keyed>(list: readonly T[]): Map<string, T> {
  const counts = new Map<string, number>();
  const out = new Map<string, T>();
  for (const item of [...list].sort((a, b) => a.seq - b.seq)) {
    const base = `${item.pipeline}\u0000${item.stage}\u0000${item.freight}`;
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    out.set(`${base}\u0000${n}`, item);
  }
  return out;
}

/** Pairs the two runs' items; `merge` builds the combined item from the early one, the late one, or both. */
function pair<T extends Keyed, R>(early: readonly T[], late: readonly T[], merge: (a: T | undefined, b: T | undefined) => R): R[] {
  const a = byOccurrence(early);
  const b = byOccurrence(late);
  const out: R[] = [];
  for (const [key, x] of a) out.push(merge(x, b.get(key)));
  for (const [key, y] of b) if (!a.has(key)) out.push(merge(undefined, y));
  return out;
}

function stallKey(s: RunStall): string {
  return `${s.pipeline}\u0000${s.stage}\u0000${s.kind}\u0000${s.freight ?? ''}`;
}

/** The two timings as one result: `early` noticed every wait at once, `late` noticed each as late as Kargo can. */
export function combineRuns(early: RunOutput, late: RunOutput): SimulationResult {
  const promotions = pair(early.promotions, late.promotions, (a, b): SimulatedPromotion & { order: number } => {
    const base = a ?? b;
    if (base === undefined) throw new Error('unreachable: a pair has at least one side');
    const { seq, ...rest } = base;
    const latest = Math.max(a?.atMinutes ?? -Infinity, b?.atMinutes ?? -Infinity);
    const onlyIf = a === undefined ? Timing.NoticedLate : b === undefined ? Timing.NoticedAtOnce : undefined;
    return { ...rest, latestAtMinutes: latest, ...(onlyIf === undefined ? {} : { onlyIf }), order: a === undefined ? 1e9 + seq : seq };
  });
  promotions.sort((x, y) => x.atMinutes - y.atMinutes || compareStrings(x.stage, y.stage) || compareStrings(x.pipeline, y.pipeline) || x.order - y.order);

  const failed = pair(early.failed, late.failed, (a, b): SimulatedFailure & { order: number } => {
    const base = a ?? b;
    if (base === undefined) throw new Error('unreachable: a pair has at least one side');
    const { seq, ...rest } = base;
    const latest = Math.max(a?.failedAtMinutes ?? -Infinity, b?.failedAtMinutes ?? -Infinity);
    const onlyIf = a === undefined ? Timing.NoticedLate : b === undefined ? Timing.NoticedAtOnce : undefined;
    return { ...rest, latestFailedAtMinutes: latest, ...(onlyIf === undefined ? {} : { onlyIf }), order: a === undefined ? 1e9 + seq : seq };
  });
  failed.sort((x, y) => x.failedAtMinutes - y.failedAtMinutes || compareStrings(x.stage, y.stage) || x.order - y.order);

  const lateStalls = new Map(late.stalls.map((s) => [stallKey(s), s]));
  const earlyKeys = new Set(early.stalls.map(stallKey));
  const stalls: SimulationStall[] = [
    ...early.stalls.map((s) => (lateStalls.has(stallKey(s)) ? s : { ...s, onlyIf: Timing.NoticedAtOnce })),
    ...late.stalls.filter((s) => !earlyKeys.has(stallKey(s))).map((s) => ({ ...s, onlyIf: Timing.NoticedLate })),
  ];

  const notes = new Set([...early.notes, ...late.notes]);
  const late5 = `if the Stages notice soaks ${STAGE_REQUEUE_MINUTES} minutes late (their requeue interval)`;
  early.environments.forEach((env, i) => {
    const other = late.environments[i];
    if (other !== undefined && other.finalTag !== env.finalTag) notes.add(`${env.pipeline}/${env.stage}: ${late5}, it ends at ${other.finalTag}, not ${env.finalTag}`);
  });
  early.approvals.forEach((x, i) => {
    const other = late.approvals[i];
    if (other !== undefined && other.outcome !== x.outcome) notes.add(`${x.pipeline}/${x.stage}: ${late5}, the approval at +${formatMinutes(x.atMinutes)} is ${other.outcome} (${other.message}), not ${x.outcome}`);
  });
  early.pullRequests.forEach((x, i) => {
    const other = late.pullRequests[i];
    if (other !== undefined && other.outcome !== x.outcome) notes.add(`${x.pipeline}/${x.stage}: ${late5}, the ${x.action} at +${formatMinutes(x.atMinutes)} is ${other.outcome} (${other.message}), not ${x.outcome}`);
  });

  return {
    ...early,
    untilMinutes: Math.max(early.untilMinutes, late.untilMinutes),
    promotions: promotions.map(({ order: _order, ...rest }) => rest),
    failed: failed.map(({ order: _order, ...rest }) => rest),
    stalls,
    notes: [...notes],
  };
}
