// Child processes of the built bins: one-shot CLI runs and the long-running relay, all bounded in time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN, RELAY_MAIN } from './paths.ts';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A scratch folder removed by the returned `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `kargo-e2e-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Only what the bins need: a PATH, no colour, and nothing leaking in from the developer's shell. */
function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...(process.env.TMPDIR === undefined ? {} : { TMPDIR: process.env.TMPDIR }) };
}

/** Runs `kargo-env <args>` in `cwd` on this Node (24 under pnpm); killed after `timeoutMs`. */
export function runCli(args: readonly string[], cwd: string, timeoutMs = 20_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== null) reject(new Error(`kargo-env ${args.join(' ')} killed by ${signal}:\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

export interface RelayProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` as the relay reported it. */
  readonly url: string;
  /** Everything the relay wrote (pino JSON lines), for failure messages. */
  readonly output: () => string;
  /** Sends `signal` and resolves with the exit code; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Starts `node apps/webhook-relay/dist/main.js` on a free loopback port with `env` on top of the basics. */
export function startRelay(env: Record<string, string>, startTimeoutMs = 15_000): Promise<RelayProcess> {
  const child = spawn(process.execPath, [RELAY_MAIN], {
    env: { ...baseEnv(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not report listening within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = (): void => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({ child, url: m[1], output: () => output, stop });
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${String(code)} before listening:\n${output}`));
    });
  });
}
