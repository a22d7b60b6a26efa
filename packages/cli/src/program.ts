// Builds the commander program from the command registry and turns argv into one invocation or an exit.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { RegisteredCommand } from './command.ts';
import { commands } from './commands/index.ts';
import { CliError, CliErrorCode, ExitCode } from './errors.ts';
import type { Io } from './io.ts';
import { Output } from './output.ts';

export const PROGRAM_NAME = 'kargo-env';

/** The parsed command line: either something to run, or an exit already decided (help, version, usage error). */
export type ParseOutcome =
  | {
      readonly kind: 'run';
      readonly command: string;
      readonly options: unknown;
      readonly json: boolean;
      readonly run: (io: Io, output: Output) => Promise<ExitCode>;
    }
  | { readonly kind: 'exit'; readonly code: ExitCode };

function version(): string {
  // Read at run time: the package.json sits one level above both src/ and dist/.
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

function examplesText(examples: RegisteredCommand['examples']): string {
  const rows = examples.map(([line, what]) => `  # ${what}\n  $ ${line}`);
  return `\nExamples:\n${rows.join('\n\n')}\n`;
}

function buildProgram(io: Io, registry: readonly RegisteredCommand[], onAction: (command: RegisteredCommand, flags: Record<string, unknown>) => void): Command {
  const program = new Command(PROGRAM_NAME)
    .description('Initialise, render, validate, graph and simulate Kargo promotion pipelines from one typed kargo-env.yaml; check, watch and promote them on the cluster.')
    .version(version(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError(`(run '${PROGRAM_NAME} --help' for usage)`)
    .exitOverride();
  const overview: (readonly [string, string])[] = [
    [`${PROGRAM_NAME} init --app flask-app --image ghcr.io/alkon/flask-app --repo https://github.com/alkon/flask-app`, 'start a config'],
    [`${PROGRAM_NAME} render`, 'write kargo/ from kargo-env.yaml'],
    [`${PROGRAM_NAME} render --check`, 'fail CI when kargo/ drifts from the config'],
    [`${PROGRAM_NAME} graph`, 'draw the promotion graph as Mermaid (also DOT and SVG)'],
    [`${PROGRAM_NAME} simulate --push 1.8.4@0m`, 'replay a push through the pipeline: what promotes where, and when'],
    [`${PROGRAM_NAME} rehearse --repo . --tag 1.8.4`, "run every Stage's Git promotion steps against a scratch copy of the repository"],
    [`${PROGRAM_NAME} doctor`, 'check the cluster (current kubeconfig context) for everything the pipeline needs'],
    [`${PROGRAM_NAME} promote --env prod --tag 1.8.4`, 'promote 1.8.4 to prod and follow the Promotion to its end'],
  ];
  program.addHelpText(
    'after',
    `${examplesText(overview)}\nExit codes: 0 ok · 1 invalid input or drift · 2 usage error (or, for cluster commands, cluster unreachable). NO_COLOR disables colour.\n`,
  );

  for (const spec of registry) {
    const command = program
      .command(spec.name)
      .description(spec.summary)
      .helpOption('-h, --help', 'show help')
      .showHelpAfterError(`(run '${PROGRAM_NAME} ${spec.name} --help' for usage)`)
      .exitOverride();
    spec.configure(command);
    command.option('--json', 'print one JSON document on stdout for machines');
    command.addHelpText('after', examplesText(spec.examples));
    command.action((flags: Record<string, unknown>) => onAction(spec, flags));
  }
  return program;
}

/**
 * argv (without node and the script) → what to run. Help, version and usage errors are printed here and
 * come back as an exit; nothing is run.
 */
export function parseArgv(argv: readonly string[], io: Io, registry: readonly RegisteredCommand[] = commands): ParseOutcome {
  let chosen: { spec: RegisteredCommand; flags: Record<string, unknown> } | undefined;
  const program = buildProgram(io, registry, (spec, flags) => {
    chosen = { spec, flags };
  });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander reports everything else (unknown flag, missing value, missing
      // command) with exit code 1, which for us is a usage error.
      const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0);
      return { kind: 'exit', code: ok ? ExitCode.Ok : ExitCode.Usage };
    }
    throw error;
  }
  if (chosen === undefined) {
    // Only reachable if commander accepted argv without choosing a command; treat like a missing command.
    program.outputHelp({ error: true });
    return { kind: 'exit', code: ExitCode.Usage };
  }
  const { spec, flags } = chosen;
  try {
    const bound = spec.bind(flags);
    return { kind: 'run', command: spec.name, options: bound.options, json: flags['json'] === true, run: bound.run };
  } catch (error) {
    if (error instanceof CliError && error.code === CliErrorCode.Usage) {
      new Output(io, { json: false }).error(error.message, error.hint ?? `run '${PROGRAM_NAME} ${spec.name} --help' for usage`);
      return { kind: 'exit', code: ExitCode.Usage };
    }
    throw error;
  }
}

/** The whole CLI as a function of argv and a process boundary; returns the exit code for the bin. */
export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  let outcome: ParseOutcome;
  try {
    outcome = parseArgv(argv, io);
  } catch (error) {
    return await reportError(error, new Output(io, { json: false }));
  }
  if (outcome.kind === 'exit') return outcome.code;
  const output = new Output(io, { json: outcome.json });
  try {
    return await outcome.run(io, output);
  } catch (error) {
    return await reportError(error, output);
  }
}

/** The one error handler: typed errors print their message, issues and hint; anything else is a bug. */
export async function reportError(error: unknown, output: Output): Promise<ExitCode> {
  const cliError =
    error instanceof CliError
      ? error
      : new CliError(CliErrorCode.Internal, error instanceof Error ? error.message : String(error), {
          cause: error,
          hint: 'this is a bug in kargo-env; please report it with the command you ran',
        });
  await output.issues(cliError.issues);
  output.error(cliError.message, cliError.hint);
  output.data({
    ok: false,
    error: { code: cliError.code, message: cliError.message, hint: cliError.hint, issues: cliError.issues },
  });
  return cliError.exitCode;
}
