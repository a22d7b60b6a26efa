// `kargo-env simulate`: an offline dry run — these tags arrive; which environment gets what, when, and which
// files change. Each environment starts at the tag its values file in the rendered tree holds.
import { join } from 'node:path';
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
  return {
    config,
    pushes,
    approvals: list(flags, 'approve'),
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
  let untilMinutes: number | undefined;
  if (options.until !== undefined) {
    untilMinutes = render.parseOffset(options.until);
    if (untilMinutes === undefined) throw new UsageError(`--until ${JSON.stringify(options.until)} is not a duration like 30m, 2h or 1h30m`);
  }
  const start = options.start;
  if (start !== undefined && (!render.START_PATTERN.test(start) || Number.isNaN(Date.parse(start)))) {
    throw new UsageError(`--start ${JSON.stringify(start)} is not an instant like 2026-12-01T09:00Z (a zone, Z or +01:00, is required)`);
  }
  return { pushes, approvals, ...(untilMinutes === undefined ? {} : { untilMinutes }), ...(start === undefined ? {} : { start }) };
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
  const result = simulatePipeline(config, { ...input, startTags: await startTags(config, configPath, outPath) });
  if (!result.ok) {
    const count = result.errors.length;
    throw new CliError(CliErrorCode.InvalidArgument, `the simulation input does not fit ${configPath.display} (${count} problem${count === 1 ? '' : 's'})`, {
      issues: result.errors,
      hint: 'approvals name an environment of the config (PIPELINE/ENV when several pipelines share the name)',
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
    ['kargo-env simulate --push 1.8.4@0m --approve prod=1.8.4@45m --start 2026-12-24T09:00Z --json', 'approve a specific tag, deployment windows from a given date, JSON'],
  ],
  configure(command) {
    command
      .option('--config <path>', 'pipeline config to simulate', 'kargo-env.yaml')
      .option(
        '--push <[pipeline/]tag[@digest]@offset>',
        'a registry push (repeatable), e.g. 1.8.4@10m; offsets 0m, 10m, 2h, 1h30m; a @digest (1.8.4@sha256:3f9a@10m) tells a rebuilt image from a repeated push',
        collect,
      )
      .option('--approve <[pipeline/]env[=tag]@offset>', 'approve and promote (repeatable): the newest Freight upstream, or =TAG; bypasses soak', collect)
      .option('--until <duration>', 'stop after this long (default: when nothing more can happen)')
      .option('--start <instant>', 'wall-clock time of minute 0 for deployment windows, e.g. 2026-12-01T09:00Z (default 2026-01-05T00:00Z, a Monday)')
      .option('--out <dir>', "the rendered folder (render's --out, default kargo): each environment starts at the image.tag of its values file there, else at initialTag");
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
