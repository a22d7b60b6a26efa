// Validators built from the upstream Kargo, Argo CD and Argo Rollouts schemas in ../shared, closed the way
// the API server's strict field validation treats structural schemas. Shared by every package's
// conformance tests so there is one definition of "valid upstream".
import { readdirSync } from 'node:fs';
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readSharedJson, sharedPath } from './shared.ts';

export { SHARED_DIR, readSharedJson, sharedPath } from './shared.ts';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A deep copy of `schema` in which every object schema that lists `properties` and does not say
 * `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`: what the API server
 * does with unknown fields under strict field validation. Open maps (`additionalProperties: {…}`)
 * and preserved subtrees stay open.
 */
export function closedSchema<T>(schema: T): T {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close);
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      // `properties` maps names to schemas: recurse into each schema, not into the map itself as a schema.
      out[key] =
        key === 'properties' && isObject(value)
          ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, close(sub)]))
          : close(value);
    }
    if (isObject(node['properties']) && node['x-kubernetes-preserve-unknown-fields'] !== true && node['additionalProperties'] === undefined) {
      out['additionalProperties'] = false;
    }
    return out;
  };
  return close(schema) as T;
}

/** A validator that returns ajv's errors (empty when valid) and never mutates its input. */
export interface UpstreamValidator {
  (value: unknown): ErrorObject[];
  readonly schema: AnySchemaObject;
}

function wrap(validate: ValidateFunction, schema: AnySchemaObject): UpstreamValidator {
  const run = (value: unknown): ErrorObject[] => {
    // useDefaults mutates: validate a copy, as the API server defaults before it validates.
    const copy: unknown = structuredClone(value);
    return validate(copy) ? [] : [...(validate.errors ?? [])];
  };
  return Object.assign(run, { schema });
}

/**
 * `crd`: validate like the API server — apply schema defaults first, and compile the CRDs' Go (RE2)
 * patterns such as `[\w.\-\_]`, which JS rejects under the `u` flag, without it.
 */
function newAjv(draft: '07' | '2020', crd: boolean): Ajv {
  // strict: false tolerates the x-kubernetes-* keywords; CEL rules are enforced (and tested) in the model.
  const options = { strict: false, allErrors: true, useDefaults: crd, unicodeRegExp: !crd };
  const ajv = draft === '2020' ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

export const KARGO_SCHEMA_FILES = {
  Project: 'project-v1alpha1.json',
  ProjectConfig: 'projectconfig-v1alpha1.json',
  ClusterConfig: 'clusterconfig-v1alpha1.json',
  Warehouse: 'warehouse-v1alpha1.json',
  Stage: 'stage-v1alpha1.json',
  Freight: 'freight-v1alpha1.json',
  Promotion: 'promotion-v1alpha1.json',
  PromotionTask: 'promotiontask-v1alpha1.json',
  ClusterPromotionTask: 'clusterpromotiontask-v1alpha1.json',
} as const;
export type UpstreamKind = keyof typeof KARGO_SCHEMA_FILES;

/** Schema files of every kind render emits, by `apiVersion/kind`. */
export const RENDERED_SCHEMA_FILES: Readonly<Record<string, readonly [string, string]>> = {
  'kargo.akuity.io/v1alpha1/Project': ['kargo', KARGO_SCHEMA_FILES.Project],
  'kargo.akuity.io/v1alpha1/ProjectConfig': ['kargo', KARGO_SCHEMA_FILES.ProjectConfig],
  'kargo.akuity.io/v1alpha1/Warehouse': ['kargo', KARGO_SCHEMA_FILES.Warehouse],
  'kargo.akuity.io/v1alpha1/Stage': ['kargo', KARGO_SCHEMA_FILES.Stage],
  'argoproj.io/v1alpha1/Application': ['argocd', 'application-v1alpha1.json'],
  'argoproj.io/v1alpha1/AppProject': ['argocd', 'appproject-v1alpha1.json'],
  'argoproj.io/v1alpha1/AnalysisTemplate': ['argo-rollouts', 'analysistemplate-v1alpha1.json'],
};

/** The closed CRD schema of a rendered object's apiVersion/kind; throws for a kind render never emits. */
export function objectValidator(apiVersion: string, kind: string): UpstreamValidator {
  const key = `${apiVersion}/${kind}`;
  const file = RENDERED_SCHEMA_FILES[key];
  if (file === undefined) throw new Error(`no upstream schema for ${key}`);
  return cached(`obj:${key}`, () => {
    const schema = closedSchema(readSharedJson<AnySchemaObject>('schemas', file[0], 'json', file[1]));
    return wrap(newAjv('07', true).compile(schema), schema);
  });
}

const cache = new Map<string, UpstreamValidator>();

function cached(key: string, build: () => UpstreamValidator): UpstreamValidator {
  let validator = cache.get(key);
  if (validator === undefined) {
    validator = build();
    cache.set(key, validator);
  }
  return validator;
}

/** The CRD schema of `kind` (schemas/kargo/json), closed, with API-server-style defaulting. */
export function upstreamValidator(kind: UpstreamKind): UpstreamValidator {
  return cached(`crd:${kind}`, () => {
    const schema = closedSchema(readSharedJson<AnySchemaObject>('schemas', 'kargo', 'json', KARGO_SCHEMA_FILES[kind]));
    return wrap(newAjv('07', true).compile(schema), schema);
  });
}

function draftOf(schema: AnySchemaObject): '07' | '2020' {
  return String(schema['$schema']).includes('2020-12') ? '2020' : '07';
}

/** The upstream schema of a step's config (schemas/kargo/steps/<step>-config.json), as published. */
export function stepConfigValidator(stepName: string): UpstreamValidator {
  return cached(`step:${stepName}`, () => {
    const schema = readSharedJson<AnySchemaObject>('schemas', 'kargo', 'steps', `${stepName}-config.json`);
    const ajv = newAjv(draftOf(schema), false);
    // argocd-update/argocd-wait refer to "argocd-common.json#/definitions/…"; register it under that id.
    const common = readSharedJson<AnySchemaObject>('schemas', 'kargo', 'steps', 'argocd-common.json');
    if (draftOf(schema) === '2020') ajv.addSchema(common, 'argocd-common.json');
    return wrap(ajv.compile(schema), schema);
  });
}

/** The upstream schema of a Warehouse subscription type (schemas/kargo/subscriptions/<type>.json). */
export function subscriptionValidator(type: 'image' | 'git' | 'chart'): UpstreamValidator {
  return cached(`subscription:${type}`, () => {
    const schema = readSharedJson<AnySchemaObject>('schemas', 'kargo', 'subscriptions', `${type}.json`);
    return wrap(newAjv(draftOf(schema), false).compile(schema), schema);
  });
}

/** Step names that have a `<name>-config.json` upstream, sorted. */
export function upstreamStepNames(): string[] {
  return readdirSync(sharedPath('schemas', 'kargo', 'steps'))
    .filter((f) => f.endsWith('-config.json'))
    .map((f) => f.slice(0, -'-config.json'.length))
    .sort();
}
