// Offline admission for Kargo, Argo CD and Argo Rollouts objects: each document against the bundled
// upstream schema of its apiVersion/kind (strict field validation), its metadata as the API server checks
// it, every Kargo promotion step's `config` against that step's schema and every Warehouse subscription
// against its subscription schema, as Kargo itself validates them.
import { normalizeChartRepoUrl, normalizeImageRepoUrl } from '../images/reference.ts';
import { Severity, formatPath, type Issue } from '../result.ts';
import { bundleIndex, bundledSchema, type BundledUpstream, type SchemaObject } from './bundle.ts';
import { metadataIssues } from './metadata.ts';
import { acceptTemplates, checkAgainst, closedSchema, compileSchema, markTemplates, type CompiledSchema } from './schema-check.ts';

type Path = readonly (string | number)[];
type Json = { readonly [key: string]: unknown };
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** API groups whose kinds are bundled: a kind or version of these groups that is not bundled is a mistake. */
const BUNDLED_GROUPS = ['kargo.akuity.io', 'argoproj.io'] as const;

export const ManifestStatus = { Checked: 'checked', NotChecked: 'not-checked' } as const;
export type ManifestStatus = (typeof ManifestStatus)[keyof typeof ManifestStatus];

export interface ManifestReport {
  readonly apiVersion: string | undefined;
  readonly kind: string | undefined;
  readonly name: string | undefined;
  /** `not-checked`: no schema is bundled for this apiVersion/kind (a ConfigMap, another project's CRD). */
  readonly status: ManifestStatus;
  /** Why a document was not checked. */
  readonly reason?: string;
  /** Errors and warnings; paths are relative to the document (`spec.steps[0].config.path`). */
  readonly issues: readonly Issue[];
}

const compiled = new Map<string, CompiledSchema>();

function cachedCompile(key: string, build: () => CompiledSchema): CompiledSchema {
  let value = compiled.get(key);
  if (value === undefined) {
    value = build();
    compiled.set(key, value);
  }
  return value;
}

/** `apiVersion/kind` pairs that have a bundled schema, sorted, e.g. `kargo.akuity.io/v1alpha1/Stage`. */
export function bundledKinds(): string[] {
  return Object.keys(bundleIndex().kinds).sort();
}

/** Names of the promotion steps whose config schema is bundled, sorted. */
export function bundledStepNames(): string[] {
  return Object.keys(bundleIndex().steps).sort();
}

/** The upstream releases the bundled schemas come from (Kargo, Argo CD, Argo Rollouts). */
export function bundledUpstreams(): Readonly<Record<string, BundledUpstream>> {
  return bundleIndex().upstreams;
}

/** The bundled schema of `apiVersion`/`kind` as published upstream (open, as written), or undefined. */
export function upstreamObjectSchema(apiVersion: string, kind: string): SchemaObject | undefined {
  const entry = bundleIndex().kinds[`${apiVersion}/${kind}`];
  return entry === undefined ? undefined : bundledSchema(entry.file);
}

function objectSchema(apiVersion: string, kind: string): CompiledSchema | undefined {
  const schema = upstreamObjectSchema(apiVersion, kind);
  if (schema === undefined) return undefined;
  return cachedCompile(`kind:${apiVersion}/${kind}`, () => compileSchema(closedSchema(schema), { kubernetes: true }));
}

function stepSchema(name: string): CompiledSchema | undefined {
  const index = bundleIndex();
  const file = index.steps[name];
  if (file === undefined) return undefined;
  return cachedCompile(`step:${name}`, () => {
    // Step schemas refer to the shared definition files by file name (`argocd-common.json#/definitions/…`).
    const references = Object.fromEntries(Object.entries(index.stepDefinitions).map(([ref, path]) => [ref, acceptTemplates(bundledSchema(path))]));
    return compileSchema(acceptTemplates(bundledSchema(file)), { kubernetes: false, references });
  });
}

function subscriptionSchema(type: string): CompiledSchema | undefined {
  const file = bundleIndex().subscriptions[type];
  if (file === undefined) return undefined;
  return cachedCompile(`subscription:${type}`, () => compileSchema(bundledSchema(file), { kubernetes: false }));
}

/**
 * A promotion step's `config` against the step's upstream schema, after Kargo's own order: expressions
 * first (a templated string may become any value), then the schema. A missing config is validated as
 * null, as Kargo does (`pkg/promotion/evaluator.go` returns a nil config; the step validates it).
 * Returns undefined when no schema is bundled for `step`.
 */
export function validateStepConfig(step: string, config: unknown, base: Path = []): Issue[] | undefined {
  const schema = stepSchema(step);
  if (schema === undefined) return undefined;
  const issues = checkAgainst(schema, markTemplates(config === undefined ? null : config), base);
  if (config !== undefined) return issues;
  return issues.map((i) => (i.code === 'type' && i.path === formatPath(base) ? { ...i, message: 'is missing: Kargo checks a missing config as null, and this step needs an object', code: 'required' } : i));
}

/** A Warehouse subscription body (`image`, `git` or `chart`) against its upstream schema; undefined for other types. */
export function validateSubscription(type: string, body: unknown, base: Path = []): Issue[] | undefined {
  const schema = subscriptionSchema(type);
  return schema === undefined ? undefined : checkAgainst(schema, body, base);
}

/** One Kubernetes document, as the API server (and Kargo's admission webhooks, for steps and subscriptions) would judge it. */
export function validateManifest(doc: unknown): ManifestReport {
  if (!isObject(doc)) {
    return { apiVersion: undefined, kind: undefined, name: undefined, status: ManifestStatus.Checked, issues: [issue([], 'a Kubernetes object must be a map with apiVersion and kind', 'not-an-object')] };
  }
  const apiVersion = typeof doc['apiVersion'] === 'string' ? doc['apiVersion'] : undefined;
  const kind = typeof doc['kind'] === 'string' ? doc['kind'] : undefined;
  const name = isObject(doc['metadata']) && typeof doc['metadata']['name'] === 'string' ? doc['metadata']['name'] : undefined;
  const report = (status: ManifestStatus, issues: Issue[], reason?: string): ManifestReport => ({ apiVersion, kind, name, status, issues, ...(reason === undefined ? {} : { reason }) });
  if (apiVersion === undefined && kind === undefined) {
    // Helm values, relay routes, kustomize or other YAML kept beside the manifests.
    return report(ManifestStatus.NotChecked, [], 'not a Kubernetes object (no apiVersion or kind)');
  }
  if (apiVersion === undefined || kind === undefined) {
    const missing = [apiVersion === undefined ? issue(['apiVersion'], 'required field is missing', 'required') : undefined, kind === undefined ? issue(['kind'], 'required field is missing', 'required') : undefined];
    return report(ManifestStatus.Checked, missing.filter((i) => i !== undefined));
  }
  const entry = bundleIndex().kinds[`${apiVersion}/${kind}`];
  if (entry === undefined) {
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (!(BUNDLED_GROUPS as readonly string[]).includes(group)) return report(ManifestStatus.NotChecked, [], `no schema bundled for ${apiVersion} ${kind}`);
    return report(ManifestStatus.Checked, [unknownKind(apiVersion, kind, group)]);
  }
  const schema = objectSchema(apiVersion, kind);
  const issues = [...metadataIssues(doc['metadata'], entry.scope)];
  // metadata is only `type: object` in CRD schemas; its checks are the ones above.
  issues.push(...(schema === undefined ? [] : checkAgainst(schema, doc)));
  if (group(apiVersion) === 'kargo.akuity.io') issues.push(...kargoIssues(kind, doc));
  return report(ManifestStatus.Checked, issues);
}

const group = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

function unknownKind(apiVersion: string, kind: string, groupName: string): Issue {
  const served = bundledKinds().filter((k) => k.startsWith(`${groupName}/`));
  const sameKind = served.filter((k) => k.endsWith(`/${kind}`));
  const upstream = Object.values(bundledUpstreams()).map((u) => `${u.project} ${u.version}`).join(', ');
  const message =
    sameKind.length > 0
      ? `${kind} is served as ${sameKind.map((k) => k.slice(0, k.lastIndexOf('/'))).join(', ')}, not ${apiVersion}`
      : `${apiVersion} has no kind ${kind} (known: ${served.map((k) => k.slice(k.lastIndexOf('/') + 1)).join(', ')}; schemas of ${upstream})`;
  return issue(sameKind.length > 0 ? ['apiVersion'] : ['kind'], message, 'unknown-kind');
}

function issue(path: Path, message: string, code: string, severity: Severity = Severity.Error): Issue {
  return { path: formatPath(path), message, severity, code };
}

/** Where each Kargo kind keeps promotion steps. */
const STEP_LISTS: Readonly<Record<string, Path>> = {
  Stage: ['spec', 'promotionTemplate', 'spec', 'steps'],
  Promotion: ['spec', 'steps'],
  PromotionTask: ['spec', 'steps'],
  ClusterPromotionTask: ['spec', 'steps'],
};

function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((o, k) => (typeof k === 'number' ? (Array.isArray(o) ? o[k] : undefined) : isObject(o) ? o[k] : undefined), value);
}

function kargoIssues(kind: string, doc: Json): Issue[] {
  const out: Issue[] = [];
  const stepsPath = STEP_LISTS[kind];
  const steps = stepsPath === undefined ? undefined : at(doc, stepsPath);
  if (stepsPath !== undefined && Array.isArray(steps)) {
    steps.forEach((step: unknown, i) => {
      if (!isObject(step) || typeof step['uses'] !== 'string') return;
      const uses = step['uses'];
      const found = validateStepConfig(uses, step['config'], [...stepsPath, i, 'config']);
      if (found === undefined) {
        out.push(issue([...stepsPath, i, 'uses'], `not checked: Kargo ${bundledUpstreams()['kargo']?.version ?? ''} has no built-in step "${uses}"`, 'unknown-step', Severity.Warning));
      } else {
        out.push(...found.map((f) => ({ ...f, message: `${f.message} (step ${uses})`, code: `step-config:${f.code}` })));
      }
    });
  }
  if (kind === 'Warehouse') out.push(...subscriptionIssues(at(doc, ['spec', 'subscriptions'])));
  return out;
}

const SUBSCRIPTION_TYPES = ['image', 'git', 'chart', 'subscription'] as const;

/**
 * Each entry sets exactly one of image/git/chart/subscription; its body passes its schema; no two entries
 * name the same repository (Kargo's Warehouse webhook, `pkg/webhook/kubernetes/warehouse/webhook.go`).
 */
function subscriptionIssues(subscriptions: unknown): Issue[] {
  if (!Array.isArray(subscriptions)) return [];
  const out: Issue[] = [];
  const seen = new Map<string, number>();
  subscriptions.forEach((entry: unknown, i) => {
    const base = ['spec', 'subscriptions', i];
    if (!isObject(entry)) return;
    const keys = Object.keys(entry);
    for (const key of keys) {
      if (!(SUBSCRIPTION_TYPES as readonly string[]).includes(key)) out.push(issue([...base, key], `unknown field "${key}" (a subscription is one of ${SUBSCRIPTION_TYPES.join(', ')})`, 'unknown-field'));
    }
    const types = SUBSCRIPTION_TYPES.filter((t) => entry[t] !== undefined && entry[t] !== null);
    if (types.length !== 1) {
      out.push(issue(base, types.length === 0 ? `must set one of ${SUBSCRIPTION_TYPES.join(', ')}` : `sets ${types.join(' and ')}; a subscription is exactly one of them`, 'subscription'));
      return;
    }
    const type = types[0] as (typeof SUBSCRIPTION_TYPES)[number];
    const body = entry[type];
    if (type === 'subscription') {
      out.push(...genericSubscriptionIssues(body, [...base, type]));
    } else {
      out.push(...(validateSubscription(type, body, [...base, type]) ?? []));
      const key = identity(type, body);
      if (key !== undefined) {
        const first = seen.get(key);
        if (first !== undefined) out.push(issue([...base, type, 'repoURL'], `duplicate: spec.subscriptions[${first}] already subscribes to this ${type === 'git' ? 'Git repository' : type}`, 'duplicate'));
        else seen.set(key, i);
      }
    }
  });
  return out;
}

/** What makes two subscriptions the same one, as Kargo's webhook decides it (repository URLs normalised). */
function identity(type: 'image' | 'git' | 'chart', body: unknown): string | undefined {
  if (!isObject(body) || typeof body['repoURL'] !== 'string') return undefined;
  const url = body['repoURL'];
  if (type === 'image') return `image:${normalizeImageRepoUrl(url)}`;
  if (type === 'git') return `git:${normalizeGitRepoUrl(url)}`;
  const http = url.startsWith('http://') || url.startsWith('https://');
  // For classic HTTP(S) chart repositories the chart name is part of the identity.
  return `chart:${normalizeChartRepoUrl(url)}${http ? `:${String(body['name'])}` : ''}`;
}

/** Kargo's `pkg/urls/git.go` NormalizeGit: lower-case, no credentials, no trailing `/` or `.git`; SCP form as ssh://. */
export function normalizeGitRepoUrl(repoUrl: string): string {
  const lowered = repoUrl.trim().toLowerCase();
  const trimPath = (path: string): string => path.replace(/\/$/, '').replace(/\.git$/, '');
  if (/^(https?|ssh):\/\//.test(lowered)) {
    try {
      const url = new URL(lowered);
      if (url.search !== '') return repoUrl;
      if (!lowered.startsWith('ssh://')) {
        url.username = '';
        url.password = '';
      }
      url.pathname = trimPath(url.pathname);
      return url.toString().replace(/\/$/, '');
    } catch {
      return repoUrl;
    }
  }
  const scp = /^((?:[\w-]+@)?[\w-]+(?:\.[\w-]+)*)(?::(.*))?$/.exec(lowered);
  if (scp === null) return repoUrl;
  const path = trimPath(scp[2] ?? '');
  return path === '' ? `ssh://${scp[1]}` : `ssh://${scp[1]}/${path}`;
}

/** A generic (plugin) subscription: Kargo checks its common fields; its config belongs to the plugin. */
function genericSubscriptionIssues(body: unknown, base: Path): Issue[] {
  if (!isObject(body)) return [issue(base, 'must be an object', 'type')];
  const out: Issue[] = [];
  if (typeof body['subscriptionType'] !== 'string' || body['subscriptionType'] === '') out.push(issue([...base, 'subscriptionType'], 'must be a non-empty string', 'required'));
  if (typeof body['name'] !== 'string' || body['name'] === '') out.push(issue([...base, 'name'], 'must be a non-empty string', 'required'));
  const limit = body['discoveryLimit'];
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100)) out.push(issue([...base, 'discoveryLimit'], 'must be an integer from 1 to 100', 'range'));
  if (body['config'] !== undefined && !isObject(body['config'])) out.push(issue([...base, 'config'], 'must be an object', 'type'));
  return out;
}
