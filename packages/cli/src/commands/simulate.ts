// `kargo-env simulate`: an offline dry run — these tags arrive; which environment gets what, when, and which
// files change. Each environment starts at the tag its values file holds on the environment's own Git branch
// (`git show`), else in the rendered tree.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Issue, PipelineConfig } from '@kargo/model';
import type { SimulationInput, SimulationResult, SimulationStartTag } from '@kargo/render';
import { defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliError, CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import { readIfExistsSync, userPath, type UserPath } from '../lib/files.ts';
import { asCliError, loadConfig, treeRoot } from '../lib/pipeline.ts';

export interface SimulateOptions {
  /** Config path relative to the working directory. */
  readonly config: string;
  /** `--push` values as given (`[pipeline/]tag[@digest]@offset`), parsed when the command runs. */
  readonly pushes: readonly string[];
  /** `--approve` values as given (`[pipeline/]env[=tag]@offset`). */
  readonly approvals: readonly string[];
  /** `--merge` values as given (`[pipeline/]env@offset`). */
  readonly merges?: readonly string[];
  /** `--close` values as given (`[pipeline/]env@offset`). */
  readonly closes?: readonly string[];
  /** `--argocd-update-timeout` values as given (`[pipeline/]env=duration`). */
  readonly argocdUpdateTimeouts?: readonly string[];
  /** `--until` as given (a duration). */
  readonly until?: string;
  /** `--start` as given (RFC 3339 with a zone); default Monday 2026-01-05 00:00 UTC. */
  readonly start?: string;
  /** The rendered folder (render's `--out`) whose values files give the starting tags; default `kargo`. */
  readonly out?: string;
}

export interface SimulateReport extends SimulationResult {
  readonly config: string;
  /** The folder the values files were read from, as shown to the user. */
  readonly out: string;
  readonly warnings: readonly Issue[];
}

function list(flags: Flags, name: string): string[] {
  const value = flags[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Flags → options checks presence only: the spellings are parsed by @kargo/render's parsers in `runSimulate`
 * (so the library and the CLI agree on them) without loading render for `--help`.
 */
export function simulateOptionsFromFlags(flags: Flags): SimulateOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  const pushes = list(flags, 'push');
  if (pushes.length === 0) throw new UsageError('give at least one --push TAG@OFFSET, e.g. --push 1.8.4@0m');
  const until = stringFlag(flags, 'until');
  const start = stringFlag(flags, 'start');
  const out = stringFlag(flags, 'out');
  if (out?.trim() === '') throw new UsageError('--out must not be empty');
  const merges = list(flags, 'merge');
  const closes = list(flags, 'close');
  const argocdUpdateTimeouts = list(flags, 'argocdUpdateTimeout');
  return {
    config,
    pushes,
    approvals: list(flags, 'approve'),
    ...(merges.length === 0 ? {} : { merges }),
    ...(closes.length === 0 ? {} : { closes }),
    ...(argocdUpdateTimeouts.length === 0 ? {} : { argocdUpdateTimeouts }),
    ...(until === undefined ? {} : { until }),
    ...(start === undefined ? {} : { start }),
    ...(out === undefined ? {} : { out }),
  };
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; errors: readonly Issue[] }): T {
  if (result.ok) return result.value;
  throw new UsageError(result.errors.map((e) => e.message).join('; '));
}

/** The options as simulation input; malformed values are usage errors (exit 2). */
async function simulationInput(options: SimulateOptions): Promise<SimulationInput> {
  const render = await import('@kargo/render');
  const pushes = options.pushes.map((s) => unwrap(render.parsePushSpec(s)));
  const approvals = options.approvals.map((s) => unwrap(render.parseApprovalSpec(s)));
  const merges = (options.merges ?? []).map((s) => unwrap(render.parsePullRequestSpec(s, '--merge')));
  const closes = (options.closes ?? []).map((s) => unwrap(render.parsePullRequestSpec(s, '--close')));
  const argocdUpdateTimeouts = (options.argocdUpdateTimeouts ?? []).map((s) => unwrap(render.parseArgoCDUpdateTimeoutSpec(s)));
  let untilMinutes: number | undefined;
  if (options.until !== undefined) {
    untilMinutes = render.parseOffset(options.until);
    if (untilMinutes === undefined) throw new UsageError(`--until ${JSON.stringify(options.until)} is not a duration like 30m, 2h or 1h30m`);
  }
  const start = options.start;
  if (start !== undefined && (!render.START_PATTERN.test(start) || Number.isNaN(Date.parse(start)))) {
    throw new UsageError(`--start ${JSON.stringify(start)} is not an instant like 2026-12-01T09:00Z (a zone, Z or +01:00, is required)`);
  }
  return { pushes, approvals, merges, closes, argocdUpdateTimeouts, ...(untilMinutes === undefined ? {} : { untilMinutes }), ...(start === undefined ? {} : { start }) };
}

/** How long one git command may take; a slow or hung git only costs the branch lookup, never the run. */
const GIT_TIMEOUT_MS = 10_000;

type GitOutcome = { readonly ok: true; readonly stdout: string } | { readonly ok: false; readonly missing: boolean };

/** Runs git without a shell; never throws (absent git, a timeout or a non-zero exit are outcomes). */
function git(args: readonly string[], cwd: string): Promise<GitOutcome> {
  return new Promise((resolvePromise) => {
    execFile(
      'git',
      [...args],
      { cwd, timeout: GIT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', windowsHide: true, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
      (error, stdout) => {
        if (error === null) resolvePromise({ ok: true, stdout });
        else resolvePromise({ ok: false, missing: (error as NodeJS.ErrnoException).code === 'ENOENT' });
      },
    );
  });
}

/** The values file as the environment's branch holds it: the local branch, else `origin/<branch>`. */
async function branchValuesFile(top: string, branch: string, path: string): Promise<{ ref: string; text: string } | { fallback: string }> {
  let branchSeen = false;
  for (const [ref, full] of [
    [branch, `refs/heads/${branch}`],
    [`origin/${branch}`, `refs/remotes/origin/${branch}`],
  ] as const) {
    if (!(await git(['rev-parse', '--verify', '--quiet', `${full}^{commit}`], top)).ok) continue;
    branchSeen = true;
    const shown = await git(['show', `${full}:${path}`], top);
    if (shown.ok) return { ref, text: shown.stdout };
  }
  return { fallback: branchSeen ? `${branch} has no ${path}` : `no branch ${branch}, locally or on origin` };
}

/**
 * The tag each environment runs: `image.tag` of its values file on its own branch (`git show <branch>:<path>`,
 * local branch first, then origin), since promotions commit there and not on the source branch. Outside a Git
 * work tree, without git, or when the branch lacks the file: the rendered folder, with a note saying so.
 */
async function branchStartTags(config: PipelineConfig, configPath: UserPath, fromTree: readonly SimulationStartTag[]): Promise<SimulationStartTag[]> {
  const render = await import('@kargo/render');
  const top = await git(['rev-parse', '--show-toplevel'], dirname(configPath.absolute));
  const noRepo = top.ok ? undefined : top.missing ? 'git not found' : 'not in a Git work tree';
  return Promise.all(
    fromTree.map(async (t) => {
      const pipeline = config.pipelines.find((p) => p.name === t.pipeline);
      const env = pipeline?.environments.find((e) => e.name === t.stage);
      if (pipeline === undefined || env === undefined) return t;
      const branch = render.environmentBranch(pipeline, env);
      if (!top.ok) return { ...t, fallback: `${noRepo}, so branch ${branch} was not read` };
      const found = await branchValuesFile(top.stdout.trim(), branch, env.valuesPath);
      if ('fallback' in found) return { ...t, fallback: found.fallback };
      let tag: string | undefined;
      try {
        tag = render.valuesFileTag(found.text, { filename: `${found.ref}:${env.valuesPath}` });
      } catch (error) {
        throw asCliError(error, CliErrorCode.OutputNotReadable, `cannot read the current tag of ${t.stage} from branch ${found.ref}`);
      }
      const { tag: _treeTag, fallback: _fallback, ...rest } = t;
      return { ...rest, exists: true, ref: found.ref, ...(tag === undefined ? {} : { tag }) };
    }),
  );
}

/**
 * The tag each environment's values file holds, read from the rendered folder the way `render` reads it
 * (same root mapping, same `readExisting`); absent files and keys fall back to the initialTag in the engine.
 */
async function startTags(config: PipelineConfig, configPath: UserPath, outPath: UserPath): Promise<SimulationStartTag[]> {
  const { valuesFileTags } = await import('@kargo/render');
  const root = treeRoot(configPath.absolute, outPath.absolute);
  try {
    return valuesFileTags(config, { ...(root === undefined ? {} : { root }), readExisting: (relPath: string) => readIfExistsSync(join(outPath.absolute, relPath)) });
  } catch (error) {
    throw asCliError(error, CliErrorCode.OutputNotReadable, `cannot read the current tags from ${outPath.display}`);
  }
}

export async function runSimulate(options: SimulateOptions, io: RunIo): Promise<SimulateReport> {
  const input = await simulationInput(options);
  const configPath = userPath(io.cwd, options.config);
  const outPath = userPath(io.cwd, options.out ?? 'kargo');
  const { config, warnings } = await loadConfig(configPath);
  const { simulatePipeline } = await import('@kargo/render');
  const startTagsFromBranches = await branchStartTags(config, configPath, await startTags(config, configPath, outPath));
  const result = simulatePipeline(config, { ...input, startTags: startTagsFromBranches });
  if (!result.ok) {
    const count = result.errors.length;
    throw new CliError(CliErrorCode.InvalidArgument, `the simulation input does not fit ${configPath.display} (${count} problem${count === 1 ? '' : 's'})`, {
      issues: result.errors,
      hint: 'approvals, merges, closes and timeouts name an environment of the config (PIPELINE/ENV when several pipelines share the name); merges and closes need a pull-request environment',
    });
  }
  return { config: configPath.display, out: outPath.display, ...result.value, warnings };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const simulateCommand = defineCommand<SimulateOptions>({
  name: 'simulate',
  summary: 'dry-run pushes and approvals offline: which environment gets which tag when, and which files change',
  examples: [
    ['kargo-env simulate --push 1.8.4@0m', 'one push: dev at once, staging after its soak; prod waits for an approval'],
    ['kargo-env simulate --push 1.8.4@sha256:aa@0m --push 1.8.4@sha256:bb@1h', 'the same tag rebuilt: a new digest is new Freight'],
    ['kargo-env simulate --push 1.8.3@0m --push 1.8.4@10m --push 1.9.0-rc.1@15m --approve prod@2h', 'several pushes (the rc is rejected) and a prod approval'],
    ['kargo-env simulate --push 1.8.4@0m --approve prod=1.8.4@45m --merge prod@50m --start 2026-12-24T09:00Z --json', 'approve a specific tag, merge its pull request, deployment windows from a given date, JSON'],
    ['kargo-env simulate --push 1.8.4@0m --approve prod@1h --close prod@2h', 'a closed pull request fails the promotion; Kargo does not retry it'],
  ],
  configure(command) {
    command
      .option('--config <path>', 'pipeline config to simulate', 'kargo-env.yaml')
      .option(
        '--push <[pipeline/]tag[@digest]@offset>',
        'a registry push (repeatable), e.g. 1.8.4@10m; offsets 0m, 10m, 2h, 1h30m; a @digest (1.8.4@sha256:3f9a@10m) tells a rebuilt image from a repeated push',
        collect,
      )
      .option('--approve <[pipeline/]env[=tag]@offset>', 'approve and promote (repeatable): the newest Freight upstream, or =TAG; bypasses soak; an older tag on an auto environment holds its auto-promotion', collect)
      .option('--merge <[pipeline/]env@offset>', 'merge the open pull request of a pull-request environment (repeatable); until merged, the promotion waits and later ones queue', collect)
      .option('--close <[pipeline/]env@offset>', 'close the open pull request without merging (repeatable): the promotion fails and auto-promotion never retries that Freight', collect)
      .option('--argocd-update-timeout <[pipeline/]env=duration>', "the argocd-update step's retry.timeout (repeatable): a window wait beyond it fails the promotion and is flagged as a stall", collect)
      .option('--until <duration>', 'stop after this long (default: when nothing more can happen)')
      .option('--start <instant>', 'wall-clock time of minute 0 for deployment windows, e.g. 2026-12-01T09:00Z (default 2026-01-05T00:00Z, a Monday)')
      .option(
        '--out <dir>',
        "the rendered folder (render's --out, default kargo): each environment starts at the image.tag of its values file on its Git branch (env/<env>), else there, else at initialTag",
      );
  },
  toOptions: simulateOptionsFromFlags,
  async execute(options, io, output) {
    const report = await runSimulate(options, io);
    await output.issues(report.warnings);
    output.data({ ok: true, ...report });
    if (!output.json) {
      const { formatSimulation } = await import('@kargo/render');
      output.result(formatSimulation(report));
    }
    return ExitCode.Ok;
  },
});
