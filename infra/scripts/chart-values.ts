// Structure files of the pinned Helm charts' values.yaml, and the check of the program's values against them.
//
//   pnpm charts:sync <kargo> <argo-rollouts> <cert-manager>
//
// Each argument is a git repository of the chart's upstream (bare or not: the values file is read at the tag of the
// version the program pins, e.g. `git show v1.11.2:charts/kargo/values.yaml`), a chart directory holding values.yaml,
// or a values.yaml file (then it must be the file of the pinned version: its git blob id is recorded for checking).
// The versions are the program's defaults (src/config.ts); bumping one means running this again.
//
// A structure file keeps the shape of values.yaml and nothing else: key names and types, no comment, no default
// value. Its `values` is a tree whose leaves are type names:
//   - a map with keys is an object of its keys (sorted); any other key under it is an error;
//   - `object`: a map the chart leaves open (empty, or a Kubernetes/free-form field by name, see OPEN_KEYS): any keys;
//   - `array`: any list (Helm replaces lists whole; items are not checked);
//   - `string`, `number`, `boolean`; `any` for a null default (the chart accepts whatever is given).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export type ValueType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'any';
export type StructureNode = ValueType | { readonly [key: string]: StructureNode };
export type StructureTree = { readonly [key: string]: StructureNode };

export interface ChartStructure {
  readonly chart: string;
  readonly version: string;
  readonly source: {
    readonly repository: string;
    readonly tag: string;
    readonly path: string;
    readonly license: string;
    /** sha256 of the values.yaml bytes the structure was made from. */
    readonly sha256: string;
    /** Its git blob id: `git rev-parse <tag>:<path>` in the upstream repository gives the same. */
    readonly gitBlob: string;
  };
  readonly generatedBy: string;
  readonly values: StructureTree;
}

/** The charts the program installs, where their values.yaml lives upstream, and the program's default versions. */
export const CHART_SOURCES = {
  kargo: {
    repository: 'https://github.com/akuity/kargo',
    path: 'charts/kargo/values.yaml',
    tag: (version: string) => `v${version}`,
    license: 'Apache-2.0',
  },
  'argo-rollouts': {
    repository: 'https://github.com/argoproj/argo-helm',
    path: 'charts/argo-rollouts/values.yaml',
    tag: (version: string) => `argo-rollouts-${version}`,
    license: 'Apache-2.0',
  },
  'cert-manager': {
    repository: 'https://github.com/cert-manager/cert-manager',
    path: 'deploy/charts/cert-manager/values.yaml',
    tag: (version: string) => version,
    license: 'Apache-2.0',
  },
} as const;
export type ChartName = keyof typeof CHART_SOURCES;
export const CHART_NAMES = Object.keys(CHART_SOURCES) as ChartName[];

/** Where the structure files are kept (infra/charts-values). */
export const STRUCTURE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../charts-values');
export const structureFileName = (chart: string, version: string): string => `${chart}-${version}.json`;

/**
 * Keys whose value is a Kubernetes object or a free-form map, open whatever their default holds (the chart passes
 * them through with toYaml): a default of `{ runAsNonRoot: true }` must not forbid `runAsUser`.
 */
export const OPEN_KEYS: RegExp =
  /^(nodeSelector|resources|affinity|tolerations|annotations|labels|securityContext|podSecurityContext|containerSecurityContext|livenessProbe|readinessProbe|startupProbe|namespaceSelector|dnsConfig)$|(Annotations|Labels|SecurityContext|Selector)$/;

/** The structure of a parsed values value. */
export function structureOf(value: unknown, key = ''): StructureNode {
  if (value === null || value === undefined) return 'any';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object': {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0 || OPEN_KEYS.test(key)) return 'object';
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Object.fromEntries(entries.map(([k, v]) => [k, structureOf(v, k)]));
    }
    default:
      throw new Error(`unexpected ${typeof value} at ${key}`);
  }
}

/** The structure of a values.yaml text (comments and default values dropped). */
export function structureOfYaml(text: string): StructureTree {
  const parsed: unknown = parse(text);
  if (parsed === null || parsed === undefined) return {};
  const node = structureOf(parsed);
  if (typeof node !== 'object') throw new Error('values.yaml is not a map');
  return node;
}

const typeOf = (value: unknown): ValueType => {
  if (value === null || value === undefined) return 'any';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'bigint') return 'number';
  return typeof value as ValueType;
};

const show = (path: readonly string[]): string => path.map((k) => (/^[\w-]+$/.test(k) ? k : JSON.stringify(k))).join('.');

/**
 * Every path of `values` that the chart's structure does not have, or has with another type. A path under an open
 * map (`object`) or a null default (`any`) is accepted; a null value (Helm's "remove this key") fits any type.
 */
export function checkValues(structure: StructureTree, values: unknown, chart = 'the chart'): string[] {
  const problems: string[] = [];
  const walk = (node: StructureNode, value: unknown, path: string[]): void => {
    if (node === 'any' || value === null) return;
    const got = typeOf(value);
    if (typeof node === 'string') {
      if (node !== got) problems.push(`${show(path)}: ${chart} has ${node}, the program passes ${got}`);
      return;
    }
    if (got !== 'object') {
      problems.push(`${show(path)}: ${chart} has an object, the program passes ${got}`);
      return;
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const child = node[k];
      if (child === undefined) {
        const where = path.length === 0 ? 'at the top level' : `under ${show(path)}`;
        problems.push(`${show([...path, k])}: not a value of ${chart} (${where}: ${Object.keys(node).join(', ')})`);
      } else walk(child, v, [...path, k]);
    }
  };
  walk(structure, values, []);
  return problems;
}

/** The structure file of a chart version, or undefined when none was generated. */
export function loadStructure(chart: string, version: string, dir: string = STRUCTURE_DIR): ChartStructure | undefined {
  const file = join(dir, structureFileName(chart, version));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ChartStructure) : undefined;
}

/** Every structure file in `dir`. */
export function listStructures(dir: string = STRUCTURE_DIR): ChartStructure[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ChartStructure);
}

const gitBlobId = (bytes: Buffer): string => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

const git = (repo: string, ...args: string[]): Buffer => execFileSync('git', ['-C', repo, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

const isGitRepo = (dir: string): boolean => {
  try {
    git(dir, 'rev-parse', '--git-dir');
    return true;
  } catch {
    return false;
  }
};

/** The values.yaml bytes of a chart version from a git repository, a chart directory or a file. */
export function readValuesFile(input: string, chart: ChartName, version: string): Buffer {
  const src = CHART_SOURCES[chart];
  const tag = src.tag(version);
  const stat = statSync(input);
  if (stat.isFile()) return readFileSync(input);
  if (existsSync(join(input, 'values.yaml'))) return readFileSync(join(input, 'values.yaml'));
  if (!isGitRepo(input)) throw new Error(`${input}: neither a values.yaml, a chart directory nor a git repository`);
  try {
    git(input, 'rev-parse', '--verify', '--quiet', `refs/tags/${tag}`);
  } catch {
    throw new Error(`${input}: no tag ${tag} (${chart} ${version}); fetch the tags of ${src.repository}`);
  }
  const license = git(input, 'show', `${tag}:LICENSE`).toString('utf8');
  if (src.license === 'Apache-2.0' && !/Apache License\s+Version 2\.0/.test(license)) throw new Error(`${input}: LICENSE at ${tag} is not Apache-2.0`);
  return git(input, 'show', `${tag}:${src.path}`);
}

/** The structure file of one chart version made from its values.yaml bytes. */
export function makeStructure(chart: ChartName, version: string, bytes: Buffer): ChartStructure {
  const src = CHART_SOURCES[chart];
  return {
    chart,
    version,
    source: {
      repository: src.repository,
      tag: src.tag(version),
      path: src.path,
      license: src.license,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      gitBlob: gitBlobId(bytes),
    },
    generatedBy: 'infra/scripts/chart-values.ts (pnpm charts:sync)',
    values: structureOfYaml(bytes.toString('utf8')),
  };
}

/** Writes the structure file of each chart and removes the files of other versions of the same chart. */
export function writeStructures(structures: readonly ChartStructure[], dir: string = STRUCTURE_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const s of structures) {
    const name = structureFileName(s.chart, s.version);
    for (const old of readdirSync(dir)) {
      if (old !== name && old.startsWith(`${s.chart}-`) && old.endsWith('.json') && /^\d|^v\d/.test(old.slice(s.chart.length + 1))) unlinkSync(join(dir, old));
    }
    writeFileSync(join(dir, name), `${JSON.stringify(s, null, 2)}\n`);
    written.push(join(dir, name));
  }
  return written;
}

/** The chart versions the program pins by default. */
export async function pinnedVersions(): Promise<Record<ChartName, string>> {
  const { InfraConfigSchema } = await import('../src/config.ts');
  const defaults = InfraConfigSchema.parse({});
  return { kargo: defaults.kargoVersion, 'argo-rollouts': defaults.argoRolloutsVersion, 'cert-manager': defaults.certManagerVersion };
}

async function main(args: readonly string[]): Promise<void> {
  if (args.length !== CHART_NAMES.length || args.some((a) => a.startsWith('-'))) {
    process.stderr.write(
      `usage: pnpm charts:sync <${CHART_NAMES.join('> <')}>\n` +
        '  each a git repository of the chart (read at the pinned tag), a chart directory or its values.yaml\n',
    );
    process.exit(2);
  }
  const versions = await pinnedVersions();
  const structures = CHART_NAMES.map((chart, i) => makeStructure(chart, versions[chart], readValuesFile(resolve(process.env.INIT_CWD ?? process.cwd(), args[i]!), chart, versions[chart])));
  for (const file of writeStructures(structures)) process.stdout.write(`wrote ${relative(process.cwd(), file)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`chart-values: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
