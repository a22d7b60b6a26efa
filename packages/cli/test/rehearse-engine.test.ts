// The rehearsal engine against real git in temp dirs, with the Stages and Applications `kargo-env render` writes
// (plus hand-built variants). Each test names the Kargo v1.11.2 behaviour it pins.
import { describe, expect, it } from 'vitest';
import { rehearse, type KubeObject, type StageReport } from '../src/rehearse/index.ts';
import { tempDir } from './helpers.ts';
import { oldLayout } from './fixtures/rehearse/old-layout.ts';
import { git, IMAGE, makeOrigin, openRehearsal, REPO_URL, shopConfig } from './fixtures/rehearse/origin.ts';

const stage = (stages: readonly StageReport[], name: string): StageReport => {
  const found = stages.find((s) => s.stage === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found;
};
const statuses = (s: StageReport): Record<string, string> => Object.fromEntries(s.steps.map((t) => [t.alias, t.status]));

/** The objects with one Stage's steps edited. */
function editSteps(objects: readonly KubeObject[], name: string, edit: (steps: Record<string, unknown>[]) => Record<string, unknown>[]): KubeObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Stage' || o.metadata.name !== name) return o;
    const copy = structuredClone(o) as KubeObject & { spec: { promotionTemplate: { spec: { steps: Record<string, unknown>[] } } } };
    copy.spec.promotionTemplate.spec.steps = edit(copy.spec.promotionTemplate.spec.steps);
    return copy;
  });
}

describe('rehearsing the rendered layout (one branch per environment)', () => {
  it('promotes 1.0.1 then 1.1.0 through dev → staging → prod: the chart and values land on env/<env>, every Application check passes', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    await using r = await openRehearsal(origin);
    const main = await r.branchHead('main');

    const first = await rehearse(r, { tag: '1.0.1' });
    expect(first.ok).toBe(true);
    expect(first.stages.map((s) => [s.stage, s.phase, s.branch])).toEqual([
      ['dev', 'Succeeded', 'env/dev'],
      ['staging', 'Succeeded', 'env/staging'],
      ['prod', 'Succeeded', 'env/prod'],
    ]);
    const dev1 = stage(first.stages, 'dev');
    // git_cloner.go ensureRemoteBranch created env/dev: the diff is against the empty tree.
    expect(dev1.before).toBeUndefined();
    expect(dev1.files).toEqual([
      { status: 'A', path: 'charts/shop/Chart.yaml' },
      { status: 'A', path: 'charts/shop/templates/deployment.yaml' },
      { status: 'A', path: 'charts/shop/values.yaml' },
      { status: 'A', path: 'kargo/values/dev-values.yaml' },
    ]);
    expect(dev1.commit).toBe(await r.branchHead('env/dev'));
    expect(await r.readFile('env/dev', 'kargo/values/dev-values.yaml')).toMatch(/\n {2}tag: 1\.0\.1\n/);
    // The source branch is read, never written.
    expect(await r.branchHead('main')).toBe(main);
    for (const s of first.stages) {
      expect(s.applications).toHaveLength(1);
      expect(s.applications[0]).toMatchObject({ ok: true, sources: [{ status: 'checked', resolved: s.commit, desiredRevision: s.commit }] });
    }
    // Pull-request mode: pushed to kargo/promotion/<promotion>, PR #1 merged with a real merge commit.
    const prod1 = stage(first.stages, 'prod');
    expect(r.pullRequests).toHaveLength(1);
    expect(r.pullRequests[0]).toMatchObject({ number: 1, url: 'https://github.com/example/shop/pull/1', targetBranch: 'env/prod', merged: true, mergeCommit: prod1.commit });
    expect(r.pullRequests[0]?.sourceBranch).toBe(`kargo/promotion/${prod1.promotion}`);
    expect((await git(r.remote, 'log', '-1', '--format=%P', prod1.commit ?? '')).split(' ')).toHaveLength(2);

    const second = await rehearse(r, { tag: '1.1.0' });
    expect(second.ok).toBe(true);
    const dev2 = stage(second.stages, 'dev');
    expect(dev2.before).toBe(dev1.commit);
    expect(dev2.files).toEqual([{ status: 'M', path: 'kargo/values/dev-values.yaml' }]);
    expect(await git(r.remote, 'log', '-1', '--format=%s|%an <%ae>', 'env/dev')).toBe('Promote shop 1.1.0 to dev|kargo-env rehearse <rehearse@kargo-env.invalid>');
    expect(r.pullRequests.map((p) => p.number)).toEqual([1, 2]);
    expect(stage(second.stages, 'prod').files).toEqual([{ status: 'M', path: 'kargo/values/prod-values.yaml' }]);
    // What --push would write: the environment branches, never the kargo/promotion/* scratch branches.
    expect(second.branches.map((b) => b.branch)).toEqual(['env/dev', 'env/prod', 'env/staging']);
  });

  it('writes a Lexical tag like 1.10 as the string "1.10": quote() keeps Kargo from JSON-ifying it to 1.1', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir, shopConfig({ strategy: 'Lexical', initialTag: '1.9' }));
    await using r = await openRehearsal(origin);
    const report = await rehearse(r, { tag: '1.10', envs: ['dev'] });
    expect(report.ok).toBe(true);
    expect(await r.readFile('env/dev', 'kargo/values/dev-values.yaml')).toMatch(/\n {2}tag: "1\.10"\n/);
    const step = stage(report.stages, 'dev').steps.find((s) => s.alias === 'update-values');
    expect(step?.detail).toContain('image.tag="1.10"');
  });

  it('the old layout’s unquoted tag expression writes 1.10 as 1.1 (the trap quote() avoids)', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir, shopConfig({ strategy: 'Lexical', initialTag: '1.9' }));
    await using r = await openRehearsal(origin, { objects: oldLayout(origin.objects) });
    await rehearse(r, { tag: '1.10', envs: ['dev'] });
    expect(await r.readFile('main', 'kargo/values/dev-values.yaml')).toMatch(/\n {2}tag: 1\.1\n/);
  });

  it('pull-request mode with nothing new: commit Skipped, the guarded steps skipped, sync-unchanged checks the branch, the Stage passes', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    await using r = await openRehearsal(origin);
    expect((await rehearse(r, { tag: '1.0.1', envs: ['prod'] })).ok).toBe(true);
    const again = await rehearse(r, { tag: '1.0.1', envs: ['prod'] });
    const prod = stage(again.stages, 'prod');
    expect(again.ok).toBe(true);
    expect(statuses(prod)).toMatchObject({
      commit: 'Skipped',
      push: 'Skipped',
      'open-pr': 'Skipped',
      'wait-for-pr': 'Skipped',
      'update-app': 'Skipped',
      'sync-unchanged': 'Succeeded',
    });
    expect(prod.steps.find((s) => s.alias === 'commit')?.detail).toMatch(/^nothing to commit; HEAD is [0-9a-f]{7}$/);
    expect(prod.branch).toBeUndefined();
    expect(prod.applications[0]).toMatchObject({ ok: true, sources: [{ status: 'checked' }] });
    expect(r.pullRequests).toHaveLength(1);
  });

  it('a values file without the key fails the Stage at yaml-update with Kargo’s message; later steps are skipped', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir, shopConfig(), { 'kargo/values/staging-values.yaml': 'replicaCount: 2\nimage:\n  repository: ghcr.io/example/shop\n' });
    await using r = await openRehearsal(origin);
    const report = await rehearse(r, { tag: '1.0.1' });
    expect(report.ok).toBe(false);
    const staging = stage(report.stages, 'staging');
    expect(staging.phase).toBe('Errored');
    expect(staging.failure).toEqual({
      alias: 'update-values',
      uses: 'yaml-update',
      status: 'Errored',
      message: 'values file update failed: error updating image references in values file "./out/kargo/values/staging-values.yaml": error mutating bytes: error finding key image.tag: key path not found',
    });
    expect(statuses(staging)).toMatchObject({ commit: 'Skipped', push: 'Skipped', 'update-app': 'Skipped' });
    expect(stage(report.stages, 'dev').ok).toBe(true);
    expect(stage(report.stages, 'prod').ok).toBe(true);
  });

  it('argocd mode writes no Git: argocd-update checks the Application on the source branch and names the Helm parameter it would set', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir, shopConfig({ devMode: 'argocd' }));
    await using r = await openRehearsal(origin);
    const dev = stage((await rehearse(r, { tag: '1.0.1', envs: ['dev'] })).stages, 'dev');
    expect(dev.ok).toBe(true);
    expect(dev.branch).toBeUndefined();
    expect(dev.steps[0]).toMatchObject({ alias: 'update-app', uses: 'argocd-update', status: 'Succeeded' });
    expect(dev.steps[0]?.detail).toContain('would set Helm parameter image.tag="1.0.1" on shop-dev');
    expect(dev.applications[0]).toMatchObject({ ok: true, sources: [{ targetRevision: 'main', resolved: await r.branchHead('main') }] });
  });

  it('reports a step it does not execute as Skipped (not rehearsed), not as passed, and the Stage still passes', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    await using r = await openRehearsal(origin);
    const dev = stage((await rehearse(r, { tag: '1.0.1', envs: ['dev'] })).stages, 'dev');
    expect(dev.ok).toBe(true);
    expect(dev.steps.at(-1)).toMatchObject({ alias: 'notify-slack', uses: 'http', status: 'Skipped', rehearsed: false });
    expect(dev.steps.at(-1)?.detail).toMatch(/^not rehearsed: /);
  });
});

describe('Kargo’s orchestration and validation', () => {
  it('validates the config after evaluation (validation.go): an expression that yields the wrong type Fails the step', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const objects = editSteps(origin.objects, 'prod', (steps) =>
      steps.map((s) => (s['as'] === 'wait-for-pr' ? { ...s, config: { repoURL: REPO_URL, prNumber: '${{ outputs.push.branch }}' } } : s)),
    );
    await using r = await openRehearsal(origin, { objects });
    const prod = stage((await rehearse(r, { tag: '1.0.1', envs: ['prod'] })).stages, 'prod');
    expect(prod.failure).toMatchObject({ alias: 'wait-for-pr', status: 'Failed' });
    expect(prod.failure?.message).toMatch(/^invalid git-wait-for-pr config: prNumber/);
    expect(statuses(prod)).toMatchObject({ 'update-app': 'Skipped', 'sync-unchanged': 'Skipped' });
  });

  it('serves only the pipeline’s repository: a step naming another repoURL fails the Stage with the reason', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const objects = editSteps(origin.objects, 'dev', (steps) => steps.map((s) => (s['uses'] === 'git-clone' ? { ...s, config: { ...(s['config'] as object), repoURL: 'https://github.com/other/repo.git' } } : s)));
    await using r = await openRehearsal(origin, { objects });
    const dev = stage((await rehearse(r, { tag: '1.0.1', envs: ['dev'] })).stages, 'dev');
    expect(dev.failure).toMatchObject({ alias: 'clone', status: 'Errored' });
    expect(dev.failure?.message).toContain('repository https://github.com/other/repo.git is not served by the rehearsal');
  });

  it('secret() fails the step that evaluates it: a rehearsal has no cluster (evaluator.go: Errored building the step context)', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const objects = editSteps(origin.objects, 'dev', (steps) =>
      steps.map((s) => (s['as'] === 'commit' ? { ...s, config: { path: './out', message: "by ${{ secret('git-author').name }}" } } : s)),
    );
    await using r = await openRehearsal(origin, { objects });
    const dev = stage((await rehearse(r, { tag: '1.0.1', envs: ['dev'] })).stages, 'dev');
    expect(dev.failure).toMatchObject({ alias: 'commit', status: 'Errored' });
    expect(dev.failure?.message).toMatch(/^failed to build step context: failed to get step config: .*secrets are not available in a rehearsal/);
    // The notification's if is success(): false now, so it is skipped by its guard, not reported as not rehearsed.
    expect(dev.steps.at(-1)).toMatchObject({ alias: 'notify-slack', status: 'Skipped', rehearsed: true });
  });

  it('git-open-pr errors when the target branch does not exist (git_pr_opener.go)', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    const objects = editSteps(origin.objects, 'prod', (steps) =>
      steps.map((s) => (s['as'] === 'open-pr' ? { ...s, config: { ...(s['config'] as object), targetBranch: 'env/nowhere' } } : s)),
    );
    await using r = await openRehearsal(origin, { objects });
    const prod = stage((await rehearse(r, { tag: '1.0.1', envs: ['prod'] })).stages, 'prod');
    expect(prod.failure).toEqual({ alias: 'open-pr', uses: 'git-open-pr', status: 'Errored', message: 'target branch "env/nowhere" does not exist' });
    // success() is false after an Errored step: the guarded steps and sync-unchanged are skipped.
    expect(statuses(prod)).toMatchObject({ 'wait-for-pr': 'Skipped', 'update-app': 'Skipped', 'sync-unchanged': 'Skipped' });
  });

  it('names steps without `as` step-<n> (promotion_types.go GetAlias) and a closed pull request Fails wait-for-pr', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    await using r = await openRehearsal(origin, { objects: oldLayout(origin.objects), review: () => 'close' });
    const prod = stage((await rehearse(r, { tag: '1.0.1', envs: ['prod'] })).stages, 'prod');
    expect(prod.steps[0]?.alias).toBe('step-1');
    expect(prod.failure).toMatchObject({ alias: 'wait-for-pr', status: 'Failed', message: 'pull request 1 was closed without being merged' });
    expect(prod.steps.at(-1)).toMatchObject({ alias: 'step-7', status: 'Skipped' });
  });
});

describe('the engine step by step, and the two layouts side by side', () => {
  it('runUntil stops before a step; another Stage’s promotion runs in between; health() checks again later', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    await using r = await openRehearsal(origin);
    const dev = r.promotion('dev', '1.2.0');
    expect(dev.name).toMatch(/^dev\.[0-9a-z]{26}\.[0-9a-f]{7}$/);
    const ran = await dev.runUntil('argocd-update');
    expect(ran.map((s) => s.alias)).toEqual(['clone', 'clear', 'copy-chart', 'copy-values', 'update-values', 'commit', 'push']);
    expect(dev.nextStep).toBe('update-app');
    const staging = await r.promotion('staging', '1.2.0').runRest();
    expect(staging.ok).toBe(true);
    const result = await dev.runRest();
    expect(result.ok).toBe(true);
    expect(result.steps.find((s) => s.alias === 'update-app')?.config).toMatchObject({ apps: [{ name: 'shop-dev', sources: [{ repoURL: REPO_URL, desiredRevision: result.commit }] }] });
    expect((await dev.health()).every((a) => a.ok)).toBe(true);
    expect(result.freight.image).toMatchObject({ repoURL: IMAGE, tag: '1.2.0' });
    expect(result.freight.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('the old layout (every Stage pushes to main) leaves dev and staging waiting for revisions main has moved past; the new one does not', async () => {
    await using tmp = await tempDir();
    const origin = await makeOrigin(tmp.dir);
    {
      await using old = await openRehearsal(origin, { objects: oldLayout(origin.objects) });
      const report = await rehearse(old, { tag: '1.0.1' });
      expect(report.stages.map((s) => [s.stage, s.phase, s.ok])).toEqual([
        ['dev', 'Succeeded', false],
        ['staging', 'Succeeded', false],
        ['prod', 'Succeeded', true],
      ]);
      expect(stage(report.stages, 'dev').applications[0]?.reason).toMatch(/Kargo waits for revision [0-9a-f]{12} but main is now [0-9a-f]{12}/);
      expect(report.branches.map((b) => b.branch)).toEqual(['main']);
    }
    await using current = await openRehearsal(origin);
    const report = await rehearse(current, { tag: '1.0.1' });
    expect(report.stages.map((s) => [s.stage, s.phase, s.ok])).toEqual([
      ['dev', 'Succeeded', true],
      ['staging', 'Succeeded', true],
      ['prod', 'Succeeded', true],
    ]);
  });
});
