// Typed errors of the kargo-env CLI: a stable `code` for machines, an exit code for the one exit point.
import type { Issue } from '@kargo/model';

export const CliErrorCode = {
  /** Bad command line: unknown flag or command, missing or conflicting values. */
  Usage: 'KARGO_CLI_USAGE',
  /** A flag value is well-formed for the parser but not acceptable (e.g. an image reference with a tag). */
  InvalidArgument: 'KARGO_CLI_INVALID_ARGUMENT',
  /** The config file does not exist or cannot be read. */
  ConfigNotReadable: 'KARGO_CLI_CONFIG_NOT_READABLE',
  /** The config file was read but does not pass the model's rules. */
  InvalidConfig: 'KARGO_CLI_INVALID_CONFIG',
  /** `init` would overwrite an existing file without `--force`. */
  FileExists: 'KARGO_CLI_FILE_EXISTS',
  /** Rendering failed after the config was accepted (a bug or an unsupported combination). */
  RenderFailed: 'KARGO_CLI_RENDER_FAILED',
  /** The output folder exists but cannot be read (not a folder, no permission). */
  OutputNotReadable: 'KARGO_CLI_OUTPUT_NOT_READABLE',
  /** Writing the output tree failed; the previous tree is left as it was. */
  WriteFailed: 'KARGO_CLI_WRITE_FAILED',
  /** No usable kubeconfig, or the cluster's API server did not answer in time (exit 2). */
  ClusterUnreachable: 'KARGO_CLI_CLUSTER_UNREACHABLE',
  /** The Kubernetes API answered with an error the command cannot work around (403, 404, 409, 422). */
  KubeApi: 'KARGO_CLI_KUBE_API',
  /** `promote`/`rollback`: no Freight carries the tag, or the Stage has none to go back to. */
  FreightNotFound: 'KARGO_CLI_FREIGHT_NOT_FOUND',
  /** `promote`/`rollback`: the Freight is not available to the Stage (Kargo would refuse the Promotion). */
  FreightNotEligible: 'KARGO_CLI_FREIGHT_NOT_ELIGIBLE',
  /** The Promotion ended Failed, Errored or Aborted, or was not finished within --timeout. */
  PromotionFailed: 'KARGO_CLI_PROMOTION_FAILED',
  /** Anything not foreseen; always a bug worth reporting. */
  Internal: 'KARGO_CLI_INTERNAL',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/**
 * Exit codes of every command: 0 ok · 1 invalid input or drift · 2 usage error. The cluster commands (doctor,
 * status, promote, rollback) also exit 2 when they cannot reach the cluster (`Unreachable`).
 */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2, Unreachable: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
  /** Located problems behind the error, printed one per line. */
  readonly issues?: readonly Issue[];
}

/** Base class of every error the CLI throws; the bin maps it to stderr and an exit code. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly hint: string | undefined;
  readonly issues: readonly Issue[];

  constructor(code: CliErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint;
    this.issues = options.issues ?? [];
  }

  get exitCode(): ExitCode {
    if (this.code === CliErrorCode.ClusterUnreachable) return ExitCode.Unreachable;
    return this.code === CliErrorCode.Usage ? ExitCode.Usage : ExitCode.Failure;
  }
}

/** A command line the CLI cannot act on; exits 2. */
export class UsageError extends CliError {
  constructor(message: string, options: CliErrorOptions = {}) {
    super(CliErrorCode.Usage, message, options);
    this.name = 'UsageError';
  }
}
