// Rules a config must satisfy beyond its schema: references between environments, generated names, tag rules.
import { compileTagRegex } from '../images/regex.ts';
import { parseConstraint, parseVersion, satisfies } from '../images/semver.ts';
import { Severity } from '../result.ts';
import { parseDuration } from './duration.ts';
import { branchNameProblem, isDnsLabel, isProductionName } from './names.ts';
import type { Pipeline, PipelineConfig, PipelineEnvironment } from './schema.ts';

/** A rule violation located by path segments, before it is mapped to a line and column. */
export interface RuleViolation {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code: string;
  readonly severity: Severity;
}

/** Stable codes of every rule, for callers that switch on them. */
export const ConfigRuleCode = {
  DuplicatePipeline: 'duplicate-pipeline',
  DuplicateEnvironment: 'duplicate-environment',
  UnknownUpstream: 'unknown-upstream',
  UpstreamCycle: 'upstream-cycle',
  SoakWithoutUpstream: 'soak-without-upstream',
  InvalidDuration: 'invalid-duration',
  SoakWithAllAvailability: 'soak-with-all-availability',
  AvailabilityWithoutFanIn: 'availability-without-fan-in',
  InvalidRegex: 'invalid-regex',
  InvalidConstraint: 'invalid-constraint',
  MissingConstraint: 'missing-constraint',
  UnusedField: 'unused-field',
  InitialTagOutsideConstraint: 'initial-tag-outside-constraint',
  InvalidName: 'invalid-name',
  DuplicateName: 'duplicate-name',
  ReservedName: 'reserved-name',
  NamespaceConflict: 'namespace-conflict',
  ValuesConflict: 'values-conflict',
  InvalidWindow: 'invalid-window',
  InvalidDestination: 'invalid-destination',
  DuplicateVerification: 'duplicate-verification',
  AutoPromotionToProduction: 'auto-promotion-to-production',
  RelayNonGhcrImage: 'relay-non-ghcr-image',
  RelayCaFileWithoutTls: 'relay-ca-file-without-tls',
  InvalidBranch: 'invalid-branch',
  BranchConflict: 'branch-conflict',
} as const;
export type ConfigRuleCode = (typeof ConfigRuleCode)[keyof typeof ConfigRuleCode];

type Report = (path: readonly PropertyKey[], code: ConfigRuleCode, message: string, severity?: Severity) => void;

/** Helm values render writes itself, and the config field that sets each. */
const OWNED_VALUES: readonly (readonly [readonly string[], string])[] = [
  [['replicaCount'], 'set it with `replicas`'],
  [['resources'], 'set it with `resources`'],
  [['service', 'type'], 'set it with `service.type`'],
  [['image', 'repository'], 'set it with the pipeline\'s `image.repository`'],
  [['image', 'tag'], 'Kargo sets it on the environment\'s branch on every promotion (`image.initialTag` is the placeholder on the source branch)'],
];

function hasPath(values: Record<string, unknown>, keys: readonly string[]): boolean {
  let current: unknown = values;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return false;
    current = (current as Record<string, unknown>)[key];
  }
  return true;
}

function isValidDate(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function checkImage(pipeline: Pipeline, at: readonly PropertyKey[], report: Report): void {
  const image = pipeline.image;
  const path = [...at, 'image'];
  for (const field of ['allowTags', 'ignoreTags'] as const) {
    image[field]?.forEach((pattern, j) => {
      const compiled = compileTagRegex(pattern);
      if (!compiled.ok) report([...path, field, j], ConfigRuleCode.InvalidRegex, compiled.errors.map((e) => e.message).join('; '));
    });
  }
  if (image.strategy === 'SemVer') {
    if (image.constraint === undefined) return;
    const parsed = parseConstraint(image.constraint);
    if (!parsed.ok) {
      const why = parsed.errors.map((e) => e.message).join('; ');
      report([...path, 'constraint'], ConfigRuleCode.InvalidConstraint, `invalid semver constraint ${JSON.stringify(image.constraint)}: ${why}`);
      return;
    }
    const version = parseVersion(image.initialTag, { strict: image.strictSemvers ?? true });
    if (version === undefined || !satisfies(version, parsed.value)) {
      report(
        [...path, 'initialTag'],
        ConfigRuleCode.InitialTagOutsideConstraint,
        `initial tag ${JSON.stringify(image.initialTag)} is not a version Kargo would select with constraint ${JSON.stringify(image.constraint)}`,
        Severity.Warning,
      );
    }
  } else if (image.strategy === 'Digest') {
    if (image.constraint === undefined) report(path, ConfigRuleCode.MissingConstraint, 'the Digest strategy needs `constraint`: the mutable tag to follow, e.g. "latest"');
    if (image.strictSemvers !== undefined) report([...path, 'strictSemvers'], ConfigRuleCode.UnusedField, 'strictSemvers applies to the SemVer strategy only');
  } else {
    if (image.constraint !== undefined) report([...path, 'constraint'], ConfigRuleCode.UnusedField, `constraint is not used by the ${image.strategy} strategy (use allowTags / ignoreTags)`);
    if (image.strictSemvers !== undefined) report([...path, 'strictSemvers'], ConfigRuleCode.UnusedField, 'strictSemvers applies to the SemVer strategy only');
  }
}

/** Every cycle through the upstream graph, each once, as a list of names starting at its smallest index. */
function findCycles(envs: readonly PipelineEnvironment[]): number[][] {
  const index = new Map(envs.map((e, i) => [e.name, i]));
  const state = new Array<0 | 1 | 2>(envs.length).fill(0);
  const stack: number[] = [];
  const cycles: number[][] = [];
  const visit = (i: number): void => {
    state[i] = 1;
    stack.push(i);
    for (const up of envs[i]?.upstreams ?? []) {
      const j = index.get(up);
      if (j === undefined) continue;
      if (state[j] === 1) cycles.push(stack.slice(stack.indexOf(j)));
      else if (state[j] === 0) visit(j);
    }
    stack.pop();
    state[i] = 2;
  };
  envs.forEach((_, i) => {
    if (state[i] === 0) visit(i);
  });
  return cycles;
}

function checkEnvironments(pipeline: Pipeline, at: readonly PropertyKey[], report: Report): void {
  const envs = pipeline.environments;
  const firstIndex = new Map<string, number>();
  envs.forEach((env, i) => {
    const path = [...at, 'environments', i];
    const seen = firstIndex.get(env.name);
    if (seen === undefined) firstIndex.set(env.name, i);
    else report([...path, 'name'], ConfigRuleCode.DuplicateEnvironment, `duplicate environment name "${env.name}" (also environments[${seen}])`);
  });
  const names = new Set(envs.map((e) => e.name));
  envs.forEach((env, i) => {
    const path = [...at, 'environments', i];
    env.upstreams.forEach((up, j) => {
      if (!names.has(up)) {
        report([...path, 'upstreams', j], ConfigRuleCode.UnknownUpstream, `unknown upstream "${up}"; environments are: ${[...names].join(', ')}`);
      }
    });
    const soak = env.promotion.soak;
    if (soak !== undefined) {
      const seconds = parseDuration(soak);
      if (seconds === undefined || seconds <= 0) report([...path, 'promotion', 'soak'], ConfigRuleCode.InvalidDuration, 'soak must be longer than zero (leave it out for none)');
      if (env.upstreams.length === 0) {
        report([...path, 'promotion', 'soak'], ConfigRuleCode.SoakWithoutUpstream, `"${env.name}" takes Freight directly from the Warehouse, so there is no upstream to soak in`);
      } else if (env.availability === 'All' && env.upstreams.length > 1) {
        report(
          [...path, 'promotion', 'soak'],
          ConfigRuleCode.SoakWithAllAvailability,
          'Kargo does not auto-promote when a soak time is combined with availability All (akuity/kargo#4586)',
          Severity.Warning,
        );
      }
    }
    if (env.availability === 'All' && env.upstreams.length < 2) {
      report([...path, 'availability'], ConfigRuleCode.AvailabilityWithoutFanIn, 'availability only matters with several upstreams', Severity.Warning);
    }
    if (env.promotion.auto && isProductionName(env.name)) {
      report(
        [...path, 'promotion', 'auto'],
        ConfigRuleCode.AutoPromotionToProduction,
        `"${env.name}" looks like production and is promoted automatically; set promotion.auto: false unless that is intended`,
        Severity.Warning,
      );
    }
    if (!isDnsLabel(env.namespace)) {
      report([...path, 'namespace'], ConfigRuleCode.InvalidName, `namespace "${env.namespace}" (default <app>-<env>) is not a DNS-1123 label of at most 63 characters; set namespace`);
    }
    if (!isDnsLabel(env.applicationName)) {
      report([...path, 'name'], ConfigRuleCode.InvalidName, `Argo CD Application name "${env.applicationName}" (<app>-<env><suffix>) is not a DNS-1123 label of at most 63 characters`);
    }
    for (const [keys, how] of OWNED_VALUES) {
      if (hasPath(env.values, keys)) report([...path, 'values', ...keys], ConfigRuleCode.ValuesConflict, `values.${keys.join('.')} is written by kargo-env; ${how}`);
    }
    const presets = new Map<string, number>();
    env.verification.forEach((v, j) => {
      const key = 'preset' in v ? `preset ${v.preset}` : `template ${v.kind}/${v.template}`;
      const before = presets.get(key);
      if (before === undefined) presets.set(key, j);
      else report([...path, 'verification', j], ConfigRuleCode.DuplicateVerification, `${key} is already listed at verification[${before}]`);
    });
    env.windows.forEach((w, j) => {
      const wp = [...path, 'windows', j];
      if (!isValidTimeZone(w.timezone)) report([...wp, 'timezone'], ConfigRuleCode.InvalidWindow, `unknown time zone "${w.timezone}" (use an IANA name such as Europe/Berlin)`);
      if (w.hours !== undefined && w.hours.start === w.hours.end) report([...wp, 'hours'], ConfigRuleCode.InvalidWindow, 'hours must not start and end at the same time');
      if (w.dates.length > 0 && w.days.length > 0) report([...wp, 'days'], ConfigRuleCode.InvalidWindow, 'give either dates or days, not both');
      w.dates.forEach((d, k) => {
        if (!isValidDate(d)) report([...wp, 'dates', k], ConfigRuleCode.InvalidWindow, `"${d}" is not a calendar date`);
      });
    });
  });
  // With duplicate names the graph is ambiguous; the duplicate is the one problem worth reporting.
  if (firstIndex.size < envs.length) return;
  for (const cycle of findCycles(envs)) {
    const first = cycle[0] ?? 0;
    const names = cycle.map((i) => envs[i]?.name ?? '?');
    const env = envs[first];
    const j = env === undefined ? -1 : env.upstreams.indexOf(envs[cycle[1] ?? first]?.name ?? '');
    const chain = [...names, names[0]].reverse().join(' → ');
    report(
      j < 0 ? [...at, 'environments', first, 'upstreams'] : [...at, 'environments', first, 'upstreams', j],
      ConfigRuleCode.UpstreamCycle,
      `upstreams form a cycle: ${chain}`,
    );
  }
}

/**
 * An environment's branch must be a valid branch name, differ from the source branch, and belong to no other
 * environment of the same repository: a promotion clears its branch before writing (git-clear), so a shared
 * branch would lose the other environment's files, and its Stage's pinned revision would move under it. Git also
 * refuses a branch that is a folder of another (`env` and `env/dev`).
 */
function checkEnvironmentBranch(
  pipeline: Pipeline,
  env: PipelineEnvironment,
  path: readonly PropertyKey[],
  where: string,
  owners: Map<string, string>,
  report: Report,
): void {
  const problem = branchNameProblem(env.branch);
  if (problem !== undefined) {
    report(path, ConfigRuleCode.InvalidBranch, `environment ${env.name}'s branch "${env.branch}" ${problem}`);
    return;
  }
  const refs = [pipeline.git.branch, ...[...owners.keys()].filter((k) => k.startsWith(`${pipeline.git.repoURL}#`)).map((k) => k.slice(pipeline.git.repoURL.length + 1))];
  for (const other of refs) {
    const label = other === pipeline.git.branch ? `the source branch (git.branch "${other}")` : `"${other}" of ${owners.get(`${pipeline.git.repoURL}#${other}`) ?? '?'}`;
    if (other === env.branch) {
      report(path, ConfigRuleCode.BranchConflict, `environment ${env.name}'s branch "${env.branch}" is also ${label}; every environment needs its own branch (use "{env}", and "{pipeline}" when pipelines share a repository)`);
      return;
    }
    if (env.branch.startsWith(`${other}/`) || other.startsWith(`${env.branch}/`)) {
      report(path, ConfigRuleCode.BranchConflict, `environment ${env.name}'s branch "${env.branch}" and ${label} cannot both exist in Git (one is a folder of the other)`);
      return;
    }
  }
  owners.set(`${pipeline.git.repoURL}#${env.branch}`, where);
}

/** Checks the rules of a normalised config; violations are in document order per rule family. */
export function checkPipelineRules(config: PipelineConfig): RuleViolation[] {
  const violations: RuleViolation[] = [];
  const report: Report = (path, code, message, severity = Severity.Error) => {
    violations.push({ path, code, message, severity });
  };
  const owners = {
    pipeline: new Map<string, number>(),
    project: new Map<string, number>(),
    appProject: new Map<string, number>(),
    application: new Map<string, string>(),
    valuesPath: new Map<string, string>(),
    /** `<repoURL>#<branch>` → where it is used; a branch belongs to one environment (a promotion clears it). */
    branch: new Map<string, string>(),
  };
  const projects = new Set(config.pipelines.map((p) => p.project));
  const receiver = config.relay.kargoWebhook;
  if (receiver.caFile !== undefined && new URL(receiver.baseURL).protocol !== 'https:') {
    // The relay reads caFile at boot whatever the scheme; over http nobody mounts it, so the relay would not start.
    report(['relay', 'kargoWebhook', 'caFile'], ConfigRuleCode.RelayCaFileWithoutTls, 'caFile applies only to an https baseURL; remove it, or use https:// when Kargo serves TLS');
  }
  config.pipelines.forEach((pipeline, i) => {
    const at = ['pipelines', i] as const;
    const claim = (kind: 'pipeline' | 'project' | 'appProject', name: string, path: readonly PropertyKey[], what: string): void => {
      const before = owners[kind].get(name);
      if (before === undefined) owners[kind].set(name, i);
      else report(path, kind === 'pipeline' ? ConfigRuleCode.DuplicatePipeline : ConfigRuleCode.DuplicateName, `${what} "${name}" is also used by pipelines[${before}]`);
    };
    claim('pipeline', pipeline.name, [...at, 'name'], 'pipeline name');
    claim('project', pipeline.project, [...at, 'project'], 'Kargo project');
    claim('appProject', pipeline.argocd.project, [...at, 'argocd', 'project'], 'Argo CD AppProject');
    if (pipeline.argocd.project === 'default') {
      report([...at, 'argocd', 'project'], ConfigRuleCode.ReservedName, 'the AppProject "default" belongs to Argo CD; kargo-env generates its own AppProject, so choose another name');
    }
    if (pipeline.argocd.destination.server !== undefined && pipeline.argocd.destination.name !== undefined) {
      report([...at, 'argocd', 'destination'], ConfigRuleCode.InvalidDestination, 'give either destination.server or destination.name, not both');
    }
    if (config.relay.enabled && !pipeline.image.repository.startsWith('ghcr.io/')) {
      report([...at, 'image', 'repository'], ConfigRuleCode.RelayNonGhcrImage, 'the relay only receives GitHub Container Registry (ghcr.io) pushes; this image will be refreshed by polling', Severity.Warning);
    }
    checkImage(pipeline, at, report);
    checkEnvironments(pipeline, at, report);
    pipeline.environments.forEach((env, j) => {
      const where = `pipelines[${i}].environments[${j}]`;
      const appKey = `${pipeline.argocd.namespace}/${env.applicationName}`;
      const appBefore = owners.application.get(appKey);
      if (appBefore === undefined) owners.application.set(appKey, where);
      else if (!appBefore.startsWith(`pipelines[${i}].`)) {
        // Within one pipeline only a duplicate environment name can repeat an Application; that is reported already.
        report([...at, 'environments', j, 'name'], ConfigRuleCode.DuplicateName, `Argo CD Application "${env.applicationName}" is also generated by ${appBefore}`);
      }
      // A repeated pipeline or environment name repeats its branches too; the duplicate name is the problem to report.
      const firstOfName = pipeline.environments.findIndex((e) => e.name === env.name) === j;
      if (owners.pipeline.get(pipeline.name) === i && firstOfName) checkEnvironmentBranch(pipeline, env, [...at, 'git', 'envBranch'], where, owners.branch, report);
      const fileKey = `${pipeline.git.repoURL}#${pipeline.git.branch}:${env.valuesPath}`;
      const fileBefore = owners.valuesPath.get(fileKey);
      if (fileBefore === undefined) owners.valuesPath.set(fileKey, where);
      else if (!fileBefore.startsWith(`pipelines[${i}].`)) {
        report([...at, 'git', 'valuesDir'], ConfigRuleCode.DuplicateName, `values file ${env.valuesPath} is also written by ${fileBefore}; set git.valuesDir`);
      }
      if (projects.has(env.namespace)) {
        report([...at, 'environments', j, 'namespace'], ConfigRuleCode.NamespaceConflict, `namespace "${env.namespace}" is a Kargo project's namespace; choose another`);
      }
    });
  });
  return violations;
}
