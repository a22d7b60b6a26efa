// `kargo-env render`: kargo-env.yaml → the kargo/ tree, written atomically, checked for drift, or streamed.
import { isAbsolute, join, relative } from 'node:path';
import type { Issue } from '@kargo/model';
import { booleanFlag, defineCommand, stringFlag, type Flags } from '../command.ts';
import { CliErrorCode, ExitCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import type { DiffExcerpt } from '../lib/diff.ts';
import { readIfExists, userPath, type UserPath } from '../lib/files.ts';
import { asCliError, loadConfig, renderTree } from '../lib/pipeline.ts';
import type { Output } from '../output.ts';

export const RenderMode = {
  /** Write the tree (atomically) when it differs. */
  Write: 'write',
  /** Write nothing; report drift. */
  Check: 'check',
  /** Write nothing; return every rendered object as one YAML stream. */
  Stdout: 'stdout',
} as const;
export type RenderMode = (typeof RenderMode)[keyof typeof RenderMode];

export interface RenderOptions {
  /** Config path relative to the working directory. */
  readonly config: string;
  /** Output folder relative to the working directory. */
  readonly out: string;
  readonly mode: RenderMode;
}

export interface RenderFiles {
  /** Paths relative to the output folder, each list sorted. */
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: readonly string[];
}

export interface RenderResult {
  readonly config: string;
  readonly out: string;
  readonly mode: RenderMode;
  /** Rendered objects per kind, kinds sorted. */
  readonly kinds: Readonly<Record<string, number>>;
  readonly objects: number;
  /** How the rendered tree compares with the folder before this run (empty lists for `stdout`). */
  readonly files: RenderFiles;
  /** True when the folder differs from the rendering (before writing, in write mode). */
  readonly drift: boolean;
  /** True when this run changed the folder. */
  readonly wrote: boolean;
  /** `check` only: the first lines that differ in the first changed files. */
  readonly diffs: readonly DiffExcerpt[];
  /** `stdout` only: every rendered object as one YAML stream. */
  readonly stream?: string;
  readonly warnings: readonly Issue[];
  readonly durationMs: number;
}

/** How many changed files `--check` shows a diff excerpt for; the full list is always printed. */
const MAX_DIFFS = 3;

export function renderOptionsFromFlags(flags: Flags): RenderOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  const out = stringFlag(flags, 'out') ?? 'kargo';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  if (out.trim() === '') throw new UsageError('--out must not be empty');
  const check = booleanFlag(flags, 'check');
  const stdout = booleanFlag(flags, 'stdout');
  if (check && stdout) throw new UsageError('--check and --stdout cannot be combined');
  return { config, out, mode: check ? RenderMode.Check : stdout ? RenderMode.Stdout : RenderMode.Write };
}

export async function runRender(options: RenderOptions, io: RunIo): Promise<RenderResult> {
  const started = performance.now();
  const configPath = userPath(io.cwd, options.config);
  const outPath = userPath(io.cwd, options.out);
  guardOutDir(io.cwd, configPath.absolute, outPath);
  const { config, warnings } = await loadConfig(configPath);
  const tree = await renderTree(config, { configFile: configPath.absolute, outDir: outPath.absolute });

  const counts = new Map<string, number>();
  for (const object of tree.objects) counts.set(object.kind, (counts.get(object.kind) ?? 0) + 1);
  const kinds = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const base = { config: configPath.display, out: outPath.display, mode: options.mode, kinds, objects: tree.objects.length, warnings };

  if (options.mode === RenderMode.Stdout) {
    const { toYamlStream } = await import('../lib/stream.ts');
    const stream = toYamlStream(tree, outPath.display);
    const files = { added: [], changed: [], removed: [], unchanged: [] };
    return { ...base, files, drift: false, wrote: false, diffs: [], stream, durationMs: elapsed(started) };
  }

  const render = await import('@kargo/render');
  let diff: Awaited<ReturnType<typeof render.diffTree>>;
  try {
    diff = await render.diffTree(outPath.absolute, tree.files);
  } catch (error) {
    throw asCliError(error, CliErrorCode.OutputNotReadable, `cannot read the output folder ${outPath.display}`);
  }
  const files: RenderFiles = {
    added: sorted(diff.added),
    changed: sorted(diff.changed),
    removed: sorted(diff.removed),
    unchanged: sorted(diff.unchanged),
  };
  const drift = files.added.length + files.changed.length + files.removed.length > 0;

  if (options.mode === RenderMode.Check) {
    const { diffExcerpt } = await import('../lib/diff.ts');
    const diffs: DiffExcerpt[] = [];
    for (const path of files.changed.slice(0, MAX_DIFFS)) {
      const current = (await readIfExists(join(outPath.absolute, path))) ?? '';
      diffs.push(diffExcerpt(path, current, tree.files.get(path) ?? ''));
    }
    return { ...base, files, drift, wrote: false, diffs, durationMs: elapsed(started) };
  }

  if (drift) {
    try {
      await render.writeTreeAtomic(outPath.absolute, tree.files);
    } catch (error) {
      throw asCliError(error, CliErrorCode.WriteFailed, `writing ${outPath.display} failed; the previous tree is unchanged`);
    }
  }
  return { ...base, files, drift, wrote: drift, diffs: [], durationMs: elapsed(started) };
}

/**
 * Render replaces the output folder as a whole (and --check reports everything else in it as extra), so a
 * folder that holds the working directory or the config is refused instead of swapped away.
 */
function guardOutDir(cwd: string, configFile: string, out: UserPath): void {
  const holds = (path: string): boolean => {
    const rel = relative(out.absolute, path);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  if (holds(cwd) || holds(configFile)) {
    throw new UsageError(`--out ${out.display} would replace a folder that holds ${holds(configFile) ? 'the config file' : 'the working directory'}`, {
      hint: 'render owns its output folder as a whole; use a dedicated folder such as kargo/',
    });
  }
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function sorted(paths: readonly string[]): string[] {
  return [...paths].sort();
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The human summary: objects per kind, then what happened to the files. */
function printSummary(result: RenderResult, output: Output): void {
  const { paint } = output;
  const { files } = result;
  const verb = result.mode === RenderMode.Check ? 'Checked' : 'Rendered';
  output.result(`${verb} ${plural(result.objects, 'object')} from ${result.config} ${result.mode === RenderMode.Check ? 'against' : 'into'} ${result.out}/ in ${result.durationMs} ms`);
  const width = Math.max(0, ...Object.keys(result.kinds).map((kind) => kind.length));
  for (const [kind, count] of Object.entries(result.kinds)) output.result(`  ${kind.padEnd(width)}  ${count}`);
  if (result.mode === RenderMode.Write) {
    const written = files.added.length + files.changed.length;
    output.result(
      `Files: ${paint(written > 0 ? 'green' : 'dim', `${written} written`)} (${files.added.length} added, ${files.changed.length} changed), ${files.unchanged.length} unchanged, ${files.removed.length} removed`,
    );
  }
}

function printDrift(result: RenderResult, output: Output): void {
  const { paintErr: paint } = output;
  const { files } = result;
  output.note(
    `${paint('red', 'drift:')} ${result.out}/ differs from what ${result.config} renders: ${files.added.length} missing, ${files.changed.length} changed, ${files.removed.length} extra`,
  );
  for (const path of files.added) output.note(`  ${paint('green', '+')} ${result.out}/${path}  (missing; would be added)`);
  for (const path of files.changed) output.note(`  ${paint('yellow', '~')} ${result.out}/${path}  (changed)`);
  for (const path of files.removed) output.note(`  ${paint('red', '-')} ${result.out}/${path}  (extra; would be removed)`);
  for (const excerpt of result.diffs) {
    output.note(paint('bold', `--- ${result.out}/${excerpt.path}  (on disk)`));
    output.note(paint('bold', `+++ ${result.out}/${excerpt.path}  (rendered)`));
    for (const line of excerpt.lines) {
      output.note(line.startsWith('-') ? paint('red', line) : line.startsWith('+') ? paint('green', line) : line.startsWith('@@') ? paint('cyan', line) : line);
    }
  }
  const rerun = `kargo-env render${result.config === 'kargo-env.yaml' ? '' : ` --config ${result.config}`}${result.out === 'kargo' ? '' : ` --out ${result.out}`}`;
  output.note(`${paint('dim', 'hint:')} run '${rerun}' and commit the result`);
}

export const renderCommand = defineCommand<RenderOptions>({
  name: 'render',
  summary: 'render kargo-env.yaml into the kargo/ tree (Kargo, Argo CD and Rollouts objects, values files, PIPELINE.md)',
  examples: [
    ['kargo-env render', 'write ./kargo from ./kargo-env.yaml'],
    ['kargo-env render --check', 'exit 1 in CI when kargo/ is not exactly what the config renders'],
    ['kargo-env render --stdout | kubectl apply --dry-run=server -f -', 'stream every object without writing'],
    ['kargo-env render --config deploy/kargo-env.yaml --out deploy/kargo --json', 'machine-readable summary'],
  ],
  configure(command) {
    command
      .option('--config <path>', 'pipeline config to render', 'kargo-env.yaml')
      .option('--out <dir>', 'output folder; inside the config\'s folder it is also the repository path Argo CD syncs (Kargo-written image tags are kept)', 'kargo')
      .option('--check', 'write nothing; exit 1 with a diff summary when the folder differs')
      .option('--stdout', 'write nothing; print every object as one YAML stream');
  },
  toOptions: renderOptionsFromFlags,
  async execute(options, io, output) {
    const result = await runRender(options, io);
    await output.issues(result.warnings);
    if (result.stream !== undefined) {
      if (output.json) output.data({ ok: true, ...result });
      else output.raw(result.stream);
      return ExitCode.Ok;
    }
    const failed = result.mode === RenderMode.Check && result.drift;
    output.data({ ok: !failed, ...result });
    printSummary(result, output);
    if (failed) {
      printDrift(result, output);
      return ExitCode.Failure;
    }
    if (result.mode === RenderMode.Check) output.result(`${output.paint('green', '✓')} ${result.out}/ is up to date`);
    return ExitCode.Ok;
  },
});
