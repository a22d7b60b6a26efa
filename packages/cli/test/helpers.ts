// Test helpers: an in-memory process boundary and temp folders.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../src/errors.ts';
import type { Io } from '../src/io.ts';

export interface CapturedIo extends Io {
  out(): string;
  err(): string;
}

export function captureIo(cwd = process.cwd(), env: Record<string, string | undefined> = {}, tty = false): CapturedIo {
  let out = '';
  let err = '';
  return {
    cwd,
    env,
    stdout: { write: (text: string) => void (out += text), isTTY: tty },
    stderr: { write: (text: string) => void (err += text), isTTY: tty },
    out: () => out,
    err: () => err,
  };
}

export async function tempDir(prefix = 'kargo-env-cli-'): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

/** The CliError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}
