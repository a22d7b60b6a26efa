// The whole tree: layout, determinism, re-rendering over a tree Kargo has written to, and the example's snapshot.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RelayRoutesSchema, compileTagRules, imageTagAccepted, parseRelayRoutes, tagAccepted, type RelayRoutes } from '@kargo/model';
import { GENERATED_HEADER, GENERATED_NOTICE, PIPELINE_PAGE, pipelineMarkdown, renderPipelines } from '../src/index.ts';
import { EXAMPLE_PATH, exampleConfig, matrixConfigs, parseConfig, RECEIVER, SEVERAL } from './support/configs.ts';

describe('renderPipelines', () => {
  it('lays out a single pipeline flat, as the issue describes', () => {
    const { files } = renderPipelines(exampleConfig());
    expect([...files.keys()]).toEqual([
      'PIPELINE.md',
      'analysis/integration.yaml', 'analysis/performance.yaml', 'analysis/security-scan.yaml', 'analysis/smoke.yaml',
      'argocd-apps/flask-app-dev.yaml', 'argocd-apps/flask-app-prod.yaml', 'argocd-apps/flask-app-project.yaml', 'argocd-apps/flask-app-staging.yaml',
      'argocd-apps/kargo-configs.yaml', 'project.yaml', 'relay/routes.yaml',
      'stages/dev.yaml', 'stages/prod.yaml', 'stages/staging.yaml',
      'values/dev-values.yaml', 'values/prod-values.yaml', 'values/staging-values.yaml', 'warehouse.yaml',
    ]);
  });

  it('puts several pipelines in their own folders with one shared kargo-configs and routes file', () => {
    const { files, objects } = renderPipelines(parseConfig(SEVERAL));
    const top = [...files.keys()].filter((p) => !p.startsWith('web/') && !p.startsWith('worker-pipeline/'));
    expect(top).toEqual(['PIPELINE.md', 'argocd-apps/kargo-configs.yaml', 'relay/routes.yaml']);
    // One page for all pipelines, each environment a row.
    expect(files.get('PIPELINE.md')).toMatch(/\| web \| [^\n]*\n[\s\S]*\| worker-pipeline \| /);
    expect(files.has('worker-pipeline/stages/live.yaml')).toBe(true);
    expect(objects.filter((o) => o.kind === 'Warehouse').map((o) => [o.namespace, o.name, o.file])).toEqual([
      ['web', 'web', 'web/warehouse.yaml'], ['workers', 'worker-pipeline', 'worker-pipeline/warehouse.yaml'],
    ]);
    const routes = RelayRoutesSchema.parse(parse(files.get('relay/routes.yaml') ?? ''));
    expect(routes.routes.map((r) => [r.image, r.tags, r.targets])).toEqual([
      ['ghcr.io/acme/web', { strategy: 'SemVer', constraint: '^1.0.0', strictSemvers: true, allow: [], ignore: [] }, [{ kubernetes: { namespace: 'web', warehouse: 'web' } }]],
      ['ghcr.io/acme/worker', { strategy: 'Digest', constraint: 'stable', strictSemvers: true, allow: [], ignore: [] }, [{ kubernetes: { namespace: 'workers', warehouse: 'worker-pipeline' } }]],
    ]);
    expect(files.get('relay/routes.yaml')).not.toMatch(/secret/i);
  });

  it('is deterministic: two renders give identical bytes, every manifest starts with the header', () => {
    for (const config of Object.values(matrixConfigs())) {
      const a = renderPipelines(config);
      const b = renderPipelines(structuredClone(config));
      expect([...b.files]).toEqual([...a.files]);
      expect(b.objects).toEqual(a.objects);
      for (const [path, text] of a.files) {
        if (path === PIPELINE_PAGE) expect(text.startsWith(`<!-- ${GENERATED_NOTICE} -->\n`)).toBe(true);
        else if (!path.includes('values/')) expect(text.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
        expect(text).not.toMatch(/\/work\/|\d{4}-\d\d-\d\dT\d\d:/); // no absolute paths, no timestamps
      }
    }
  });

  it('writes PIPELINE.md at the root: the Mermaid graph and the per-environment table of pipelineMarkdown', () => {
    const config = exampleConfig();
    const page = renderPipelines(config).files.get(PIPELINE_PAGE) ?? '';
    expect(page).toBe(pipelineMarkdown(config));
    expect(page).toContain('```mermaid\nflowchart LR\n');
    for (const env of ['dev', 'staging', 'prod']) expect(page).toMatch(new RegExp(`^\\| flask-app \\| ${env} \\|`, 'm'));
  });

  it('re-rendering over its own output is a fixed point, and keeps the tag Kargo promoted', () => {
    const config = exampleConfig();
    const first = renderPipelines(config);
    const promoted = new Map(first.files);
    promoted.set('values/prod-values.yaml', (first.files.get('values/prod-values.yaml') ?? '').replace('tag: "1.0.0"', 'tag: "1.8.4" # promoted'));
    const again = renderPipelines(config, { readExisting: (p) => promoted.get(p) });
    expect(again.files.get('values/prod-values.yaml')).toContain('tag: "1.8.4" # promoted');
    expect([...again.files]).toEqual([...promoted]);
    expect(parse(again.files.get('values/dev-values.yaml') ?? '')).toEqual({
      replicaCount: 1,
      image: { repository: 'ghcr.io/alkon/flask-app', tag: '1.0.0' },
      service: { type: 'ClusterIP' },
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '50m', memory: '64Mi' } },
    });
  });

  it('wires each environment to its Warehouse or upstreams, soak and verification args', () => {
    const { files } = renderPipelines(exampleConfig());
    const staging = parse(files.get('stages/staging.yaml') ?? '');
    expect(staging.spec.requestedFreight).toEqual([{ origin: { kind: 'Warehouse', name: 'flask-app' }, sources: { stages: ['dev'], requiredSoakTime: '30m' } }]);
    expect(staging.spec.verification).toEqual({ analysisTemplates: [{ name: 'integration' }], args: [{ name: 'integration-url', value: 'http://flask-app.flask-app-staging.svc.cluster.local/' }] });
    const prod = parse(files.get('stages/prod.yaml') ?? '');
    expect(prod.spec.verification.args).toEqual([
      { name: 'scan-image', value: '${{ vars.imageRepo }}:${{ imageFrom(vars.imageRepo).Tag }}' },
      { name: 'perf-url', value: 'http://flask-app.flask-app-prod.svc.cluster.local/' },
    ]);
    const project = parse(files.get('project.yaml')?.split('---\n')[1] ?? '');
    expect(project.spec.promotionPolicies).toEqual([
      { autoPromotionEnabled: true, stageSelector: { name: 'dev' } },
      { autoPromotionEnabled: true, stageSelector: { name: 'staging' } },
    ]);
  });

  it('names per-environment templates when the same preset differs between environments', () => {
    const { files } = renderPipelines(matrixConfigs()['modes-oci']!);
    expect([...files.keys()].filter((p) => p.startsWith('analysis/'))).toEqual(['analysis/integration-dev.yaml', 'analysis/integration-staging.yaml']);
    expect(parse(files.get('stages/staging.yaml') ?? '').spec.verification.analysisTemplates).toEqual([{ name: 'integration-staging' }]);
  });

  it('refuses a values folder outside the rendered tree', () => {
    const config = exampleConfig();
    const env = config.pipelines[0]!.environments[0]!;
    env.valuesPath = 'helm/dev.yaml';
    expect(() => renderPipelines(config)).toThrow(/outside the rendered folder kargo\//);
  });

  it('renders the example tree (snapshot)', async () => {
    const { files } = renderPipelines(exampleConfig());
    const text = [...files].map(([p, t]) => `=== ${p}\n${t}`).join('\n');
    await expect(text).toMatchFileSnapshot('__snapshots__/example-tree.txt');
  });

  it('renders image.interval into the Warehouse (default 5m0s)', () => {
    expect(parse(renderPipelines(exampleConfig()).files.get('warehouse.yaml') ?? '').spec.interval).toBe('5m0s');
    const text = readFileSync(EXAMPLE_PATH, 'utf8').replace('      strategy: SemVer\n', '      strategy: SemVer\n      interval: 1h30m\n');
    expect(parse(renderPipelines(parseConfig(text)).files.get('warehouse.yaml') ?? '').spec.interval).toBe('1h30m');
  });

  it('argocd-update waits for the promoted commit on the values source, also when the chart comes from elsewhere', () => {
    const { files } = renderPipelines(matrixConfigs()['modes-oci']!);
    const update = (env: string): unknown => (parse(files.get(`stages/${env}.yaml`) ?? '').spec.promotionTemplate.spec.steps as { uses: string; config: unknown }[])
      .find((s) => s.uses === 'argocd-update')?.config;
    expect(update('staging')).toEqual({ apps: [{ name: 'api-staging', namespace: 'gitops', sources: [{ repoURL: 'https://github.com/acme/api.git', desiredRevision: '${{ outputs.push.commit }}' }] }] });
    expect(update('production')).toEqual({ apps: [{ name: 'api-production', namespace: 'gitops', sources: [{ repoURL: 'https://github.com/acme/api.git', desiredRevision: "${{ outputs['wait-for-pr'].commit }}" }] }] });
    // argocd mode keeps the Helm image parameter on the chart source and pins no revision.
    expect(update('dev')).toEqual({ apps: [{ name: 'api-dev', namespace: 'gitops', sources: [{ repoURL: 'oci://ghcr.io/acme/charts', chart: 'api', helm: { images: [{ key: 'image.tag', value: '${{ quote(imageFrom(vars.imageRepo).Tag) }}' }] } }] }] });
    // The pinned source is the Application's `values` ref source, not its chart source.
    const sources = parse(files.get('argocd-apps/api-staging.yaml') ?? '').spec.sources as { repoURL: string; ref?: string; chart?: string }[];
    expect(sources.filter((s) => s.repoURL === 'https://github.com/acme/api.git')).toEqual([{ repoURL: 'https://github.com/acme/api.git', targetRevision: 'env/staging', ref: 'values' }]);
    // argocd mode writes no branch, so its Application reads the source branch.
    const dev = parse(files.get('argocd-apps/api-dev.yaml') ?? '').spec.sources as { repoURL: string; targetRevision: string; ref?: string }[];
    expect(dev.find((s) => s.ref === 'values')?.targetRevision).toBe('main');
    // The chart is not in the repository, so only the values file travels to the environment's branch.
    const steps = (parse(files.get('stages/staging.yaml') ?? '').spec.promotionTemplate.spec.steps as { as?: string }[]).map((s) => s.as);
    expect(steps).not.toContain('copy-chart');
  });

  it('gives each environment its own branch: Applications track it, promotions write it, the source branch only feeds them', () => {
    const { files } = renderPipelines(exampleConfig());
    for (const env of ['dev', 'staging', 'prod']) {
      const app = parse(files.get(`argocd-apps/flask-app-${env}.yaml`) ?? '');
      expect(app.spec.source.targetRevision).toBe(`env/${env}`);
      const steps = parse(files.get(`stages/${env}.yaml`) ?? '').spec.promotionTemplate.spec.steps as { uses: string; config: Record<string, unknown> }[];
      expect(steps[0]?.config.checkout).toEqual([{ branch: 'main', path: './src' }, { branch: `env/${env}`, create: true, path: './out' }]);
      const target = steps.find((s) => s.uses === 'git-push')?.config.targetBranch ?? steps.find((s) => s.uses === 'git-open-pr')?.config.targetBranch;
      expect(target).toBe(`env/${env}`);
    }
    // kargo-configs still follows the source branch: the Kargo objects are not promoted.
    expect(parse(files.get('argocd-apps/kargo-configs.yaml') ?? '').spec.source.targetRevision).toBe('main');
  });

  it('several pipelines get env/<pipeline>/<env> branches by default, and git.envBranch sets the pattern', () => {
    const single = parseConfig(readFileSync(EXAMPLE_PATH, 'utf8'));
    expect(single.pipelines[0]?.environments.map((e) => e.branch)).toEqual(['env/dev', 'env/staging', 'env/prod']);
    for (const p of parseConfig(SEVERAL).pipelines) {
      expect(p.environments.map((e) => e.branch)).toEqual(p.environments.map((e) => `env/${p.name}/${e.name}`));
    }
    const custom = parseConfig(readFileSync(EXAMPLE_PATH, 'utf8').replace('envBranch: env/{env}', 'envBranch: deploy/{env}'));
    expect(custom.pipelines[0]?.environments.map((e) => e.branch)).toEqual(['deploy/dev', 'deploy/staging', 'deploy/prod']);
  });

  it('an environment with deployment windows lets argocd-update wait out the longest closed stretch', () => {
    const text = readFileSync(EXAMPLE_PATH, 'utf8').replace(
      "        promotion: { auto: false, mode: pull-request }\n",
      "        promotion: { auto: false, mode: pull-request }\n        windows: [{ kind: allow, days: [mon, tue, wed, thu, fri], hours: '09:00-17:00', timezone: Europe/Berlin }]\n",
    );
    const { files } = renderPipelines(parseConfig(text));
    const steps = parse(files.get('stages/prod.yaml') ?? '').spec.promotionTemplate.spec.steps as { uses: string; retry?: unknown }[];
    // Friday 17:00 to Monday 09:00 is 64 hours closed, 65 on the weekend Berlin leaves summer time; 30 minutes
    // for the sync itself.
    expect(steps.filter((s) => s.uses === 'argocd-update').map((s) => s.retry)).toEqual([{ timeout: '65h30m' }, { timeout: '65h30m' }]);
    const dev = parse(files.get('stages/dev.yaml') ?? '').spec.promotionTemplate.spec.steps as { uses: string; retry?: unknown }[];
    expect(dev.find((s) => s.uses === 'argocd-update')?.retry).toBeUndefined();
  });
});

describe('relay/routes.yaml', () => {
  function routesOf(config: Parameters<typeof renderPipelines>[0]): RelayRoutes {
    const parsed = parseRelayRoutes(renderPipelines(config).files.get('relay/routes.yaml') ?? '', { filename: 'relay/routes.yaml' });
    if (!parsed.ok) throw new Error(parsed.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
    expect(parsed.warnings).toEqual([]);
    return parsed.value;
  }

  it("parses with the model's parser and carries the Warehouse's tag rules: 1.8.4 passes, 1.1.0-rc.1 and latest do not", () => {
    const [route] = routesOf(exampleConfig()).routes;
    expect(route?.tags).toEqual({ strategy: 'SemVer', constraint: '^1.0.0', strictSemvers: true, allow: [], ignore: [] });
    const compiled = compileTagRules(route?.tags ?? {});
    if (!compiled.ok) throw new Error('rules do not compile');
    expect(tagAccepted(compiled.value, '1.8.4')).toEqual({ accepted: true });
    expect(tagAccepted(compiled.value, '1.1.0-rc.1')).toMatchObject({ accepted: false, reason: 'outside-constraint' });
    expect(tagAccepted(compiled.value, 'latest')).toMatchObject({ accepted: false, reason: 'not-semver' });
  });

  it('decides every tag exactly as the rendered Warehouse subscription does, for every config of the matrix', () => {
    const tags = ['1.8.4', '1.1.0-rc.1', 'latest', 'v1.2.3', '1.2', '2.0.0', '2.1.0-rc.1', '2.3.4', 'main-abc123', 'stable', '0.3.0', '1.10.0'];
    let compared = 0;
    for (const [name, config] of Object.entries(matrixConfigs())) {
      if (!config.relay.enabled) continue;
      const { files } = renderPipelines(config);
      const routes = routesOf(config);
      for (const [path, text] of files) {
        if (!path.endsWith('warehouse.yaml')) continue;
        const warehouse = parse(text);
        const sub = warehouse.spec.subscriptions[0].image as { repoURL: string };
        const route = routes.routes.find((r) => r.image === sub.repoURL);
        const { target, receiverName, kargoWebhook } = config.relay;
        expect(route?.targets).toContainEqual(
          target === 'kubernetes'
            ? { kubernetes: { namespace: warehouse.metadata.namespace, warehouse: warehouse.metadata.name } }
            : { kargoWebhook: { ...kargoWebhook, project: warehouse.metadata.namespace, receiver: receiverName } },
        );
        const compiled = compileTagRules(route?.tags ?? {});
        if (!compiled.ok) throw new Error(`${name}: rules do not compile`);
        for (const tag of tags) {
          expect([name, tag, tagAccepted(compiled.value, tag).accepted]).toEqual([name, tag, imageTagAccepted(sub, tag).accepted]);
          compared++;
        }
      }
    }
    expect(compared).toBe(tags.length * 6); // example + modes-oci + several (two pipelines) + receiver (two pipelines)
  });

  it('kargoWebhook: one receiver target per Project (its namespace), with the config\'s receiver, base URL, variable and CA', () => {
    const routes = routesOf(parseConfig(RECEIVER, 'receiver.yaml'));
    const receiver = (project: string) => ({
      kargoWebhook: {
        baseURL: 'https://kargo-external-webhooks-server.kargo.svc',
        project,
        receiver: 'registry',
        secretEnv: 'REGISTRY_RECEIVER_SECRET',
        caFile: '/etc/kargo-webhooks-ca/ca.crt',
      },
    });
    expect(routes.routes.map((r) => [r.image, r.targets])).toEqual([['ghcr.io/acme/billing', [receiver('billing'), receiver('billing-eu')]]]);
    // The file names the variable, never a secret value nor a receiver URL (those derive from the secret).
    const text = renderPipelines(parseConfig(RECEIVER, 'receiver.yaml')).files.get('relay/routes.yaml') ?? '';
    expect(text).not.toMatch(/\/github\/[0-9a-f]{64}|url:/);
    expect(text).toContain(`      - kargoWebhook:
          baseURL: https://kargo-external-webhooks-server.kargo.svc
          project: billing
          receiver: registry
          secretEnv: REGISTRY_RECEIVER_SECRET
          caFile: /etc/kargo-webhooks-ca/ca.crt
`);
  });

  it('kargoWebhook over http: no caFile in the route', () => {
    const http = RECEIVER.replace('https://kargo-external-webhooks-server.kargo.svc', 'http://kargo-external-webhooks-server.kargo.svc');
    const [route] = routesOf(parseConfig(http, 'receiver.yaml')).routes;
    expect(route?.targets.map((t) => ('kargoWebhook' in t ? t.kargoWebhook : t))).toEqual([
      { baseURL: 'http://kargo-external-webhooks-server.kargo.svc', project: 'billing', receiver: 'registry', secretEnv: 'REGISTRY_RECEIVER_SECRET' },
      { baseURL: 'http://kargo-external-webhooks-server.kargo.svc', project: 'billing-eu', receiver: 'registry', secretEnv: 'REGISTRY_RECEIVER_SECRET' },
    ]);
  });

  it('the ProjectConfig names the receiver the route targets, with the Secret infra fills', () => {
    const { files } = renderPipelines(parseConfig(RECEIVER, 'receiver.yaml'));
    const config = parse((files.get('billing-eu/project.yaml') ?? '').split('\n---\n').find((d) => d.includes('kind: ProjectConfig')) ?? '');
    expect(config.spec.webhookReceivers).toEqual([{ name: 'registry', github: { secretRef: { name: 'registry-hook' } } }]);
  });
});
