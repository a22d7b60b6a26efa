// From a normalised pipeline config to the rendered file tree: one cdk8s App per pipeline, one Chart per file.
import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { EnvironmentVerification, Pipeline, PipelineConfig, PipelineEnvironment } from '@kargo/model';
import { KargoConfigsApp } from './constructs/kargo-configs-app.ts';
import { EnvironmentApplication, type ChartLocation } from './constructs/environment-application.ts';
import { EnvironmentStage, PROMOTED_IMAGE, type StageVerification } from './constructs/environment-stage.ts';
import { KargoProject } from './constructs/kargo-project.ts';
import { PipelineAppProject } from './constructs/pipeline-app-project.ts';
import { PipelineWarehouse } from './constructs/pipeline-warehouse.ts';
import { RelayRoutes, type RelayWarehouse } from './constructs/relay-routes.ts';
import { PresetArg, VerificationTemplate, type VerificationTemplateProps } from './constructs/verification-template.ts';
import { compileSyncWindows, longestClosedStretchMinutes, windowSyncTimeout } from './windows.ts';
import { RELAY_ROUTES_KIND, compareStrings, generatedYamlFile, manifestFile } from './emit.ts';
import { KargoRenderError, RenderErrorCode } from './errors.ts';
import { mergeValuesFile } from './values.ts';
import { pipelineMarkdown } from './graph/markdown.ts';

export interface RenderOptions {
  /** Reads a file of the current tree (path relative to the output folder), for values files. @default none exist */
  readonly readExisting?: (relPath: string) => string | undefined;
  /** Repository-relative folder the tree is written to; values paths must lie inside it. @default `kargo` */
  readonly root?: string;
}

/** The pipeline page at the root of the tree. */
export const PIPELINE_PAGE = 'PIPELINE.md';

/** One rendered Kubernetes object and the file (relative to the output folder) it is in. */
export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly file: string;
}

export interface RenderResult {
  /** File path (relative, posix) → contents; iteration order is sorted by path. */
  readonly files: ReadonlyMap<string, string>;
  /** Every Kubernetes object, in file order and then document order. */
  readonly objects: readonly RenderedObject[];
}

interface KubeDoc {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
}

/** Collects files of one render; refuses a second writer for a path. */
class TreeBuilder {
  readonly files = new Map<string, string>();
  readonly objects: RenderedObject[] = [];

  add(path: string, text: string): void {
    if (this.files.has(path)) throw new KargoRenderError(RenderErrorCode.Conflict, `two parts of the config render the same file ${path}`, { hint: 'give pipelines distinct names and projects' });
    this.files.set(path, text);
  }

  addChart(path: string, chart: Chart): void {
    const docs = chart.toJson() as KubeDoc[];
    for (const d of docs) {
      this.objects.push({ apiVersion: d.apiVersion, kind: d.kind, name: d.metadata.name, ...(d.metadata.namespace === undefined ? {} : { namespace: d.metadata.namespace }), file: path });
    }
    this.add(path, manifestFile(docs));
  }
}

/** Renders every pipeline of `config` into the `kargo/` tree. Pure apart from `readExisting`. */
export function renderPipelines(config: PipelineConfig, opts: RenderOptions = {}): RenderResult {
  const root = (opts.root ?? 'kargo').replace(/\/+$/, '');
  const tree = new TreeBuilder();
  const several = config.pipelines.length > 1;
  const relay: RelayWarehouse[] = [];
  for (const pipeline of config.pipelines) {
    renderPipeline(tree, pipeline, several ? `${pipeline.name}/` : '', root, opts.readExisting, config.relay);
    const image = pipeline.image;
    relay.push({
      image: image.repository,
      namespace: pipeline.project,
      warehouse: pipeline.name,
      // The Warehouse subscription's own rules (see PipelineWarehouse), so the relay filters as Kargo does.
      tags: { strategy: image.strategy, ...optional({ constraint: image.constraint, strictSemvers: image.strictSemvers, allow: image.allowTags, ignore: image.ignoreTags }) },
    });
  }
  const first = config.pipelines[0];
  if (first !== undefined) {
    const app = new App();
    const chart = new Chart(app, 'kargo-configs');
    new KargoConfigsApp(chart, 'KargoConfigs', { repoURL: first.git.repoURL, targetRevision: first.git.branch, path: root, argocdNamespace: first.argocd.namespace });
    tree.addChart('argocd-apps/kargo-configs.yaml', chart);
  }
  // The pipeline as reviewers read it (Mermaid graph + rules table); Argo CD skips it (not YAML/JSON).
  if (config.pipelines.length > 0) tree.add(PIPELINE_PAGE, pipelineMarkdown(config));
  if (config.relay.enabled) {
    const app = new App();
    const { target, receiverName, kargoWebhook } = config.relay;
    const routes = new RelayRoutes(app, 'RelayRoutes', {
      warehouses: relay,
      target: target === 'kubernetes' ? { kind: 'kubernetes' } : { kind: 'kargoWebhook', receiver: receiverName, ...kargoWebhook },
    });
    tree.add('relay/routes.yaml', generatedYamlFile(routes.document, RELAY_ROUTES_KIND));
  }
  const paths = [...tree.files.keys()].sort(compareStrings);
  const files = new Map(paths.map((p) => [p, tree.files.get(p) ?? '']));
  const order = new Map(paths.map((p, i) => [p, i]));
  // Stable sort: objects keep document order within a file.
  const objects = [...tree.objects].sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0));
  return { files, objects };
}

function renderPipeline(
  tree: TreeBuilder,
  p: Pipeline,
  base: string,
  root: string,
  readExisting: ((relPath: string) => string | undefined) | undefined,
  relay: PipelineConfig['relay'],
): void {
  // A small App per pipeline keeps cdk8s's whole-app work per chart bounded (linear in pipelines).
  const app = new App();
  let n = 0;
  const chart = (path: string, build: (scope: Construct) => void): void => {
    const c = new Chart(app, `f${n++}`);
    build(c);
    tree.addChart(`${base}${path}`, c);
  };
  const envs = p.environments;
  chart('project.yaml', (s) => new KargoProject(s, 'Project', {
    name: p.project,
    stages: envs.map((e) => e.name),
    autoPromotedStages: envs.filter((e) => e.promotion.auto).map((e) => e.name),
    ...(relay.enabled ? { githubReceiver: { name: relay.receiverName, secretName: relay.secretName } } : {}),
  }));
  chart('warehouse.yaml', (s) => new PipelineWarehouse(s, 'Warehouse', {
    name: p.name,
    namespace: p.project,
    repoURL: p.image.repository,
    strategy: p.image.strategy,
    interval: p.image.interval,
    ...optional({
      constraint: p.image.constraint,
      strictSemvers: p.image.strictSemvers,
      allowTags: p.image.allowTags,
      ignoreTags: p.image.ignoreTags,
      platform: p.image.platform,
      discoveryLimit: p.image.discoveryLimit,
    }),
  }));

  const templates = planTemplates(p);
  for (const t of templates.list) chart(`analysis/${t.props.name ?? t.props.preset}.yaml`, (s) => new VerificationTemplate(s, 'Template', t.props));

  const helmSource = p.argocd.chart;
  // The chart travels to the environment's branch with the values when it lives in this repository.
  const chartPath = 'path' in helmSource && (!('repoURL' in helmSource) || helmSource.repoURL === p.git.repoURL) ? helmSource.path : undefined;
  for (const env of envs) {
    const closed = longestClosedStretchMinutes(env.windows);
    if (closed === undefined) {
      throw new KargoRenderError(RenderErrorCode.InvalidProps, `pipeline "${p.name}" environment "${env.name}": its deployment windows never let Argo CD sync`, {
        hint: 'add an allow window, or narrow the deny windows',
      });
    }
    const syncTimeout = windowSyncTimeout(closed);
    const verification = stageVerification(p, env, templates.byEnv.get(env.name) ?? []);
    chart(`stages/${env.name}.yaml`, (s) => new EnvironmentStage(s, 'Stage', {
      name: env.name,
      namespace: p.project,
      warehouse: p.name,
      imageRepo: p.image.repository,
      upstreams: env.upstreams,
      ...optional({
        soak: env.promotion.soak,
        availability: env.upstreams.length > 1 ? env.availability : undefined,
        description: env.description,
        verification,
        syncTimeout,
      }),
      color: env.color,
      mode: env.promotion.mode,
      git: { repoURL: p.git.repoURL, sourceBranch: p.git.branch, branch: env.branch, valuesPath: env.valuesPath, ...optional({ chartPath }) },
      helmSource: 'path' in helmSource ? { repoURL: p.git.repoURL } : { repoURL: chartRepoURL(helmSource), ...optional({ chart: helmSource.chart }) },
      app: { name: env.applicationName, namespace: p.argocd.namespace },
      notifications: env.notifications.map((n) => ({ kind: n.type, secretName: n.secretRef.name, secretKey: n.secretRef.key })),
    }));
  }

  for (const env of envs) {
    if (!env.valuesPath.startsWith(`${root}/`)) {
      throw new KargoRenderError(RenderErrorCode.InvalidProps, `pipeline "${p.name}" environment "${env.name}": values file ${env.valuesPath} is outside the rendered folder ${root}/`, {
        hint: `set git.valuesDir under ${root}/ (render owns only that folder)`,
      });
    }
    const rel = env.valuesPath.slice(root.length + 1);
    tree.add(rel, mergeValuesFile(readExisting?.(rel), ownedValues(p, env), p.image.initialTag, { filename: rel }));
  }

  const chartLocation: ChartLocation = 'path' in helmSource
    ? { path: helmSource.path }
    : { repoURL: chartRepoURL(helmSource), version: helmSource.version, ...optional({ chart: helmSource.chart }) };
  for (const env of envs) {
    chart(`argocd-apps/${p.app}-${env.name}.yaml`, (s) => new EnvironmentApplication(s, 'Application', {
      name: env.applicationName,
      namespace: p.argocd.namespace,
      project: p.argocd.project,
      kargoProject: p.project,
      stage: env.name,
      valuesRepoURL: p.git.repoURL,
      // argocd mode writes no Git (a Helm parameter on the Application, no revision pinned): it reads the source branch.
      targetRevision: env.promotion.mode === 'argocd' ? p.git.branch : env.branch,
      valuesPath: env.valuesPath,
      chart: chartLocation,
      releaseName: p.app,
      destinationNamespace: env.namespace,
      destination: p.argocd.destination,
    }));
  }
  chart(`argocd-apps/${p.app}-project.yaml`, (s) => new PipelineAppProject(s, 'AppProject', {
    name: p.argocd.project,
    namespace: p.argocd.namespace,
    description: `kargo-env pipeline ${p.name}: ${envs.map((e) => e.name).join(' → ')}`,
    sourceRepos: 'path' in helmSource ? [p.git.repoURL] : [p.git.repoURL, chartRepoURL(helmSource)],
    destinationNamespaces: envs.map((e) => e.namespace),
    destination: p.argocd.destination,
    syncWindows: envs.flatMap((e) => compileSyncWindows(e.windows, [e.applicationName])),
  }));
}

/** Argo CD wants OCI Helm repositories without the scheme when `chart` is set separately. */
function chartRepoURL(chart: { readonly repoURL: string; readonly chart?: string }): string {
  return chart.repoURL;
}

/** Drops undefined members so optional props stay absent (exactOptionalPropertyTypes-safe). */
function optional<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** The values render owns for one environment, extra values first so the owned keys win. */
export function ownedValues(p: Pipeline, env: PipelineEnvironment): Record<string, unknown> {
  const owned: Record<string, unknown> = {
    replicaCount: env.replicas,
    image: { repository: p.image.repository },
    service: { type: env.service.type, ...(env.service.port === undefined ? {} : { port: env.service.port }) },
    resources: { requests: { ...env.resources.requests }, limits: { ...env.resources.limits } },
  };
  return deepMerge(owned, env.values);
}

function deepMerge(owned: Record<string, unknown>, extra: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...owned };
  for (const [k, v] of Object.entries(extra)) {
    const mine = out[k];
    if (mine === undefined) out[k] = v;
    else if (isRecord(mine) && isRecord(v)) out[k] = deepMerge(mine, v);
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type PresetVerification = Extract<EnvironmentVerification, { preset: string }>;
interface PlannedTemplate { readonly props: VerificationTemplateProps }
interface EnvTemplate { readonly name: string; readonly v: PresetVerification }

/**
 * One AnalysisTemplate per preset when every environment configures it the same way (the usual case);
 * otherwise one per environment, named `<preset>-<env>`.
 */
function planTemplates(p: Pipeline): { list: PlannedTemplate[]; byEnv: Map<string, EnvTemplate[]> } {
  const groups = new Map<string, Map<string, { env: string; v: PresetVerification }[]>>();
  for (const env of p.environments) {
    for (const v of env.verification) {
      if (!('preset' in v)) continue;
      const key = JSON.stringify(templateProps(p, v, v.preset));
      const byKey = groups.get(v.preset) ?? new Map<string, { env: string; v: PresetVerification }[]>();
      byKey.set(key, [...(byKey.get(key) ?? []), { env: env.name, v }]);
      groups.set(v.preset, byKey);
    }
  }
  const list: PlannedTemplate[] = [];
  const byEnv = new Map<string, EnvTemplate[]>();
  for (const [preset, byKey] of groups) {
    const shared = byKey.size === 1;
    for (const uses of byKey.values()) {
      for (const u of uses) {
        const name = shared ? preset : `${preset}-${u.env}`;
        byEnv.set(u.env, [...(byEnv.get(u.env) ?? []), { name, v: u.v }]);
        if (shared && u !== uses[0]) continue;
        list.push({ props: templateProps(p, u.v, name) });
      }
    }
  }
  list.sort((a, b) => compareStrings(a.props.name ?? '', b.props.name ?? ''));
  return { list, byEnv };
}

function templateProps(p: Pipeline, v: PresetVerification, name: string): VerificationTemplateProps {
  const base = { namespace: p.project, name, image: v.image };
  switch (v.preset) {
    case 'smoke':
      return { ...base, preset: 'smoke' };
    case 'integration':
      return { ...base, preset: 'integration', ...optional({ command: v.command }), args: v.args, env: v.env };
    case 'security-scan':
      return { ...base, preset: 'security-scan', severity: v.severity, ignoreUnfixed: v.ignoreUnfixed };
    case 'performance':
      return { ...base, preset: 'performance', vus: v.vus, duration: v.duration, p95Ms: v.thresholds.p95Ms, errorRate: v.thresholds.errorRate };
  }
}

/** In-cluster URL of the environment's Service (release name = app, so the chart names the Service after it). */
function serviceURL(p: Pipeline, env: PipelineEnvironment, path = '/'): string {
  const port = env.service.port === undefined ? '' : `:${env.service.port}`;
  return `http://${p.app}.${env.namespace}.svc.cluster.local${port}${path}`;
}

function stageVerification(p: Pipeline, env: PipelineEnvironment, presets: readonly EnvTemplate[]): StageVerification | undefined {
  const templates: { name: string; kind?: 'AnalysisTemplate' | 'ClusterAnalysisTemplate' }[] = [];
  const args = new Map<string, string>();
  let presetIndex = 0;
  for (const v of env.verification) {
    if ('preset' in v) {
      const planned = presets[presetIndex++];
      if (planned === undefined) continue;
      templates.push({ name: planned.name });
      switch (v.preset) {
        case 'smoke': args.set(PresetArg.smoke, serviceURL(p, env, v.path)); break;
        case 'integration': args.set(PresetArg.integration, serviceURL(p, env)); break;
        case 'security-scan': args.set(PresetArg['security-scan'], PROMOTED_IMAGE); break;
        case 'performance': args.set(PresetArg.performance, serviceURL(p, env)); break;
      }
    } else {
      templates.push({ name: v.template, ...(v.kind === 'AnalysisTemplate' ? {} : { kind: v.kind }) });
      for (const [k, val] of Object.entries(v.args).sort(([a], [b]) => compareStrings(a, b))) {
        if (args.has(k) && args.get(k) !== val) {
          throw new KargoRenderError(RenderErrorCode.Conflict, `pipeline "${p.name}" environment "${env.name}": verification argument "${k}" is given two different values`);
        }
        args.set(k, val);
      }
    }
  }
  if (templates.length === 0) return undefined;
  return { templates, args: [...args].map(([name, value]) => ({ name, value })) };
}
