// `kargo-env promote --env <env> --tag <tag>` and `kargo-env rollback --env <env>`: the human step of the
// pipeline without Kargo's UI. Creates the Promotion Kargo's API server would create and follows it to its end.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { booleanFlag, defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliError, ExitCode, UsageError } from '../errors.ts';
import type { Io } from '../io.ts';
import type { Output } from '../output.ts';
import { addClusterFlags, clusterOptionsFromFlags, durationFlag } from '../kube/flags.ts';
import type * as promoteModule from '../kube/promote.ts';
import type { PromoteOptions, PromoteReport } from '../kube/promote.ts';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DEFAULT_FOLLOW_MS = 30 * 60_000;

function common(flags: Flags): Omit<PromoteOptions, 'tag' | 'rollback'> {
  const env = stringFlag(flags, 'env');
  if (env === undefined || env.trim() === '') throw new UsageError('name the environment with --env, e.g. --env prod');
  const pipeline = stringFlag(flags, 'pipeline');
  if (pipeline?.trim() === '') throw new UsageError('--pipeline must not be empty');
  return {
    ...clusterOptionsFromFlags(flags),
    env,
    ...(pipeline === undefined ? {} : { pipeline }),
    dryRun: booleanFlag(flags, 'dryRun'),
    followTimeoutMs: durationFlag(flags, 'timeout', '--timeout') ?? DEFAULT_FOLLOW_MS,
  };
}

export function promoteOptionsFromFlags(flags: Flags): PromoteOptions {
  const tag = stringFlag(flags, 'tag');
  if (tag === undefined || tag === '') throw new UsageError('give the image tag to promote with --tag, e.g. --tag 1.8.4');
  if (!TAG.test(tag)) throw new UsageError(`--tag ${JSON.stringify(tag)} is not an image tag (letters, digits, _ . -; at most 128; not starting with . or -)`);
  return { ...common(flags), tag, rollback: false };
}

export function rollbackOptionsFromFlags(flags: Flags): PromoteOptions {
  return { ...common(flags), rollback: true };
}

function configure(command: Command, rollback: boolean): void {
  command.option('--env <env>', rollback ? 'the environment (Stage) to roll back' : 'the environment (Stage) to promote to');
  if (!rollback) command.option('--tag <tag>', 'the image tag whose Freight to promote');
  command
    .option('--pipeline <name>', 'the pipeline of --env (needed when several pipelines have that environment)')
    .option('--dry-run', 'check eligibility and print the Promotion that would be created; create nothing')
    .option('--timeout <duration>', 'how long to follow the Promotion (it goes on in the cluster after that)', '30m');
  addClusterFlags(command);
  command.addHelpText(
    'after',
    '\nThe Promotion is the one Kargo\'s API server creates (generateName promo-, spec.stage, spec.freight); Kargo names it and\n' +
      'copies the Stage\'s steps. Needs create on promotions and the promote verb on the Stage (rbac/kargo-env-promoter.yaml).\n' +
      'Promoting Freight that is not the newest available puts an auto-promotion hold on the Stage (Kargo 1.11).\n' +
      'Exit codes: 0 Succeeded (or a dry run) · 1 not eligible, not found, or the Promotion Failed/Errored/Aborted/timed out · 2 usage error or cluster unreachable.\n',
  );
}

function print(report: PromoteReport, output: Output): void {
  const { freightText } = importedText;
  const p = output.paint;
  const verb = report.action === 'rollback' ? 'Roll back' : 'Promote';
  const head = `${verb} ${report.project}/${report.stage} (context ${report.context}): ${freightText(report.current)} → ${freightText(report.freight)}`;
  output.result(p('bold', head));
  output.result(`  available: ${report.availableVia}`);
  if (report.hold !== undefined) {
    output.result(
      `  ${p('yellow', '⚠ auto-promotion hold')}: ${report.stage} will stop auto-promoting ${report.hold.origin} until the newest candidate ${freightText(report.hold.candidate)} is promoted again` +
        (report.hold.resume === undefined ? '' : `\n    resume with: ${report.hold.resume}`),
    );
  }
  if (report.dryRun) {
    output.result(`  dry run: nothing created. The Promotion to create:\n${stringify(report.promotion.manifest).replace(/^/gm, '    ').trimEnd()}`);
    return;
  }
  const phase = report.promotion.phase ?? 'Pending';
  const colour = phase === 'Succeeded' ? 'green' : phase === 'Running' || phase === 'Pending' ? 'yellow' : 'red';
  output.result(`  Promotion ${report.promotion.name}: ${p(colour, phase)}${report.promotion.message === undefined || report.promotion.message === '' ? '' : ` — ${report.promotion.message}`}`);
  const width = Math.max(0, ...report.promotion.steps.map((s) => `${s.alias} (${s.uses})`.length));
  for (const step of report.promotion.steps) {
    const mark = step.status === 'Succeeded' ? p('green', '✓') : step.status === 'Skipped' ? p('dim', '-') : step.status === 'Failed' || step.status === 'Errored' || step.status === 'Aborted' ? p('red', '✗') : p('yellow', '…');
    output.result(`    ${mark} ${`${step.alias} (${step.uses})`.padEnd(width)}  ${step.status}${step.message === undefined ? '' : `: ${step.message}`}`);
  }
  const o = report.promotion.outputs;
  if (o.pullRequest !== undefined) output.result(`  pull request: ${o.pullRequest}`);
  if (o.commit !== undefined) output.result(`  commit: ${o.commit}${o.branch === undefined ? '' : ` on ${o.branch}`}${o.commitURL === undefined ? '' : ` (${o.commitURL})`}`);
  if (report.action === 'rollback' && report.hold?.resume !== undefined && phase === 'Succeeded') output.result(`  to resume auto-promotion later: ${report.hold.resume}`);
}

let importedText: typeof promoteModule;

async function execute(options: PromoteOptions, io: Io, output: Output): Promise<ExitCode> {
  importedText = await import('../kube/promote.ts');
  const progress = output.json ? () => undefined : (line: string) => output.note(line);
  let report: PromoteReport;
  try {
    report = await importedText.runPromote(options, io, progress);
  } catch (error) {
    const partial = (error as { report?: PromoteReport }).report;
    if (error instanceof CliError && partial !== undefined) {
      if (!output.json) print(partial, output);
      throw error;
    }
    throw error;
  }
  output.data(report);
  if (!output.json) print(report, output);
  if (!report.ok) {
    output.error(`Promotion ${report.promotion.name} ended ${report.promotion.phase}${report.promotion.message === undefined ? '' : `: ${report.promotion.message}`}`, `see the failed step above; kubectl -n ${report.project} get promotion ${report.promotion.name} -o yaml shows everything`);
    return ExitCode.Failure;
  }
  return ExitCode.Ok;
}

export const promoteCommand = defineCommand<PromoteOptions>({
  name: 'promote',
  summary: 'promote the Freight of an image tag to an environment, as Kargo does, and follow the Promotion to its end',
  examples: [
    ['kargo-env promote --env prod --tag 1.8.4', 'promote 1.8.4 to prod once it is verified in staging; prints each step and the pull request'],
    ['kargo-env promote --env prod --tag 1.8.4 --dry-run', 'say whether 1.8.4 may go to prod (and why not), create nothing'],
    ['kargo-env promote --env staging --tag 1.8.3 --context kind-kargo --json', 'another kubeconfig context; one JSON document'],
  ],
  configure: (command) => configure(command, false),
  toOptions: promoteOptionsFromFlags,
  execute,
});

export const rollbackCommand = defineCommand<PromoteOptions>({
  name: 'rollback',
  summary: 'promote the Freight an environment ran before its current one (puts an auto-promotion hold on it)',
  examples: [
    ['kargo-env rollback --env staging', 'go back to what staging ran before; auto-promotion of staging pauses until you promote the newest Freight again'],
    ['kargo-env rollback --env prod --dry-run', 'show which Freight prod would go back to'],
  ],
  configure: (command) => configure(command, true),
  toOptions: rollbackOptionsFromFlags,
  execute,
});
