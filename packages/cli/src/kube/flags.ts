// The flags every cluster command shares (--config, --context, --request-timeout) and their parsing.
import type { Command } from 'commander';
import { stringFlag, type Flags } from '../command.ts';
import { UsageError } from '../errors.ts';
import { goDurationMs } from './kargo.ts';
import { parseRequestTimeout, type ClusterOptions } from './session.ts';

export function addClusterFlags(command: Command): void {
  command
    .option('--config <path>', 'pipeline config naming the Projects, Stages and repositories to look at', 'kargo-env.yaml')
    .option('--context <name>', "kubeconfig context to use (default: the kubeconfig's current-context; KUBECONFIG is honoured)")
    .option('--request-timeout <duration>', 'how long one API request may take before the cluster counts as unreachable (exit 2)', '3s');
}

export function clusterOptionsFromFlags(flags: Flags): ClusterOptions {
  const config = stringFlag(flags, 'config') ?? 'kargo-env.yaml';
  if (config.trim() === '') throw new UsageError('--config must not be empty');
  const context = stringFlag(flags, 'context');
  if (context?.trim() === '') throw new UsageError('--context must not be empty');
  const requestTimeoutMs = parseRequestTimeout(stringFlag(flags, 'requestTimeout'));
  return { config, ...(context === undefined ? {} : { context }), ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }) };
}

/** A duration flag (`30m`, `1h`, `90s`) in ms; a usage error otherwise. */
export function durationFlag(flags: Flags, name: string, flag: string): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const ms = goDurationMs(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration like 30m, 1h or 90s`);
  return ms;
}
