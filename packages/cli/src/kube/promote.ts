// `promote` and `rollback`: find the Freight (by image tag, or the one the Stage ran before), check it is
// available to the Stage exactly as Kargo's API server and Promotion webhook do, create the Promotion Kargo's
// API server creates, and follow it through the watch API to a terminal phase.
import type { Pipeline } from '@kargo/model';
import { CliError, CliErrorCode } from '../errors.ts';
import { isForbidden, KubeApiError, type KubeClient } from './client.ts';
import {
  autoPromotionCandidate,
  currentFreightName,
  freightAvailability,
  freightTags,
  humanDuration,
  isTerminalPhase,
  kargoPath,
  minimalPromotion,
  newestFirst,
  originKey,
  previousFreightName,
  promotionOutputs,
  type Freight,
  type Promotion,
  type Stage,
} from './kargo.ts';
import { findEnvironment, openSession, type ClusterIo, type ClusterOptions } from './session.ts';

export interface PromoteOptions extends ClusterOptions {
  readonly env: string;
  /** The image tag to promote; absent for a rollback. */
  readonly tag?: string;
  readonly rollback: boolean;
  readonly pipeline?: string;
  readonly dryRun: boolean;
  /** How long to follow the Promotion before giving up (ms). */
  readonly followTimeoutMs: number;
}

export interface FreightSummary {
  readonly name: string;
  readonly alias: string | undefined;
  readonly tags: readonly string[];
}

export interface StepReport {
  readonly index: number;
  readonly alias: string;
  readonly uses: string;
  readonly status: string;
  readonly message?: string;
}

export interface PromoteReport {
  readonly ok: boolean;
  readonly action: 'promote' | 'rollback';
  readonly dryRun: boolean;
  readonly context: string;
  readonly project: string;
  readonly stage: string;
  readonly freight: FreightSummary;
  readonly current: FreightSummary | undefined;
  /** How the Freight is available to the Stage (Kargo's reason). */
  readonly availableVia: string;
  /** Set when the promotion pauses auto-promotion of this origin (Kargo 1.11 auto-promotion hold). */
  readonly hold: { readonly origin: string; readonly candidate: FreightSummary | undefined; readonly resume: string | undefined } | undefined;
  /** The Promotion as created (dry run: as it would be sent). */
  readonly promotion: {
    readonly name: string | undefined;
    readonly manifest: Promotion;
    readonly phase: string | undefined;
    readonly message: string | undefined;
    readonly steps: readonly StepReport[];
    readonly outputs: ReturnType<typeof promotionOutputs>;
  };
}

export interface PromoteProgress {
  (line: string): void;
}

const summary = (f: Freight): FreightSummary => ({ name: f.metadata.name as string, alias: f.alias ?? f.metadata.labels?.['kargo.akuity.io/alias'], tags: freightTags(f) });

export const freightText = (f: FreightSummary | undefined): string => (f === undefined ? 'nothing' : `${f.tags.length === 0 ? f.name.slice(0, 7) : f.tags.join(', ')} (Freight ${f.alias ?? f.name.slice(0, 7)})`);

function apiError(error: unknown, what: string): never {
  if (error instanceof KubeApiError) {
    const hint = isForbidden(error)
      ? 'ask for the kargo-env-promoter ClusterRole (packages/cli/rbac/kargo-env-promoter.yaml): create on promotions and promote on stages in the Project namespace'
      : undefined;
    throw new CliError(CliErrorCode.KubeApi, `${what}: ${error.message} (HTTP ${error.status}${error.reason === undefined ? '' : ` ${error.reason}`})`, { cause: error, ...(hint === undefined ? {} : { hint }) });
  }
  throw error;
}

/** The steps of a Promotion with their execution status (`status.stepExecutionMetadata`, by index). */
export function promotionSteps(promotion: Promotion): StepReport[] {
  const meta = promotion.status?.stepExecutionMetadata ?? [];
  const steps = promotion.spec.steps ?? [];
  return steps.map((step, index) => {
    const m = meta[index];
    const alias = step.as ?? m?.alias ?? `step-${index + 1}`;
    const current = promotion.status?.currentStep === index && !isTerminalPhase(promotion.status?.phase) && m?.status === undefined;
    return { index, alias, uses: step.uses ?? 'task', status: m?.status ?? (current ? 'Running' : 'Pending'), ...(m?.message === undefined || m.message === '' ? {} : { message: m.message }) };
  });
}

/** Follows one Promotion with the watch API until a terminal phase or the deadline. */
export async function followPromotion(client: KubeClient, created: Promotion, timeoutMs: number, onChange: (p: Promotion) => void): Promise<Promotion> {
  const ns = created.metadata.namespace as string;
  const name = created.metadata.name as string;
  let latest = created;
  let rv = created.metadata.resourceVersion;
  const deadline = Date.now() + timeoutMs;
  // Each watch call lasts at most 5 minutes on the server; 1,000 calls bound the loop beyond any deadline.
  for (let attempt = 0; attempt < 1000 && !isTerminalPhase(latest.status?.phase); attempt++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const end = await client
      .watch<Promotion>(
        kargoPath('promotions', ns),
        { fieldSelector: `metadata.name=${name}`, ...(rv === undefined ? {} : { resourceVersion: rv }), timeoutSeconds: Math.max(1, Math.min(300, Math.ceil(remaining / 1000))), signal: AbortSignal.timeout(remaining) },
        (event) => {
          if (event.type === 'DELETED') throw new CliError(CliErrorCode.PromotionFailed, `Promotion ${ns}/${name} was deleted while it ran`);
          latest = event.object;
          onChange(latest);
          return isTerminalPhase(latest.status?.phase);
        },
      )
      .catch((error: unknown) => apiError(error, `watching Promotion ${ns}/${name}`));
    rv = end.resourceVersion;
    if (end.kind === 'gone') {
      // Our resourceVersion expired: read the object again and watch on from its version.
      latest = await client.get<Promotion>(kargoPath('promotions', ns, name)).catch((error: unknown) => apiError(error, `reading Promotion ${ns}/${name}`));
      rv = latest.metadata.resourceVersion;
      onChange(latest);
    }
  }
  return latest;
}

export async function runPromote(options: PromoteOptions, io: ClusterIo, progress: PromoteProgress = () => undefined): Promise<PromoteReport> {
  const session = await openSession(options, io);
  const { pipeline, environment } = findEnvironment(session.config, options.env, options.pipeline);
  const client = session.client;
  const ns = pipeline.project;
  const stageName = environment.name;
  const stage = await client.find<Stage>(kargoPath('stages', ns, stageName)).catch((error: unknown) => apiError(error, `reading Stage ${ns}/${stageName}`));
  if (stage === undefined) {
    throw new CliError(CliErrorCode.KubeApi, `Stage ${ns}/${stageName} does not exist in the cluster (context ${client.connection.context})`, {
      hint: 'has kargo-configs synced the rendered kargo/ tree? run `kargo-env doctor`',
    });
  }
  const freightList = await client.list<Freight>(kargoPath('freights', ns)).catch((error: unknown) => apiError(error, `listing Freight in ${ns}`));
  const all = freightList.items;
  const now = Date.now();
  const action = options.rollback ? 'rollback' : 'promote';
  const freight = options.rollback ? rollbackFreight(stage, all, ns) : tagFreight(pipeline, all, options.tag as string, ns);
  const availability = freightAvailability(stage, freight, now);
  const tagsText = freightText(summary(freight));
  if (!availability.available) {
    throw new CliError(CliErrorCode.FreightNotEligible, `${tagsText} is not available to Stage ${stageName}: ${availability.reason}`, {
      hint: availability.gaps.some((g) => g.soaking && g.soakRemainingMs !== undefined)
        ? `wait for the soak to end (kargo-env status shows when), or approve the Freight for ${stageName} in Kargo (UI, or kargo approve --freight ${freight.metadata.name} --stage ${stageName} --project ${ns}) to skip it`
        : `promote it through the upstream Stages first, or approve the Freight for ${stageName} in Kargo (kargo approve --freight ${freight.metadata.name} --stage ${stageName} --project ${ns})`,
    });
  }
  const currentName = currentFreightName(stage, freight.origin);
  const current = all.find((f) => f.metadata.name === currentName);
  // Kargo's Promotion webhook stamps a hold when the promoted Freight is not the auto-promotion candidate of a
  // Stage with auto-promotion enabled (syncHoldAnnotations, pkg/webhook/kubernetes/promotion/webhook.go).
  let hold: PromoteReport['hold'];
  if (stage.status?.autoPromotionEnabled === true) {
    const candidate = autoPromotionCandidate(stage, freight.origin, all, now);
    if (candidate?.metadata.name !== freight.metadata.name) {
      const cand = candidate === undefined ? undefined : summary(candidate);
      const resumeTag = cand?.tags[0];
      hold = {
        origin: originKey(freight.origin),
        candidate: cand,
        resume: resumeTag === undefined ? undefined : `kargo-env promote --env ${stageName} --tag ${resumeTag}${session.config.pipelines.length > 1 ? ` --pipeline ${pipeline.name}` : ''}`,
      };
    }
  }
  const manifest = minimalPromotion(stage, freight.metadata.name as string);
  const base = {
    action,
    dryRun: options.dryRun,
    context: client.connection.context,
    project: ns,
    stage: stageName,
    freight: summary(freight),
    current: current === undefined ? (currentName === undefined ? undefined : { name: currentName, alias: undefined, tags: [] }) : summary(current),
    availableVia: availability.via === 'approved' ? `approved for ${stageName}` : availability.via === 'direct' ? `${stageName} takes Freight straight from the Warehouse` : `verified${availability.upstreams.length > 0 ? ` in ${availability.upstreams.join(', ')}` : ''}`,
    hold,
  } as const;
  if (options.dryRun) {
    return { ok: true, ...base, promotion: { name: undefined, manifest, phase: undefined, message: undefined, steps: [], outputs: {} } };
  }
  if (hold !== undefined) {
    progress(
      `⚠ auto-promotion hold: promoting ${tagsText} (not the newest available, ${freightText(hold.candidate)}) pauses auto-promotion of ${hold.origin} into ${stageName} until the newest candidate is promoted again${hold.resume === undefined ? '' : `; resume with: ${hold.resume}`}`,
    );
  }
  const created = await client.create<Promotion>(kargoPath('promotions', ns), manifest).catch((error: unknown) => apiError(error, `creating the Promotion of ${tagsText} to ${stageName}`));
  progress(`Promotion ${created.metadata.name} created: ${tagsText} → ${stageName}`);
  const seen = new Map<number, string>();
  let lastPhase: string | undefined;
  const report = (p: Promotion) => {
    if (p.status?.phase !== lastPhase && p.status?.phase !== undefined) {
      lastPhase = p.status.phase;
      progress(`  phase ${lastPhase}${p.status.message === undefined || p.status.message === '' ? '' : `: ${p.status.message}`}`);
    }
    const steps = promotionSteps(p);
    for (const step of steps) {
      const key = `${step.status}|${step.message ?? ''}`;
      if (step.status === 'Pending' || seen.get(step.index) === key) continue;
      seen.set(step.index, key);
      progress(`  step ${step.index + 1}/${steps.length} ${step.alias} (${step.uses}): ${step.status}${step.message === undefined ? '' : ` — ${step.message}`}`);
    }
  };
  report(created);
  const started = Date.now();
  const final = await followPromotion(client, created, options.followTimeoutMs, report);
  const phase = final.status?.phase;
  const result: PromoteReport = {
    ok: phase === 'Succeeded',
    ...base,
    promotion: { name: final.metadata.name, manifest, phase, message: final.status?.message, steps: promotionSteps(final), outputs: promotionOutputs(final) },
  };
  if (!isTerminalPhase(phase)) {
    throw Object.assign(
      new CliError(CliErrorCode.PromotionFailed, `Promotion ${final.metadata.name} is still ${phase ?? 'Pending'} after ${humanDuration(Date.now() - started)} (--timeout); it goes on in the cluster`, {
        hint: `follow it with kargo-env status --watch, or kubectl -n ${ns} get promotion ${final.metadata.name} -w`,
      }),
      { report: result },
    );
  }
  return result;
}

function tagFreight(pipeline: Pipeline, all: readonly Freight[], tag: string, ns: string): Freight {
  const repo = pipeline.image.repository;
  const matching = all.filter((f) => (f.images ?? []).some((i) => i.tag === tag && (i.repoURL === undefined || sameRepo(i.repoURL, repo)))).sort(newestFirst);
  const found = matching[0];
  if (found === undefined) {
    const known = [...new Set(all.flatMap((f) => freightTags(f)))];
    throw new CliError(CliErrorCode.FreightNotFound, `no Freight in ${ns} carries ${repo}:${tag}`, {
      hint:
        known.length === 0
          ? 'the Warehouse has not discovered any image yet: check it with kargo-env doctor'
          : `Freight exists for: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}. A tag the Warehouse's rules refuse never becomes Freight (kargo-env simulate --push ${tag} says why)`,
    });
  }
  return found;
}

function rollbackFreight(stage: Stage, all: readonly Freight[], ns: string): Freight {
  const origins = stage.spec.requestedFreight.map((r) => r.origin);
  for (const origin of origins) {
    const previous = previousFreightName(stage, origin);
    if (previous === undefined) continue;
    const freight = all.find((f) => f.metadata.name === previous);
    if (freight === undefined) {
      throw new CliError(CliErrorCode.FreightNotFound, `Stage ${stage.metadata.name} ran Freight ${previous} before, but it no longer exists in ${ns} (Kargo garbage-collected it)`, {
        hint: 'promote an older tag that still has Freight with kargo-env promote --env … --tag …',
      });
    }
    return freight;
  }
  throw new CliError(CliErrorCode.FreightNotFound, `Stage ${stage.metadata.name} has no earlier Freight in its history to roll back to`, {
    hint: 'status.freightHistory holds only the current Freight; promote a specific tag with kargo-env promote --tag',
  });
}

function sameRepo(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/^docker\.io\/(library\/)?/, '').replace(/\/+$/, '');
  return norm(a) === norm(b);
}

