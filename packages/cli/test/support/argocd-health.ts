// Kargo's health rule for an Argo CD Application's sync state, and the Argo CD behaviour it observes, as
// small pure functions for tests that interleave promotions. Written from Kargo v1.11.2:
// - pkg/promotion/runner/builtin/argocd_revisions.go (getDesiredRevisions, findSourceUpdate): one desired
//   revision per Application source, taken from the argocd-update source update whose repoURL AND chart equal
//   the source's (exact strings), '' when none matches or it sets no desiredRevision;
// - pkg/health/checker/builtin/argocd.go (stageHealthForAppSync): no non-empty desired revision → Healthy;
//   otherwise every source's observed revision (status.sync.revisions, or status.sync.revision for a single
//   source) must equal its non-empty desired revision, else Unhealthy.
// Argo CD side: an Application with automated sync follows its targetRevision; after a sync the observed
// revision of each source is the commit that revision resolves to (a branch's head).

/** The parts of an Argo CD Application source the rule reads. */
export interface AppSource {
  readonly repoURL: string;
  readonly chart?: string;
  readonly targetRevision?: string;
  readonly path?: string;
  readonly ref?: string;
}

/** A rendered Application, as far as the rule needs it. */
export interface AppObject {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: { readonly source?: AppSource; readonly sources?: readonly AppSource[] };
}

/** One app entry of an evaluated argocd-update config. */
export interface AppUpdate {
  readonly name: string;
  readonly namespace?: string;
  readonly sources?: readonly { readonly repoURL: string; readonly chart?: string; readonly desiredRevision?: string }[];
}

export const HealthState = { Healthy: 'Healthy', Unhealthy: 'Unhealthy', Unknown: 'Unknown' } as const;
export type HealthState = (typeof HealthState)[keyof typeof HealthState];

export function appSources(app: AppObject): readonly AppSource[] {
  const many = app.spec.sources ?? [];
  return many.length > 0 ? many : app.spec.source === undefined ? [] : [app.spec.source];
}

/** argocd_revisions.go getDesiredRevisions: indexed like the Application's sources. */
export function desiredRevisions(update: AppUpdate, app: AppObject): string[] {
  return appSources(app).map((src) => {
    const match = (update.sources ?? []).find((u) => u.repoURL === src.repoURL && (u.chart ?? '') === (src.chart ?? ''));
    return match?.desiredRevision ?? '';
  });
}

/** argocd.go stageHealthForAppSync (the sync half of the Application's health for a Stage). */
export function healthForAppSync(app: AppObject, desired: readonly string[], observed: readonly string[]): { state: HealthState; issues: string[] } {
  if (!desired.some((d) => d !== '')) return { state: HealthState.Healthy, issues: [] };
  const sources = appSources(app);
  if (sources.length !== desired.length || observed.length !== desired.length) {
    return { state: HealthState.Unknown, issues: [`${app.metadata.name}: ${sources.length} sources, ${observed.length} observed, ${desired.length} desired revisions`] };
  }
  const issues: string[] = [];
  desired.forEach((want, i) => {
    if (want !== '' && observed[i] !== want) issues.push(`source ${i} (${sources[i]?.repoURL}) of ${app.metadata.name} is at ${observed[i]?.slice(0, 8)}, desired ${want.slice(0, 8)}`);
  });
  return issues.length > 0 ? { state: HealthState.Unhealthy, issues } : { state: HealthState.Healthy, issues: [] };
}

/**
 * Argo CD with automated sync: every Application follows its sources' targetRevision. `resolve` maps a
 * repository URL and revision to the commit it names now (undefined when it does not exist).
 */
export class ArgoCdModel {
  private readonly observed = new Map<string, string[]>();
  private readonly apps: readonly AppObject[];
  private readonly resolve: (repoURL: string, revision: string) => Promise<string | undefined>;

  constructor(apps: readonly AppObject[], resolve: (repoURL: string, revision: string) => Promise<string | undefined>) {
    this.apps = apps;
    this.resolve = resolve;
  }

  /** Syncs every Application to what its target revisions name now (auto-sync after a Git change). */
  async syncAll(): Promise<void> {
    for (const app of this.apps) {
      const revisions: string[] = [];
      for (const src of appSources(app)) {
        // A Helm repository chart's revision is its version; only Git sources resolve to commits.
        const sha = src.chart === undefined ? await this.resolve(src.repoURL, src.targetRevision ?? 'HEAD') : src.targetRevision;
        revisions.push(sha ?? '(unresolvable)');
      }
      this.observed.set(app.metadata.name, revisions);
    }
  }

  app(name: string): AppObject {
    const app = this.apps.find((a) => a.metadata.name === name);
    if (app === undefined) throw new Error(`no Application ${name}`);
    return app;
  }

  observedRevisions(name: string): string[] {
    return this.observed.get(name) ?? [];
  }

  /** A Stage's health from the argocd-update it last ran (its evaluated config). */
  stageHealth(update: readonly AppUpdate[]): { state: HealthState; issues: string[] } {
    let state: HealthState = HealthState.Healthy;
    const issues: string[] = [];
    for (const u of update) {
      const app = this.app(u.name);
      const result = healthForAppSync(app, desiredRevisions(u, app), this.observedRevisions(u.name));
      issues.push(...result.issues);
      if (result.state === HealthState.Unhealthy || (result.state === HealthState.Unknown && state === HealthState.Healthy)) state = result.state;
    }
    return { state, issues };
  }
}
