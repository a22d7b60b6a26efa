// What every cluster command starts with: the pipeline config, then the kubeconfig, then one quick request
// (`/version`) so an unreachable cluster ends the command at once with exit 2.
import type { Issue, Pipeline, PipelineConfig, PipelineEnvironment } from '@kargo/model';
import { CliError, CliErrorCode, UsageError } from '../errors.ts';
import type { RunIo } from '../io.ts';
import { userPath } from '../lib/files.ts';
import { loadConfig } from '../lib/pipeline.ts';
import { KubeClient, serverVersion } from './client.ts';
import { kubeConnection } from './kubeconfig.ts';

export interface ClusterIo extends RunIo {
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ClusterOptions {
  readonly config: string;
  readonly context?: string;
  /** Per-request timeout in ms (default 3000): an unreachable cluster fails within it. */
  readonly requestTimeoutMs?: number;
}

export interface Session {
  readonly config: PipelineConfig;
  readonly configDisplay: string;
  readonly warnings: readonly Issue[];
  readonly client: KubeClient;
  readonly kubernetesVersion: string;
}

export async function openSession(options: ClusterOptions, io: ClusterIo): Promise<Session> {
  const path = userPath(io.cwd, options.config);
  const { config, warnings } = await loadConfig(path);
  const connection = await kubeConnection(io.env, options.context === undefined ? {} : { context: options.context });
  const client = new KubeClient(connection, options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs });
  const version = await serverVersion(client);
  return { config, configDisplay: path.display, warnings, client, kubernetesVersion: version.gitVersion };
}

/** The pipeline and environment `--env` (and `--pipeline`) name; exit 1 when the config lacks them. */
export function findEnvironment(config: PipelineConfig, env: string, pipelineName: string | undefined): { pipeline: Pipeline; environment: PipelineEnvironment } {
  const pipelines = pipelineName === undefined ? config.pipelines : config.pipelines.filter((p) => p.name === pipelineName);
  if (pipelineName !== undefined && pipelines.length === 0) {
    throw new CliError(CliErrorCode.InvalidArgument, `--pipeline ${pipelineName}: the config has no such pipeline`, { hint: `pipelines are: ${config.pipelines.map((p) => p.name).join(', ')}` });
  }
  const matches = pipelines.flatMap((pipeline) => pipeline.environments.filter((e) => e.name === env).map((environment) => ({ pipeline, environment })));
  if (matches.length === 0) {
    const names = pipelines.flatMap((p) => p.environments.map((e) => (config.pipelines.length > 1 ? `${p.name}/${e.name}` : e.name)));
    throw new CliError(CliErrorCode.InvalidArgument, `--env ${env}: the config has no such environment`, { hint: `environments are: ${names.join(', ')}` });
  }
  if (matches.length > 1) throw new UsageError(`--env ${env} is an environment of several pipelines (${matches.map((m) => m.pipeline.name).join(', ')}); name one with --pipeline`);
  return matches[0] as { pipeline: Pipeline; environment: PipelineEnvironment };
}

/** `--request-timeout` → ms; a usage error for anything but a positive duration like 3s or 500ms. */
export function parseRequestTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (m === null || Number(m[1]) <= 0) throw new UsageError(`--request-timeout ${JSON.stringify(text)} is not a duration like 3s or 500ms`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}
