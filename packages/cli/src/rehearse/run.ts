// A whole rehearsal (every selected Stage in promotion order, then every Application checked once more) and its
// report: the JSON `kargo-env rehearse --json` prints and the text it prints otherwise.
import type { Painter } from '../output.ts';
import type { Promotion, PromotionResult, Rehearsal, RehearsalFreight } from './rehearsal.ts';
import { CliError, CliErrorCode } from '../errors.ts';
import type { ApplicationCheck, PromotionPhase, StepRecord, StepStatus } from './types.ts';

/** One step in the report: the step record without its output and evaluated config. */
export type StepReport = Pick<StepRecord, 'index' | 'alias' | 'uses' | 'status' | 'rehearsed' | 'detail'>;

/** One Stage in the report. */
export interface StageReport {
  readonly stage: string;
  /** The generated Promotion name (`<stage>.<ulid>.<hash>`). */
  readonly promotion: string;
  /** The promotion's final phase, as Kargo decides it from its steps. */
  readonly phase: PromotionPhase;
  /** The promotion succeeded and every Application check still passes after all Stages ran. */
  readonly ok: boolean;
  /** The environment branch the promotion wrote, its commit before and after (absent: nothing written). */
  readonly branch?: string;
  readonly before?: string;
  readonly commit?: string;
  /** Files changed on `branch` (`git diff --name-status before..commit`). */
  readonly files: readonly { readonly status: string; readonly path: string }[];
  readonly steps: readonly StepReport[];
  /** The step that failed the promotion. */
  readonly failure?: { readonly alias: string; readonly uses: string; readonly status: StepStatus; readonly message: string };
  /** The Applications argocd-update touched, checked again once every selected Stage has run. */
  readonly applications: readonly ApplicationCheck[];
}

/**
 * The machine-readable result of `kargo-env rehearse --json` (stable; new fields may be added):
 *
 * ```ts
 * {
 *   ok: boolean,                 // every Stage passes (exit 0); false: exit 1
 *   pipeline: string, tag: string, repo: string,
 *   freight: { name, origin, image: { repoURL, tag, digest } },   // digest is a documented placeholder
 *   stages: [{
 *     stage, promotion, phase: 'Succeeded' | 'Failed' | 'Errored', ok,
 *     branch?, before?, commit?, files: [{ status: 'A' | 'M' | 'D' | …, path }],
 *     steps: [{ index, alias, uses, status: 'Succeeded' | 'Skipped' | 'Failed' | 'Errored', rehearsed, detail }],
 *     failure?: { alias, uses, status, message },
 *     applications: [{ name, namespace, ok, reason?, sources: [{ index, repoURL, targetRevision, status, resolved?, desiredRevision?, detail }] }],
 *   }],
 *   branches: [{ branch, before?, after }],   // environment branches written: what --push writes
 *   pushed: boolean,                          // true when --push wrote them to --repo
 *   warnings: string[],
 * }
 * ```
 */
export interface RehearsalReport {
  readonly ok: boolean;
  readonly pipeline: string;
  readonly tag: string;
  readonly repo: string;
  readonly freight: RehearsalFreight;
  readonly stages: readonly StageReport[];
  readonly branches: readonly { readonly branch: string; readonly before?: string; readonly after: string }[];
  readonly pushed: boolean;
  readonly warnings: readonly string[];
}

export interface RehearseRun {
  readonly tag: string;
  /** Environments to rehearse (default: all), run in promotion order whatever order they are given in. */
  readonly envs?: readonly string[];
  /** Push the written environment branches to the repository afterwards (only when every Stage passes). */
  readonly push?: boolean;
  readonly warnings?: readonly string[];
}

/** The Stages to run for `envs`, in promotion order; an unknown name is an error before anything runs. */
export function selectStages(rehearsal: Rehearsal, envs: readonly string[] | undefined): string[] {
  const all = rehearsal.stages;
  if (envs === undefined || envs.length === 0) return [...all];
  const unknown = envs.filter((e) => !all.includes(e));
  if (unknown.length > 0) {
    throw new CliError(CliErrorCode.InvalidArgument, `--env ${unknown.map((e) => JSON.stringify(e)).join(', ')}: no such environment in pipeline ${rehearsal.pipeline.name}`, {
      hint: `environments: ${all.join(', ')}`,
    });
  }
  return all.filter((s) => envs.includes(s));
}

/** Rehearses `tag` through the selected Stages and checks every Application at the end. */
export async function rehearse(rehearsal: Rehearsal, run: RehearseRun): Promise<RehearsalReport> {
  const stages = selectStages(rehearsal, run.envs);
  const freight = rehearsal.freight(run.tag);
  const done: { promotion: Promotion; result: PromotionResult }[] = [];
  for (const stage of stages) {
    const promotion = rehearsal.promotion(stage, run.tag);
    done.push({ promotion, result: await promotion.runRest() });
  }
  const reports: StageReport[] = [];
  for (const { promotion, result } of done) {
    const applications = await promotion.health();
    const primary = result.writes.find((w) => w.branch === result.branch);
    reports.push({
      stage: result.stage,
      promotion: result.promotion,
      phase: result.phase,
      ok: result.ok && applications.every((a) => a.ok),
      ...(result.branch === undefined ? {} : { branch: result.branch }),
      ...(primary?.before === undefined ? {} : { before: primary.before }),
      ...(result.commit === undefined ? {} : { commit: result.commit }),
      files: primary?.files ?? [],
      steps: result.steps.map((s) => ({ index: s.index, alias: s.alias, uses: s.uses, status: s.status, rehearsed: s.rehearsed, detail: s.detail })),
      ...(result.failure === undefined ? {} : { failure: result.failure }),
      applications,
    });
  }
  const ok = reports.every((r) => r.ok);
  const branches = [...rehearsal.writtenBranches()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([branch, after]) => {
    const before = rehearsal.initialHeads.get(branch);
    return { branch, ...(before === undefined ? {} : { before }), after };
  });
  let pushed = false;
  if (run.push === true && ok && branches.length > 0) {
    await rehearsal.push();
    pushed = true;
  }
  return { ok, pipeline: rehearsal.pipeline.name, tag: run.tag, repo: rehearsal.repo, freight, stages: reports, branches, pushed, warnings: [...(run.warnings ?? [])] };
}

/**
 * Rendered files the source branch holds differently (or not at all): the promotion copies from the source
 * branch, so an uncommitted render is not what Kargo would promote.
 */
export async function sourceDrift(rehearsal: Rehearsal, files: ReadonlyMap<string, string>, root: string): Promise<string[]> {
  const branch = rehearsal.pipeline.git.branch;
  if ((await rehearsal.branchHead(branch)) === undefined) return [`--repo has no branch ${branch} (the pipeline's source branch)`];
  const drifted: string[] = [];
  for (const [path, text] of files) {
    const full = root === '' ? path : `${root}/${path}`;
    if ((await rehearsal.readFile(`refs/heads/${branch}`, full)) !== text) drifted.push(full);
  }
  if (drifted.length === 0) return [];
  const list = drifted.slice(0, 5).join(', ') + (drifted.length > 5 ? `, … (${drifted.length} files)` : '');
  return [`${branch} does not hold what kargo-env render writes (${list}); promotions copy from ${branch}, so the rehearsal used its committed files: render, commit and push to rehearse the current config`];
}

const MARK: Readonly<Record<StepStatus, string>> = { Succeeded: '✓', Skipped: '-', Failed: '✗', Errored: '✗' };

/** The report as text for people. */
export function formatReport(report: RehearsalReport, paint: Painter, options: { readonly repoShown: string; readonly pushRequested: boolean }): string {
  const lines: string[] = [];
  const image = report.freight.image;
  lines.push(`Rehearsing ${report.pipeline} ${image.repoURL}:${image.tag} on a scratch copy of ${options.repoShown}`);
  const aliasWidth = Math.max(0, ...report.stages.flatMap((s) => s.steps.map((t) => t.alias.length)));
  const usesWidth = Math.max(0, ...report.stages.flatMap((s) => s.steps.map((t) => t.uses.length)));
  for (const stage of report.stages) {
    lines.push('');
    const mark = stage.ok ? paint('green', '✓') : paint('red', '✗');
    const where = stage.branch === undefined ? 'no branch written' : `${stage.branch} ${stage.before === undefined ? '(new)' : stage.before.slice(0, 7)} → ${(stage.commit ?? '').slice(0, 7)}`;
    lines.push(`${mark} ${paint('bold', stage.stage)}  ${stage.phase}  ${where}  ${paint('dim', stage.promotion)}`);
    for (const f of stage.files) lines.push(`    ${f.status}  ${f.path}`);
    for (const step of stage.steps) {
      const colour = step.status === 'Succeeded' ? 'green' : step.status === 'Skipped' ? 'dim' : 'red';
      const detail = step.status === 'Succeeded' ? step.detail : `${step.status}: ${step.detail}`;
      lines.push(`    ${paint(colour, MARK[step.status])} ${step.alias.padEnd(aliasWidth)}  ${paint('dim', step.uses.padEnd(usesWidth))}  ${detail}`);
    }
    for (const app of stage.applications) {
      const text = app.ok ? app.sources.filter((s) => s.status === 'checked').map((s) => s.detail).join('; ') || 'no source of this repository' : (app.reason ?? 'fails');
      lines.push(`    ${app.ok ? paint('green', '✓') : paint('red', '✗')} Application ${app.name}: ${text}`);
    }
  }
  lines.push('');
  const failed = report.stages.filter((s) => !s.ok);
  if (failed.length === 0) lines.push(paint('green', `✓ ${report.stages.length} of ${report.stages.length} stage${report.stages.length === 1 ? '' : 's'} would deploy ${image.tag}`));
  else {
    lines.push(paint('red', `✗ ${failed.length} of ${report.stages.length} stage${report.stages.length === 1 ? '' : 's'} would fail:`));
    for (const s of failed) {
      const why = s.failure !== undefined ? `${s.failure.alias} (${s.failure.uses}) ${s.failure.status}: ${s.failure.message}` : (s.applications.find((a) => !a.ok)?.reason ?? 'its Application would not deploy');
      lines.push(`  ${s.stage}: ${why}`);
    }
  }
  for (const w of report.warnings) lines.push(`${paint('yellow', 'warning:')} ${w}`);
  const names = report.branches.map((b) => b.branch).join(', ');
  // The repository as the user named it ("." reads badly at the end of a sentence).
  const repo = `the repository (--repo ${options.repoShown})`;
  if (report.pushed) lines.push(`Pushed ${names} to ${repo}.`);
  else if (report.branches.length === 0) lines.push(`Nothing was written to ${repo}.`);
  else if (options.pushRequested) lines.push(`Nothing was pushed to ${repo}: a stage would fail.`);
  else lines.push(`Nothing was written to ${repo}. To write ${names} there, run the same command with --push.`);
  return lines.join('\n');
}
