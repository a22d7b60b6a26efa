// Kargo 1.11.2's rules, applied to the objects read from the cluster: which Freight is available to a Stage and
// why not (`Stage.IsFreightAvailable`, `Freight.HasSoakedIn` in api/v1alpha1/stage_types.go and
// freight_types.go), which Freight auto-promotion would pick (`SelectAutoPromotionCandidates`,
// pkg/api/auto_promotion.go), and the Promotion the API server creates (`NewMinimalPromotion`, pkg/api/promotion.go).
import { resourcePath, type KubeObject } from './client.ts';

export const KARGO_GROUP = 'kargo.akuity.io';
export const KARGO_VERSION = 'v1alpha1';

export const kargoPath = (plural: string, namespace?: string, name?: string): string => resourcePath({ group: KARGO_GROUP, version: KARGO_VERSION, plural, namespace, name });

export interface FreightOrigin {
  readonly kind: string;
  readonly name: string;
}

export interface FreightImage {
  readonly repoURL?: string;
  readonly tag?: string;
  readonly digest?: string;
}

export interface Freight extends KubeObject {
  readonly alias?: string;
  readonly discoveredAt?: string;
  readonly origin: FreightOrigin;
  readonly images?: readonly FreightImage[];
  readonly status?: {
    readonly currentlyIn?: Readonly<Record<string, { readonly since?: string }>>;
    readonly verifiedIn?: Readonly<Record<string, { readonly verifiedAt?: string; readonly longestSoak?: string }>>;
    readonly approvedFor?: Readonly<Record<string, { readonly approvedAt?: string }>>;
  };
}

export interface FreightRequest {
  readonly origin: FreightOrigin;
  readonly sources: {
    readonly direct?: boolean;
    readonly stages?: readonly string[];
    readonly requiredSoakTime?: string;
    readonly availabilityStrategy?: string;
    readonly autoPromotionOptions?: { readonly selectionPolicy?: string };
  };
}

export interface FreightReference {
  readonly name?: string;
  readonly origin?: FreightOrigin;
  readonly images?: readonly FreightImage[];
}

export interface VerificationInfo {
  readonly id?: string;
  readonly actor?: string;
  readonly startTime?: string;
  readonly phase?: string;
  readonly message?: string;
  readonly analysisRun?: { readonly name: string; readonly namespace: string; readonly phase?: string };
  readonly finishTime?: string;
}

export interface FreightCollection {
  readonly id: string;
  readonly items?: Readonly<Record<string, FreightReference>>;
  readonly verificationHistory?: readonly VerificationInfo[];
}

export interface PromotionReference {
  readonly name: string;
  readonly freight?: FreightReference;
  readonly status?: PromotionStatus;
  readonly finishedAt?: string;
}

export interface AutoPromotionHold {
  readonly freightName: string;
  readonly origin: FreightOrigin;
  readonly promotionName?: string;
  readonly actor?: string;
  readonly createdAt?: string;
}

export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

export interface Stage extends KubeObject {
  readonly spec: {
    readonly requestedFreight: readonly FreightRequest[];
    readonly promotionTemplate?: { readonly spec: { readonly steps?: readonly { readonly uses?: string; readonly as?: string; readonly task?: unknown }[] } };
    readonly verification?: unknown;
  };
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly freightHistory?: readonly FreightCollection[];
    readonly freightSummary?: string;
    readonly health?: { readonly status?: string; readonly issues?: readonly string[] };
    readonly currentPromotion?: PromotionReference;
    readonly lastPromotion?: PromotionReference;
    readonly autoPromotionEnabled?: boolean;
    readonly autoPromotionHolds?: Readonly<Record<string, AutoPromotionHold>>;
    readonly effectiveAutoPromotionHolds?: Readonly<Record<string, AutoPromotionHold>>;
  };
}

export interface StepExecutionMetadata {
  readonly alias?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly errorCount?: number;
  readonly status?: string;
  readonly message?: string;
  readonly continueOnError?: boolean;
}

export interface PromotionStatus {
  readonly phase?: string;
  readonly message?: string;
  readonly freight?: FreightReference;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly currentStep?: number;
  readonly stepExecutionMetadata?: readonly StepExecutionMetadata[];
  readonly state?: Readonly<Record<string, unknown>>;
}

export interface Promotion extends KubeObject {
  readonly spec: { readonly stage: string; readonly freight?: string; readonly steps?: readonly { readonly uses?: string; readonly as?: string }[] };
  readonly status?: PromotionStatus;
}

/** Promotion phases that end it (`PromotionPhase.IsTerminal`, api/v1alpha1/promotion_types.go). */
export const TERMINAL_PROMOTION_PHASES = ['Succeeded', 'Failed', 'Errored', 'Aborted'] as const;
export const isTerminalPhase = (phase: string | undefined): boolean => phase !== undefined && (TERMINAL_PROMOTION_PHASES as readonly string[]).includes(phase);

/** `Kind/name`, the key Kargo uses for origins in annotations and status maps (`FreightOrigin.String`). */
export const originKey = (origin: FreightOrigin): string => `${origin.kind}/${origin.name}`;

const UNIT_NANOS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go `time.Duration` string (`metav1.Duration`: `30m`, `1h2m3.5s`, `250ms`) in milliseconds; undefined if malformed. */
export function goDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === '0') return 0;
  if (!/^([0-9]+(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$/.test(text)) return undefined;
  let nanos = 0;
  for (const match of text.matchAll(/([0-9]+(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/g)) nanos += Number(match[1]) * (UNIT_NANOS[match[2] as string] as number);
  return nanos / 1e6;
}

/** `12m`, `1h5m`, `45s`: for messages. */
export function humanDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return `${total}s`;
  const minutes = Math.round(total / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return `${d > 0 ? `${d}d` : ''}${h > 0 ? `${h}h` : ''}${m > 0 || (d === 0 && h === 0) ? `${m}m` : ''}`;
}

const time = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

/** `Freight.GetLongestSoak`: the longest completed soak, or the current one if longer; 0 when not verified there. */
export function longestSoakMs(freight: Freight, stage: string, now: number): number {
  const verified = freight.status?.verifiedIn?.[stage];
  if (verified === undefined) return 0;
  const completed = goDurationMs(verified.longestSoak) ?? 0;
  const since = time(freight.status?.currentlyIn?.[stage]?.since);
  const current = since === undefined ? 0 : now - since;
  return Math.max(completed, current);
}

/** Why one upstream does not (yet) make the Freight available. */
export interface UpstreamGap {
  readonly stage: string;
  readonly verified: boolean;
  /** Soak still needed (ms) when verified there but not soaked long enough. */
  readonly soakRemainingMs?: number;
  /** Whether the Freight is still in that upstream (so the soak is still counting). */
  readonly soaking: boolean;
}

export type Availability =
  | { readonly available: true; readonly via: 'approved' | 'direct' | 'upstream'; readonly upstreams: readonly string[] }
  | { readonly available: false; readonly reason: string; readonly gaps: readonly UpstreamGap[]; readonly strategy: 'All' | 'OneOf' | undefined; readonly soakMs?: number };

/**
 * `Stage.IsFreightAvailable` with the reason when it is not: the Freight must come from an origin the Stage
 * requests, and be approved for the Stage, or requested directly, or verified (and soaked) in one upstream
 * Stage (`OneOf`, the default) or in all of them (`All`).
 */
export function freightAvailability(stage: Stage, freight: Freight, now: number): Availability {
  if (stage.metadata.namespace !== freight.metadata.namespace) return { available: false, reason: 'the Freight is in another Project', gaps: [], strategy: undefined };
  const requests = stage.spec.requestedFreight.filter((r) => r.origin.kind === freight.origin.kind && r.origin.name === freight.origin.name);
  if (requests.length === 0) {
    const wanted = stage.spec.requestedFreight.map((r) => originKey(r.origin)).join(', ');
    return { available: false, reason: `Stage ${stage.metadata.name} requests Freight from ${wanted}, not from ${originKey(freight.origin)}`, gaps: [], strategy: undefined };
  }
  let last: Availability | undefined;
  for (const req of requests) {
    if (freight.status?.approvedFor?.[stage.metadata.name ?? ''] !== undefined) return { available: true, via: 'approved', upstreams: [] };
    if (req.sources.direct === true) return { available: true, via: 'direct', upstreams: [] };
    const soakMs = goDurationMs(req.sources.requiredSoakTime);
    const gaps: UpstreamGap[] = [];
    const met: string[] = [];
    for (const upstream of req.sources.stages ?? []) {
      const verified = freight.status?.verifiedIn?.[upstream] !== undefined;
      const soaked = verified ? longestSoakMs(freight, upstream, now) : 0;
      const soaking = freight.status?.currentlyIn?.[upstream] !== undefined;
      if (verified && (soakMs === undefined || soaked >= soakMs)) met.push(upstream);
      else gaps.push({ stage: upstream, verified, soaking, ...(verified && soakMs !== undefined ? { soakRemainingMs: soakMs - soaked } : {}) });
    }
    const all = req.sources.availabilityStrategy === 'All';
    if (all ? gaps.length === 0 : met.length > 0) return { available: true, via: 'upstream', upstreams: met };
    last = { available: false, reason: describeGaps(gaps, all, soakMs), gaps, strategy: all ? 'All' : 'OneOf', ...(soakMs === undefined ? {} : { soakMs }) };
  }
  return last as Availability;
}

function describeGaps(gaps: readonly UpstreamGap[], all: boolean, soakMs: number | undefined): string {
  const parts = gaps.map((g) => {
    if (!g.verified) return `not verified in ${g.stage}`;
    const left = humanDuration(g.soakRemainingMs ?? 0);
    return g.soaking ? `soaking in ${g.stage}: ${left} of ${humanDuration(soakMs ?? 0)} left` : `left ${g.stage} before soaking ${humanDuration(soakMs ?? 0)} (${left} short); it can no longer qualify there`;
  });
  if (parts.length === 0) return 'the Stage names no upstream Stage and does not take Freight directly';
  return all ? `needs every upstream: ${parts.join('; ')}` : parts.length === 1 ? (parts[0] as string) : `no upstream qualifies: ${parts.join('; ')}`;
}

/** When the Freight is Freight of this origin's newest tag first: `EffectiveDiscoveredAt`, then name (descending). */
export function newestFirst(a: Freight, b: Freight): number {
  const ta = time(a.discoveredAt) ?? time(a.metadata.creationTimestamp) ?? 0;
  const tb = time(b.discoveredAt) ?? time(b.metadata.creationTimestamp) ?? 0;
  if (ta !== tb) return tb - ta;
  return (b.metadata.name ?? '') < (a.metadata.name ?? '') ? -1 : (b.metadata.name ?? '') > (a.metadata.name ?? '') ? 1 : 0;
}

/**
 * `SelectAutoPromotionCandidates` for one origin: the newest available Freight (NewestFreight), or the one
 * Freight currently in the single upstream (MatchUpstream; none while two are).
 */
export function autoPromotionCandidate(stage: Stage, origin: FreightOrigin, freight: readonly Freight[], now: number): Freight | undefined {
  const req = stage.spec.requestedFreight.find((r) => r.origin.kind === origin.kind && r.origin.name === origin.name);
  if (req === undefined) return undefined;
  let available = freight.filter((f) => f.origin.kind === origin.kind && f.origin.name === origin.name && freightAvailability(stage, f, now).available);
  if (req.sources.autoPromotionOptions?.selectionPolicy === 'MatchUpstream' && req.sources.direct !== true) {
    const upstream = req.sources.stages?.[0];
    available = available.filter((f) => upstream !== undefined && (f.status?.currentlyIn?.[upstream] !== undefined || f.status?.approvedFor?.[stage.metadata.name ?? ''] !== undefined));
    if (available.length > 1) return undefined;
  }
  return [...available].sort(newestFirst)[0];
}

/** The Freight the Stage runs now (`FreightHistory.Current()`), for one origin. */
export function currentFreightName(stage: Stage, origin?: FreightOrigin): string | undefined {
  const current = stage.status?.freightHistory?.[0];
  if (current?.items === undefined) return undefined;
  if (origin !== undefined) return current.items[originKey(origin)]?.name;
  return Object.values(current.items)[0]?.name;
}

/**
 * The Freight the Stage ran before the current one: the newest entry of `status.freightHistory` (newest first)
 * that holds different Freight of that origin.
 */
export function previousFreightName(stage: Stage, origin: FreightOrigin): string | undefined {
  const key = originKey(origin);
  const history = stage.status?.freightHistory ?? [];
  const current = history[0]?.items?.[key]?.name;
  for (const entry of history.slice(1)) {
    const name = entry.items?.[key]?.name;
    if (name !== undefined && name !== current) return name;
  }
  return undefined;
}

/** The image tags a Freight carries (of the given repository when named). */
export function freightTags(freight: Freight | FreightReference | undefined, repoURL?: string): string[] {
  return (freight?.images ?? []).filter((i) => repoURL === undefined || i.repoURL === repoURL).flatMap((i) => (i.tag === undefined ? [] : [i.tag]));
}

/** `F3 (1.8.4)`, or the alias when there is no image. */
export function freightLabel(freight: Freight | undefined, name?: string): string {
  if (freight === undefined) return name === undefined ? '-' : name.slice(0, 7);
  const tags = freightTags(freight);
  const id = freight.alias ?? freight.metadata.labels?.['kargo.akuity.io/alias'] ?? (freight.metadata.name ?? '').slice(0, 7);
  return tags.length === 0 ? id : `${tags.join(', ')} (${id})`;
}

/**
 * The Promotion Kargo's API server creates for "promote this Freight to this Stage" (`NewMinimalPromotion`):
 * generateName `promo-`, spec.stage and spec.freight only. Kargo's mutating webhook then names it
 * `<stage>.<ulid>.<freight[:7]>`, copies the Stage's steps and vars, records the actor and stamps the
 * auto-promotion hold or resume annotation.
 */
export function minimalPromotion(stage: Stage, freightName: string): Promotion {
  return {
    apiVersion: `${KARGO_GROUP}/${KARGO_VERSION}`,
    kind: 'Promotion',
    metadata: { namespace: stage.metadata.namespace, generateName: 'promo-' },
    spec: { stage: stage.metadata.name as string, freight: freightName },
  };
}

/** The commit, branch, pull request a finished Promotion's steps reported (`status.state`, keyed by step alias). */
export function promotionOutputs(promotion: Promotion): { commit?: string; branch?: string; pullRequest?: string; commitURL?: string } {
  const out: { commit?: string; branch?: string; pullRequest?: string; commitURL?: string } = {};
  for (const value of Object.values(promotion.status?.state ?? {})) {
    if (typeof value !== 'object' || value === null) continue;
    const v = value as Record<string, unknown>;
    if (typeof v['commit'] === 'string') out.commit = v['commit'];
    if (typeof v['branch'] === 'string') out.branch = v['branch'];
    if (typeof v['commitURL'] === 'string') out.commitURL = v['commitURL'];
    const pr = v['pr'];
    if (typeof pr === 'object' && pr !== null && typeof (pr as Record<string, unknown>)['url'] === 'string') out.pullRequest = (pr as Record<string, string>)['url'];
  }
  return out;
}

/** A condition of a Kargo status by type. */
export const condition = (conditions: readonly Condition[] | undefined, type: string): Condition | undefined => conditions?.find((c) => c.type === type);
