// Path resolution and file reading shared by the commands.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { CliError, CliErrorCode } from '../errors.ts';

/** A path from a flag, resolved against the working directory, plus the form to show the user. */
export interface UserPath {
  readonly absolute: string;
  /** Relative to the working directory when inside it, so messages read like the command line. */
  readonly display: string;
}

export function userPath(cwd: string, given: string): UserPath {
  const absolute = resolve(cwd, given);
  const rel = relative(cwd, absolute);
  const display = rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? absolute : rel.split('\\').join('/');
  return { absolute, display };
}

/** Reads the config text, turning a missing or unreadable file into a typed error with a hint. */
export async function readConfigText(path: UserPath): Promise<string> {
  try {
    return await readFile(path.absolute, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(CliErrorCode.ConfigNotReadable, missing ? `config file ${path.display} not found` : `cannot read config file ${path.display}`, {
      cause: error,
      hint: missing ? "create one with 'kargo-env init' or pass --config <path>" : undefined,
    });
  }
}

/** Reads a file of the current tree, or undefined when it does not exist (anything else is an error). */
export async function readIfExists(absolute: string): Promise<string | undefined> {
  try {
    return await readFile(absolute, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Synchronous twin of `readIfExists`, for the renderer's `readExisting` callback. */
export function readIfExistsSync(absolute: string): string | undefined {
  try {
    return readFileSync(absolute, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR' || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw error;
  }
}
