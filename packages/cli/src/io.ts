// The process boundary handed to the CLI, so tests can run every command without a real process.

/** Somewhere text goes; `isTTY` decides colour. */
export interface TextSink {
  write(text: string): void;
  readonly isTTY?: boolean;
}

/** Everything the CLI takes from its process; only `src/bin.ts` builds one from `process`. */
export interface Io {
  /** Relative paths in flags resolve against this directory. */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Fires on Ctrl-C (SIGINT/SIGTERM in the bin): long-running commands (`status --watch`) stop cleanly. */
  readonly signal?: AbortSignal;
}

/** What a `run<Name>` function may use: it returns data and prints nothing. */
export interface RunIo {
  readonly cwd: string;
}
