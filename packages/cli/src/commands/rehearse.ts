// `kargo-env rehearse`: run each Stage's Git-touching promotion steps for one image tag against a real Git
// repository (a scratch copy of --repo), with Kargo's semantics, and check the result would deploy.
import type { Issue } from '@kargo/model';
import { booleanFlag, defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliError, CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import { userPath } from '../lib/files.ts';
import { loadConfig, renderTree, treeRoot } from '../lib/pipeline.ts';
import type { RehearsalOptions } from '../rehearse/rehearsal.ts';
import type { RehearsalReport } from '../rehearse/run.ts';
import type * as RehearseEngine from '../rehearse/index.ts';

export interface RehearseOptions {
  /** Config path relative to the working directory. */
  readonly config: string;
  /** The repository: a local path (relative to the working directory) or a URL. */
  readonly repo: string;
  /** The image tag to promote. */
  readonly tag: string;
  /** Environments to rehearse; empty means all. */
  readonly envs: readonly string[];
  readonly pipeline?: string;
  /** Write the environment branches back to --repo when every Stage passes. */
  readonly push: boolean;
}

export interface RehearseResult {
  readonly config: string;
  readonly report: RehearsalReport;
  readonly warnings: readonly Issue[];
}

/** Docker's tag grammar, checked here so a bad --tag is a usage error before anything is read. */
const TAG = /^[\w][\w.-]{0,127}$/;

function list(flags: Flags, name: string): string[] {
  const value = flags[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function rehearseOptionsFromFlags(flags: Flags): RehearseOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  const repo = stringFlag(flags, 'repo');
  if (repo === undefined || repo.trim() === '') throw new UsageError('give the repository to rehearse against with --repo <path|url>');
  const tag = stringFlag(flags, 'tag');
  if (tag === undefined || tag === '') throw new UsageError('give the image tag to promote with --tag, e.g. --tag 1.8.4');
  if (!TAG.test(tag)) throw new UsageError(`--tag ${JSON.stringify(tag)} is not an image tag (letters, digits, _ . -; at most 128; not starting with . or -)`);
  const envs = list(flags, 'env');
  if (envs.some((e) => e.trim() === '')) throw new UsageError('--env must not be empty');
  const pipeline = stringFlag(flags, 'pipeline');
  if (pipeline?.trim() === '') throw new UsageError('--pipeline must not be empty');
  return { config, repo, tag, envs, push: booleanFlag(flags, 'push'), ...(pipeline === undefined ? {} : { pipeline }) };
}

/** The tag against the rendered Warehouse's image subscription: a tag Kargo would never make Freight of is refused. */
async function checkTagAccepted(objects: readonly { kind: string; metadata: { name: string; namespace?: string }; spec?: unknown }[], warehouse: string, namespace: string, repository: string, tag: string): Promise<void> {
  const object = objects.find((o) => o.kind === 'Warehouse' && o.metadata.name === warehouse && o.metadata.namespace === namespace);
  const spec = object?.spec as { subscriptions?: { image?: Record<string, unknown> }[] } | undefined;
  const sub = spec?.subscriptions?.find((s) => s.image?.['repoURL'] === repository)?.image;
  if (sub === undefined) return;
  const { imageTagAccepted } = await import('@kargo/model');
  const decision = imageTagAccepted(sub, tag);
  if (!decision.accepted) {
    throw new CliError(CliErrorCode.InvalidArgument, `the Warehouse ${warehouse} would never create Freight for tag ${tag}: ${decision.message}`, {
      hint: 'rehearse a tag the image strategy accepts',
    });
  }
}

/** Engine settings a script (or a test) may set beside the command's options. */
export type RehearseEngineOptions = Partial<Pick<RehearsalOptions, 'tmpDir' | 'gitTimeoutMs' | 'review'>>;

// Outside runRehearse on purpose: TypeScript 6 does not rewrite `.ts` in a dynamic import inside a function that
// has an `await using` declaration, and the built CLI would then import a file that does not exist.
function loadEngine(): Promise<typeof RehearseEngine> {
  return import('../rehearse/index.ts');
}

export async function runRehearse(options: RehearseOptions, io: RunIo, engineOptions: RehearseEngineOptions = {}): Promise<RehearseResult> {
  const configPath = userPath(io.cwd, options.config);
  const outPath = userPath(io.cwd, 'kargo');
  const { config, warnings } = await loadConfig(configPath);
  const tree = await renderTree(config, { configFile: configPath.absolute, outDir: outPath.absolute });
  const engine = await loadEngine();
  const objects = engine.objectsFromFiles(tree.files);
  const pipeline = engine.selectPipeline(config, options.pipeline);
  await checkTagAccepted(objects, pipeline.name, pipeline.project, pipeline.image.repository, options.tag);
  const repo = engine.isRemoteUrl(options.repo) ? options.repo : userPath(io.cwd, options.repo).absolute;
  await using rehearsal = await engine.Rehearsal.open({ ...engineOptions, repo, config, objects, pipeline: pipeline.name });
  // Resolved before anything runs, so an unknown --env writes nothing.
  engine.selectStages(rehearsal, options.envs);
  const drift = await engine.sourceDrift(rehearsal, tree.files, treeRoot(configPath.absolute, outPath.absolute) ?? 'kargo');
  const report = await engine.rehearse(rehearsal, { tag: options.tag, envs: options.envs, push: options.push, warnings: drift });
  return { config: configPath.display, report, warnings };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const rehearseCommand = defineCommand<RehearseOptions>({
  name: 'rehearse',
  summary: "run each Stage's Git promotion steps for a tag against a scratch copy of your repository, and check it would deploy",
  examples: [
    ['kargo-env rehearse --repo . --tag 1.8.4', 'dev, staging and prod in promotion order against a scratch copy of this clone; your repository is not touched'],
    ['kargo-env rehearse --repo . --tag 1.8.4 --env dev --json', 'one environment, machine-readable'],
    ['kargo-env rehearse --repo . --tag 1.8.4 --push', 'then write the environment branches (env/dev, …) into this clone'],
  ],
  configure(command) {
    command
      .option('--repo <path|url>', 'the Git repository the pipeline promotes through (git.repoURL): a local clone, or a URL git can read; it is cloned into a scratch area and never written without --push')
      .option('--tag <tag>', 'the image tag to promote, as the Warehouse would find it')
      .option('--env <env>', 'rehearse only this environment (repeatable; default all, always in promotion order)', collect)
      .option('--pipeline <name>', 'the pipeline to rehearse (required when the config has several)')
      .option(
        '--push',
        'when every Stage passes, push the environment branches the rehearsal wrote (never kargo/promotion/* scratch branches) to --repo, without force; with a URL that is the real remote, your explicit choice',
      )
      .option('--config <path>', 'pipeline config to rehearse', 'kargo-env.yaml');
    command.addHelpText(
      'after',
      '\nThe steps that touch Git run for real (git-clone, git-clear, copy, yaml-update, git-commit, git-push); pull requests are\n' +
        'opened and merged by a simulated reviewer; argocd-update checks the rendered Application instead of syncing. Other steps\n' +
        '(http notifications, helm-template, …) are reported Skipped (not rehearsed). The image digest is a placeholder.\n' +
        'Exit codes: 0 every Stage would deploy · 1 a Stage would fail, or bad input · 2 usage error.\n',
    );
  },
  toOptions: rehearseOptionsFromFlags,
  async execute(options, io, output) {
    const { formatReport } = await import('../rehearse/run.ts');
    const result = await runRehearse(options, io);
    await output.issues(result.warnings);
    output.data({ ...result.report, config: result.config });
    if (!output.json) {
      output.result(formatReport(result.report, output.paint, { repoShown: options.repo, pushRequested: options.push }));
    }
    return result.report.ok ? ExitCode.Ok : ExitCode.Failure;
  },
});
