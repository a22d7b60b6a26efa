// `doctor`: every check between the config, the cluster and the GitHub side, each ✓/⚠/✗ with its evidence and
// the one command or config change that fixes it. Read-only: Secrets are only ever read as metadata
// (PartialObjectMetadata), and a 403 turns a check into ⚠ (not checked), never a crash.
import { GIT_REPO_URL_ANNOTATION, type Pipeline, type PipelineConfig } from '@kargo/model';
import { normalizeGitRepoUrl } from '@kargo/model/manifests';
import { normalizeImageRepoUrl } from '@kargo/model/relay';
import { parseAllDocuments } from 'yaml';
import { isForbidden, KubeApiError, resourcePath, type KubeClient, type KubeObject } from './client.ts';
import { condition, freightTags, humanDuration, kargoPath, newestFirst, promotionOutputs, type Condition, type Freight, type Promotion, type Stage } from './kargo.ts';
import { stageView, type StageView } from './pipeline-view.ts';
import { mergeRelayMetrics, probeRelay, type RelayMetrics } from './relay.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  /** Stable id for machines: `kargo.crds`, `stage.flask-app.prod`, …. */
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly evidence: readonly string[];
  /** The command or config change that fixes it (fail/warn). */
  readonly fix?: string;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly context: string;
  readonly server: string;
  readonly kubernetesVersion: string;
  readonly checks: readonly Check[];
  readonly summary: { readonly ok: number; readonly warn: number; readonly fail: number };
}

/** The Kargo release the bundled model and schemas target. */
export const TARGET_KARGO_VERSION = '1.11.2';
const KARGO_RESOURCES = ['projects', 'projectconfigs', 'warehouses', 'stages', 'freights', 'promotions'];
const ROLLOUTS_RESOURCES = ['analysistemplates', 'analysisruns'];
const ARGOCD_RESOURCES = ['applications', 'appprojects'];
const RESTART_KARGO = (ns: string) => `kubectl -n ${ns} rollout restart deploy/kargo-controller deploy/kargo-api`;

interface Deployment extends KubeObject {
  readonly spec?: { readonly replicas?: number; readonly template?: { readonly spec?: { readonly containers?: readonly { readonly image?: string }[] } } };
  readonly status?: { readonly readyReplicas?: number; readonly replicas?: number };
}

const ok = (id: string, title: string, evidence: string[]): Check => ({ id, title, status: 'ok', evidence });
const warn = (id: string, title: string, evidence: string[], fix?: string): Check => ({ id, title, status: 'warn', evidence, ...(fix === undefined ? {} : { fix }) });
const fail = (id: string, title: string, evidence: string[], fix?: string): Check => ({ id, title, status: 'fail', evidence, ...(fix === undefined ? {} : { fix }) });

/** A 403 as a ⚠ "not checked" (with the RBAC hint); anything else propagates. */
function forbiddenCheck(error: unknown, id: string, title: string): Check {
  if (isForbidden(error)) return warn(id, title, [`not checked: ${(error).message}`], 'grant the kargo-env-readonly ClusterRole (packages/cli/rbac/kargo-env-readonly.yaml), or ask someone who has it to run doctor');
  throw error;
}

async function guarded(id: string, title: string, body: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const result = await body();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    if (error instanceof KubeApiError) {
      if (error.status === 403) return [forbiddenCheck(error, id, title)];
      return [fail(id, title, [`the API answered ${error.status}${error.reason === undefined ? '' : ` ${error.reason}`}: ${error.message}`])];
    }
    throw error;
  }
}

/** The resources a group/version serves, or undefined when the API server does not serve it (404). */
async function served(client: KubeClient, group: string, version: string): Promise<string[] | undefined> {
  try {
    const list = await client.request<{ resources: { name: string }[] }>('GET', `/apis/${group}/${version}`);
    return list.resources.map((r) => r.name).filter((n) => !n.includes('/'));
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

const ready = (d: Deployment): boolean => (d.status?.readyReplicas ?? 0) >= (d.spec?.replicas ?? 1) && (d.spec?.replicas ?? 1) > 0;
const readyText = (d: Deployment): string => `${d.metadata.namespace}/${d.metadata.name} ${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1} ready`;
const ago = (iso: string | undefined, now: number): string => (iso === undefined ? 'never' : `${humanDuration(now - Date.parse(iso))} ago (${iso})`);

async function kargoChecks(client: KubeClient): Promise<{ checks: Check[]; controller: Deployment | undefined }> {
  const checks: Check[] = [];
  let controller: Deployment | undefined;
  checks.push(
    ...(await guarded('kargo.crds', 'Kargo CRDs', async () => {
      const group = await client.find<KubeObject & { versions?: { version: string }[] }>('/apis/kargo.akuity.io');
      const versions = (group?.versions ?? []).map((v) => v.version);
      const resources = await served(client, 'kargo.akuity.io', 'v1alpha1');
      if (resources === undefined) {
        return fail('kargo.crds', 'Kargo CRDs', [versions.length === 0 ? 'the API server serves no kargo.akuity.io group' : `kargo.akuity.io serves ${versions.join(', ')}, not v1alpha1`], 'install Kargo 1.11: in infra/, pulumi config set enableKargo true && pulumi up');
      }
      const missing = KARGO_RESOURCES.filter((r) => !resources.includes(r));
      if (missing.length > 0) return fail('kargo.crds', 'Kargo CRDs', [`kargo.akuity.io/v1alpha1 lacks ${missing.join(', ')}`], `upgrade Kargo to ${TARGET_KARGO_VERSION} (pulumi config set kargoVersion ${TARGET_KARGO_VERSION} && pulumi up)`);
      return ok('kargo.crds', 'Kargo CRDs', [`kargo.akuity.io/v1alpha1 serves ${KARGO_RESOURCES.join(', ')} (the version kargo-env's model targets)`]);
    })),
  );
  checks.push(
    ...(await guarded('kargo.controller', 'Kargo controller', async () => {
      const list = await client.list<Deployment>(resourcePath({ group: 'apps', version: 'v1', plural: 'deployments' }), { labelSelector: 'app.kubernetes.io/name=kargo,app.kubernetes.io/component=controller' });
      controller = list.items[0];
      if (controller === undefined) return fail('kargo.controller', 'Kargo controller', ['no Deployment labelled app.kubernetes.io/name=kargo, app.kubernetes.io/component=controller'], 'install Kargo (infra: pulumi config set enableKargo true && pulumi up)');
      const image = controller.spec?.template?.spec?.containers?.[0]?.image ?? '';
      const version = (controller.metadata.labels?.['app.kubernetes.io/version'] ?? /:v?([^:@]+)$/.exec(image)?.[1] ?? 'unknown').replace(/^v/, '');
      const evidence = [readyText(controller), `version ${version} (image ${image})`];
      if (!ready(controller)) return fail('kargo.controller', 'Kargo controller', evidence, `kubectl -n ${controller.metadata.namespace} describe deploy/${controller.metadata.name}; kubectl -n ${controller.metadata.namespace} logs deploy/${controller.metadata.name}`);
      const [maj, min] = version.split('.');
      const [tmaj, tmin] = TARGET_KARGO_VERSION.split('.');
      if (maj !== tmaj || min !== tmin) return warn('kargo.controller', 'Kargo controller', [...evidence, `kargo-env targets Kargo ${TARGET_KARGO_VERSION}`], `pulumi config set kargoVersion ${TARGET_KARGO_VERSION} && pulumi up`);
      return ok('kargo.controller', 'Kargo controller', evidence);
    })),
  );
  checks.push(
    ...(await guarded('rollouts', 'Argo Rollouts (verification)', async () => {
      const resources = (await served(client, 'argoproj.io', 'v1alpha1')) ?? [];
      const missing = ROLLOUTS_RESOURCES.filter((r) => !resources.includes(r));
      if (missing.length > 0) {
        return fail('rollouts', 'Argo Rollouts (verification)', [`argoproj.io/v1alpha1 lacks ${missing.join(', ')}: Stages cannot verify`], 'install Argo Rollouts (infra: pulumi config set argoRollouts install && pulumi up), then restart Kargo: ' + RESTART_KARGO(controller?.metadata.namespace ?? 'kargo-ns'));
      }
      const evidence = [`argoproj.io/v1alpha1 serves ${ROLLOUTS_RESOURCES.join(', ')}`];
      const rollouts = await client.list<Deployment>(resourcePath({ group: 'apps', version: 'v1', plural: 'deployments' }), { labelSelector: 'app.kubernetes.io/name=argo-rollouts' });
      const rc = rollouts.items[0];
      if (rc === undefined) return fail('rollouts', 'Argo Rollouts (verification)', [...evidence, 'no argo-rollouts controller Deployment (label app.kubernetes.io/name=argo-rollouts): AnalysisRuns never run'], 'install the Argo Rollouts controller (pulumi config set argoRollouts install)');
      evidence.push(readyText(rc));
      if (!ready(rc)) return fail('rollouts', 'Argo Rollouts (verification)', evidence, `kubectl -n ${rc.metadata.namespace} describe deploy/${rc.metadata.name}`);
      if (controller === undefined) return ok('rollouts', 'Argo Rollouts (verification)', evidence);
      const ns = controller.metadata.namespace as string;
      // The chart writes controller.rollouts.integrationEnabled into the controller's ConfigMap.
      const cm = await client.find<KubeObject & { data?: Record<string, string> }>(resourcePath({ group: '', version: 'v1', plural: 'configmaps', namespace: ns, name: controller.metadata.name }));
      const flag = cm?.data?.['ROLLOUTS_INTEGRATION_ENABLED'];
      if (flag !== undefined && flag !== 'true') {
        return fail('rollouts', 'Argo Rollouts (verification)', [...evidence, `ConfigMap ${ns}/${controller.metadata.name}: ROLLOUTS_INTEGRATION_ENABLED=${flag}`], 'set the Helm value controller.rollouts.integrationEnabled=true (infra sets it with argoRollouts=install|existing) and pulumi up');
      }
      evidence.push(`Kargo's Rollouts integration ${flag === 'true' ? 'on' : 'not configured explicitly'}`);
      // Kargo looks for the Rollouts CRDs once, at start (cmd/controlplane/controller.go): CRDs newer than the
      // controller's pods mean the integration is off until a restart.
      const crd = await client.find<KubeObject>(resourcePath({ group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', name: 'analysisruns.argoproj.io' }));
      const selector = 'app.kubernetes.io/name=kargo,app.kubernetes.io/component=controller';
      const pods = await client.list<KubeObject & { status?: { startTime?: string } }>(resourcePath({ group: '', version: 'v1', plural: 'pods', namespace: ns }), { labelSelector: selector });
      const started = pods.items.map((p) => p.status?.startTime).filter((t): t is string => t !== undefined).sort()[0];
      const created = crd?.metadata.creationTimestamp;
      if (started !== undefined && created !== undefined && Date.parse(created) > Date.parse(started)) {
        return fail('rollouts', 'Argo Rollouts (verification)', [...evidence, `the AnalysisRun CRD was created ${created}, after kargo-controller started ${started}: Kargo turned its Rollouts integration off at start and verifications end in phase Error`], RESTART_KARGO(ns));
      }
      if (started !== undefined && created !== undefined) evidence.push(`CRD created ${created}, before kargo-controller started ${started}`);
      return ok('rollouts', 'Argo Rollouts (verification)', evidence);
    })),
  );
  return { checks, controller };
}

/** The Kargo controller's ConfigMap (its environment: SHARED_RESOURCES_NAMESPACE, ALLOW_CREDENTIALS_OVER_HTTP, …). */
async function controllerEnv(client: KubeClient, controller: Deployment | undefined): Promise<Readonly<Record<string, string>> | undefined> {
  if (controller === undefined) return undefined;
  try {
    const cm = await client.find<KubeObject & { data?: Record<string, string> }>(resourcePath({ group: '', version: 'v1', plural: 'configmaps', namespace: controller.metadata.namespace, name: controller.metadata.name }));
    return cm?.data;
  } catch (error) {
    if (error instanceof KubeApiError) return undefined;
    throw error;
  }
}

async function argocdChecks(client: KubeClient, config: PipelineConfig): Promise<Check[]> {
  const argocdNs = [...new Set(config.pipelines.map((p) => p.argocd.namespace))];
  const checks: Check[] = [];
  checks.push(
    ...(await guarded('argocd', 'Argo CD', async () => {
      const resources = (await served(client, 'argoproj.io', 'v1alpha1')) ?? [];
      const missing = ARGOCD_RESOURCES.filter((r) => !resources.includes(r));
      if (missing.length > 0) return fail('argocd', 'Argo CD', [`argoproj.io/v1alpha1 lacks ${missing.join(', ')}`], 'install Argo CD 3.5 first (infra/README.md, Prerequisites)');
      const evidence = [`argoproj.io/v1alpha1 serves ${ARGOCD_RESOURCES.join(', ')}`];
      for (const ns of argocdNs) {
        const sts = await client.list<Deployment>(resourcePath({ group: 'apps', version: 'v1', plural: 'statefulsets', namespace: ns }), { labelSelector: 'app.kubernetes.io/name=argocd-application-controller' });
        const c = sts.items[0];
        if (c === undefined) return fail('argocd', 'Argo CD', [...evidence, `no argocd-application-controller StatefulSet in ${ns}`], `install Argo CD into ${ns}, or set argocd.namespace in kargo-env.yaml`);
        evidence.push(readyText(c));
        if (!ready(c)) return fail('argocd', 'Argo CD', evidence, `kubectl -n ${ns} describe statefulset/${c.metadata.name}`);
      }
      return ok('argocd', 'Argo CD', evidence);
    })),
  );
  for (const ns of argocdNs) {
    checks.push(
      ...(await guarded('argocd.kargo-configs', 'kargo-configs synced and healthy', async () => {
        const app = await client.find<KubeObject & { status?: { sync?: { status?: string; revision?: string }; health?: { status?: string; message?: string }; conditions?: { type: string; message: string }[] } }>(
          resourcePath({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', namespace: ns, name: 'kargo-configs' }),
        );
        if (app === undefined) return fail('argocd.kargo-configs', 'kargo-configs synced and healthy', [`no Application ${ns}/kargo-configs`], 'infra: pulumi up creates it (or kubectl apply -f kargo/argocd-apps/kargo-configs.yaml)');
        const sync = app.status?.sync?.status ?? 'Unknown';
        const health = app.status?.health?.status ?? 'Unknown';
        const evidence = [`sync ${sync}${app.status?.sync?.revision === undefined ? '' : ` at ${app.status.sync.revision.slice(0, 7)}`}, health ${health}`, ...(app.status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`)];
        if (sync === 'Synced' && health === 'Healthy') return ok('argocd.kargo-configs', 'kargo-configs synced and healthy', evidence);
        const fix = `argocd app get ${ns}/kargo-configs (or kubectl -n ${ns} get application kargo-configs -o yaml); commit and push kargo/ after kargo-env render`;
        return health === 'Degraded' || health === 'Missing' || sync === 'Unknown' ? fail('argocd.kargo-configs', 'kargo-configs synced and healthy', evidence, fix) : warn('argocd.kargo-configs', 'kargo-configs synced and healthy', evidence, fix);
      })),
    );
  }
  return checks;
}

async function projectChecks(client: KubeClient, config: PipelineConfig, kargoEnv: Readonly<Record<string, string>> | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  const projects = [...new Set(config.pipelines.map((p) => p.project))];
  for (const project of projects) {
    checks.push(
      ...(await guarded(`namespace.${project}`, `Project namespace ${project}`, async () => {
        const ns = await client.find<KubeObject>(resourcePath({ group: '', version: 'v1', plural: 'namespaces', name: project }));
        const id = `namespace.${project}`;
        const title = `Project namespace ${project}`;
        if (ns === undefined) return fail(id, title, [`namespace ${project} does not exist`], `infra creates it (createProjectNamespaces); or kubectl create namespace ${project} && kubectl label namespace ${project} kargo.akuity.io/project=true`);
        const label = ns.metadata.labels?.['kargo.akuity.io/project'];
        if (label !== 'true') return fail(id, title, [`namespace ${project} has ${label === undefined ? 'no' : `kargo.akuity.io/project=${label},`} label kargo.akuity.io/project=true: Kargo will not adopt it`], `kubectl label namespace ${project} kargo.akuity.io/project=true`);
        return ok(id, title, [`namespace ${project} labelled kargo.akuity.io/project=true`]);
      })),
    );
    const repos = [...new Set(config.pipelines.filter((p) => p.project === project).map((p) => p.git.repoURL))];
    for (const repoURL of repos) checks.push(...(await gitCredentialsCheck(client, project, repoURL, kargoEnv)));
  }
  if (config.relay.enabled) {
    for (const project of projects) {
      const id = `receiver.${project}`;
      const title = `webhook receiver of ${project}`;
      checks.push(
        ...(await guarded(id, title, async () => {
          const pc = await client.find<KubeObject & { spec?: { webhookReceivers?: { name: string; github?: { secretRef?: { name: string } } }[] }; status?: { conditions?: Condition[]; webhookReceivers?: { name: string; path?: string }[] } }>(kargoPath('projectconfigs', project, project));
          if (pc === undefined) return fail(id, title, [`no ProjectConfig ${project}/${project}`], 'check kargo-configs has synced kargo/project.yaml');
          const evidence: string[] = [];
          for (const r of pc.spec?.webhookReceivers ?? []) {
            const secretName = r.github?.secretRef?.name;
            if (secretName === undefined) continue;
            const secret = await client.findMetadata(resourcePath({ group: '', version: 'v1', plural: 'secrets', namespace: project, name: secretName }));
            if (secret === undefined) return fail(id, title, [`receiver ${r.name}: Secret ${project}/${secretName} does not exist, so the ProjectConfig is not Ready and GitHub pushes never refresh the Warehouse`], `infra creates it with the relay (pulumi up); or kubectl -n ${project} create secret generic ${secretName} --from-literal=secret=<random>`);
            evidence.push(`receiver ${r.name}: Secret ${secretName} present`);
          }
          const readyCond = condition(pc.status?.conditions, 'Ready');
          if (readyCond !== undefined && readyCond.status !== 'True') return fail(id, title, [...evidence, `ProjectConfig not Ready: ${readyCond.reason ?? ''} ${readyCond.message ?? ''}`.trim()], `kubectl -n ${project} describe projectconfig ${project}`);
          const paths = (pc.status?.webhookReceivers ?? []).map((w) => `${w.name} → ${w.path ?? '?'}`);
          return ok(id, title, [...evidence, ...(paths.length === 0 ? [] : [`status.webhookReceivers: ${paths.join(', ')}`])]);
        })),
      );
    }
  }
  return checks;
}

/** The chart's default for global.sharedResources.namespace (charts/kargo/values.yaml, v1.11.2). */
const DEFAULT_SHARED_RESOURCES_NAMESPACE = 'kargo-shared-resources';

/**
 * The Git credentials Kargo 1.11.2 would use for `repoURL` (pkg/credentials/kubernetes/database.go): Secrets labelled
 * kargo.akuity.io/cred-type=git in the Project namespace, then in the shared resources namespace, sorted by name, the
 * first whose data.repoURL matches (normalised, pkg/urls/git.go) — and none at all for an http:// URL unless
 * ALLOW_CREDENTIALS_OVER_HTTP is on. doctor reads Secrets as metadata only, so it matches on the repoURL kargo-env
 * writes into the annotation GIT_REPO_URL_ANNOTATION; a Secret without it is "cannot tell", never a guess.
 */
async function gitCredentialsCheck(client: KubeClient, project: string, repoURL: string, kargoEnv: Readonly<Record<string, string>> | undefined): Promise<Check[]> {
  const id = `git-credentials.${project}`;
  const title = `Git credentials for ${repoURL} in ${project}`;
  return guarded(id, title, async () => {
    const shared = kargoEnv?.['SHARED_RESOURCES_NAMESPACE'] ?? DEFAULT_SHARED_RESOURCES_NAMESPACE;
    const create = `kubectl -n ${project} create secret generic kargo-git-credentials --from-literal=repoURL=${repoURL} --from-literal=username=<user> --from-literal=password=<token> && kubectl -n ${project} label secret kargo-git-credentials kargo.akuity.io/cred-type=git && kubectl -n ${project} annotate secret kargo-git-credentials ${GIT_REPO_URL_ANNOTATION}=${repoURL}`;
    if (repoURL.startsWith('http://') && kargoEnv?.['ALLOW_CREDENTIALS_OVER_HTTP'] !== 'true') {
      return fail(id, title, [`Kargo hands no credentials to an http:// repository (ALLOW_CREDENTIALS_OVER_HTTP is off in the controller's ConfigMap), so git-push fails to authenticate`], 'use the https:// URL for git.repoURL in kargo-env.yaml and re-render');
    }
    const want = normalizeGitRepoUrl(repoURL);
    const listed: { ns: string; name: string; annotated: string | undefined }[] = [];
    const notes: string[] = [];
    for (const ns of shared === '' || shared === project ? [project] : [project, shared]) {
      try {
        const list = await client.listMetadata(resourcePath({ group: '', version: 'v1', plural: 'secrets', namespace: ns }), { labelSelector: 'kargo.akuity.io/cred-type=git' });
        const names = list.items.map((s) => ({ ns, name: s.metadata.name as string, annotated: s.metadata.annotations?.[GIT_REPO_URL_ANNOTATION] }));
        listed.push(...names.sort((a, b) => a.name.localeCompare(b.name)));
      } catch (error) {
        // The Project namespace's 403 is the check's (⚠ not checked); the shared namespace's is a note.
        if (ns === project || !isForbidden(error)) throw error;
        notes.push(`the shared namespace ${ns} was not checked: ${error.message}`);
      }
    }
    const where = (c: { ns: string; name: string }) => `${c.ns === project ? '' : `${c.ns}/`}${c.name}`;
    const match = listed.find((c) => c.annotated !== undefined && normalizeGitRepoUrl(c.annotated) === want);
    const unknown = listed.filter((c) => c.annotated === undefined);
    const others = listed.filter((c) => c.annotated !== undefined && normalizeGitRepoUrl(c.annotated) !== want);
    if (match !== undefined) {
      const before = unknown.filter((c) => c.ns === match.ns && c.name < match.name);
      return ok(id, title, [
        `${where(match)} (labelled kargo.akuity.io/cred-type=git, ${GIT_REPO_URL_ANNOTATION}: ${match.annotated ?? ''}) serves ${repoURL}`,
        ...(before.length === 0 ? [] : [`Kargo tries ${before.map(where).join(', ')} first (sorted by name): if one of them holds the same repoURL with another token, Kargo uses that one`]),
        ...notes,
      ]);
    }
    if (unknown.length > 0) {
      return warn(
        id,
        title,
        [`${unknown.map(where).join(', ')} labelled kargo.akuity.io/cred-type=git without ${GIT_REPO_URL_ANNOTATION}: doctor never reads Secret data, so it cannot tell whether one holds repoURL ${repoURL}`, ...others.map((c) => `${where(c)} serves ${c.annotated ?? ''}`), ...notes],
        `name the repository in the Secret's metadata (Kargo ignores it): kubectl -n ${unknown[0]?.ns ?? project} annotate secret ${unknown[0]?.name ?? ''} ${GIT_REPO_URL_ANNOTATION}=${repoURL}`,
      );
    }
    if (others.length > 0) {
      return fail(id, title, [`no Git credentials for ${repoURL}: ${others.map((c) => `${where(c)} serves ${c.annotated ?? ''}`).join('; ')}`, ...notes], `infra: pulumi config set gitRepoURL ${repoURL} (with gitCredentials) && pulumi up — or: ${create}`);
    }
    return fail(
      id,
      title,
      [`no Secret labelled kargo.akuity.io/cred-type=git in ${project}${shared === '' || shared === project ? '' : ` or in the shared namespace ${shared}`}: every git-clone/git-push of a promotion fails to authenticate`, ...notes],
      `infra: pulumi config set --secret gitCredentials '{"username":"<user>","password":"<token>"}' && pulumi up — or: ${create}`,
    );
  });
}

/** Drift: every object the config renders must exist in the cluster with the rendered spec (a subset: the API server adds defaults). */
async function driftChecks(client: KubeClient, files: ReadonlyMap<string, string>): Promise<Check[]> {
  const id = 'drift';
  const title = 'cluster matches the rendered kargo/ tree';
  return guarded(id, title, async () => {
    const missing: string[] = [];
    const differing: string[] = [];
    let count = 0;
    for (const [file, text] of files) {
      if (!file.endsWith('.yaml')) continue;
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; spec?: unknown } | null;
        if (obj?.apiVersion === undefined || obj.kind === undefined || obj.metadata?.name === undefined) continue;
        const [group, version] = obj.apiVersion.split('/') as [string, string];
        if (group !== 'kargo.akuity.io' && group !== 'argoproj.io') continue;
        const plural = PLURALS[obj.kind];
        if (plural === undefined) continue;
        count++;
        const live = await client.find<KubeObject & { spec?: unknown }>(resourcePath({ group, version, plural, namespace: obj.metadata.namespace, name: obj.metadata.name }));
        const label = `${obj.kind} ${obj.metadata.namespace === undefined ? '' : `${obj.metadata.namespace}/`}${obj.metadata.name} (${file})`;
        if (live === undefined) missing.push(label);
        else {
          const where = firstDifference(obj.spec, live.spec, 'spec');
          if (where !== undefined) differing.push(`${label}: ${where}`);
        }
      }
    }
    if (missing.length === 0 && differing.length === 0) return ok(id, title, [`${count} rendered objects exist with the committed spec`]);
    const evidence = [...missing.map((m) => `missing: ${m}`), ...differing.map((d) => `differs: ${d}`)];
    return fail(id, title, evidence.slice(0, 20), 'commit and push the rendered kargo/ (kargo-env render --check must pass), then let kargo-configs sync: argocd app sync kargo-configs');
  });
}

const PLURALS: Readonly<Record<string, string>> = {
  Project: 'projects',
  ProjectConfig: 'projectconfigs',
  Warehouse: 'warehouses',
  Stage: 'stages',
  AnalysisTemplate: 'analysistemplates',
  Application: 'applications',
  AppProject: 'appprojects',
};

/** A scalar as YAML would print it (`1` and `"1"` agree, as the API server's defaulting may change the type). */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value) ?? '';
}

/** The first path where the rendered value is not contained in the live one, or undefined. */
export function firstDifference(rendered: unknown, live: unknown, path: string): string | undefined {
  if (rendered === undefined || rendered === null) return undefined;
  if (Array.isArray(rendered)) {
    if (!Array.isArray(live) || live.length !== rendered.length) return `${path}: ${Array.isArray(live) ? `${live.length} items in the cluster, ${rendered.length} rendered` : 'missing in the cluster'}`;
    for (let i = 0; i < rendered.length; i++) {
      const d = firstDifference(rendered[i], live[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof rendered === 'object') {
    if (typeof live !== 'object' || live === null) return `${path}: missing in the cluster`;
    for (const [k, v] of Object.entries(rendered)) {
      const d = firstDifference(v, (live as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return rendered === live || scalarText(rendered) === scalarText(live) ? undefined : `${path}: ${JSON.stringify(live)} in the cluster, ${JSON.stringify(rendered)} rendered`;
}

async function pipelineChecks(client: KubeClient, config: PipelineConfig, pipeline: Pipeline, now: number, relay: RelayMetrics | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  const ns = pipeline.project;
  const stages = new Map<string, Stage | undefined>();
  let freight: Freight[] = [];
  try {
    freight = [...(await client.list<Freight>(kargoPath('freights', ns))).items];
    for (const env of pipeline.environments) stages.set(env.name, await client.find<Stage>(kargoPath('stages', ns, env.name)));
  } catch (error) {
    return [forbiddenCheck(error, `pipeline.${pipeline.name}`, `pipeline ${pipeline.name}`)];
  }
  // The Warehouse the first Stage takes Freight from.
  const warehouseName = [...stages.values()].find((s) => s !== undefined)?.spec.requestedFreight[0]?.origin.name ?? pipeline.app;
  const id = `warehouse.${ns}.${warehouseName}`;
  const title = `Warehouse ${ns}/${warehouseName}`;
  checks.push(
    ...(await guarded(id, title, async () => {
      const wh = await client.find<KubeObject & { status?: { conditions?: Condition[]; discoveredArtifacts?: { discoveredAt?: string; images?: { repoURL: string; references?: { tag: string }[] }[] }; lastFreightID?: string } }>(kargoPath('warehouses', ns, warehouseName));
      if (wh === undefined) return fail(id, title, [`Warehouse ${ns}/${warehouseName} does not exist`], 'check kargo-configs has synced kargo/warehouse.yaml');
      const discovered = wh.status?.discoveredArtifacts;
      const newestTag = discovered?.images?.find((i) => normalizeImageRepoUrl(i.repoURL) === normalizeImageRepoUrl(pipeline.image.repository))?.references?.[0]?.tag ?? discovered?.images?.[0]?.references?.[0]?.tag;
      const ofWarehouse = freight.filter((f) => f.origin.name === warehouseName).sort(newestFirst);
      const newestFreight = ofWarehouse[0];
      const evidence = [
        `last discovery ${ago(discovered?.discoveredAt, now)}`,
        `newest tag discovered: ${newestTag ?? 'none'}`,
        `newest Freight: ${newestFreight === undefined ? 'none' : `${freightTags(newestFreight).join(', ')} (${newestFreight.alias ?? newestFreight.metadata.name})`} of ${ofWarehouse.length}`,
      ];
      const healthy = condition(wh.status?.conditions, 'Healthy');
      if (healthy?.status === 'False') {
        return fail(id, title, [`${healthy.reason ?? 'Unhealthy'}: ${healthy.message ?? ''}`, ...evidence], `check the image repository ${pipeline.image.repository} exists and is readable (a private GHCR package needs a Secret labelled kargo.akuity.io/cred-type=image in ${ns}); kubectl -n ${ns} describe warehouse ${warehouseName}`);
      }
      if (discovered?.discoveredAt === undefined) return warn(id, title, evidence, `no discovery yet: kubectl -n ${ns} annotate warehouse ${warehouseName} kargo.akuity.io/refresh=$(date +%s) --overwrite`);
      if (newestTag !== undefined && newestFreight !== undefined && !freightTags(newestFreight).includes(newestTag)) {
        return warn(id, title, [...evidence, `the newest discovered tag ${newestTag} has no Freight yet`], `kargo-env simulate --push ${newestTag} tells whether the rules accept it`);
      }
      const relayed = relaySeen(pipeline, warehouseName, relay, ofWarehouse, discovered, now);
      if (relayed !== undefined) {
        evidence.push(relayed.evidence);
        if (relayed.fix !== undefined) return warn(id, title, evidence, relayed.fix);
      }
      return ok(id, title, evidence);
    })),
  );
  // Stages, in promotion order.
  for (const env of pipeline.environments) {
    const view = stageView(pipeline, env, stages.get(env.name), freight, now, config.pipelines.length > 1);
    checks.push(await stageCheck(client, view));
  }
  return checks;
}

/** How long a refresh may take from the relay's store to Kargo's discovery before doctor calls it missing. */
const REFRESH_GRACE_MS = 2 * 60_000;

/**
 * The newest push the relay stored for the pipeline's image against what the Warehouse discovered and the Freight
 * it made: a tag the relay forwarded minutes ago that Kargo has not discovered means the refresh was lost (before
 * the last discovery) or the Warehouse's rules leave the tag out (after it).
 */
function relaySeen(
  pipeline: Pipeline,
  warehouse: string,
  relay: RelayMetrics | undefined,
  freight: readonly Freight[],
  discovered: { discoveredAt?: string; images?: { repoURL: string; references?: { tag: string }[] }[] } | undefined,
  now: number,
): { evidence: string; fix?: string } | undefined {
  if (relay === undefined) return undefined;
  const image = normalizeImageRepoUrl(pipeline.image.repository);
  const push = relay.lastPush.get(image);
  if (push === undefined) return { evidence: `the relay keeps no push of ${image} in its inbox (none within its retention)` };
  const seen = `newest push the relay stored: ${push.tag} ${ago(new Date(push.at).toISOString(), now)}`;
  if (freight.some((f) => freightTags(f).includes(push.tag))) return { evidence: `${seen}, in Freight` };
  const tags = (discovered?.images ?? []).filter((i) => normalizeImageRepoUrl(i.repoURL) === image).flatMap((i) => (i.references ?? []).map((r) => r.tag));
  if (tags.includes(push.tag)) return { evidence: `${seen}, discovered (Kargo makes Freight of the newest discovered tag only)` };
  if (now - push.at < REFRESH_GRACE_MS) return { evidence: `${seen}, not discovered yet (the refresh is under way)` };
  const lastDiscovery = discovered?.discoveredAt === undefined ? undefined : Date.parse(discovered.discoveredAt);
  if (lastDiscovery === undefined || lastDiscovery < push.at) {
    return {
      evidence: `${seen}, but the Warehouse has not discovered since: the refresh did not reach Kargo`,
      fix: `see the relay check for failed forwards (a 404 means the receiver URL or secret differs from the ProjectConfig); refresh now with kubectl -n ${pipeline.project} annotate warehouse ${warehouse} kargo.akuity.io/refresh=$(date +%s) --overwrite`,
    };
  }
  return {
    evidence: `${seen}, and the Warehouse discovered after it without that tag: its rules leave ${push.tag} out (or it is beyond the discovery limit)`,
    fix: `kargo-env simulate --push ${push.tag} says which rule rejects it`,
  };
}

async function stageCheck(client: KubeClient, view: StageView): Promise<Check> {
  const id = `stage.${view.project}.${view.env}`;
  const title = `Stage ${view.project}/${view.env}`;
  if (!view.exists) return fail(id, title, [`Stage ${view.project}/${view.env} does not exist`], 'check kargo-configs has synced kargo/stages/');
  const evidence = [`runs ${view.tags.join(', ') || (view.freight === undefined ? 'no Freight yet' : view.freight)}, health ${view.health}${view.healthIssues.length === 0 ? '' : `: ${view.healthIssues.join('; ')}`}`];
  if (view.lastPromotion !== undefined) evidence.push(`last promotion ${view.lastPromotion.name}: ${view.lastPromotion.phase ?? 'unknown'}${view.lastPromotion.message === undefined || view.lastPromotion.message === '' ? '' : ` — ${view.lastPromotion.message}`}`);
  for (const h of view.holds) evidence.push(`auto-promotion hold on ${h.origin} at ${h.tags.join(', ') || h.freight}${h.actor === undefined ? '' : `, set by ${h.actor}`}${h.promotion === undefined ? '' : ` (Promotion ${h.promotion})`}`);
  evidence.push(`next: ${view.next.text}`);
  const v = view.verification;
  if (v !== undefined && (v.phase === 'Failed' || v.phase === 'Error' || v.phase === 'Inconclusive')) {
    let detail = v.message ?? '';
    if (v.analysisRun !== undefined) {
      try {
        const run = await client.find<KubeObject & { status?: { phase?: string; message?: string; metricResults?: { name: string; phase?: string; message?: string }[] } }>(
          resourcePath({ group: 'argoproj.io', version: 'v1alpha1', plural: 'analysisruns', namespace: v.analysisRun.namespace, name: v.analysisRun.name }),
        );
        const metrics = (run?.status?.metricResults ?? []).filter((m) => m.phase !== 'Successful').map((m) => `${m.name} ${m.phase ?? ''}${m.message === undefined ? '' : `: ${m.message}`}`);
        detail = [`AnalysisRun ${v.analysisRun.name} ${run?.status?.phase ?? v.analysisRun.phase ?? ''}${run?.status?.message === undefined ? '' : `: ${run.status.message}`}`, ...metrics, ...(v.message === undefined ? [] : [v.message])].join('; ');
      } catch (error) {
        if (!(error instanceof KubeApiError)) throw error;
        detail = `${detail} (AnalysisRun ${v.analysisRun.name} unreadable: ${error.message})`;
      }
    }
    const restart = /rollouts/i.test(detail) && v.phase === 'Error' ? `; if it says no Argo Rollouts CRDs were found: ${RESTART_KARGO('kargo-ns')}` : '';
    return fail(id, title, [...evidence, `verification ${v.phase}: ${detail}`], `fix what the analysis measures, then re-verify: kubectl -n ${view.project} annotate stage ${view.env} kargo.akuity.io/reverify=${v.id ?? '<id>'} --overwrite${restart}`);
  }
  if (view.lastPromotion?.phase === 'Failed' || view.lastPromotion?.phase === 'Errored') {
    const auth = /auth|credential|403|401/i.test(view.lastPromotion.message ?? '') ? ' (an authentication error: see the Git credentials check)' : '';
    return fail(id, title, evidence, `read the failed step: kubectl -n ${view.project} get promotion ${view.lastPromotion.name} -o yaml${auth}; then promote again with kargo-env promote --env ${view.env} --tag <tag>`);
  }
  if (view.health === 'Unhealthy') return fail(id, title, evidence, `check the Argo CD Application of ${view.env}: argocd app get <app> (the Stage compares the synced revision with the one its last promotion pinned)`);
  if (view.holds.length > 0) return warn(id, title, evidence, view.holds.find((h) => h.resume !== undefined)?.resume ?? 'promote the newest Freight again to resume auto-promotion');
  if (view.currentPromotion !== undefined) {
    const step = await runningStep(client, view.project, view.currentPromotion.name, Date.now());
    if (step !== undefined) {
      evidence.push(step.text);
      // git-wait-for-pr polls the pull request every 30 s with no time limit (pkg/promotion/runner/builtin/git_pr_waiter.go).
      if (step.uses === 'git-wait-for-pr') {
        return warn(id, title, [...evidence, `waiting for ${step.pullRequest ?? 'the pull request'} to be merged (Kargo checks it every 30 s and waits without a time limit)`], `review and merge ${step.pullRequest ?? 'the pull request'}; closing it unmerged fails the promotion`);
      }
    }
    const blocked = await windowBlockedApplications(client, view);
    if (blocked.length > 0) {
      return warn(id, title, [...evidence, ...blocked.map((b) => `waiting for a deployment window: Application ${b.name} — Argo CD: ${b.message}`)], `nothing to fix: it deploys when the window opens (argocd-update's retry.timeout covers the longest closed stretch); kargo-env simulate --start <now> shows when`);
    }
  }
  if (view.health === 'Progressing' || view.health === 'Unknown') return warn(id, title, evidence);
  return ok(id, title, evidence);
}

/** Where a running Promotion is: its current step (status.currentStep, 0-based), for how long, and its PR. */
async function runningStep(client: KubeClient, ns: string, name: string, now: number): Promise<{ text: string; uses: string | undefined; pullRequest: string | undefined } | undefined> {
  let promotion: Promotion | undefined;
  try {
    promotion = await client.find<Promotion>(kargoPath('promotions', ns, name));
  } catch (error) {
    if (error instanceof KubeApiError) return undefined;
    throw error;
  }
  const index = promotion?.status?.currentStep;
  const steps = promotion?.spec.steps ?? [];
  if (promotion === undefined || index === undefined || steps.length === 0) return undefined;
  const step = steps[index];
  const meta = promotion.status?.stepExecutionMetadata?.[index];
  const label = step?.as === undefined ? (step?.uses ?? '?') : `${step.as} (${step.uses ?? '?'})`;
  const since = meta?.startedAt === undefined ? '' : ` for ${humanDuration(now - Date.parse(meta.startedAt))}`;
  const errors = meta?.errorCount === undefined || meta.errorCount === 0 ? '' : `, ${meta.errorCount} error(s)${meta.message === undefined ? '' : `: ${meta.message}`}`;
  return { text: `Promotion ${name} at step ${index + 1}/${steps.length} ${label}${since}${errors}`, uses: step?.uses, pullRequest: promotionOutputs(promotion).pullRequest };
}

type ApplicationObject = KubeObject & { status?: { operationState?: { phase?: string; message?: string } } };

/**
 * The Stage's Applications (the ones whose kargo.akuity.io/authorized-stage annotation names it, as argocd-update
 * requires) whose sync operation Argo CD keeps Running because a sync window denies it: Argo CD v3.5
 * controller/sync.go leaves the operation Running with the message "Sync operation blocked by sync window", and
 * Kargo's argocd-update waits on it.
 */
async function windowBlockedApplications(client: KubeClient, view: StageView): Promise<{ name: string; message: string }[]> {
  let apps: readonly ApplicationObject[];
  try {
    apps = (await client.list<ApplicationObject>(resourcePath({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications' }))).items;
  } catch (error) {
    if (error instanceof KubeApiError) return [];
    throw error;
  }
  return apps
    .filter((a) => a.metadata.annotations?.['kargo.akuity.io/authorized-stage'] === `${view.project}:${view.env}`)
    .filter((a) => a.status?.operationState?.phase === 'Running' && /sync window/i.test(a.status.operationState.message ?? ''))
    .map((a) => ({ name: a.metadata.name ?? '', message: a.status?.operationState?.message ?? '' }));
}

/** What the relay told doctor, for the Warehouse checks (which run before the relay check is printed). */
interface RelayFindings {
  readonly checks: Check[];
  readonly metrics: RelayMetrics | undefined;
}

async function relayChecks(client: KubeClient): Promise<RelayFindings> {
  const id = 'relay';
  const title = 'webhook relay';
  let metrics: RelayMetrics | undefined;
  const checks = await guarded(id, title, async () => {
    // infra/ and render run the relay as a StatefulSet (relay-workload.ts); installs from before that ran a Deployment.
    const selector = 'app.kubernetes.io/name=webhook-relay';
    let kind = 'statefulset';
    let relay = (await client.list<Deployment>(resourcePath({ group: 'apps', version: 'v1', plural: 'statefulsets' }), { labelSelector: selector })).items[0];
    if (relay === undefined) {
      kind = 'deploy';
      relay = (await client.list<Deployment>(resourcePath({ group: 'apps', version: 'v1', plural: 'deployments' }), { labelSelector: selector })).items[0];
    }
    if (relay === undefined) return fail(id, title, ['no StatefulSet (or Deployment) labelled app.kubernetes.io/name=webhook-relay: GitHub pushes reach Kargo only by polling (5 minutes at best)'], 'infra: pulumi config set enableRelay true && pulumi up (or set relay.enabled: false in kargo-env.yaml)');
    const ns = relay.metadata.namespace as string;
    const name = relay.metadata.name as string;
    const evidence = [`${readyText(relay)} (the kubelet's /readyz probes)`];
    if (!ready(relay)) return fail(id, title, evidence, `kubectl -n ${ns} describe ${kind}/${name}; kubectl -n ${ns} logs ${kind}/${name}`);
    const probes = await probeRelay(client, ns, selector, name);
    const via = probes[0]?.via === 'service' ? "the API server's service proxy (one replica: the pod proxy is forbidden)" : "the API server's pod proxy";
    for (const p of probes) evidence.push(`${p.name}: /readyz through ${via}: ${p.readyz === 'ready' ? 'HTTP 200' : p.detail}`);
    metrics = mergeRelayMetrics(probes.flatMap((p) => (p.metrics === undefined ? [] : [p.metrics])));
    const notReady = probes.filter((p) => p.readyz === 'not-ready');
    if (notReady.length > 0) return fail(id, title, evidence, `kubectl -n ${ns} logs ${notReady[0]?.via === 'pod' ? `pod/${notReady[0].name}` : `${kind}/${name}`} (the inbox volume or the routes file)`);
    if (probes.every((p) => p.readyz === 'forbidden')) {
      return warn(id, title, [...evidence, '/readyz and /metrics not checked'], `grant get on pods/proxy (or services/proxy) for the relay in ${ns}: packages/cli/rbac/kargo-env-readonly.yaml`);
    }
    if (probes.some((p) => p.readyz === 'unreachable')) {
      return warn(
        id,
        title,
        [...evidence, "the API server cannot dial the relay's pods, though the kubelet finds them ready: the relay's NetworkPolicy admits only the ingress-controller and monitoring namespaces"],
        `let the API server's proxy in: in infra/, pulumi config set relayApiServerProxyCidrs <the control plane's addresses, e.g. from kubectl get nodes -l node-role.kubernetes.io/control-plane -o wide> && pulumi up; check by hand with kubectl get --raw /api/v1/namespaces/${ns}/pods/${name}-0/proxy/readyz`,
      );
    }
    if (metrics !== undefined) {
      evidence.push(`deliveries pending ${metrics.pending ?? '?'}${metrics.oldestSeconds === undefined || metrics.oldestSeconds === 0 ? '' : ` (oldest ${humanDuration(metrics.oldestSeconds * 1000)})`}, forwards failed ${metrics.failed}`);
      if (metrics.failed > 0) return warn(id, title, evidence, "the relay's dashboard (/admin/, filter failed) or GET /deliveries?status=failed (admin token) shows each forward's last error; a 404 from Kargo means the receiver URL or secret does not match the ProjectConfig");
    }
    return ok(id, title, evidence);
  });
  return { checks, metrics };
}

export interface DoctorInput {
  readonly config: PipelineConfig;
  readonly files: ReadonlyMap<string, string> | undefined;
  readonly client: KubeClient;
  readonly kubernetesVersion: string;
  readonly now?: number;
}

export async function doctor(input: DoctorInput): Promise<DoctorReport> {
  const { client, config } = input;
  const now = input.now ?? Date.now();
  const checks: Check[] = [ok('cluster', 'cluster reachable', [`context ${client.connection.context}: ${client.connection.server}, Kubernetes ${input.kubernetesVersion}`])];
  const kargo = await kargoChecks(client);
  checks.push(...kargo.checks);
  checks.push(...(await argocdChecks(client, config)));
  checks.push(...(await projectChecks(client, config, await controllerEnv(client, kargo.controller))));
  const kargoServed = kargo.checks.find((c) => c.id === 'kargo.crds')?.status === 'ok';
  // The relay is read first (its newest pushes are the Warehouse checks' evidence) and printed last.
  const relay = config.relay.enabled ? await relayChecks(client) : undefined;
  if (kargoServed) {
    if (input.files !== undefined) checks.push(...(await driftChecks(client, input.files)));
    for (const pipeline of config.pipelines) checks.push(...(await pipelineChecks(client, config, pipeline, now, relay?.metrics)));
  }
  if (relay !== undefined) checks.push(...relay.checks);
  const summary = { ok: checks.filter((c) => c.status === 'ok').length, warn: checks.filter((c) => c.status === 'warn').length, fail: checks.filter((c) => c.status === 'fail').length };
  return { ok: summary.fail === 0, context: client.connection.context, server: client.connection.server, kubernetesVersion: input.kubernetesVersion, checks, summary };
}

