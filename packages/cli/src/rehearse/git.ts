// Real `git`, run without a shell: every call has a timeout, ignores the system config and sees a HOME of its
// own (the scratch area), like Kargo's git client, which gives each repository a virtual home directory
// (Kargo v1.11.2 pkg/controller/git/base_repo.go, setupDirs and buildCommand).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The author of every commit a rehearsal makes, unless a step's `author` says otherwise. */
export const REHEARSAL_AUTHOR = { name: 'kargo-env rehearse', email: 'rehearse@kargo-env.invalid' } as const;

/**
 * Kargo's own default when neither the step nor the ClusterConfig names an author: "Kargo <no-reply@kargo.io>"
 * (v1.11.2 pkg/controller/git/base_repo.go defaultUsername/defaultEmail, reached through the fallback of
 * pkg/promotion/git_user_resolver.go). A rehearsal uses its own so its commits are never mistaken for Kargo's.
 */
export const KARGO_DEFAULT_AUTHOR = { name: 'Kargo', email: 'no-reply@kargo.io' } as const;

/** Default bound of one git call. */
export const DEFAULT_GIT_TIMEOUT_MS = 60_000;

/** A git call that exited non-zero, timed out or could not start. */
export class GitError extends Error {
  readonly args: readonly string[];
  /** Exit code; undefined when git was killed (timeout) or did not start. */
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;

  constructor(args: readonly string[], exitCode: number | undefined, stdout: string, stderr: string, timedOut: boolean, detail?: string) {
    const what = timedOut ? 'timed out' : exitCode === undefined ? `could not run${detail === undefined ? '' : ` (${detail})`}` : `exited with ${exitCode}`;
    const said = stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join(' / ');
    super(`git ${args.join(' ')} ${what}${said === '' ? '' : `: ${said}`}`);
    this.name = 'GitError';
    this.args = args;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
    this.timedOut = timedOut;
  }
}

export interface GitRunOptions {
  /** Working directory of the call. */
  readonly cwd: string;
  /** Exit codes that are answers, not failures (e.g. 1 of `git diff --quiet`). @default [0] */
  readonly okCodes?: readonly number[];
  /** Text for stdin. */
  readonly input?: string;
  /** Extra environment (e.g. GIT_AUTHOR_NAME for one commit). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Variables passed through from the user's environment: finding git, reaching a remote `--repo`, temp files. */
const PASS_THROUGH = ['PATH', 'SYSTEMROOT', 'TMPDIR', 'TEMP', 'TMP', 'SSH_AUTH_SOCK', 'http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/** Runs git with a fixed, minimal environment. */
export class Git {
  readonly home: string;
  readonly timeoutMs: number;
  readonly #env: Readonly<Record<string, string>>;

  constructor(home: string, timeoutMs = DEFAULT_GIT_TIMEOUT_MS, parentEnv: Readonly<Record<string, string | undefined>> = process.env) {
    this.home = home;
    this.timeoutMs = timeoutMs;
    const env: Record<string, string> = {};
    for (const name of PASS_THROUGH) {
      const value = parentEnv[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_OPTIONAL_LOCKS: '0',
      LC_ALL: 'C',
      LANG: 'C',
    });
    this.#env = env;
  }

  /** Writes the scratch HOME's global config: the rehearsal's author and Kargo's `init.defaultBranch main`. */
  async configureHome(): Promise<void> {
    const config = [
      '[user]',
      `\tname = ${REHEARSAL_AUTHOR.name}`,
      `\temail = ${REHEARSAL_AUTHOR.email}`,
      '[init]',
      '\tdefaultBranch = main',
      '[commit]',
      '\tgpgsign = false',
      '[tag]',
      '\tgpgsign = false',
      '[advice]',
      '\tdetachedHead = false',
      '[protocol "file"]',
      '\tallow = always',
      '',
    ].join('\n');
    await writeFile(join(this.home, '.gitconfig'), config);
  }

  run(args: readonly string[], options: GitRunOptions): Promise<GitResult> {
    const okCodes = options.okCodes ?? [0];
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        [...args],
        {
          cwd: options.cwd,
          env: { ...this.#env, ...options.env },
          timeout: this.timeoutMs,
          killSignal: 'SIGTERM',
          maxBuffer: 64 * 1024 * 1024,
          encoding: 'utf8',
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          if (error === null) {
            resolve({ code: 0, stdout, stderr });
            return;
          }
          const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string | null };
          const code = typeof failure.code === 'number' ? failure.code : undefined;
          if (code !== undefined && okCodes.includes(code)) {
            resolve({ code, stdout, stderr });
            return;
          }
          const timedOut = failure.killed === true || (failure.signal !== null && failure.signal !== undefined);
          reject(new GitError(args, code, stdout, stderr, timedOut && code === undefined, typeof failure.code === 'string' ? failure.code : failure.message));
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  /** stdout of a successful call, trimmed. */
  async out(args: readonly string[], cwd: string, env?: Readonly<Record<string, string>>): Promise<string> {
    return (await this.run(args, { cwd, ...(env === undefined ? {} : { env }) })).stdout.trim();
  }

  /** The commit a ref names in the repository at `gitDir`, or undefined. */
  async resolveCommit(gitDir: string, ref: string): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: gitDir, okCodes: [0, 1, 128] });
    const sha = result.stdout.trim();
    return result.code === 0 && sha !== '' ? sha : undefined;
  }

  /** Whether branch `branch` exists in the repository at `gitDir`. */
  async branchExists(gitDir: string, branch: string): Promise<boolean> {
    const result = await this.run(['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: gitDir, okCodes: [0, 1] });
    return result.code === 0;
  }

  /** Every branch of the repository at `gitDir` with its commit. */
  async branches(gitDir: string): Promise<Map<string, string>> {
    const text = await this.out(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/'], gitDir);
    const map = new Map<string, string>();
    for (const line of text.split('\n')) {
      const at = line.indexOf(' ');
      if (at > 0) map.set(line.slice(at + 1).replace(/^refs\/heads\//, ''), line.slice(0, at));
    }
    return map;
  }
}

/** Environment variables that make one `git commit` use `author` as author and committer. */
export function authorEnv(author: { readonly name?: string; readonly email?: string } | undefined): Record<string, string> {
  if (author === undefined) return {};
  const env: Record<string, string> = {};
  if (author.name !== undefined && author.name !== '') {
    env['GIT_AUTHOR_NAME'] = author.name;
    env['GIT_COMMITTER_NAME'] = author.name;
  }
  if (author.email !== undefined && author.email !== '') {
    env['GIT_AUTHOR_EMAIL'] = author.email;
    env['GIT_COMMITTER_EMAIL'] = author.email;
  }
  return env;
}
