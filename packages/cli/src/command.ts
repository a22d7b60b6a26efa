// The contract every `src/commands/<name>.ts` fulfils; the program registers these and nothing else.
import type { Command } from 'commander';
import type { ExitCode } from './errors.ts';
import type { Io } from './io.ts';
import type { Output } from './output.ts';

/** The flags commander parsed for one command, before they become typed options. */
export type Flags = Readonly<Record<string, unknown>>;

export interface CommandSpec<O> {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Shown under "Examples:" in `--help`; each entry is `[command line, what it does]`. */
  readonly examples: readonly (readonly [string, string])[];
  /** Declares the command's flags (`--json` is added for every command). */
  configure(command: Command): void;
  /** Flags → options; throws `UsageError` for values or combinations it cannot act on. */
  toOptions(flags: Flags): O;
  /** Runs the command's `run<Name>` and prints its result; returns the exit code. */
  execute(options: O, io: Io, output: Output): Promise<ExitCode>;
}

/** A command with its options type erased, so specs of different option types share one list. */
export interface RegisteredCommand {
  readonly name: string;
  readonly summary: string;
  readonly examples: readonly (readonly [string, string])[];
  configure(command: Command): void;
  /** Flags → a ready-to-run invocation (options are exposed for the argv → options tests). */
  bind(flags: Flags): { readonly options: unknown; readonly run: (io: Io, output: Output) => Promise<ExitCode> };
}

export function defineCommand<O>(spec: CommandSpec<O>): RegisteredCommand {
  return {
    name: spec.name,
    summary: spec.summary,
    examples: spec.examples,
    configure: (command) => spec.configure(command),
    bind(flags) {
      const options = spec.toOptions(flags);
      return { options, run: (io, output) => spec.execute(options, io, output) };
    },
  };
}

/** Reads a string flag commander set, or the default. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanFlag(flags: Flags, name: string): boolean {
  return flags[name] === true;
}
