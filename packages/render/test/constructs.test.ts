// Exact objects for the small constructs, and the invalid combinations each one rejects.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- synthesised manifests are untyped JSON, compared against exact literals. */
import { App, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  EnvironmentApplication,
  EnvironmentStage,
  KargoConfigsApp,
  KargoProject,
  KargoRenderError,
  PipelineAppProject,
  PipelineWarehouse,
  RelayRoutes,
  VerificationTemplate,
  compileSyncWindows,
  kargoConfigsApplication,
  type EnvironmentStageProps,
} from '../src/index.ts';

function synth(build: (chart: Chart) => void): any[] {
  const chart = new Chart(new App(), 'test');
  build(chart);
  return chart.toJson();
}

const git = { repoURL: 'https://github.com/acme/deploy.git', sourceBranch: 'main', branch: 'env/dev', valuesPath: 'kargo/values/dev-values.yaml', chartPath: 'charts/shop' };
const stageBase: EnvironmentStageProps = {
  name: 'dev', namespace: 'shop', warehouse: 'shop', imageRepo: 'ghcr.io/acme/shop', mode: 'git', git, app: { name: 'shop-dev' },
};

describe('KargoProject', () => {
  it('emits the Project and a ProjectConfig with policies for auto stages only, and the GitHub receiver', () => {
    expect(synth((c) => new KargoProject(c, 'p', { name: 'shop', stages: ['dev', 'staging', 'prod'], autoPromotedStages: ['staging', 'dev'], githubReceiver: { name: 'ghcr', secretName: 'ghcr-secret' } }))).toEqual([
      { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Project', metadata: { name: 'shop', annotations: { 'argocd.argoproj.io/sync-wave': '-1' } } },
      {
        apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'ProjectConfig', metadata: { name: 'shop', namespace: 'shop' },
        spec: {
          promotionPolicies: [
            { autoPromotionEnabled: true, stageSelector: { name: 'dev' } },
            { autoPromotionEnabled: true, stageSelector: { name: 'staging' } },
          ],
          webhookReceivers: [{ name: 'ghcr', github: { secretRef: { name: 'ghcr-secret' } } }],
        },
      },
    ]);
  });

  it('has no policies when every stage is manual', () => {
    expect(synth((c) => new KargoProject(c, 'p', { name: 'shop', stages: ['prod'] }))[1].spec).toEqual({});
  });

  it('rejects an auto stage that is not a stage, naming the project', () => {
    expect(() => synth((c) => new KargoProject(c, 'p', { name: 'shop', stages: ['dev'], autoPromotedStages: ['qa'] }))).toThrow(/KargoProject "shop": auto-promoted stage "qa"/);
  });
});

describe('PipelineWarehouse', () => {
  it('renders the typed image subscription with the v1.9+ regex lists', () => {
    expect(synth((c) => new PipelineWarehouse(c, 'w', { name: 'shop', namespace: 'shop', repoURL: 'ghcr.io/acme/shop', constraint: '^1.0.0', allowTags: ['^1\\.'], ignoreTags: ['-rc'], discoveryLimit: 10, platform: 'linux/arm64' }))).toEqual([{
      apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Warehouse', metadata: { name: 'shop', namespace: 'shop' },
      spec: {
        interval: '5m0s',
        subscriptions: [{ image: { repoURL: 'ghcr.io/acme/shop', imageSelectionStrategy: 'SemVer', constraint: '^1.0.0', allowTagsRegexes: ['^1\\.'], ignoreTagsRegexes: ['-rc'], platform: 'linux/arm64', discoveryLimit: 10 } }],
      },
    }]);
  });

  it.each([
    [{ repoURL: 'ghcr.io/acme/shop:1.0.0' }, /must not carry a tag/],
    [{ strategy: 'Digest' as const }, /Digest strategy needs a constraint/],
    [{ strategy: 'Lexical' as const, constraint: '^1' }, /no effect with the Lexical/],
    [{ discoveryLimit: 101 }, /discoveryLimit 101/],
    [{ interval: '5 minutes' }, /interval/],
  ])('rejects %o', (extra, message) => {
    expect(() => synth((c) => new PipelineWarehouse(c, 'w', { name: 'shop', namespace: 'shop', repoURL: 'ghcr.io/acme/shop', ...extra }))).toThrow(message);
  });
});

describe('EnvironmentStage', () => {
  it('git mode: the environment branch is rebuilt from the source branch, the tag set, pushed there, and argocd-update pins that push', () => {
    const [stage] = synth((c) => new EnvironmentStage(c, 's', { ...stageBase, color: 'green', description: 'Dev' }));
    expect(stage).toEqual({
      apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'Stage',
      metadata: { name: 'dev', namespace: 'shop', annotations: { 'kargo.akuity.io/color': 'green', 'kargo.akuity.io/description': 'Dev' } },
      spec: {
        vars: [{ name: 'imageRepo', value: 'ghcr.io/acme/shop' }],
        requestedFreight: [{ origin: { kind: 'Warehouse', name: 'shop' }, sources: { direct: true } }],
        promotionTemplate: { spec: { steps: [
          { uses: 'git-clone', as: 'clone', config: { repoURL: git.repoURL, checkout: [{ branch: 'main', path: './src' }, { branch: 'env/dev', create: true, path: './out' }] } },
          { uses: 'git-clear', as: 'clear', config: { path: './out' } },
          { uses: 'copy', as: 'copy-chart', config: { inPath: './src/charts/shop', outPath: './out/charts/shop' } },
          { uses: 'copy', as: 'copy-values', config: { inPath: './src/kargo/values/dev-values.yaml', outPath: './out/kargo/values/dev-values.yaml' } },
          // quote(): Kargo would turn a tag like 1.10 into the number 1.1 (pkg/expressions/json_templates.go).
          { uses: 'yaml-update', as: 'update-values', config: { path: './out/kargo/values/dev-values.yaml', updates: [{ key: 'image.tag', value: '${{ quote(imageFrom(vars.imageRepo).Tag) }}' }] } },
          { uses: 'git-commit', as: 'commit', config: { path: './out', message: 'Promote shop ${{ imageFrom(vars.imageRepo).Tag }} to dev' } },
          { uses: 'git-push', as: 'push', config: { path: './out', targetBranch: 'env/dev' } },
          { uses: 'argocd-update', as: 'update-app', config: { apps: [{ name: 'shop-dev', namespace: 'argocd', sources: [{ repoURL: git.repoURL, desiredRevision: '${{ outputs.push.commit }}' }] }] } },
        ] } },
      },
    });
  });

  it('git mode without a chart in the repository copies only the values file', () => {
    const { chartPath: _chart, ...valuesOnly } = git;
    const [stage] = synth((c) => new EnvironmentStage(c, 's', { ...stageBase, git: valuesOnly }));
    expect(stage.spec.promotionTemplate.spec.steps.map((s: any) => s.as)).toEqual(['clone', 'clear', 'copy-values', 'update-values', 'commit', 'push', 'update-app']);
  });

  it('pull-request mode: every step after a skippable one is guarded, the PR targets the environment branch, the merge commit is pinned', () => {
    const [stage] = synth((c) => new EnvironmentStage(c, 's', { ...stageBase, name: 'prod', git: { ...git, branch: 'env/prod' }, upstreams: ['qa', 'perf'], availability: 'All', soak: '1h', mode: 'pull-request' }));
    expect(stage.spec.requestedFreight[0].sources).toEqual({ stages: ['qa', 'perf'], requiredSoakTime: '1h', availabilityStrategy: 'All' });
    expect(stage.spec.promotionTemplate.spec.steps.slice(6)).toEqual([
      // git-commit is Skipped when nothing changed (git_commiter.go): then there is nothing to push or review.
      { uses: 'git-push', as: 'push', if: "${{ success() && status('commit') == 'Succeeded' }}", config: { path: './out', generateTargetBranch: true } },
      { uses: 'git-open-pr', as: 'open-pr', if: "${{ success() && status('push') == 'Succeeded' }}", config: { repoURL: git.repoURL, sourceBranch: '${{ outputs.push.branch }}', targetBranch: 'env/prod', title: 'Promote shop ${{ imageFrom(vars.imageRepo).Tag }} to prod' } },
      // git-open-pr is Skipped when the branches do not differ (git_pr_opener.go): no pr output to wait on.
      { uses: 'git-wait-for-pr', as: 'wait-for-pr', if: "${{ success() && status('open-pr') == 'Succeeded' }}", config: { repoURL: git.repoURL, prNumber: "${{ outputs['open-pr'].pr.id }}" } },
      // Waits for Argo CD to sync the merge commit, not whatever revision the branch had before the merge.
      { uses: 'argocd-update', as: 'update-app', if: "${{ success() && status('wait-for-pr') == 'Succeeded' }}", config: { apps: [{ name: 'shop-dev', namespace: 'argocd', sources: [{ repoURL: git.repoURL, desiredRevision: "${{ outputs['wait-for-pr'].commit }}" }] }] } },
      { uses: 'argocd-update', as: 'sync-unchanged', if: "${{ success() && status('wait-for-pr') != 'Succeeded' }}", config: { apps: [{ name: 'shop-dev', namespace: 'argocd' }] } },
    ]);
  });

  it('a sync timeout (deployment windows) goes on every argocd-update as retry.timeout', () => {
    const [stage] = synth((c) => new EnvironmentStage(c, 's', { ...stageBase, mode: 'pull-request', syncTimeout: '64h30m' }));
    const updates = stage.spec.promotionTemplate.spec.steps.filter((s: any) => s.uses === 'argocd-update');
    expect(updates.map((s: any) => s.retry)).toEqual([{ timeout: '64h30m' }, { timeout: '64h30m' }]);
    expect(() => synth((c) => new EnvironmentStage(c, 's', { ...stageBase, syncTimeout: 'soon' }))).toThrow(/sync timeout "soon"/);
  });

  it('refuses an environment branch equal to the source branch (other Stages would move its pinned revision)', () => {
    expect(() => synth((c) => new EnvironmentStage(c, 's', { ...stageBase, git: { ...git, branch: 'main' } }))).toThrow(/must differ from the source branch/);
  });

  it('argocd mode: one argocd-update with the Helm image parameter, no Git step; notifications after it', () => {
    const [stage] = synth((c) => new EnvironmentStage(c, 's', {
      ...stageBase, mode: 'argocd', helmSource: { repoURL: 'https://charts.acme.io', chart: 'shop' },
      notifications: [{ kind: 'slack', secretName: 'hooks' }, { kind: 'teams', secretName: 'hooks', secretKey: 'teams.url' }],
      verification: { templates: [{ name: 'smoke' }], args: [{ name: 'smoke-url', value: 'http://shop.shop-dev.svc.cluster.local/' }] },
    }));
    const steps = stage.spec.promotionTemplate.spec.steps;
    expect(steps.map((s: any) => s.uses)).toEqual(['argocd-update', 'http', 'http']);
    expect(steps[0].config).toEqual({ apps: [{ name: 'shop-dev', namespace: 'argocd', sources: [{ repoURL: 'https://charts.acme.io', chart: 'shop', helm: { images: [{ key: 'image.tag', value: '${{ quote(imageFrom(vars.imageRepo).Tag) }}' }] } }] }] });
    expect(steps[1]).toMatchObject({ as: 'notify-slack', if: '${{ success() }}', continueOnError: true, config: { method: 'POST', url: "${{ secret('hooks').url }}" } });
    expect(steps[2]).toMatchObject({ as: 'notify-teams', config: { url: "${{ secret('hooks')['teams.url'] }}" } });
    expect(steps[1].config.body).toMatch(/^\$\{\{ quote\(\{"text": .*\}\) \}\}$/);
    expect(stage.spec.verification).toEqual({ analysisTemplates: [{ name: 'smoke' }], args: [{ name: 'smoke-url', value: 'http://shop.shop-dev.svc.cluster.local/' }] });
  });

  it.each([
    [{ soak: '30m' }, /soak time needs an upstream/],
    [{ upstreams: ['a'], availability: 'All' as const }, /at least two upstream/],
    [{ mode: 'argocd' as const }, /needs the Application's Helm source/],
    [{ git: undefined }, /needs a git target/],
    [{ upstreams: ['dev'] }, /own upstream/],
    [{ name: 'Dev' }, /not a valid Kubernetes name/],
  ])('rejects %o with the stage name', (extra, message) => {
    expect(() => synth((c) => new EnvironmentStage(c, 's', { ...stageBase, ...extra }))).toThrow(message);
  });

  it('throws a typed error', () => {
    try {
      synth((c) => new EnvironmentStage(c, 's', { ...stageBase, soak: 'soon', upstreams: ['x'] }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KargoRenderError);
      expect((error as KargoRenderError).code).toBe('KARGO_RENDER_INVALID_PROPS');
      expect((error as Error).message).toContain('EnvironmentStage "dev"');
    }
  });
});

describe('VerificationTemplate', () => {
  it('security-scan runs the scanner against the promoted image argument', () => {
    const [t] = synth((c) => new VerificationTemplate(c, 't', { preset: 'security-scan', namespace: 'shop', severity: ['CRITICAL'] }));
    expect(t.spec.args).toEqual([{ name: 'scan-image' }, { name: 'scan-severity', value: 'CRITICAL' }, { name: 'scan-ignore-unfixed', value: 'true' }]);
    expect(t.spec.metrics[0].provider.job.spec.template.spec.containers[0]).toEqual({
      name: 'security-scan', image: 'aquasec/trivy:0.58.1',
      args: ['image', '--exit-code', '1', '--no-progress', '--severity', '{{args.scan-severity}}', '--ignore-unfixed={{args.scan-ignore-unfixed}}', '{{args.scan-image}}'],
    });
  });

  it('rejects an integration template without a test image, and options of other presets', () => {
    expect(() => synth((c) => new VerificationTemplate(c, 't', { preset: 'integration', namespace: 'shop' }))).toThrow(/VerificationTemplate "integration": the integration preset needs the test image/);
    expect(() => synth((c) => new VerificationTemplate(c, 't', { preset: 'smoke', namespace: 'shop', command: ['x'] }))).toThrow(/command applies only/);
    expect(() => synth((c) => new VerificationTemplate(c, 't', { preset: 'performance', namespace: 'shop', errorRate: 2 }))).toThrow(/errorRate 2/);
  });
});

describe('EnvironmentApplication', () => {
  const base = { name: 'shop-dev-kargo', project: 'shop', kargoProject: 'shop', stage: 'dev', valuesRepoURL: git.repoURL, targetRevision: 'main', valuesPath: 'kargo/values/dev-values.yaml', destinationNamespace: 'shop-dev' };

  it('one source when the chart is in the values repository', () => {
    expect(synth((c) => new EnvironmentApplication(c, 'a', { ...base, chart: { path: 'charts/shop' } }))).toEqual([{
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
      metadata: { name: 'shop-dev-kargo', namespace: 'argocd', labels: { 'managed-by': 'kargo' }, annotations: { 'kargo.akuity.io/authorized-stage': 'shop:dev' } },
      spec: {
        project: 'shop',
        source: { repoURL: git.repoURL, targetRevision: 'main', path: 'charts/shop', helm: { valueFiles: ['../../kargo/values/dev-values.yaml'] } },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'shop-dev' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      },
    }]);
  });

  it('multi-source with a $values ref when the chart comes from a Helm repository', () => {
    const [app] = synth((c) => new EnvironmentApplication(c, 'a', { ...base, chart: { repoURL: 'oci://ghcr.io/acme/charts', chart: 'shop', version: '1.2.3' }, destination: { name: 'prod' } }));
    expect(app.spec.sources).toEqual([
      { repoURL: 'oci://ghcr.io/acme/charts', chart: 'shop', targetRevision: '1.2.3', helm: { valueFiles: ['$values/kargo/values/dev-values.yaml'] } },
      { repoURL: git.repoURL, targetRevision: 'main', ref: 'values' },
    ]);
    expect(app.spec.source).toBeUndefined();
    expect(app.spec.destination).toEqual({ name: 'prod', namespace: 'shop-dev' });
  });

  it('rejects a destination with both server and name', () => {
    expect(() => synth((c) => new EnvironmentApplication(c, 'a', { ...base, chart: { path: 'c' }, destination: { server: 'https://x', name: 'y' } }))).toThrow(/EnvironmentApplication "shop-dev-kargo": the destination needs exactly one/);
  });
});

describe('PipelineAppProject and sync windows', () => {
  it('compiles weekday hours, wrapping nights and dates into cron windows', () => {
    const windows = compileSyncWindows([
      { name: 'office', kind: 'allow', timezone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: { start: '09:00', end: '17:30' }, dates: [] },
      { name: 'nights', kind: 'deny', timezone: 'UTC', days: ['sun', 'sat'], hours: { start: '22:00', end: '06:00' }, dates: [] },
      { name: 'freeze', kind: 'deny', timezone: 'UTC', days: [], dates: ['2026-12-24'] },
      { name: 'always', kind: 'allow', timezone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], dates: [] },
    ], ['shop-prod']);
    expect(windows).toEqual([
      { kind: 'allow', schedule: '0 9 * * 1,2,3,4,5', duration: '8h30m', applications: ['shop-prod'], timeZone: 'Europe/Berlin', description: 'office' },
      { kind: 'deny', schedule: '0 22 * * 0,6', duration: '8h', applications: ['shop-prod'], timeZone: 'UTC', description: 'nights' },
      { kind: 'deny', schedule: '0 0 24 12 *', duration: '24h', applications: ['shop-prod'], timeZone: 'UTC', description: 'freeze' },
      { kind: 'allow', schedule: '0 0 * * *', duration: '24h', applications: ['shop-prod'], timeZone: 'UTC', description: 'always' },
    ]);
    const [project] = synth((c) => new PipelineAppProject(c, 'p', { name: 'shop', sourceRepos: ['b', 'a', 'b'], destinationNamespaces: ['shop-dev'], syncWindows: windows.slice(0, 1) }));
    expect(project.spec).toEqual({
      sourceRepos: ['a', 'b'],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'shop-dev' }],
      clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
      namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
      syncWindows: [{ kind: 'allow', schedule: '0 9 * * 1,2,3,4,5', duration: '8h30m', applications: ['shop-prod'], timeZone: 'Europe/Berlin', description: 'office' }],
    });
  });

  it('rejects a malformed cron schedule', () => {
    expect(() => synth((c) => new PipelineAppProject(c, 'p', { name: 'shop', sourceRepos: ['a'], destinationNamespaces: ['n'], syncWindows: [{ kind: 'allow', schedule: 'weekdays', duration: '1h', applications: ['x'] }] }))).toThrow(/PipelineAppProject "shop": sync window schedule/);
  });
});

describe('KargoConfigsApp and RelayRoutes', () => {
  it('kargo-configs recurses over the tree and skips values and relay files', () => {
    const [app] = synth((c) => new KargoConfigsApp(c, 'k', { repoURL: git.repoURL, targetRevision: 'main' }));
    expect(app.metadata.name).toBe('kargo-configs');
    expect(app.spec.source).toEqual({ repoURL: git.repoURL, targetRevision: 'main', path: 'kargo', directory: { recurse: true, exclude: '{values/*,relay/*,*/values/*,*/relay/*}' } });
  });

  it('kargo-configs is exactly kargoConfigsApplication: finalizer, CreateNamespace, retry with backoff', () => {
    const props = { repoURL: git.repoURL, targetRevision: 'release', path: 'ops/kargo', argocdNamespace: 'gitops', project: 'platform' };
    const [app] = synth((c) => new KargoConfigsApp(c, 'k', props));
    expect(app).toEqual(kargoConfigsApplication(props));
    expect(app).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'kargo-configs', namespace: 'gitops', labels: { 'managed-by': 'kargo' }, finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: 'platform',
        source: { repoURL: git.repoURL, targetRevision: 'release', path: 'ops/kargo', directory: { recurse: true, exclude: '{values/*,relay/*,*/values/*,*/relay/*}' } },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'gitops' },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['CreateNamespace=true'],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
      },
    });
  });

  it.each([['/abs'], ['../up'], ['']])('kargo-configs rejects path %j, naming the app', (path) => {
    expect(() => kargoConfigsApplication({ repoURL: git.repoURL, targetRevision: 'main', path })).toThrow(/^KargoConfigsApp "kargo-configs": path/);
  });

  it('groups warehouses by image, sorted, with no secrets', () => {
    const routes = new RelayRoutes(Testing.app(), 'r', { warehouses: [
      { image: 'ghcr.io/acme/web', namespace: 'b', warehouse: 'web' },
      { image: 'ghcr.io/Acme/api', namespace: 'a', warehouse: 'api' },
      { image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web' },
    ] });
    expect(routes.document).toEqual({ routes: [
      { image: 'ghcr.io/acme/api', targets: [{ kubernetes: { namespace: 'a', warehouse: 'api' } }] },
      { image: 'ghcr.io/acme/web', targets: [{ kubernetes: { namespace: 'a', warehouse: 'web' } }, { kubernetes: { namespace: 'b', warehouse: 'web' } }] },
    ] });
  });

  it('carries the tag rules of the Warehouses on an image, or none when they disagree (Kargo then filters)', () => {
    const semver = { strategy: 'SemVer' as const, constraint: '^1.0.0' };
    const routes = new RelayRoutes(Testing.app(), 'r', { warehouses: [
      { image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web', tags: semver },
      { image: 'ghcr.io/acme/web', namespace: 'b', warehouse: 'web', tags: { ...semver, strictSemvers: true, allow: [], ignore: [], constraint: '^1.0.0' } },
      { image: 'ghcr.io/acme/api', namespace: 'a', warehouse: 'api', tags: semver },
      { image: 'ghcr.io/acme/api', namespace: 'b', warehouse: 'api', tags: { strategy: 'NewestBuild', allow: ['^main-'] } },
      { image: 'ghcr.io/acme/cli', namespace: 'a', warehouse: 'cli', tags: semver },
      { image: 'ghcr.io/acme/cli', namespace: 'b', warehouse: 'cli' },
    ] });
    expect(routes.document.routes.map((r) => [r.image, r.tags])).toEqual([
      ['ghcr.io/acme/api', undefined],
      ['ghcr.io/acme/cli', undefined],
      ['ghcr.io/acme/web', { strategy: 'SemVer', constraint: '^1.0.0' }],
    ]);
  });

  it('rejects tag rules Kargo would fail on, naming the warehouse and the field', () => {
    expect(() => new RelayRoutes(Testing.app(), 'r', { warehouses: [{ image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web', tags: { constraint: '^^1' } }] }))
      .toThrow(/RelayRoutes "web": tag rules: constraint: invalid semver constraint/);
    expect(() => new RelayRoutes(Testing.app(), 'r', { warehouses: [{ image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web', tags: { allow: ['(?=x)'] } }] }))
      .toThrow(/RelayRoutes "web": tag rules: allow\[0\]/);
  });

  it('kargoWebhook: each Project\'s receiver once per image, however many of its Warehouses subscribe', () => {
    const target = { kind: 'kargoWebhook', baseURL: 'https://kargo.example.com/hooks', receiver: 'ghcr', secretEnv: 'HOOK_SECRET' } as const;
    const routes = new RelayRoutes(Testing.app(), 'r', { target, warehouses: [
      { image: 'ghcr.io/acme/web', namespace: 'b', warehouse: 'web' },
      { image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web' },
      { image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web-canary' },
    ] });
    const receiver = (project: string) => ({ kargoWebhook: { baseURL: 'https://kargo.example.com/hooks', project, receiver: 'ghcr', secretEnv: 'HOOK_SECRET' } });
    expect(routes.document).toEqual({ routes: [{ image: 'ghcr.io/acme/web', targets: [receiver('a'), receiver('b')] }] });
    const withCa = new RelayRoutes(Testing.app(), 'r', { target: { ...target, caFile: '/etc/ca/ca.crt' }, warehouses: [{ image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web' }] });
    expect(withCa.document.routes[0]?.targets).toEqual([{ kargoWebhook: { ...receiver('a').kargoWebhook, caFile: '/etc/ca/ca.crt' } }]);
  });

  it.each([
    [{ baseURL: 'ftp://kargo' }, 'baseURL'],
    [{ secretEnv: 'not-a-var' }, 'secretEnv'],
    [{ receiver: 'Not_A_Name' }, 'receiver'],
  ])('kargoWebhook rejects %j with the routes schema, naming the warehouse', (bad, field) => {
    const target = { kind: 'kargoWebhook' as const, baseURL: 'https://kargo.svc', receiver: 'ghcr', secretEnv: 'S', ...bad };
    expect(() => new RelayRoutes(Testing.app(), 'r', { target, warehouses: [{ image: 'ghcr.io/acme/web', namespace: 'a', warehouse: 'web' }] }))
      .toThrow(new RegExp(`^RelayRoutes "web": kargoWebhook target: ${field}: `));
  });
});
