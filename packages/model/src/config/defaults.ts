// Normalisation: turns the schema-parsed input into the resolved PipelineConfig (every default filled in).
import { DEFAULT_KARGO_WEBHOOKS_CA_FILE, WEEKDAYS, type KargoPaletteColor } from './constants.ts';
import { applicationName, defaultEnvBranch, environmentBranch, isProductionName, valuesPath } from './names.ts';
import {
  EnvironmentInputSchema,
  type EnvironmentInput,
  type ParsedPipelineConfig,
  type Pipeline,
  type PipelineConfig,
  type PipelineEnvironment,
} from './schema.ts';

type ParsedPipeline = ParsedPipelineConfig['pipelines'][number];
type ParsedEnvironment = NonNullable<ParsedPipeline['environments']>[number];

/** Resources of an environment that names none (the seed's dev row). */
export const DEFAULT_RESOURCES = { cpu: '50m', memory: '64Mi' } as const;
/** Constraint used for the SemVer strategy when the config gives none: stable 1.x releases only. */
export const DEFAULT_SEMVER_CONSTRAINT = '^1.0.0';
export const DEFAULT_DESTINATION_SERVER = 'https://kubernetes.default.svc';
export const DEFAULT_VALUES_DIR = 'kargo/values';

/**
 * The seed's three environments, as a user would write them: dev (1 replica, 50m/64Mi, ClusterIP, promoted at
 * once, smoke test) → staging (2, 100m/128Mi, LoadBalancer, after 30 minutes in dev, integration tests) → prod
 * (3, 200m/256Mi, LoadBalancer, manual through a pull request, security scan and load test). A fresh copy on
 * every call, so callers may change it.
 */
export function defaultEnvironments(): EnvironmentInput[] {
  return [
    {
      name: 'dev',
      description: 'Development: every new image, at once',
      color: 'green',
      replicas: 1,
      resources: { cpu: '50m', memory: '64Mi' },
      service: { type: 'ClusterIP' },
      promotion: { auto: true, mode: 'git' },
      verification: [{ preset: 'smoke' }],
    },
    {
      name: 'staging',
      description: 'Staging: after 30 minutes in dev',
      color: 'amber',
      replicas: 2,
      resources: { cpu: '100m', memory: '128Mi' },
      service: { type: 'LoadBalancer' },
      promotion: { auto: true, soak: '30m', mode: 'git' },
      verification: [{ preset: 'integration' }],
    },
    {
      name: 'prod',
      description: 'Production: manual, through a pull request',
      color: 'red',
      replicas: 3,
      resources: { cpu: '200m', memory: '256Mi' },
      service: { type: 'LoadBalancer' },
      promotion: { auto: false, mode: 'pull-request' },
      verification: [{ preset: 'security-scan' }, { preset: 'performance' }],
    },
  ];
}

function defaultColor(name: string, index: number): KargoPaletteColor {
  if (isProductionName(name)) return 'red';
  return index === 0 ? 'green' : 'amber';
}

function normaliseEnvironment(env: ParsedEnvironment, index: number, all: readonly ParsedEnvironment[], pipeline: Omit<Pipeline, 'environments'>): PipelineEnvironment {
  const production = isProductionName(env.name);
  const previous = index > 0 ? all[index - 1] : undefined;
  const cpu = env.resources?.cpu ?? DEFAULT_RESOURCES.cpu;
  const memory = env.resources?.memory ?? DEFAULT_RESOURCES.memory;
  return {
    name: env.name,
    ...(env.description === undefined ? {} : { description: env.description }),
    color: env.color ?? defaultColor(env.name, index),
    namespace: env.namespace ?? `${pipeline.app}-${env.name}`,
    replicas: env.replicas ?? 1,
    resources: {
      requests: { cpu, memory },
      limits: { cpu: env.resources?.limits?.cpu ?? cpu, memory: env.resources?.limits?.memory ?? memory },
    },
    service: { type: env.service?.type ?? 'ClusterIP', ...(env.service?.port === undefined ? {} : { port: env.service.port }) },
    upstreams: env.upstreams ?? (previous === undefined ? [] : [previous.name]),
    availability: env.availability,
    promotion: {
      auto: env.promotion?.auto ?? !production,
      ...(env.promotion?.soak === undefined ? {} : { soak: env.promotion.soak }),
      mode: env.promotion?.mode ?? (production ? 'pull-request' : 'git'),
    },
    verification: env.verification ?? [],
    windows: env.windows.map((w, i) => {
      const kind = w.kind ?? (w.dates === undefined ? 'allow' : 'deny');
      const [start, end] = w.hours === undefined ? [] : w.hours.split('-');
      return {
        name: w.name ?? `${kind}-${i}`,
        kind,
        timezone: w.timezone,
        days: w.days ?? (w.dates === undefined ? [...WEEKDAYS] : []),
        ...(start !== undefined && end !== undefined ? { hours: { start, end } } : {}),
        dates: w.dates ?? [],
      };
    }),
    notifications: env.notifications,
    values: env.values,
    valuesPath: valuesPath(pipeline.git, env.name),
    branch: environmentBranch(pipeline.git.envBranch, pipeline.name, env.name),
    applicationName: applicationName(pipeline.app, env.name, pipeline.argocd.appNameSuffix),
  };
}

function normalisePipeline(p: ParsedPipeline, pipelineCount: number): Pipeline {
  const name = p.name ?? p.app;
  const image: Pipeline['image'] = { ...p.image };
  if (image.strategy === 'SemVer' && image.constraint === undefined) image.constraint = DEFAULT_SEMVER_CONSTRAINT;
  const destination: Pipeline['argocd']['destination'] =
    p.argocd.destination.server === undefined && p.argocd.destination.name === undefined
      ? { server: DEFAULT_DESTINATION_SERVER }
      : { ...p.argocd.destination };
  const head: Omit<Pipeline, 'environments'> = {
    name,
    app: p.app,
    project: p.project ?? p.app,
    image,
    git: {
      repoURL: p.git.repoURL,
      branch: p.git.branch,
      envBranch: p.git.envBranch ?? defaultEnvBranch(pipelineCount),
      valuesDir: p.git.valuesDir ?? (pipelineCount === 1 ? DEFAULT_VALUES_DIR : `kargo/${name}/values`),
      valuesFile: p.git.valuesFile,
    },
    argocd: {
      namespace: p.argocd.namespace,
      project: p.argocd.project ?? p.app,
      destination,
      appNameSuffix: p.argocd.appNameSuffix,
      chart: p.argocd.chart ?? { path: `charts/${p.app}` },
    },
  };
  const envs = p.environments ?? defaultEnvironments().map((e) => EnvironmentInputSchema.parse(e));
  return { ...head, environments: envs.map((env, i) => normaliseEnvironment(env, i, envs, head)) };
}

/**
 * The relay settings with the CA default that depends on the scheme: an https receiver gets Kargo's CA bundle
 * path (its certificate is self-signed by default), an http one none (the relay would fail to read a file
 * nobody mounts). `caFile: null` asks for the system CAs only.
 */
function normaliseRelay(relay: ParsedPipelineConfig['relay']): PipelineConfig['relay'] {
  const { caFile, ...kargoWebhook } = relay.kargoWebhook;
  const https = new URL(kargoWebhook.baseURL).protocol === 'https:';
  const resolved = caFile === undefined ? (https ? DEFAULT_KARGO_WEBHOOKS_CA_FILE : undefined) : (caFile ?? undefined);
  return { ...relay, kargoWebhook: { ...kargoWebhook, ...(resolved === undefined ? {} : { caFile: resolved }) } };
}

/** Applies every context-dependent default. Input must have passed `PipelineConfigInputSchema`. */
export function normalisePipelineConfig(parsed: ParsedPipelineConfig): PipelineConfig {
  return {
    apiVersion: parsed.apiVersion,
    kind: parsed.kind,
    relay: normaliseRelay(parsed.relay),
    pipelines: parsed.pipelines.map((p) => normalisePipeline(p, parsed.pipelines.length)),
  };
}
