// Offline dry run of a pipeline: registry pushes → Freight → promotions, event by event on a simulated clock.
// Kargo v1.11.2's rules as modelled here (see the README): the Warehouse makes Freight from its newest qualifying
// tag, one Freight per repository + tag + digest; auto Stages take the newest available Freight, unless a
// rollback set an auto-promotion hold or that Freight's last promotion failed; soak needs continuous presence
// upstream and is noticed by the Stage's 5-minute requeue (so the run is done twice, noticed at once and noticed
// late); approval bypasses soak and availability; a pull request waits for a merge; deployment windows keep the
// promotion Running in argocd-update until a window opens (the env branch already has the commit). Environments
// start at the tag their values file holds, else at the initialTag.
import { Severity, compileTagRules, parseDuration, selectNewestTag, tagAccepted, type Issue, type Pipeline, type PipelineConfig, type Result } from '@kargo/model';
import { compareStrings } from '../emit.ts';
import { environmentOrder } from '../graph/model.ts';
import { combineRuns, type RunFailure, type RunOutput, type RunPromotion, type RunStall } from './combine.ts';
import type { ParsedSimulationInput, SimulationApproval, SimulationInput, SimulationPullRequestAction, SimulationPush, SimulationStartTag } from './input.ts';
import { ARGOCD_UPDATE_DEFAULT_TIMEOUT_MINUTES, NOTICED_AT_ONCE, NOTICED_LATE, PR_POLL_INTERVAL_MINUTES, environmentBranch, type NoticeLag } from './kargo.ts';
import {
  ApprovalOutcome,
  FailureReason,
  InitialTagSource,
  PromotionTrigger,
  PullRequestAction,
  PullRequestOutcome,
  RejectionReason,
  StallKind,
  formatMinutes,
  type SimulatedApproval,
  type SimulatedEnvironment,
  type SimulatedFreight,
  type SimulatedPullRequestAction,
  type SimulatedRejection,
  type SimulationResult,
} from './result.ts';
import { changeHolder, endStalls, pendingPromotions } from './stalls.ts';
import {
  activeHold,
  autoPromotionCandidate,
  freightLabel,
  imageLabel,
  minutes,
  soakAllBlocked,
  type Freight,
  type PipelineState,
  type Promo,
  type RegistryTag,
  type StageState,
} from './state.ts';
import { prepareInput } from './validate.ts';
import { blockingWindows, nextSyncTime } from './windows.ts';

/** How far past the last input a window may still open a sync; beyond, a promotion counts as pending. */
const HORIZON_SECONDS = 400 * 24 * 3600;
/** Guard against a modelling bug looping forever; real runs settle in a few passes per event. */
const MAX_STEPS = 200_000;

/**
 * Freight identity. Kargo hashes each image of a Freight as `repoURL:tag@digest` (GenerateFreightID and
 * imageHashPart in akuity/kargo v1.11.2 pkg/api/freight.go: "incorporate BOTH tag and digest"), plus the
 * origin Warehouse, which is one per pipeline here. So `1.2.0` and `v1.2.0` are different Freight, and so is
 * a tag pushed again with a new digest (found because image subscriptions do not cache by tag by default).
 */
function freightKey(repository: string, tag: string, digest: string): string {
  return `${repository}:${tag}@${digest}`;
}

const plus = (seconds: number): string => `+${formatMinutes(minutes(seconds))}`;

/** Where an environment starts: the values-file tag when there is one, else the config's initialTag. */
function startOf(pipeline: Pipeline, known: SimulationStartTag | undefined): StageState['start'] {
  const where = known === undefined ? '' : known.ref !== undefined ? `${known.file} on ${known.ref}` : known.fallback !== undefined ? `${known.file} in the rendered folder` : known.file;
  const why = known?.fallback === undefined ? '' : `; ${known.fallback}`;
  if (known?.tag !== undefined) return { tag: known.tag, source: InitialTagSource.ValuesFile, note: `image.tag in ${where}${why}` };
  const initial = { tag: pipeline.image.initialTag, source: InitialTagSource.Config };
  if (known === undefined) return initial;
  return { ...initial, note: `${known.exists ? `${where} has no image.tag` : `${where} not found`}${why}` };
}

function pipelineState(pipeline: Pipeline, input: ParsedSimulationInput): PipelineState | Issue {
  const compiled = compileTagRules({
    strategy: pipeline.image.strategy,
    constraint: pipeline.image.constraint,
    strictSemvers: pipeline.image.strictSemvers ?? true,
    allow: pipeline.image.allowTags ?? [],
    ignore: pipeline.image.ignoreTags ?? [],
  });
  if (!compiled.ok) {
    return { path: `pipelines.${pipeline.name}.image`, message: `invalid tag rules: ${compiled.errors.map((e) => e.message).join('; ')}`, severity: Severity.Error, code: 'invalid-tag-rules' };
  }
  const stages = new Map<string, StageState>();
  const order: StageState[] = [];
  for (const env of environmentOrder(pipeline)) {
    // Upstreams come first in this order, so they are already in the map.
    const upstreams = env.upstreams.flatMap((u) => {
      const s = stages.get(u);
      return s === undefined ? [] : [s];
    });
    const start = startOf(pipeline, input.startTags.find((t) => t.pipeline === pipeline.name && t.stage === env.name));
    const timeout = input.argocdUpdateTimeouts.find((t) => t.stage === env.name && (t.pipeline === undefined || t.pipeline === pipeline.name));
    const state: StageState = {
      env,
      start,
      soak: env.promotion.soak === undefined ? 0 : (parseDuration(env.promotion.soak) ?? 0),
      branch: environmentBranch(pipeline, env),
      timeout: timeout === undefined ? undefined : Math.round(timeout.argocdUpdateTimeoutMinutes * 60),
      upstreams,
      downstreams: [],
      currentTag: start.tag,
      committedTag: start.tag,
      current: undefined,
      queue: [],
      history: [],
      approved: new Set(),
      lastTerminal: new Map(),
      holds: [],
      lastWake: 0,
    };
    for (const u of upstreams) u.downstreams.push(state);
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
  const prepared = prepareInput(config, input);
  if (!prepared.ok) return prepared;
  const early = runOnce(config, prepared.value, NOTICED_AT_ONCE);
  if (!early.ok) return early;
  const late = runOnce(config, prepared.value, NOTICED_LATE);
  if (!late.ok) return late;
  return { ok: true, value: combineRuns(early.value, late.value), warnings: [] };
}

/** One run of the model with the given notice lags. */
function runOnce(config: PipelineConfig, input: ParsedSimulationInput, lag: NoticeLag): Result<RunOutput> {
  const { pushes, approvals, merges, closes, untilMinutes, start } = input;
  const startMs = Date.parse(start);
  const until = untilMinutes === undefined ? undefined : Math.round(untilMinutes * 60);
  const states: PipelineState[] = [];
  for (const p of [...config.pipelines].sort((a, b) => compareStrings(a.name, b.name))) {
    const state = pipelineState(p, input);
    if ('pipeline' in state) states.push(state);
    else return { ok: false, errors: [state], warnings: [] };
  }
  const byName = new Map(states.map((s) => [s.pipeline.name, s]));
  const stageOf = (e: { readonly stage: string; readonly pipeline?: string | undefined }): { p: PipelineState; s: StageState } | undefined => {
    const p = e.pipeline === undefined ? states.find((x) => x.stages.has(e.stage)) : byName.get(e.pipeline);
    const s = p?.stages.get(e.stage);
    return p === undefined || s === undefined ? undefined : { p, s };
  };

  // Stable sorts keep the given order for events at the same second.
  const pushEvents = pushes.map((p) => ({ ...p, at: Math.round(p.atMinutes * 60) })).sort((a, b) => a.at - b.at);
  const approvalEvents = approvals.map((a) => ({ ...a, at: Math.round(a.atMinutes * 60) })).sort((a, b) => a.at - b.at);
  const prEvents = [
    ...merges.map((m) => ({ ...m, action: PullRequestAction.Merge, at: Math.round(m.atMinutes * 60) })),
    ...closes.map((c) => ({ ...c, action: PullRequestAction.Close, at: Math.round(c.atMinutes * 60) })),
  ].sort((a, b) => a.at - b.at);
  const lastInput = Math.max(0, ...pushEvents.map((p) => p.at), ...approvalEvents.map((a) => a.at), ...prEvents.map((e) => e.at));
  const limitMs = startMs + (lastInput + HORIZON_SECONDS) * 1000;

  const freightOut: SimulatedFreight[] = [];
  const rejected: SimulatedRejection[] = [];
  const promotions: RunPromotion[] = [];
  const failures: RunFailure[] = [];
  const stalls: RunStall[] = [];
  const approvalsOut: SimulatedApproval[] = [];
  const prOut: SimulatedPullRequestAction[] = [];
  const notes = new Set<string>();
  let seq = 0;

  /** An event the Stage's watches see (SetupWithManager in regular_stages.go) makes it reconcile now. */
  const wake = (s: StageState, t: number): void => {
    if (t > s.lastWake) s.lastWake = t;
  };

  const windowNote = (p: PipelineState, s: StageState): string => {
    const timeout =
      s.timeout === undefined
        ? ` (render gives argocd-update a retry.timeout longer than the windows' longest closed stretch; without one Kargo errors the step after ${ARGOCD_UPDATE_DEFAULT_TIMEOUT_MINUTES}m)`
        : ` (argocd-update timeout ${formatMinutes(minutes(s.timeout))})`;
    return (
      `${p.pipeline.name}/${s.env.name}: deployment windows hold the Argo CD sync, not the commit: the promotion stays Running in argocd-update ` +
      `("Sync operation blocked by sync window", Argo CD controller/sync.go) until a window lets the sync through; ${changeHolder(s)}, ` +
      `and later promotions of ${s.env.name} queue behind it${timeout}`
    );
  };

  /** argocd-update starts at `at`: the sync happens when the windows allow it, unless the step times out first. */
  const beginUpdate = (p: PipelineState, s: StageState, promo: Promo, at: number): void => {
    promo.updateAt = at;
    const ms = startMs + at * 1000;
    const sync = nextSyncTime(s.env.windows, ms, limitMs);
    promo.syncAt = sync === undefined ? null : at + Math.ceil((sync - ms) / 1000);
    promo.delayedBy = promo.syncAt === at ? [] : blockingWindows(s.env.windows, ms);
    if (promo.syncAt !== at) notes.add(windowNote(p, s));
    // local_orchestrator.go: a Running step errors once it has run longer than its timeout.
    if (s.timeout !== undefined && (promo.syncAt === null || promo.syncAt - at > s.timeout)) {
      promo.failAt = at + s.timeout;
      const wait = promo.syncAt === null ? 'no window lets the sync through within a year' : `the sync is blocked by ${promo.delayedBy.join(', ')} for ${formatMinutes(minutes(promo.syncAt - at))}`;
      promo.failure = {
        reason: FailureReason.ArgoCDUpdateTimeout,
        message: `argocd-update timed out after ${formatMinutes(minutes(s.timeout))}: ${wait}, so the step and the promotion end Errored`,
      };
    }
  };

  const startPromo = (p: PipelineState, s: StageState, promo: Promo, t: number): void => {
    promo.startedAt = t;
    promo.fromTag = s.committedTag;
    s.committedTag = promo.freight.tag;
    // Nothing to commit, nothing to merge: the sync-unchanged step runs argocd-update at once.
    if (s.env.promotion.mode === 'pull-request' && promo.fromTag !== promo.freight.tag) {
      promo.pr = { openedAt: t };
      return;
    }
    beginUpdate(p, s, promo, t);
  };

  const enqueue = (p: PipelineState, s: StageState, f: Freight, trigger: PromotionTrigger, t: number): void => {
    const promo: Promo = { seq: seq++, freight: f, trigger, requestedAt: t, delayedBy: [] };
    s.queue.push(promo);
    if (s.queue.length === 1) startPromo(p, s, promo, t);
  };

  const next = (p: PipelineState, s: StageState, t: number): void => {
    s.queue.shift();
    wake(s, t); // its Promotion changed phase
    const head = s.queue[0];
    if (head !== undefined) startPromo(p, s, head, t);
  };

  const land = (p: PipelineState, s: StageState, promo: Promo, t: number): void => {
    const open = s.history.at(-1);
    if (open !== undefined && open.to === undefined) open.to = t;
    s.history.push({ freight: promo.freight, from: t, to: undefined });
    s.currentTag = promo.freight.tag;
    s.current = promo.freight;
    s.lastTerminal.set(promo.freight.order, { ok: true, at: t });
    const env = s.env;
    const from = promo.fromTag ?? s.start.tag;
    const startedAt = promo.startedAt ?? t;
    const updateAt = promo.updateAt ?? startedAt;
    const { digest } = promo.freight;
    if (from === promo.freight.tag) {
      notes.add(`${p.pipeline.name}/${env.name}: ${freightLabel(promo.freight)} keeps image.tag ${from}, so the promotion changes no file and Argo CD has nothing new to sync`);
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
      ...(promo.pr?.mergedAt === undefined ? {} : { mergedAtMinutes: minutes(promo.pr.mergedAt) }),
      argocdUpdateAtMinutes: minutes(updateAt),
      delayMinutes: minutes(t - updateAt),
      delayedBy: promo.delayedBy,
      trigger: promo.trigger,
      mode: env.promotion.mode,
      change: {
        ...(env.promotion.mode === 'argocd' ? {} : { file: env.valuesPath, branch: s.branch }),
        application: env.applicationName,
        key: 'image.tag',
        from,
        to: promo.freight.tag,
      },
    });
    // The Freight is now in (and verified in) this Stage: Kargo's Freight watch wakes the downstream Stages.
    for (const d of s.downstreams) wake(d, t);
    next(p, s, t);
  };

  const fail = (p: PipelineState, s: StageState, promo: Promo, t: number): void => {
    const failure = promo.failure ?? { reason: FailureReason.PullRequestClosed, message: 'the promotion failed' };
    // A closed pull request never reached the env branch; a timed-out argocd-update leaves its commit there.
    if (failure.reason === FailureReason.PullRequestClosed) s.committedTag = promo.fromTag ?? s.committedTag;
    s.lastTerminal.set(promo.freight.order, { ok: false, at: t });
    failures.push({
      seq: promo.seq,
      pipeline: p.pipeline.name,
      stage: s.env.name,
      tag: promo.freight.tag,
      freight: promo.freight.id,
      trigger: promo.trigger,
      promotedAtMinutes: minutes(promo.startedAt ?? t),
      failedAtMinutes: minutes(t),
      reason: failure.reason,
      message: failure.message,
    });
    const name = `${p.pipeline.name}/${s.env.name}`;
    if (failure.reason === FailureReason.ArgoCDUpdateTimeout) {
      stalls.push({
        pipeline: p.pipeline.name,
        stage: s.env.name,
        kind: StallKind.SyncWindowTimeout,
        sinceMinutes: minutes(promo.updateAt ?? t),
        freight: promo.freight.id,
        reason: `${freightLabel(promo.freight)}: ${failure.message}; Argo CD may still sync ${s.env.promotion.mode === 'argocd' ? 'the Application' : s.branch} when the window opens, but Kargo records the promotion as failed`,
      });
    }
    if (s.env.promotion.auto) {
      notes.add(
        `${name}: the promotion of ${freightLabel(promo.freight)} failed at ${plus(t)}; Kargo never retries a failed auto-promotion of the same Freight ` +
          `(autoPromoteFreight in regular_stages.go skips it while the newest terminal Promotion for it did not succeed): only newer Freight or --approve ${s.env.name} moves ${s.env.name}`,
      );
    }
    next(p, s, t);
  };

  const settle = (t: number): void => {
    for (let pass = 0; pass < 10_000; pass++) {
      let changed = false;
      for (const p of states) {
        for (const s of p.order) {
          for (let head = s.queue[0]; head !== undefined; head = s.queue[0]) {
            if (head.failAt !== undefined && head.failAt <= t) fail(p, s, head, t);
            else if (typeof head.syncAt === 'number' && head.syncAt <= t) land(p, s, head, t);
            else break;
            changed = true;
          }
          if (!s.env.promotion.auto) continue;
          if (soakAllBlocked(s)) {
            notes.add(`${p.pipeline.name}/${s.env.name}: Kargo does not auto-promote with a soak time and availability All (akuity/kargo#4586); it moves only on --approve`);
            continue;
          }
          // autoPromoteFreight (regular_stages.go): no hold; the candidate is not current, not already being
          // promoted, and its newest terminal Promotion (if any) succeeded.
          if (activeHold(s) !== undefined) continue;
          const candidate = autoPromotionCandidate(p.freight, s, t, lag.soakSeconds);
          if (candidate === undefined || candidate === s.current || s.queue.some((q) => q.freight === candidate)) continue;
          if (s.lastTerminal.get(candidate.order)?.ok === false) continue;
          enqueue(p, s, candidate, PromotionTrigger.Auto, t);
          changed = true;
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

  /**
   * A manual promotion's hold or resume intent, as the Promotion webhook stamps it (syncHoldAnnotations in
   * akuity/kargo v1.11.2 pkg/webhook/kubernetes/promotion/webhook.go): only where auto-promotion is enabled;
   * the promoted Freight is the candidate → resume (clears a hold), anything else → hold. The intent takes
   * effect at once (computeEffectiveAutoPromotionHolds overlays in-flight Promotions) and stays whatever the
   * promotion's outcome (syncPromotions applies the intent of every terminal Promotion but an Aborted one).
   */
  const holdIntent = (p: PipelineState, s: StageState, f: Freight, t: number): string => {
    if (!s.env.promotion.auto) return '';
    const candidate = autoPromotionCandidate(p.freight, s, t);
    const held = activeHold(s);
    if (candidate === f) {
      if (held === undefined) return '';
      held.releasedAt = t;
      held.releasedBy = f;
      return `; it is the newest available Freight, so the auto-promotion hold set at ${plus(held.since)} is released`;
    }
    if (held !== undefined) {
      held.releasedAt = t;
      held.releasedBy = f;
    }
    s.holds.push({ freight: f, since: t });
    const newest = candidate === undefined ? 'no Freight is the auto-promotion candidate' : `the newest available Freight is ${freightLabel(candidate)}`;
    return `; ${newest}, so auto-promotion of ${s.env.name} is held until a manual promotion of the newest Freight (Kargo 1.11 AutoPromotionHolds)`;
  };

  const approve = (event: SimulationApproval & { at: number }): void => {
    const found = stageOf(event);
    if (found === undefined) return; // prepareInput() already refused these
    const { p, s } = found;
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
          ? `no Freight for tag ${event.tag} exists at ${plus(t)}`
          : s.upstreams.length === 0
            ? 'the Warehouse has no Freight yet'
            : `no Freight has reached ${s.upstreams.map((u) => u.env.name).join(' or ')} yet`;
      approvalsOut.push({ ...base, outcome: ApprovalOutcome.NoFreight, message });
      return;
    }
    s.approved.add(f.order);
    wake(s, t); // stageEnqueuerForApprovedFreight
    if ((s.queue.at(-1)?.freight ?? s.current) === f) {
      approvalsOut.push({ ...base, tag: f.tag, outcome: ApprovalOutcome.Current, message: `${event.stage} already has or is getting ${f.tag}` });
      return;
    }
    const intent = holdIntent(p, s, f, t);
    enqueue(p, s, f, PromotionTrigger.Approval, t);
    approvalsOut.push({ ...base, tag: f.tag, outcome: ApprovalOutcome.Promoted, message: `approved ${freightLabel(f)} for ${event.stage} and created its Promotion${intent}` });
  };

  /** `--merge` / `--close` of the environment's open pull request (git_pr_waiter.go decides what follows). */
  const pullRequest = (event: SimulationPullRequestAction & { at: number; action: PullRequestAction }): void => {
    const found = stageOf(event);
    if (found === undefined) return;
    const { p, s } = found;
    const t = event.at;
    const base = { pipeline: p.pipeline.name, stage: event.stage, atMinutes: minutes(t), action: event.action };
    const head = s.queue[0];
    const pr = head?.pr;
    if (head === undefined || pr === undefined || pr.mergedAt !== undefined || pr.closedAt !== undefined) {
      const why = head === undefined ? 'no promotion is running' : head.startedAt === undefined || pr === undefined ? `the running promotion of ${freightLabel(head.freight)} opened none` : `its pull request for ${freightLabel(head.freight)} is already ${pr.mergedAt !== undefined ? 'merged' : 'closed'}`;
      prOut.push({ ...base, outcome: PullRequestOutcome.NoOpenPullRequest, message: `${event.stage} has no open pull request at ${plus(t)} (${why}); nothing happened` });
      return;
    }
    const subject = { tag: head.freight.tag, freight: head.freight.id };
    // git-wait-for-pr sees the new state at its next poll (RetryAfter, 30s by default).
    const seen = t + lag.pullRequestSeconds;
    if (event.action === PullRequestAction.Merge) {
      pr.mergedAt = t;
      beginUpdate(p, s, head, seen);
      prOut.push({ ...base, ...subject, outcome: PullRequestOutcome.Merged, message: `merged the pull request for ${freightLabel(head.freight)}; argocd-update follows within ${formatMinutes(PR_POLL_INTERVAL_MINUTES)}` });
    } else {
      pr.closedAt = t;
      head.failAt = seen;
      head.failure = { reason: FailureReason.PullRequestClosed, message: `the pull request was closed without merging at ${plus(t)}: git-wait-for-pr fails the promotion (a terminal error)` };
      prOut.push({ ...base, ...subject, outcome: PullRequestOutcome.Closed, message: `closed the pull request for ${freightLabel(head.freight)} without merging; the promotion fails` });
    }
  };

  let t = 0;
  let pi = 0;
  let ai = 0;
  let ri = 0;
  for (let step = 0; ; step++) {
    if (step >= MAX_STEPS) throw new Error(`simulation exceeded ${MAX_STEPS} steps (a bug in the simulator)`);
    for (let e = pushEvents[pi]; e !== undefined && e.at <= t; e = pushEvents[++pi]) push(e);
    settle(t);
    // Settling after each approval lets a later approval at the same minute see what the earlier one landed.
    for (let e = approvalEvents[ai]; e !== undefined && e.at <= t; e = approvalEvents[++ai]) {
      approve(e);
      settle(t);
    }
    for (let e = prEvents[ri]; e !== undefined && e.at <= t; e = prEvents[++ri]) {
      pullRequest(e);
      settle(t);
    }

    const candidates: number[] = [];
    for (const e of [pushEvents[pi], approvalEvents[ai], prEvents[ri]]) if (e !== undefined) candidates.push(e.at);
    for (const p of states) {
      for (const s of p.order) {
        const head = s.queue[0];
        if (head !== undefined && typeof head.syncAt === 'number' && head.syncAt > t) candidates.push(head.syncAt);
        if (head?.failAt !== undefined && head.failAt > t) candidates.push(head.failAt);
        if (s.soak > 0) {
          for (const u of s.upstreams) {
            const open = u.history.at(-1);
            if (open === undefined || open.to !== undefined) continue;
            const soaked = open.from + s.soak;
            if (soaked > t) candidates.push(soaked);
            if (soaked + lag.soakSeconds > t) candidates.push(soaked + lag.soakSeconds);
          }
        }
      }
    }
    if (candidates.length === 0) break;
    const nextAt = Math.min(...candidates);
    if (until !== undefined && nextAt > until) break;
    t = nextAt;
  }
  // The loop leaves `t` at the last instant it processed.
  const end = until ?? t;
  const after = (what: string, at: number): string => `${what} at ${plus(at)} is after the end (${plus(end)}) and was not simulated`;
  for (const e of pushEvents.slice(pi)) notes.add(after(`push ${e.tag}`, e.at));
  for (const e of approvalEvents.slice(ai)) notes.add(after(`approval of ${e.stage}`, e.at));
  for (const e of prEvents.slice(ri)) notes.add(after(`${e.action} of ${e.stage}'s pull request`, e.at));

  const environments: SimulatedEnvironment[] = [];
  for (const p of states) {
    for (const s of p.order) {
      const env = s.env;
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
        branch: s.branch,
        application: env.applicationName,
        ...(s.timeout === undefined ? {} : { argocdUpdateTimeoutMinutes: minutes(s.timeout) }),
        initialTag: s.start.tag,
        initialTagSource: s.start.source,
        ...(s.start.note === undefined ? {} : { initialTagNote: s.start.note }),
        finalTag: s.currentTag,
        holds: s.holds.map((h) => ({
          freight: h.freight.id,
          tag: h.freight.tag,
          sinceMinutes: minutes(h.since),
          ...(h.releasedAt === undefined ? {} : { releasedAtMinutes: minutes(h.releasedAt) }),
          ...(h.releasedBy === undefined ? {} : { releasedBy: h.releasedBy.id }),
        })),
      });
    }
  }
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
      promotions,
      failed: failures,
      rejected,
      approvals: approvalsOut,
      pullRequests: prOut,
      pending: pendingPromotions(states, end),
      stalls: [...stalls, ...endStalls(states, end)],
      notes: [...notes],
    },
    warnings: [],
  };
}
