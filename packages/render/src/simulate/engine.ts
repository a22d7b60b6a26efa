// Offline dry run of a pipeline: registry pushes → Freight → promotions, event by event on a simulated clock.
// Kargo's rules as modelled here (see the README): the Warehouse makes Freight from its newest qualifying tag,
// one Freight per repository + tag + digest; auto Stages take the newest available Freight; soak needs
// continuous presence upstream; approval bypasses soak and availability; deployment windows hold the Argo CD
// sync, not the commit. Environments start at the tag their values file holds, else at the initialTag.
import {
  Severity,
  TagRejection,
  compileTagRules,
  parseDuration,
  selectNewestTag,
  tagAccepted,
  type CompiledTagRules,
  type Issue,
  type Pipeline,
  type PipelineConfig,
  type PipelineEnvironment,
  type Result,
} from '@kargo/model';
import { compareStrings } from '../emit.ts';
import { environmentOrder } from '../graph/model.ts';
import {
  SimulationInputSchema,
  inputIssues,
  type ParsedSimulationInput,
  type SimulationApproval,
  type SimulationInput,
  type SimulationPush,
  type SimulationStartTag,
} from './input.ts';
import { blockingWindows, nextSyncTime } from './windows.ts';

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

/** What the promotion writes: the values file (git, pull-request) or the Application's Helm parameter (argocd). */
export interface SimulatedChange {
  readonly file?: string;
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
  /** When the environment runs the tag (the Argo CD sync), in minutes after the start. */
  readonly atMinutes: number;
  /** When Kargo committed the change (or opened the pull request, merged at once here). */
  readonly promotedAtMinutes: number;
  /** `atMinutes - promotedAtMinutes`: how long deployment windows held the sync. */
  readonly delayMinutes: number;
  /** The windows that held it (active deny windows, or the allow windows none of which was open). */
  readonly delayedBy: readonly string[];
  readonly trigger: PromotionTrigger;
  readonly mode: PipelineEnvironment['promotion']['mode'];
  readonly change: SimulatedChange;
}

/** A promotion committed (or queued) before the end whose sync had not happened by then. */
export interface PendingPromotion {
  readonly pipeline: string;
  readonly stage: string;
  readonly tag: string;
  readonly freight: string;
  readonly trigger: PromotionTrigger;
  readonly requestedAtMinutes: number;
  /** Absent while it waits behind another promotion of the same environment. */
  readonly promotedAtMinutes?: number;
  /** When the sync will happen, if a window opens within the simulated year. */
  readonly syncAtMinutes?: number;
  readonly delayedBy: readonly string[];
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
  readonly application: string;
  /** The tag the environment runs at minute 0. */
  readonly initialTag: string;
  /** Where `initialTag` comes from: the environment's values file, or the config's `image.initialTag`. */
  readonly initialTagSource: InitialTagSource;
  /** Where it was read, or why the values file gave none; absent when no values file was looked at. */
  readonly initialTagNote?: string;
  readonly finalTag: string;
}

export const InitialTagSource = { ValuesFile: 'values-file', Config: 'config' } as const;
export type InitialTagSource = (typeof InitialTagSource)[keyof typeof InitialTagSource];

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
  readonly rejected: readonly SimulatedRejection[];
  readonly approvals: readonly SimulatedApproval[];
  readonly pending: readonly PendingPromotion[];
  /** Things a reader should know (Kargo limitations hit, inputs after the end). */
  readonly notes: readonly string[];
}

/** How far past the last input a window may still open a sync; beyond, a promotion counts as pending. */
const HORIZON_SECONDS = 400 * 24 * 3600;
/** Guard against a modelling bug looping forever; real runs settle in a few passes per event. */
const MAX_STEPS = 200_000;

interface Freight {
  readonly id: string;
  readonly order: number;
  readonly tag: string;
  /** The digest the push gave; the identity uses an internal stand-in when it gave none. */
  readonly digest: string | undefined;
  readonly createdAt: number;
}

/** What a tag points to in the simulated registry. */
interface RegistryTag {
  /** The digest, given or a stand-in (`#1`, `#2`, …, which no given digest can equal). */
  readonly digest: string;
  /** Whether the push gave the digest (only given digests are shown). */
  readonly given: boolean;
}

interface Occupancy {
  readonly freight: Freight;
  readonly from: number;
  to: number | undefined;
}

interface Promo {
  readonly seq: number;
  readonly freight: Freight;
  readonly trigger: PromotionTrigger;
  readonly requestedAt: number;
  startedAt?: number;
  /** `null`: no window opens within the horizon. */
  syncAt?: number | null;
  fromTag?: string;
  delayedBy: readonly string[];
}

interface StageState {
  readonly env: PipelineEnvironment;
  /** The tag at minute 0 and where it comes from. */
  readonly start: { readonly tag: string; readonly source: InitialTagSource; readonly note?: string };
  readonly soak: number;
  readonly upstreams: readonly StageState[];
  currentTag: string;
  /** The tag in the values file: the last promotion started. */
  committedTag: string;
  /** The newest Freight asked for (queued, running or landed): auto-promotion only moves past it. */
  lastRequested: Freight | undefined;
  readonly queue: Promo[];
  readonly history: Occupancy[];
  readonly approved: Set<number>;
}

interface PipelineState {
  readonly pipeline: Pipeline;
  readonly rules: CompiledTagRules;
  /** Every accepted tag pushed, and the image it points to now. */
  readonly registry: Map<string, RegistryTag>;
  /** When each digest was first pushed (push sequence): an image's build time, for NewestBuild. */
  readonly builtAt: Map<string, number>;
  /** Freight by {@link freightKey}. */
  readonly byImage: Map<string, Freight>;
  /** Stand-in digests handed out so far. */
  implicitDigests: number;
  readonly freight: Freight[];
  readonly stages: Map<string, StageState>;
  /** Stages in promotion order (upstreams first). */
  readonly order: readonly StageState[];
}

function issue(path: string, message: string, code: string): Issue {
  return { path, message, severity: Severity.Error, code };
}

function minutes(seconds: number): number {
  return seconds / 60;
}

/**
 * Freight identity. Kargo hashes each image of a Freight as `repoURL:tag@digest` (GenerateFreightID and
 * imageHashPart in akuity/kargo v1.11.2 pkg/api/freight.go: "incorporate BOTH tag and digest"), plus the
 * origin Warehouse, which is one per pipeline here. So `1.2.0` and `v1.2.0` are different Freight, and so is
 * a tag pushed again with a new digest (found because image subscriptions do not cache by tag by default).
 */
function freightKey(repository: string, tag: string, digest: string): string {
  return `${repository}:${tag}@${digest}`;
}

/** `1.8.4@sha256:3f9a` when the push gave a digest, else the tag. */
function imageLabel(tag: string, digest: string | undefined): string {
  return digest === undefined ? tag : `${tag}@${digest}`;
}

/** Soak of Freight `f` in `u`: the first moment it had been there continuously for `soak` seconds. */
function soakedAt(u: StageState, f: Freight, soak: number): number | undefined {
  let best: number | undefined;
  for (const occ of u.history) {
    if (occ.freight !== f) continue;
    if ((occ.to ?? Infinity) - occ.from >= soak && (best === undefined || occ.from + soak < best)) best = occ.from + soak;
  }
  return best;
}

function available(s: StageState, f: Freight, t: number): boolean {
  if (f.createdAt > t) return false;
  if (s.approved.has(f.order)) return true;
  if (s.upstreams.length === 0) return true;
  const ok = (u: StageState): boolean => {
    const at = soakedAt(u, f, s.soak);
    return at !== undefined && at <= t;
  };
  return s.env.availability === 'All' ? s.upstreams.every(ok) : s.upstreams.some(ok);
}

/** Kargo does not auto-promote a Stage that combines a soak time with availability All (akuity/kargo#4586). */
function soakAllBlocked(s: StageState): boolean {
  return s.soak > 0 && s.env.availability === 'All' && s.upstreams.length > 1;
}

/** Parses input and checks it against the config; every problem at once. */
function prepare(config: PipelineConfig, input: SimulationInput): Result<ParsedSimulationInput> {
  const parsed = SimulationInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: inputIssues(parsed.error), warnings: [] };
  const value = parsed.data;
  const errors: Issue[] = [];
  if (Number.isNaN(Date.parse(value.start))) errors.push(issue('start', `${value.start} is not a valid instant`, 'invalid-start'));
  const pipelines = new Map(config.pipelines.map((p) => [p.name, p]));
  const names = [...pipelines.keys()].sort(compareStrings).join(', ');
  value.pushes.forEach((push, i) => {
    if (push.pipeline !== undefined && !pipelines.has(push.pipeline)) errors.push(issue(`pushes[${i}].pipeline`, `unknown pipeline "${push.pipeline}"; pipelines are: ${names}`, 'unknown-pipeline'));
  });
  value.startTags.forEach((st, i) => {
    const p = pipelines.get(st.pipeline);
    if (p === undefined) errors.push(issue(`startTags[${i}].pipeline`, `unknown pipeline "${st.pipeline}"; pipelines are: ${names}`, 'unknown-pipeline'));
    else if (!p.environments.some((e) => e.name === st.stage)) {
      errors.push(issue(`startTags[${i}].stage`, `pipeline "${p.name}" has no environment "${st.stage}"; it has: ${p.environments.map((e) => e.name).join(', ')}`, 'unknown-stage'));
    }
  });
  value.approvals.forEach((a, i) => {
    if (a.pipeline !== undefined) {
      const p = pipelines.get(a.pipeline);
      if (p === undefined) errors.push(issue(`approvals[${i}].pipeline`, `unknown pipeline "${a.pipeline}"; pipelines are: ${names}`, 'unknown-pipeline'));
      else if (!p.environments.some((e) => e.name === a.stage)) {
        errors.push(issue(`approvals[${i}].stage`, `pipeline "${p.name}" has no environment "${a.stage}"; it has: ${p.environments.map((e) => e.name).join(', ')}`, 'unknown-stage'));
      }
      return;
    }
    const owners = config.pipelines.filter((p) => p.environments.some((e) => e.name === a.stage));
    if (owners.length === 0) {
      const all = [...new Set(config.pipelines.flatMap((p) => p.environments.map((e) => e.name)))].join(', ');
      errors.push(issue(`approvals[${i}].stage`, `unknown environment "${a.stage}"; environments are: ${all}`, 'unknown-stage'));
    } else if (owners.length > 1) {
      errors.push(issue(`approvals[${i}].stage`, `environment "${a.stage}" exists in pipelines ${owners.map((p) => p.name).join(', ')}; write PIPELINE/${a.stage}`, 'ambiguous-stage'));
    }
  });
  return errors.length > 0 ? { ok: false, errors, warnings: [] } : { ok: true, value, warnings: [] };
}

/** Where an environment starts: the values-file tag when there is one, else the config's initialTag. */
function startOf(pipeline: Pipeline, known: SimulationStartTag | undefined): StageState['start'] {
  if (known?.tag !== undefined) return { tag: known.tag, source: InitialTagSource.ValuesFile, note: `image.tag in ${known.file}` };
  const initial = { tag: pipeline.image.initialTag, source: InitialTagSource.Config };
  if (known === undefined) return initial;
  return { ...initial, note: known.exists ? `${known.file} has no image.tag` : `${known.file} not found` };
}

function pipelineState(pipeline: Pipeline, startTags: readonly SimulationStartTag[]): PipelineState | Issue {
  const compiled = compileTagRules({
    strategy: pipeline.image.strategy,
    constraint: pipeline.image.constraint,
    strictSemvers: pipeline.image.strictSemvers ?? true,
    allow: pipeline.image.allowTags ?? [],
    ignore: pipeline.image.ignoreTags ?? [],
  });
  if (!compiled.ok) return issue(`pipelines.${pipeline.name}.image`, `invalid tag rules: ${compiled.errors.map((e) => e.message).join('; ')}`, 'invalid-tag-rules');
  const stages = new Map<string, StageState>();
  const order: StageState[] = [];
  for (const env of environmentOrder(pipeline)) {
    // Upstreams come first in this order, so they are already in the map.
    const upstreams = env.upstreams.flatMap((u) => {
      const s = stages.get(u);
      return s === undefined ? [] : [s];
    });
    const start = startOf(pipeline, startTags.find((t) => t.pipeline === pipeline.name && t.stage === env.name));
    const state: StageState = {
      env,
      start,
      soak: env.promotion.soak === undefined ? 0 : (parseDuration(env.promotion.soak) ?? 0),
      upstreams,
      currentTag: start.tag,
      committedTag: start.tag,
      lastRequested: undefined,
      queue: [],
      history: [],
      approved: new Set(),
    };
    stages.set(env.name, state);
    order.push(state);
  }
  return { pipeline, rules: compiled.value, registry: new Map(), builtAt: new Map(), byImage: new Map(), implicitDigests: 0, freight: [], stages, order };
}

/**
 * Simulates `input` against `config`. Deterministic: the same config and input give the same result; no wall
 * clock is read. Input problems (unknown environments, bad offsets) come back as located issues.
 */
export function simulatePipeline(config: PipelineConfig, input: SimulationInput): Result<SimulationResult> {
  const prepared = prepare(config, input);
  if (!prepared.ok) return prepared;
  const { pushes, approvals, untilMinutes, start, startTags } = prepared.value;
  const startMs = Date.parse(start);
  const until = untilMinutes === undefined ? undefined : Math.round(untilMinutes * 60);
  const states: PipelineState[] = [];
  for (const p of [...config.pipelines].sort((a, b) => compareStrings(a.name, b.name))) {
    const state = pipelineState(p, startTags);
    if ('pipeline' in state) states.push(state);
    else return { ok: false, errors: [state], warnings: [] };
  }
  const byName = new Map(states.map((s) => [s.pipeline.name, s]));

  // Stable sorts keep the given order for events at the same second.
  const pushEvents = pushes.map((p) => ({ ...p, at: Math.round(p.atMinutes * 60) })).sort((a, b) => a.at - b.at);
  const approvalEvents = approvals.map((a, index) => ({ ...a, index, at: Math.round(a.atMinutes * 60) })).sort((a, b) => a.at - b.at);
  const lastInput = Math.max(0, ...pushEvents.map((p) => p.at), ...approvalEvents.map((a) => a.at));
  const limitMs = startMs + (lastInput + HORIZON_SECONDS) * 1000;

  const freightOut: SimulatedFreight[] = [];
  const rejected: SimulatedRejection[] = [];
  const promotions: (SimulatedPromotion & { seq: number })[] = [];
  const approvalsOut: SimulatedApproval[] = [];
  const notes = new Set<string>();
  let seq = 0;

  const startPromo = (s: StageState, promo: Promo, t: number): void => {
    promo.startedAt = t;
    promo.fromTag = s.committedTag;
    s.committedTag = promo.freight.tag;
    const at = startMs + t * 1000;
    const sync = nextSyncTime(s.env.windows, at, limitMs);
    promo.syncAt = sync === undefined ? null : t + Math.ceil((sync - at) / 1000);
    promo.delayedBy = promo.syncAt === t ? [] : blockingWindows(s.env.windows, at);
  };

  const enqueue = (s: StageState, f: Freight, trigger: PromotionTrigger, t: number): void => {
    const promo: Promo = { seq: seq++, freight: f, trigger, requestedAt: t, delayedBy: [] };
    s.queue.push(promo);
    s.lastRequested = f;
    if (s.queue.length === 1) startPromo(s, promo, t);
  };

  const land = (p: PipelineState, s: StageState, promo: Promo, t: number): void => {
    const open = s.history.at(-1);
    if (open !== undefined && open.to === undefined) open.to = t;
    s.history.push({ freight: promo.freight, from: t, to: undefined });
    s.currentTag = promo.freight.tag;
    const env = s.env;
    const from = promo.fromTag ?? s.start.tag;
    const startedAt = promo.startedAt ?? t;
    const { digest } = promo.freight;
    if (from === promo.freight.tag) {
      notes.add(
        `${p.pipeline.name}/${env.name}: ${promo.freight.id} (${imageLabel(promo.freight.tag, digest)}) keeps image.tag ${from}, so the promotion changes no file and Argo CD has nothing new to sync`,
      );
    }
    promotions.push({
      seq: promo.seq,
      pipeline: p.pipeline.name,
      stage: env.name,
      tag: promo.freight.tag,
      ...(digest === undefined ? {} : { digest }),
      freight: promo.freight.id,
      atMinutes: minutes(t),
      promotedAtMinutes: minutes(startedAt),
      delayMinutes: minutes(t - startedAt),
      delayedBy: promo.delayedBy,
      trigger: promo.trigger,
      mode: env.promotion.mode,
      change: { ...(env.promotion.mode === 'argocd' ? {} : { file: env.valuesPath }), application: env.applicationName, key: 'image.tag', from, to: promo.freight.tag },
    });
    s.queue.shift();
    const next = s.queue[0];
    if (next !== undefined) startPromo(s, next, t);
  };

  const settle = (t: number): void => {
    for (let pass = 0; pass < 10_000; pass++) {
      let changed = false;
      for (const p of states) {
        for (const s of p.order) {
          for (let head = s.queue[0]; head !== undefined && typeof head.syncAt === 'number' && head.syncAt <= t; head = s.queue[0]) {
            land(p, s, head, t);
            changed = true;
          }
          if (!s.env.promotion.auto) continue;
          if (soakAllBlocked(s)) {
            notes.add(`${p.pipeline.name}/${s.env.name}: Kargo does not auto-promote with a soak time and availability All (akuity/kargo#4586); it moves only on --approve`);
            continue;
          }
          let candidate: Freight | undefined;
          for (let i = p.freight.length - 1; i >= 0 && candidate === undefined; i--) {
            const f = p.freight[i];
            if (f !== undefined && available(s, f, t)) candidate = f;
          }
          if (candidate !== undefined && (s.lastRequested === undefined || candidate.order > s.lastRequested.order)) {
            enqueue(s, candidate, PromotionTrigger.Auto, t);
            changed = true;
          }
        }
      }
      if (!changed) return;
    }
    throw new Error('simulation did not settle within 10000 passes at one instant (a bug in the simulator)');
  };

  let pushSeq = 0;
  const push = (event: SimulationPush & { at: number }): void => {
    const targets = event.pipeline === undefined ? states : [byName.get(event.pipeline)].filter((p) => p !== undefined);
    const order = pushSeq++;
    for (const p of targets) {
      const reject = (reason: RejectionReason, message: string): void => {
        rejected.push({ pipeline: p.pipeline.name, tag: event.tag, ...(event.digest === undefined ? {} : { digest: event.digest }), atMinutes: minutes(event.at), reason, message });
      };
      const decision = tagAccepted(p.rules, event.tag);
      if (!decision.accepted) {
        reject(decision.reason, decision.message);
        continue;
      }
      // Without a digest the push is the image the tag already points to, except under a Digest subscription:
      // it follows a mutable tag, so every push moves the tag to a new image.
      const before = p.registry.get(event.tag);
      const image: RegistryTag =
        event.digest !== undefined
          ? { digest: event.digest, given: true }
          : before !== undefined && p.rules.rules.strategy !== 'Digest'
            ? before
            : { digest: `#${++p.implicitDigests}`, given: false };
      p.registry.set(event.tag, image);
      if (!p.builtAt.has(image.digest)) p.builtAt.set(image.digest, order);

      const existing = p.byImage.get(freightKey(p.pipeline.image.repository, event.tag, image.digest));
      if (existing !== undefined) {
        const why = '(Kargo names Freight by repository, tag and digest';
        reject(
          RejectionReason.Duplicate,
          image.given
            ? `${imageLabel(event.tag, image.digest)} already has Freight ${existing.id} ${why})`
            : `tag ${event.tag} still points to the image of Freight ${existing.id} ${why}; give TAG@DIGEST for a rebuilt image)`,
        );
        continue;
      }
      // Oldest build first (ties: tag text), so NewestBuild, which takes the last, breaks ties as Kargo does.
      const tags = [...p.registry].sort(([a, x], [b, y]) => (p.builtAt.get(x.digest) ?? 0) - (p.builtAt.get(y.digest) ?? 0) || compareStrings(a, b)).map(([tag]) => tag);
      const newest = selectNewestTag(p.rules, tags);
      if (newest !== event.tag) {
        reject(RejectionReason.NotNewest, `the Warehouse makes Freight only from its newest tag, which is still ${newest ?? '(none)'}`);
        continue;
      }
      const digest = image.given ? image.digest : undefined;
      const f: Freight = { id: `F${p.freight.length + 1}`, order: p.freight.length, tag: event.tag, digest, createdAt: event.at };
      p.freight.push(f);
      p.byImage.set(freightKey(p.pipeline.image.repository, event.tag, image.digest), f);
      freightOut.push({ pipeline: p.pipeline.name, id: f.id, tag: f.tag, ...(digest === undefined ? {} : { digest }), atMinutes: minutes(f.createdAt) });
    }
  };

  const approve = (event: SimulationApproval & { at: number }): void => {
    const p = event.pipeline === undefined ? states.find((x) => x.stages.has(event.stage)) : byName.get(event.pipeline);
    const s = p?.stages.get(event.stage);
    if (p === undefined || s === undefined) return; // prepare() already refused these
    const t = event.at;
    const base = { pipeline: p.pipeline.name, stage: event.stage, atMinutes: minutes(t), ...(event.tag === undefined ? {} : { requestedTag: event.tag }) };
    let f: Freight | undefined;
    for (let i = p.freight.length - 1; i >= 0 && f === undefined; i--) {
      const c = p.freight[i];
      if (c === undefined || c.createdAt > t) continue;
      if (event.tag !== undefined) {
        if (c.tag === event.tag) f = c;
      } else if (s.upstreams.length === 0 || s.upstreams.some((u) => u.history.some((o) => o.freight === c && o.from <= t))) {
        f = c;
      }
    }
    if (f === undefined) {
      const message =
        event.tag !== undefined
          ? `no Freight for tag ${event.tag} exists at +${minutes(t)}m`
          : s.upstreams.length === 0
            ? 'the Warehouse has no Freight yet'
            : `no Freight has reached ${s.upstreams.map((u) => u.env.name).join(' or ')} yet`;
      approvalsOut.push({ ...base, outcome: ApprovalOutcome.NoFreight, message });
      return;
    }
    s.approved.add(f.order);
    if (s.lastRequested === f) {
      approvalsOut.push({ ...base, tag: f.tag, outcome: ApprovalOutcome.Current, message: `${event.stage} already has or is getting ${f.tag}` });
      return;
    }
    enqueue(s, f, PromotionTrigger.Approval, t);
    approvalsOut.push({ ...base, tag: f.tag, outcome: ApprovalOutcome.Promoted, message: `approved ${f.tag} (${f.id}) for ${event.stage} and promoted it` });
  };

  let t = 0;
  let pi = 0;
  let ai = 0;
  for (let step = 0; ; step++) {
    if (step >= MAX_STEPS) throw new Error(`simulation exceeded ${MAX_STEPS} steps (a bug in the simulator)`);
    for (let e = pushEvents[pi]; e !== undefined && e.at <= t; e = pushEvents[++pi]) push(e);
    settle(t);
    // Settling after each approval lets a later approval at the same minute see what the earlier one landed.
    for (let e = approvalEvents[ai]; e !== undefined && e.at <= t; e = approvalEvents[++ai]) {
      approve(e);
      settle(t);
    }

    const candidates: number[] = [];
    const nextPush = pushEvents[pi];
    if (nextPush !== undefined) candidates.push(nextPush.at);
    const nextApproval = approvalEvents[ai];
    if (nextApproval !== undefined) candidates.push(nextApproval.at);
    for (const p of states) {
      for (const s of p.order) {
        const head = s.queue[0];
        if (head !== undefined && typeof head.syncAt === 'number' && head.syncAt > t) candidates.push(head.syncAt);
        if (s.soak > 0) {
          for (const u of s.upstreams) {
            const open = u.history.at(-1);
            if (open !== undefined && open.to === undefined && open.from + s.soak > t) candidates.push(open.from + s.soak);
          }
        }
      }
    }
    if (candidates.length === 0) break;
    const next = Math.min(...candidates);
    if (until !== undefined && next > until) break;
    t = next;
  }
  // The loop leaves `t` at the last instant it processed.
  const end = until ?? t;
  for (const e of pushEvents.slice(pi)) notes.add(`push ${e.tag} at +${formatMinutes(minutes(e.at))} is after the end (+${formatMinutes(minutes(end))}) and was not simulated`);
  for (const e of approvalEvents.slice(ai)) notes.add(`approval of ${e.stage} at +${formatMinutes(minutes(e.at))} is after the end (+${formatMinutes(minutes(end))}) and was not simulated`);

  const pending: PendingPromotion[] = [];
  const environments: SimulatedEnvironment[] = [];
  for (const p of states) {
    for (const s of p.order) {
      const env = s.env;
      for (const promo of s.queue) {
        pending.push({
          pipeline: p.pipeline.name,
          stage: env.name,
          tag: promo.freight.tag,
          freight: promo.freight.id,
          trigger: promo.trigger,
          requestedAtMinutes: minutes(promo.requestedAt),
          ...(promo.startedAt === undefined ? {} : { promotedAtMinutes: minutes(promo.startedAt) }),
          ...(typeof promo.syncAt === 'number' ? { syncAtMinutes: minutes(promo.syncAt) } : {}),
          delayedBy: promo.delayedBy,
        });
      }
      environments.push({
        pipeline: p.pipeline.name,
        stage: env.name,
        auto: env.promotion.auto,
        mode: env.promotion.mode,
        ...(env.promotion.soak === undefined ? {} : { soak: env.promotion.soak }),
        upstreams: [...env.upstreams].sort(compareStrings),
        availability: env.availability,
        windows: env.windows.map((w) => w.name),
        valuesFile: env.valuesPath,
        application: env.applicationName,
        initialTag: s.start.tag,
        initialTagSource: s.start.source,
        ...(s.start.note === undefined ? {} : { initialTagNote: s.start.note }),
        finalTag: s.currentTag,
      });
    }
  }
  promotions.sort((a, b) => a.atMinutes - b.atMinutes || compareStrings(a.stage, b.stage) || compareStrings(a.pipeline, b.pipeline) || a.seq - b.seq);
  const warehouses = states.map((p) => ({
    pipeline: p.pipeline.name,
    repository: p.pipeline.image.repository,
    rule: p.pipeline.image.constraint === undefined ? p.pipeline.image.strategy : `${p.pipeline.image.strategy} ${p.pipeline.image.constraint}`,
  }));
  return {
    ok: true,
    value: {
      start,
      untilMinutes: minutes(end),
      warehouses,
      environments,
      freight: freightOut,
      promotions: promotions.map(({ seq: _seq, ...rest }) => rest),
      rejected,
      approvals: approvalsOut,
      pending,
      notes: [...notes],
    },
    warnings: [],
  };
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
