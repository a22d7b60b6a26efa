// Concurrent promotions against a bare repository on disk (real git), judged by Kargo's own health rule.
// The oracle (support/argocd-health.ts) is written from Kargo v1.11.2 pkg/health/checker/builtin/argocd.go
// (stageHealthForAppSync: each source's observed revision must equal the desired revision argocd-update
// recorded) and pkg/promotion/runner/builtin/argocd_revisions.go (desired revision per source by exact
// repoURL + chart), independently of the rehearsal engine's own check. Argo CD is modelled with automated
// sync: after every push each Application observes the head of the branch its targetRevision names.
import { describe, expect, it } from 'vitest';
import { type KubeObject, type Promotion, type PromotionResult, type Rehearsal } from '../src/rehearse/index.ts';
import { oldLayout } from './fixtures/rehearse/old-layout.ts';
import { git, makeOrigin, openRehearsal, type Origin } from './fixtures/rehearse/origin.ts';
import { tempDir } from './helpers.ts';
import { ArgoCdModel, HealthState, type AppObject, type AppUpdate } from './support/argocd-health.ts';

/** The evaluated apps of the argocd-update a finished promotion ran (what Kargo records for health), if it succeeded. */
function recordedUpdate(result: PromotionResult): AppUpdate[] | undefined {
  const step = result.steps.find((s) => s.uses === 'argocd-update' && s.status === 'Succeeded');
  return (step?.config as { apps: AppUpdate[] } | undefined)?.apps;
}

interface Judged {
  readonly after: string;
  readonly stage: string;
  readonly state: HealthState;
  readonly issues: string[];
}

/**
 * Runs the sequence the issue names, judging every Stage that has finished a promotion after each step:
 * dev promotes 1.2.0 → staging's 1.2.0 promotion runs up to (not including) argocd-update → dev promotes
 * 1.3.0 → staging's promotion completes.
 */
async function interleave(origin: Origin, objects: readonly KubeObject[]): Promise<{ judged: Judged[]; results: PromotionResult[]; heads: ReadonlyMap<string, string> }> {
  await using r: Rehearsal = await openRehearsal(origin, { objects: [...objects] });
  const apps = objects.filter((o) => o.kind === 'Application') as unknown as AppObject[];
  // Argo CD resolves a branch name to its head in the (bare) remote the Stages push to.
  const argo = new ArgoCdModel(apps, async (_repoURL, revision) => {
    try {
      return await git(r.remote, 'rev-parse', '--verify', '--quiet', `refs/heads/${revision}^{commit}`);
    } catch {
      return undefined;
    }
  });
  const recorded = new Map<string, AppUpdate[]>();
  const judged: Judged[] = [];
  const results: PromotionResult[] = [];
  const judge = async (after: string) => {
    await argo.syncAll();
    for (const [stage, update] of recorded) judged.push({ after, stage, ...argo.stageHealth(update) });
  };
  const finish = async (p: Promotion) => {
    const result = await p.runRest();
    results.push(result);
    const update = recordedUpdate(result);
    if (update !== undefined) recorded.set(p.stage, update);
  };

  await finish(r.promotion('dev', '1.2.0'));
  await judge('dev 1.2.0 done');
  const staging = r.promotion('staging', '1.2.0');
  await staging.runUntil('argocd-update');
  await judge('staging 1.2.0 pushed, argocd-update not yet run');
  await finish(r.promotion('dev', '1.3.0'));
  await judge('dev 1.3.0 done');
  await finish(staging);
  await judge('staging 1.2.0 done');
  return { judged, results, heads: await r.git.branches(r.remote) };
}

describe('concurrent promotions and Kargo’s health rule (pkg/health/checker/builtin/argocd.go stageHealthForAppSync)', () => {
  it('one branch per environment: no Stage turns Unhealthy because of another Stage’s commit', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const { judged, results, heads } = await interleave(origin, origin.objects);
    expect(results.map((r) => [r.stage, r.phase])).toEqual([
      ['dev', 'Succeeded'],
      ['dev', 'Succeeded'],
      ['staging', 'Succeeded'],
    ]);
    expect(judged.map((j) => [j.after, j.stage, j.state])).toEqual([
      ['dev 1.2.0 done', 'dev', 'Healthy'],
      ['staging 1.2.0 pushed, argocd-update not yet run', 'dev', 'Healthy'],
      ['dev 1.3.0 done', 'dev', 'Healthy'],
      ['staging 1.2.0 done', 'dev', 'Healthy'],
      ['staging 1.2.0 done', 'staging', 'Healthy'],
    ]);
    // Each Stage pinned the head of its own branch, which no other Stage moves.
    const [, dev13, staging12] = results;
    expect(recordedUpdate(dev13!)?.[0]?.sources?.[0]?.desiredRevision).toBe(heads.get('env/dev'));
    expect(recordedUpdate(staging12!)?.[0]?.sources?.[0]?.desiredRevision).toBe(heads.get('env/staging'));
    expect(heads.get('main')).toBe(await git(origin.repo, 'rev-parse', 'main'));
  });

  it('the old layout (every Stage pushes to main, every Application tracks main) fails the same sequence', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const { judged, results } = await interleave(origin, oldLayout(origin.objects));
    // staging's push moves main past the commit dev's argocd-update pinned: dev is Unhealthy although nothing
    // changed for dev.
    const unhealthy = judged.filter((j) => j.state === HealthState.Unhealthy).map((j) => [j.after, j.stage]);
    expect(unhealthy).toContainEqual(['staging 1.2.0 pushed, argocd-update not yet run', 'dev']);
    expect(judged.find((j) => j.stage === 'dev' && j.state === HealthState.Unhealthy)?.issues[0]).toMatch(/shop-dev is at [0-9a-f]{8}, desired [0-9a-f]{8}/);
    // dev's 1.3.0 commit moved main past the commit staging pins when its argocd-update finally runs: Argo CD
    // never reports it, so the step cannot succeed (argocd_updater.go waits for it, then times out).
    const staging = results.at(-1)!;
    expect([staging.stage, staging.ok]).toEqual(['staging', false]);
    expect(staging.steps.at(-1)).toMatchObject({ uses: 'argocd-update', status: expect.stringMatching(/^(Errored|Failed)$/) });
    expect(staging.steps.at(-1)?.detail).toMatch(/Application shop-staging: Kargo waits for revision [0-9a-f]{12} but main is now [0-9a-f]{12}/);
  });
});
