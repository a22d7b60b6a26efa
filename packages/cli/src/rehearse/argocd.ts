// argocd-update without a cluster: the Application that would be updated is the rendered one, and instead of a
// sync the rehearsal checks what Argo CD would sync. Matching and revisions follow Kargo v1.11.2
// pkg/promotion/runner/builtin/argocd_updater.go (getAuthorizedApplications, authorizeArgoCDAppUpdate,
// buildDesiredSources/applyArgoCDSourceUpdate) and argocd_revisions.go (getDesiredRevisions: exact repoURL+chart).
import { posix } from 'node:path';
import type { Git } from './git.ts';
import type { KubeObject } from './objects.ts';
import type { ApplicationCheck, HealthCriterion, SourceCheck } from './types.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Kargo's annotation naming the Stages that may mutate an Application (api/v1alpha1/annotations.go). */
export const AUTHORIZED_STAGE_ANNOTATION = 'kargo.akuity.io/authorized-stage';
/** Argo CD's namespace when a step names none (Kargo's libargocd.Namespace() default). */
export const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

/** One entry of argocd-update's `apps`, after evaluation. */
export interface AppUpdate {
  readonly name?: string;
  readonly namespace?: string;
  readonly selector?: { readonly matchLabels?: Readonly<Record<string, string>>; readonly matchExpressions?: readonly unknown[] };
  readonly sources?: readonly SourceUpdate[];
}

export interface SourceUpdate {
  readonly repoURL: string;
  readonly chart?: string;
  readonly desiredRevision?: string;
  readonly updateTargetRevision?: boolean;
  readonly helm?: unknown;
  readonly kustomize?: unknown;
}

/** An Application source as rendered. */
export interface AppSource {
  readonly repoURL: string;
  readonly chart: string;
  readonly targetRevision: string;
  readonly path: string;
  readonly ref: string;
  readonly valueFiles: readonly string[];
  readonly ignoreMissingValueFiles: boolean;
  readonly helm: boolean;
}

/** The Application's sources: `spec.sources`, else the single `spec.source`. */
export function applicationSources(app: KubeObject): AppSource[] {
  const spec = isRecord(app.spec) ? app.spec : {};
  const list = Array.isArray(spec['sources']) && spec['sources'].length > 0 ? spec['sources'] : isRecord(spec['source']) ? [spec['source']] : [];
  return list.filter(isRecord).map((s) => {
    const helm = isRecord(s['helm']) ? s['helm'] : undefined;
    return {
      repoURL: str(s['repoURL']),
      chart: str(s['chart']),
      targetRevision: str(s['targetRevision']),
      path: str(s['path']),
      ref: str(s['ref']),
      valueFiles: Array.isArray(helm?.['valueFiles']) ? helm['valueFiles'].map(str) : [],
      ignoreMissingValueFiles: helm?.['ignoreMissingValueFiles'] === true,
      helm: helm !== undefined,
    };
  });
}

/** Kargo's `pkg/api/stage.go` AuthorizedStages parse, reduced to "does it name project:stage". */
function authorizationProblem(app: KubeObject, project: string, stage: string): string | undefined {
  const denied = `Argo CD Application "${app.metadata.name}" in namespace "${app.metadata.namespace ?? ''}" does not permit mutation by Kargo Stage ${stage} in namespace ${project}`;
  const value = app.metadata.annotations?.[AUTHORIZED_STAGE_ANNOTATION];
  if (value === undefined) return denied;
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) {
    const at = entry.indexOf(':');
    const p = at < 0 ? '' : entry.slice(0, at).trim();
    const s = at < 0 ? '' : entry.slice(at + 1).trim();
    if (p === '' || s === '') return `unable to parse value of annotation "${AUTHORIZED_STAGE_ANNOTATION}" (${JSON.stringify(value)}): invalid authorized Stage ${JSON.stringify(entry)}: expected format "<project>:<stage>"`;
    if (p.includes('*') || s.includes('*')) return `unable to parse value of annotation "${AUTHORIZED_STAGE_ANNOTATION}" (${JSON.stringify(value)}): invalid authorized Stage ${JSON.stringify(entry)}: deprecated glob expressions are no longer supported`;
  }
  if (entries.length === 0) return `unable to parse value of annotation "${AUTHORIZED_STAGE_ANNOTATION}": no authorized Stages found in ${JSON.stringify(value)}`;
  return entries.some((e) => e.split(':').map((x) => x.trim()).join(':') === `${project}:${stage}`) ? undefined : denied;
}

/** Kargo's pkg/urls NormalizeGit, as the model implements it. */
export type NormalizeGit = (url: string) => string;

/** argocd_updater.go applyArgoCDSourceUpdate's applicability test. */
function sourceApplies(update: SourceUpdate, source: AppSource, normalize: NormalizeGit): boolean {
  const chart = update.chart ?? '';
  if (source.chart !== '' || chart !== '') return source.repoURL === update.repoURL && source.chart === chart;
  return normalize(source.repoURL) === normalize(update.repoURL);
}

/** Finds the Applications an `apps` entry names, authorised for the Stage; throws Kargo's error otherwise. */
export function findApplications(update: AppUpdate, objects: readonly KubeObject[], project: string, stage: string): KubeObject[] {
  const namespace = update.namespace !== undefined && update.namespace !== '' ? update.namespace : DEFAULT_ARGOCD_NAMESPACE;
  const apps = objects.filter((o) => o.kind === 'Application' && o.apiVersion.startsWith('argoproj.io/') && (o.metadata.namespace ?? DEFAULT_ARGOCD_NAMESPACE) === namespace);
  let found: KubeObject[];
  if (update.selector !== undefined) {
    if ((update.selector.matchExpressions ?? []).length > 0) throw new Error('selector.matchExpressions is not rehearsed (only matchLabels)');
    const labels = Object.entries(update.selector.matchLabels ?? {});
    found = apps.filter((a) => labels.every(([k, v]) => a.metadata.labels?.[k] === v));
    if (found.length === 0) throw new Error(`no Argo CD Applications found matching selector in namespace "${namespace}"`);
  } else {
    const app = apps.find((a) => a.metadata.name === update.name);
    if (app === undefined) throw new Error(`unable to find Argo CD Application "${update.name ?? ''}" in namespace "${namespace}" (no such Application is rendered)`);
    found = [app];
  }
  const problems: string[] = [];
  const authorized = found.filter((a) => {
    const problem = authorizationProblem(a, project, stage);
    if (problem !== undefined) problems.push(problem);
    return problem === undefined;
  });
  if (authorized.length === 0) {
    if (update.selector !== undefined) throw new Error(`found ${found.length} Application(s) matching selector in namespace "${namespace}", but none are authorized for Stage ${project}:${stage}`);
    throw new Error(problems[0] ?? `Argo CD Application "${update.name ?? ''}" in namespace "${namespace}" is not authorized`);
  }
  return authorized;
}

/**
 * The health criterion argocd-update records for `app`: per source the desired revision of the step source with
 * the same repoURL and chart (exact strings, argocd_revisions.go findSourceUpdate). Throws Kargo's "no source …
 * matched update" error when a step source applies to no Application source (buildDesiredSources).
 */
export function criterionFor(update: AppUpdate, app: KubeObject, normalize: NormalizeGit): { criterion: HealthCriterion; notes: string[] } {
  const sources = applicationSources(app);
  const notes: string[] = [];
  for (const u of update.sources ?? []) {
    if (sources.some((s) => sourceApplies(u, s, normalize))) continue;
    const ns = app.metadata.namespace ?? DEFAULT_ARGOCD_NAMESPACE;
    throw new Error(
      u.chart === undefined || u.chart === ''
        ? `no source of Argo CD Application "${app.metadata.name}" in namespace "${ns}" matched update for source with repoURL ${u.repoURL}`
        : `no source of Argo CD Application "${app.metadata.name}" in namespace "${ns}" matched update for source with repoURL ${u.repoURL} and chart "${u.chart}"`,
    );
  }
  const desiredRevisions: string[] = [];
  const updateTargetRevision: boolean[] = [];
  for (const s of sources) {
    const exact = (update.sources ?? []).find((u) => u.repoURL === s.repoURL && (u.chart ?? '') === s.chart);
    desiredRevisions.push(exact?.desiredRevision ?? '');
    updateTargetRevision.push(exact?.updateTargetRevision === true);
    const loose = (update.sources ?? []).find((u) => sourceApplies(u, s, normalize));
    // What Kargo would change on the Application besides revisions (applyArgoCDSourceUpdate): shown, not applied.
    const images = isRecord(loose?.helm) && Array.isArray(loose.helm['images']) ? loose.helm['images'].filter(isRecord) : [];
    if (images.length > 0) notes.push(`would set Helm parameter${images.length === 1 ? '' : 's'} ${images.map((i) => `${str(i['key'])}=${JSON.stringify(i['value'])}`).join(', ')} on ${app.metadata.name}`);
    if (exact === undefined && loose?.desiredRevision !== undefined && loose.desiredRevision !== '') {
      notes.push(`desiredRevision ignored for source ${s.repoURL}: Kargo pins it only when repoURL matches exactly (step has ${loose.repoURL})`);
    }
  }
  return { criterion: { name: app.metadata.name, namespace: app.metadata.namespace ?? DEFAULT_ARGOCD_NAMESPACE, desiredRevisions, updateTargetRevision }, notes };
}

/** How the rehearsal reaches a repository: the scratch remote's git dir for the pipeline's repository. */
export type RepoServer = (repoURL: string) => string | undefined;

async function resolveRevision(git: Git, gitDir: string, revision: string): Promise<string | undefined> {
  if (revision === '' || revision === 'HEAD') return git.resolveCommit(gitDir, 'HEAD');
  for (const ref of [`refs/heads/${revision}`, `refs/tags/${revision}`]) {
    const sha = await git.resolveCommit(gitDir, ref);
    if (sha !== undefined) return sha;
  }
  return /^[0-9a-f]{7,64}$/i.test(revision) ? git.resolveCommit(gitDir, revision) : undefined;
}

async function objectType(git: Git, gitDir: string, commit: string, path: string): Promise<string | undefined> {
  const spec = path === '' || path === '.' ? `${commit}^{tree}` : `${commit}:${path}`;
  const result = await git.run(['cat-file', '-t', spec], { cwd: gitDir, okCodes: [0, 128] });
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** A repository path as Argo CD joins it: relative to `base`, never above the repository root. */
function repoPath(base: string, file: string): string | undefined {
  const joined = posix.normalize(posix.join(base === '' ? '.' : base, file));
  if (joined === '..' || joined.startsWith('../') || posix.isAbsolute(joined)) return undefined;
  return joined === '.' ? '' : joined;
}

/**
 * Would Argo CD deploy what Kargo waits for? Every source of the Application served by the rehearsal: its
 * targetRevision resolves now; the desired revision (if any) is that commit (else Kargo's health check never sees
 * the sync it waits for); the path (with a Chart.yaml for Helm) and each Helm value file exist at that commit.
 */
export async function checkApplication(git: Git, app: KubeObject, criterion: HealthCriterion, serve: RepoServer): Promise<ApplicationCheck> {
  const sources = applicationSources(app);
  const checks: SourceCheck[] = [];
  const commits = new Map<number, string>();
  // Resolve every source first: `$values/...` files read the `ref` source's commit.
  const resolved: (string | undefined)[] = [];
  for (const [i, s] of sources.entries()) {
    const gitDir = s.chart === '' ? serve(s.repoURL) : undefined;
    const target = criterion.updateTargetRevision[i] === true && (criterion.desiredRevisions[i] ?? '') !== '' ? (criterion.desiredRevisions[i] ?? '') : s.targetRevision;
    const sha = gitDir === undefined ? undefined : await resolveRevision(git, gitDir, target);
    resolved.push(sha);
    if (sha !== undefined) commits.set(i, sha);
  }
  for (const [i, s] of sources.entries()) {
    const desired = criterion.desiredRevisions[i] ?? '';
    const target = criterion.updateTargetRevision[i] === true && desired !== '' ? desired : s.targetRevision;
    const base = { index: i, repoURL: s.repoURL, targetRevision: target, ...(desired === '' ? {} : { desiredRevision: desired }) };
    const gitDir = s.chart === '' ? serve(s.repoURL) : undefined;
    if (gitDir === undefined) {
      const what = s.chart !== '' ? `Helm chart ${s.chart} from ${s.repoURL}` : `${s.repoURL} is not the pipeline's repository`;
      checks.push({ ...base, status: 'not-checked', detail: `not checked: ${what}` });
      continue;
    }
    const sha = resolved[i];
    if (sha === undefined) {
      checks.push({ ...base, status: 'failed', detail: `targetRevision ${JSON.stringify(target === '' ? 'HEAD' : target)} does not resolve in the repository (no such branch, tag or commit): Argo CD cannot sync it` });
      continue;
    }
    const problems: string[] = [];
    if (desired !== '' && desired !== sha) {
      problems.push(`Kargo waits for revision ${desired.slice(0, 12)} but ${target === '' ? 'HEAD' : target} is now ${sha.slice(0, 12)}: Argo CD would sync ${sha.slice(0, 12)} and the Stage would never become healthy`);
    }
    if (s.ref === '' || s.path !== '') {
      const type = await objectType(git, gitDir, sha, s.path);
      if (type !== 'tree') problems.push(`path ${JSON.stringify(s.path === '' ? '.' : s.path)} does not exist at ${sha.slice(0, 12)}`);
      else if (s.helm && s.chart === '' && (await objectType(git, gitDir, sha, posix.join(s.path === '' ? '.' : s.path, 'Chart.yaml'))) !== 'blob') {
        problems.push(`path ${JSON.stringify(s.path)} at ${sha.slice(0, 12)} has no Chart.yaml, so Argo CD would not render it with Helm`);
      }
    }
    for (const file of s.valueFiles) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) continue;
      let where: { commit: string; path: string | undefined; gitDir: string } | undefined;
      if (file.startsWith('$')) {
        const slash = file.indexOf('/');
        const refName = file.slice(1, slash < 0 ? undefined : slash);
        const refIndex = sources.findIndex((x) => x.ref === refName);
        const refSource = sources[refIndex];
        const refDir = refSource === undefined ? undefined : serve(refSource.repoURL);
        const refCommit = commits.get(refIndex);
        if (refSource === undefined) {
          problems.push(`value file ${file} names ref "${refName}", which no source of the Application declares`);
          continue;
        }
        if (refDir === undefined || refCommit === undefined) continue;
        where = { commit: refCommit, path: repoPath('', slash < 0 ? '' : file.slice(slash + 1)), gitDir: refDir };
      } else {
        where = { commit: sha, path: repoPath(s.path, file), gitDir };
      }
      if (where.path === undefined) {
        problems.push(`value file ${file} lies outside the repository`);
        continue;
      }
      if ((await objectType(git, where.gitDir, where.commit, where.path)) !== 'blob' && !s.ignoreMissingValueFiles) {
        problems.push(`value file ${file} (${where.path}) does not exist at ${where.commit.slice(0, 12)}`);
      }
    }
    checks.push(
      problems.length === 0
        ? { ...base, status: 'checked', resolved: sha, detail: `${target === '' ? 'HEAD' : target} → ${sha.slice(0, 12)}${desired === '' ? '' : ' (the desired revision)'}${s.path === '' ? '' : `, ${s.path}`}${s.valueFiles.length === 0 ? '' : ` with ${s.valueFiles.length} value file${s.valueFiles.length === 1 ? '' : 's'}`}` }
        : { ...base, status: 'failed', resolved: sha, detail: problems.join('; ') },
    );
  }
  const failed = checks.find((c) => c.status === 'failed');
  return {
    name: criterion.name,
    namespace: criterion.namespace,
    ok: failed === undefined,
    sources: checks,
    ...(failed === undefined ? {} : { reason: `Application ${criterion.name}: ${failed.detail}` }),
  };
}
