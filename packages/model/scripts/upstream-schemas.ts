// `pnpm schemas:sync`: derives the bundled upstream API schemas (upstream/) from Kargo, Argo CD and Argo
// Rollouts release files. Keeps structure only — types, fields, enums, patterns, bounds, defaults and the
// x-kubernetes-* markers (CEL rules included) — and drops every description and other prose, so no upstream
// text is carried into this repository. Output is sorted, compact and deterministic; upstream/index.json
// records a sha256 of every input and output, and test/upstream-schemas.test.ts fails on a hand edit.
//
//   node scripts/upstream-schemas.ts --kargo <dir> --argo-cd <dir> --argo-rollouts <dir>
//
// Each <dir> holds the files at their upstream paths (a checkout of the release tag, or `git archive` of
// the paths listed in UPSTREAMS below).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** What is taken from each upstream release, at which path: every CRD in `crds.dir`, every step and subscription schema. */
export const UPSTREAMS = {
  kargo: {
    project: 'Kargo',
    repository: 'https://github.com/akuity/kargo',
    version: 'v1.11.2',
    commit: '20c56384dc3aa29911368fa9c0916e8f4a541252',
    licence: 'Apache-2.0',
    crds: { dir: 'charts/kargo/resources/crds' },
    steps: 'pkg/promotion/runner/builtin/schemas',
    subscriptions: 'pkg/subscription/schemas',
  },
  'argo-cd': {
    project: 'Argo CD',
    repository: 'https://github.com/argoproj/argo-cd',
    version: 'v3.5.1',
    commit: '109ca7ca71139e514114499d294a492e7910a965',
    licence: 'Apache-2.0',
    crds: { dir: 'manifests/crds' },
    steps: null,
    subscriptions: null,
  },
  'argo-rollouts': {
    project: 'Argo Rollouts',
    repository: 'https://github.com/argoproj/argo-rollouts',
    version: 'v1.9.1',
    commit: 'b6bd3bcf8f60d717a98763d26acc983db7f97cb0',
    licence: 'Apache-2.0',
    crds: { dir: 'manifests/crds' },
    steps: null,
    subscriptions: null,
  },
} as const;
export type UpstreamName = keyof typeof UPSTREAMS;

/** Keywords that are prose (or editor hints) and never affect what validates: dropped. */
const PROSE = new Set(['description', 'title', 'examples', 'example', '$comment', 'markdownDescription', 'externalDocs']);
/** Keywords whose value is a map of name → schema. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value is one schema (or, for `items` in draft-07, possibly a list). */
const SCHEMA_ONE = new Set(['items', 'additionalProperties', 'additionalItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems']);
/** Keywords kept as they are: their value is data, not a schema. */
const DATA = new Set([
  '$schema', '$id', '$ref', 'type', 'required', 'enum', 'const', 'default', 'pattern', 'format', 'nullable', 'deprecated',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'uniqueItems', 'minProperties', 'maxProperties', 'dependentRequired',
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys', 'x-kubernetes-map-type',
]);
/** Of a CEL rule, what the API server evaluates and how it reports; `message`/`messageExpression` are prose. */
const VALIDATION_RULE_KEYS = new Set(['rule', 'reason', 'fieldPath', 'optionalOldSelf']);
const VALIDATION_RULE_PROSE = new Set(['message', 'messageExpression']);

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export class UpstreamSchemaError extends Error {
  override readonly name = 'UpstreamSchemaError';
}

/** A deep copy with object keys sorted (arrays keep their order): the canonical form written to disk. */
export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key] as Json)]),
  );
}

/**
 * The schema without prose. An unknown keyword is an error rather than silently dropped or kept: a new
 * upstream keyword must be looked at (is it structure or prose?) before it enters the bundle.
 */
export function stripSchema(schema: Json, at = '#'): Json {
  if (typeof schema === 'boolean') return schema;
  if (!isObject(schema)) throw new UpstreamSchemaError(`${at}: a schema must be an object or a boolean`);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    const here = `${at}/${key}`;
    if (PROSE.has(key)) continue;
    if (SCHEMA_MAPS.has(key)) {
      if (!isObject(value)) throw new UpstreamSchemaError(`${here}: expected a map of schemas`);
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, stripSchema(sub, `${here}/${name}`)]));
    } else if (SCHEMA_LISTS.has(key) || (key === 'items' && Array.isArray(value))) {
      if (!Array.isArray(value)) throw new UpstreamSchemaError(`${here}: expected a list of schemas`);
      out[key] = value.map((sub, i) => stripSchema(sub, `${here}/${i}`));
    } else if (SCHEMA_ONE.has(key)) {
      out[key] = stripSchema(value, here);
    } else if (key === 'x-kubernetes-validations') {
      if (!Array.isArray(value)) throw new UpstreamSchemaError(`${here}: expected a list of rules`);
      out[key] = value.map((rule, i) => {
        if (!isObject(rule)) throw new UpstreamSchemaError(`${here}/${i}: expected a rule object`);
        const kept: JsonObject = {};
        for (const [name, part] of Object.entries(rule)) {
          if (VALIDATION_RULE_KEYS.has(name)) kept[name] = part;
          else if (!VALIDATION_RULE_PROSE.has(name)) throw new UpstreamSchemaError(`${here}/${i}/${name}: unknown CEL rule field`);
        }
        return kept;
      });
    } else if (DATA.has(key)) {
      out[key] = value;
    } else {
      throw new UpstreamSchemaError(`${here}: unknown keyword "${key}" (add it to PROSE or DATA in scripts/upstream-schemas.ts)`);
    }
  }
  return out;
}

/** Subtrees at least this long (compact JSON) that occur more than once are moved to `definitions`. */
const SHARE_MIN_CHARS = 400;

/**
 * Moves every large subschema that occurs more than once into `definitions` and points at it with `$ref`.
 * The result validates exactly what the input does; it is what keeps the bundle small (Argo CD's
 * ApplicationSet repeats the whole Application template under every generator) and makes ajv compile
 * each shared part once. Only schema positions are considered, never `default`/`enum` values.
 */
export function shareRepeatedSubschemas(root: JsonObject): JsonObject {
  const text = (node: Json): string => JSON.stringify(sortKeys(node));
  const counts = new Map<string, number>();
  const count = (node: Json): void => {
    if (!isObject(node)) return;
    const key = text(node);
    if (key.length >= SHARE_MIN_CHARS) counts.set(key, (counts.get(key) ?? 0) + 1);
    forEachSubschema(node, count);
  };
  forEachSubschema(root, count);

  const definitions: JsonObject = {};
  const names = new Map<string, string>();
  const rewrite = (node: Json): Json => {
    if (!isObject(node)) return node;
    const key = text(node);
    if ((counts.get(key) ?? 0) > 1) {
      let name = names.get(key);
      if (name === undefined) {
        name = `shared-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
        names.set(key, name);
        definitions[name] = mapSubschemas(node, rewrite);
      }
      return { $ref: `#/definitions/${name}` };
    }
    return mapSubschemas(node, rewrite);
  };
  const out = mapSubschemas(root, rewrite) as JsonObject;
  if (Object.keys(definitions).length === 0) return out;
  if (out['definitions'] !== undefined) throw new UpstreamSchemaError('#/definitions: a CRD schema should have none of its own');
  return { ...out, definitions };
}

function forEachSubschema(node: JsonObject, visit: (sub: Json) => void): void {
  mapSubschemas(node, (sub) => {
    visit(sub);
    return sub;
  });
}

/** A copy of `node` with `map` applied to each direct subschema. */
function mapSubschemas(node: Json, map: (sub: Json) => Json): Json {
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (SCHEMA_MAPS.has(key) && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([n, s]) => [n, map(s)]));
    else if ((SCHEMA_LISTS.has(key) || key === 'items') && Array.isArray(value)) out[key] = value.map(map);
    else if (SCHEMA_ONE.has(key)) out[key] = map(value);
    else out[key] = value;
  }
  return out;
}

export interface CrdVersionSchema {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly scope: 'Namespaced' | 'Cluster';
  readonly schema: JsonObject;
}

/** Every served version of every CustomResourceDefinition in a YAML text, schemas stripped and shared. */
export function crdSchemas(yamlText: string, source: string): CrdVersionSchema[] {
  const out: CrdVersionSchema[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length > 0) throw new UpstreamSchemaError(`${source}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const crd = doc.toJS() as unknown;
    if (!isObject(crd) || crd['kind'] !== 'CustomResourceDefinition') continue;
    const spec = crd['spec'];
    if (!isObject(spec) || !isObject(spec['names']) || !Array.isArray(spec['versions'])) throw new UpstreamSchemaError(`${source}: not a CRD spec`);
    const group = spec['group'];
    const kind = spec['names']['kind'];
    const scope = spec['scope'];
    if (typeof group !== 'string' || typeof kind !== 'string' || (scope !== 'Namespaced' && scope !== 'Cluster')) {
      throw new UpstreamSchemaError(`${source}: group, names.kind and scope are required`);
    }
    for (const version of spec['versions']) {
      if (!isObject(version) || version['served'] !== true) continue;
      const name = version['name'];
      const schema = isObject(version['schema']) ? version['schema']['openAPIV3Schema'] : undefined;
      if (typeof name !== 'string' || !isObject(schema)) throw new UpstreamSchemaError(`${source}: ${kind} has a served version without a schema`);
      const stripped = stripSchema(schema, `${source}#${kind}/${name}`) as JsonObject;
      out.push({ group, kind, version: name, scope, schema: shareRepeatedSubschemas(stripped) });
    }
  }
  return out;
}

/** Compact JSON of the canonical form, one trailing newline. */
export function canonicalText(value: Json): string {
  return `${JSON.stringify(sortKeys(value))}\n`;
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

export interface UpstreamInput {
  readonly upstream: UpstreamName;
  /** Path in the upstream repository. */
  readonly path: string;
  readonly sha256: string;
}

export interface BundleIndex {
  readonly generator: string;
  readonly upstreams: Record<UpstreamName, { project: string; repository: string; version: string; commit: string; licence: string }>;
  readonly inputs: readonly UpstreamInput[];
  /** `group/version/Kind` → file and scope. */
  readonly kinds: Record<string, { file: string; scope: 'Namespaced' | 'Cluster' }>;
  /** Step name → file (the shared definition files are listed under `stepDefinitions`). */
  readonly steps: Record<string, string>;
  readonly stepDefinitions: Record<string, string>;
  /** Subscription type (`image`, `git`, `chart`) → file. */
  readonly subscriptions: Record<string, string>;
  /** Every generated file but this index → sha256 of its bytes. */
  readonly files: Record<string, string>;
}

export const GENERATOR = 'packages/model/scripts/upstream-schemas.ts';

/** Builds every output file (path → text) from the upstream directories. Pure apart from reading them. */
export function buildBundle(dirs: Readonly<Record<UpstreamName, string>>): Map<string, string> {
  const files = new Map<string, string>();
  const inputs: UpstreamInput[] = [];
  const kinds: BundleIndex['kinds'] = {};
  const steps: Record<string, string> = {};
  const stepDefinitions: Record<string, string> = {};
  const subscriptions: Record<string, string> = {};
  const read = (upstream: UpstreamName, path: string): string => {
    const file = join(dirs[upstream], path);
    if (!existsSync(file)) throw new UpstreamSchemaError(`${upstream}: ${path} is missing under ${dirs[upstream]}`);
    const bytes = readFileSync(file);
    inputs.push({ upstream, path, sha256: sha256(bytes) });
    return bytes.toString('utf8');
  };
  const listJson = (upstream: UpstreamName, dir: string): string[] => {
    const full = join(dirs[upstream], dir);
    if (!existsSync(full)) throw new UpstreamSchemaError(`${upstream}: ${dir}/ is missing under ${dirs[upstream]}`);
    return readdirSync(full).filter((f) => f.endsWith('.json')).sort();
  };
  const jsonSchema = (upstream: UpstreamName, path: string): Json => {
    let parsed: Json;
    try {
      parsed = JSON.parse(read(upstream, path)) as Json;
    } catch (error) {
      throw new UpstreamSchemaError(`${upstream}: ${path} is not JSON: ${(error as Error).message}`);
    }
    return stripSchema(parsed, `${upstream}:${path}`);
  };

  for (const name of Object.keys(UPSTREAMS) as UpstreamName[]) {
    const upstream = UPSTREAMS[name];
    const crdDir = join(dirs[name], upstream.crds.dir);
    if (!existsSync(crdDir)) throw new UpstreamSchemaError(`${name}: ${upstream.crds.dir}/ is missing under ${dirs[name]}`);
    // Every CRD of the folder (kustomization.yaml and other non-CRD documents are skipped).
    const crdFiles = readdirSync(crdDir).filter((f) => f.endsWith('.yaml')).sort();
    for (const crdFile of crdFiles) {
      const path = `${upstream.crds.dir}/${crdFile}`;
      for (const crd of crdSchemas(read(name, path), `${name}:${path}`)) {
        const out = `crds/${crd.group}/${crd.version}/${crd.kind}.json`;
        kinds[`${crd.group}/${crd.version}/${crd.kind}`] = { file: out, scope: crd.scope };
        files.set(out, canonicalText(crd.schema));
      }
    }
    if (upstream.steps !== null) {
      for (const file of listJson(name, upstream.steps)) {
        const out = `steps/${file}`;
        files.set(out, canonicalText(jsonSchema(name, `${upstream.steps}/${file}`)));
        if (file.endsWith('-config.json')) steps[file.slice(0, -'-config.json'.length)] = out;
        else stepDefinitions[file] = out;
      }
    }
    if (upstream.subscriptions !== null) {
      for (const file of listJson(name, upstream.subscriptions)) {
        const out = `subscriptions/${file}`;
        files.set(out, canonicalText(jsonSchema(name, `${upstream.subscriptions}/${file}`)));
        subscriptions[file.slice(0, -'.json'.length)] = out;
      }
    }
    inputs.push({ upstream: name, path: 'LICENSE', sha256: sha256(readFileSync(join(dirs[name], 'LICENSE'))) });
    if (!readFileSync(join(dirs[name], 'LICENSE'), 'utf8').includes('Apache License')) {
      throw new UpstreamSchemaError(`${name}: LICENSE is not the Apache License the bundle notes say it is`);
    }
  }

  const upstreams = Object.fromEntries(
    (Object.keys(UPSTREAMS) as UpstreamName[]).map((n) => {
      const { project, repository, version, commit, licence } = UPSTREAMS[n];
      return [n, { project, repository, version, commit, licence }];
    }),
  ) as BundleIndex['upstreams'];
  files.set('SOURCE.md', sourceNotes(upstreams, inputs, files));
  const index: BundleIndex = {
    generator: GENERATOR,
    upstreams,
    inputs: inputs.sort((a, b) => `${a.upstream}/${a.path}`.localeCompare(`${b.upstream}/${b.path}`)),
    kinds,
    steps,
    stepDefinitions,
    subscriptions,
    files: Object.fromEntries([...files].map(([path, text]): [string, string] => [path, sha256(text)]).sort(([a], [b]) => a.localeCompare(b))),
  };
  files.set('index.json', `${JSON.stringify(sortKeys(index as unknown as Json), null, 1)}\n`);
  return files;
}

/** The human-readable provenance note (SOURCE.md); generated, so it can never disagree with index.json. */
function sourceNotes(upstreams: BundleIndex['upstreams'], inputs: readonly UpstreamInput[], files: ReadonlyMap<string, string>): string {
  const lines = [
    '# Bundled upstream API schemas: where they come from',
    '',
    'Generated by `pnpm schemas:sync` (`' + GENERATOR + '`); do not edit. `index.json` holds a sha256 of every',
    'file here and of every upstream input, and `test/upstream-schemas.test.ts` fails when a file was edited by hand.',
    '',
    'Only structure is kept: types, properties, required, enums, patterns, formats, bounds, defaults and the',
    '`x-kubernetes-*` markers, `x-kubernetes-validations` rules included (their `rule`, `reason`, `fieldPath`; the',
    'messages are dropped, so a failed rule is reported the way the API server reports a rule without a message).',
    'Every description, title and example is dropped. Object keys are sorted; large subschemas that occur more',
    'than once in a CRD are moved to `definitions` and referenced with `$ref` (same validation, a fraction of the size).',
    '',
    '| upstream | version | commit | licence |',
    '| --- | --- | --- | --- |',
    ...Object.values(upstreams).map((u) => `| ${u.project} (${u.repository}) | \`${u.version}\` | \`${u.commit}\` | ${u.licence} |`),
    '',
    'All three projects are licensed under the Apache License, Version 2.0; the derived files here are',
    'distributed under the same licence.',
    '',
    '## Inputs (paths in the upstream repository at the version above)',
    '',
    '| upstream | path | sha256 |',
    '| --- | --- | --- |',
    ...[...inputs]
      .sort((a, b) => `${a.upstream}/${a.path}`.localeCompare(`${b.upstream}/${b.path}`))
      .map((i) => `| ${i.upstream} | \`${i.path}\` | \`${i.sha256.slice(0, 16)}…\` |`),
    '',
    '## Regenerate',
    '',
    '```sh',
    '# each directory: a checkout of the release tag (or `git archive` of the paths above)',
    'npx -y pnpm@12 schemas:sync --kargo ../kargo --argo-cd ../argo-cd --argo-rollouts ../argo-rollouts',
    '```',
    '',
    `Total: ${[...files.values()].reduce((n, t) => n + Buffer.byteLength(t), 0)} bytes in ${files.size} schema files.`,
    '',
  ];
  return lines.join('\n');
}

/** Writes the bundle into `target`, replacing what was there, through a temporary folder (no partial bundle). */
export function writeBundle(files: ReadonlyMap<string, string>, target: string): void {
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  for (const [path, text] of files) {
    const file = join(staging, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  const old = `${target}.old-${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(staging, target);
  rmSync(old, { recursive: true, force: true });
}

export const BUNDLE_DIR = resolve(import.meta.dirname, '../upstream');

function parseArgs(argv: readonly string[]): Record<UpstreamName, string> {
  const base = process.env['INIT_CWD'] ?? process.cwd();
  const dirs: Partial<Record<UpstreamName, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--') continue;
    const name = flag.replace(/^--/, '') as UpstreamName;
    const value = argv[i + 1];
    if (!(name in UPSTREAMS) || value === undefined) {
      throw new UpstreamSchemaError(`usage: schemas:sync --kargo <dir> --argo-cd <dir> --argo-rollouts <dir> (got "${flag}")`);
    }
    dirs[name] = resolve(base, value);
    i++;
  }
  const missing = (Object.keys(UPSTREAMS) as UpstreamName[]).filter((n) => dirs[n] === undefined);
  if (missing.length > 0) throw new UpstreamSchemaError(`missing --${missing.join(', --')} (each: a checkout of ${missing.map((m) => `${UPSTREAMS[m].repository}@${UPSTREAMS[m].version}`).join(', ')})`);
  return dirs as Record<UpstreamName, string>;
}

if (import.meta.main) {
  try {
    const files = buildBundle(parseArgs(process.argv.slice(2)));
    writeBundle(files, BUNDLE_DIR);
    const bytes = [...files.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);
    process.stdout.write(`wrote ${files.size} files (${bytes} bytes) to ${relative(process.cwd(), BUNDLE_DIR) || '.'}\n`);
  } catch (error) {
    process.stderr.write(`schemas:sync: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
