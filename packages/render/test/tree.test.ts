// The whole tree: layout, determinism, re-rendering over a tree Kargo has written to, and the example's snapshot.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RelayRoutesSchema } from '@kargo/model';
import { GENERATED_HEADER, renderPipelines } from '../src/index.ts';
import { exampleConfig, matrixConfigs, parseConfig, SEVERAL } from './support/configs.ts';

describe('renderPipelines', () => {
  it('lays out a single pipeline flat, as the issue describes', () => {
    const { files } = renderPipelines(exampleConfig());
    expect([...files.keys()]).toEqual([
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
    expect(top).toEqual(['argocd-apps/kargo-configs.yaml', 'relay/routes.yaml']);
    expect(files.has('worker-pipeline/stages/live.yaml')).toBe(true);
    expect(objects.filter((o) => o.kind === 'Warehouse').map((o) => [o.namespace, o.name, o.file])).toEqual([
      ['web', 'web', 'web/warehouse.yaml'], ['workers', 'worker-pipeline', 'worker-pipeline/warehouse.yaml'],
    ]);
    const routes = RelayRoutesSchema.parse(parse(files.get('relay/routes.yaml') ?? ''));
    expect(routes.routes.map((r) => [r.image, r.targets])).toEqual([
      ['ghcr.io/acme/web', [{ kubernetes: { namespace: 'web', warehouse: 'web' } }]],
      ['ghcr.io/acme/worker', [{ kubernetes: { namespace: 'workers', warehouse: 'worker-pipeline' } }]],
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
        if (!path.includes('values/')) expect(text.startsWith(`${GENERATED_HEADER}\n`)).toBe(true);
        expect(text).not.toMatch(/\/work\/|\d{4}-\d\d-\d\dT\d\d:/); // no absolute paths, no timestamps
      }
    }
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
});
