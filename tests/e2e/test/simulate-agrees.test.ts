// `kargo-env simulate` and the rendered artifacts decide tags the same way: the relay's route pre-filter, the
// Warehouse subscription Kargo will evaluate, and the simulator's Freight all agree, tag by tag.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileTagRules, imageTagAccepted, parseRelayRoutes, tagAccepted, type CompiledTagRules, type ImageSubscriptionTagFields } from '@kargo/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, EXAMPLE_CONFIG, requireBuilt } from './support/paths.ts';
import { runCli, tempDir } from './support/processes.ts';

interface Simulation {
  ok: boolean;
  promotions: { pipeline: string; stage: string; tag: string; atMinutes: number; trigger: string }[];
  rejected: { tag: string; reason: string; atMinutes: number }[];
  freight: { tag: string; atMinutes: number }[];
}

let dir: string;
let cleanup: () => void = () => undefined;
let routeRules: CompiledTagRules;
let subscription: ImageSubscriptionTagFields;

async function simulate(...args: string[]): Promise<Simulation> {
  const run = await runCli(['simulate', ...args, '--json'], dir);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Simulation;
}

beforeAll(async () => {
  requireBuilt(CLI_BIN);
  ({ dir, cleanup } = tempDir('simulate'));
  copyFileSync(EXAMPLE_CONFIG, join(dir, 'kargo-env.yaml'));
  const render = await runCli(['render'], dir);
  expect(render.code, render.stderr).toBe(0);

  const routes = parseRelayRoutes(readFileSync(join(dir, 'kargo/relay/routes.yaml'), 'utf8'));
  if (!routes.ok) throw new Error(routes.errors.map((e) => e.message).join('\n'));
  const rules = routes.value.routes.find((r) => r.image === 'ghcr.io/alkon/flask-app')?.tags;
  expect(rules).toMatchObject({ strategy: 'SemVer', constraint: '^1.0.0' });
  const compiled = compileTagRules(rules!);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('\n'));
  routeRules = compiled.value;

  const warehouse = parseYaml(readFileSync(join(dir, 'kargo/warehouse.yaml'), 'utf8')) as { spec: { subscriptions: { image?: ImageSubscriptionTagFields & { repoURL: string } }[] } };
  const image = warehouse.spec.subscriptions.flatMap((s) => (s.image === undefined ? [] : [s.image]));
  expect(image.map((s) => s.repoURL)).toEqual(['ghcr.io/alkon/flask-app']);
  subscription = image[0]!;
});
afterAll(() => cleanup());

describe('simulate agrees with the rendered Warehouse and relay route', () => {
  it('1.8.4 reaches dev at once and staging after the 30 min soak; 1.9.0-rc.1 is rejected like the route rejects it', async () => {
    const sim = await simulate('--push', '1.8.4@0m', '--push', '1.9.0-rc.1@5m');
    expect(sim.ok).toBe(true);
    expect(sim.promotions.map(({ stage, tag, atMinutes, trigger }) => ({ stage, tag, atMinutes, trigger }))).toEqual([
      { stage: 'dev', tag: '1.8.4', atMinutes: 0, trigger: 'auto' },
      { stage: 'staging', tag: '1.8.4', atMinutes: 30, trigger: 'auto' },
    ]);
    expect(sim.freight.map((f) => f.tag)).toEqual(['1.8.4']);
    expect(sim.rejected).toMatchObject([{ tag: '1.9.0-rc.1', atMinutes: 5, reason: 'outside-constraint' }]);

    expect(tagAccepted(routeRules, '1.8.4')).toEqual({ accepted: true });
    expect(tagAccepted(routeRules, '1.9.0-rc.1')).toMatchObject({ accepted: false, reason: 'outside-constraint' });
  });

  // Each tag pushed alone, so "not-newest"/"duplicate" (Warehouse history) cannot mask a rule decision.
  const TABLE = [
    { tag: '1.8.4', accepted: true },
    { tag: 'v1.10.0', accepted: true },
    { tag: '1.9.0-rc.1', accepted: false },
    { tag: 'latest', accepted: false },
    { tag: '2.0.0', accepted: false },
    { tag: '0.9.9', accepted: false },
    { tag: '1.8', accepted: false },
  ] as const;

  it.each(TABLE)('$tag: route pre-filter, Warehouse subscription and simulator agree (accepted: $accepted)', async ({ tag, accepted }) => {
    const route = tagAccepted(routeRules, tag);
    const warehouse = imageTagAccepted(subscription, tag);
    const sim = await simulate('--push', `${tag}@0m`);

    expect(route.accepted).toBe(accepted);
    expect(warehouse).toEqual(route);
    if (accepted) {
      expect(sim.freight.map((f) => f.tag)).toEqual([tag]);
      expect(sim.promotions.filter((p) => p.stage === 'dev').map((p) => p.tag)).toEqual([tag]);
      expect(sim.rejected).toEqual([]);
    } else {
      expect(sim.freight).toEqual([]);
      expect(sim.promotions).toEqual([]);
      expect(sim.rejected).toMatchObject([{ tag, reason: (route as { reason: string }).reason }]);
    }
  });
});
