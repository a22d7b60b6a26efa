// Property tests of the simulator: random pipelines (fan-out, fan-in, soak, windows, manual stages) and random
// pushes/approvals; every invariant is checked from the result alone, not from the simulator's internals.
import { parseDuration, validatePipelineConfig, type PipelineConfig } from '@kargo/model';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulatePipeline, type SimulatedPromotion, type SimulationInput, type SimulationResult } from '../src/index.ts';

const TAGS = ['1.0.1', '1.0.2', '1.1.0', '1.2.0-rc.1', 'latest', '1.3.0', '0.9.0', 'v1.4.0'] as const;
const NUM_RUNS = 200;

interface EnvSpec {
  upstreamMask: number;
  auto: boolean;
  soak: '10m' | '30m' | '1h' | undefined;
  all: boolean;
  mode: 'git' | 'pull-request' | 'argocd';
  window: 'none' | 'office' | 'night-deny' | 'weekend-deny';
}

const envSpec = fc.record({
  upstreamMask: fc.integer({ min: 0, max: 15 }),
  auto: fc.boolean(),
  soak: fc.constantFrom(undefined, '10m', '30m', '1h'),
  all: fc.boolean(),
  mode: fc.constantFrom('git', 'pull-request', 'argocd'),
  window: fc.constantFrom('none', 'none', 'office', 'night-deny', 'weekend-deny'),
}) as fc.Arbitrary<EnvSpec>;

const WINDOWS = {
  office: [{ name: 'office', kind: 'allow', timezone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-17:00' }],
  'night-deny': [{ name: 'night', kind: 'deny', hours: '22:00-06:00' }],
  'weekend-deny': [{ name: 'weekend', kind: 'deny', days: ['sat', 'sun'] }],
} as const;

/** A valid config from the specs: env0 takes Freight from the Warehouse, env i>0 from a subset of earlier ones. */
function buildConfig(specs: readonly EnvSpec[]): PipelineConfig | undefined {
  const environments = specs.map((spec, i) => {
    const upstreams = i === 0 ? [] : Array.from({ length: i }, (_, j) => `e${j}`).filter((_, j) => (spec.upstreamMask >> j) & 1);
    const fanIn = upstreams.length > 1;
    return {
      name: `e${i}`,
      upstreams,
      availability: spec.all && fanIn ? 'All' : 'OneOf',
      promotion: { auto: spec.auto, mode: spec.mode, ...(spec.soak !== undefined && upstreams.length > 0 ? { soak: spec.soak } : {}) },
      windows: spec.window === 'none' ? [] : WINDOWS[spec.window],
    };
  });
  const result = validatePipelineConfig({
    apiVersion: 'kargo-env.dev/v1alpha1',
    kind: 'PipelineConfig',
    pipelines: [{ app: 'app', image: { repository: 'ghcr.io/acme/app', constraint: '^1.0.0' }, git: { repoURL: 'https://github.com/acme/app.git' }, environments }],
  });
  return result.ok ? result.value : undefined;
}

const scenario = fc
  .record({
    specs: fc.array(envSpec, { minLength: 2, maxLength: 5 }),
    pushes: fc.array(fc.record({ tag: fc.constantFrom(...TAGS), atMinutes: fc.integer({ min: 0, max: 240 }) }), { minLength: 1, maxLength: 6 }),
    approvals: fc.array(
      fc.record({ env: fc.integer({ min: 0, max: 4 }), atMinutes: fc.integer({ min: 0, max: 360 }), tag: fc.option(fc.constantFrom(...TAGS), { nil: undefined }) }),
      { maxLength: 4 },
    ),
    // Merges and closes of pull requests (kept only for pull-request environments).
    reviews: fc.array(fc.record({ env: fc.integer({ min: 0, max: 4 }), atMinutes: fc.integer({ min: 0, max: 480 }), merge: fc.boolean() }), { maxLength: 4 }),
    start: fc.constantFrom('2026-01-05T00:00:00Z', '2026-01-09T20:00:00Z', '2026-03-29T00:30:00+01:00'),
    until: fc.option(fc.integer({ min: 30, max: 600 }), { nil: undefined }),
  })
  .map(({ specs, pushes, approvals, reviews, start, until }) => {
    const pr = reviews.filter((r) => specs[r.env]?.mode === 'pull-request');
    const input: SimulationInput = {
      pushes,
      approvals: approvals.filter((a) => a.env < specs.length).map((a) => ({ stage: `e${a.env}`, atMinutes: a.atMinutes, ...(a.tag === undefined ? {} : { tag: a.tag }) })),
      merges: pr.filter((r) => r.merge).map((r) => ({ stage: `e${r.env}`, atMinutes: r.atMinutes })),
      closes: pr.filter((r) => !r.merge).map((r) => ({ stage: `e${r.env}`, atMinutes: r.atMinutes })),
      start,
      ...(until === undefined ? {} : { untilMinutes: until }),
    };
    return { specs, input };
  });

function simulate(config: PipelineConfig, input: SimulationInput): SimulationResult {
  const result = simulatePipeline(config, input);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.value;
}

interface Stay {
  readonly freight: string;
  readonly from: number;
  readonly to: number;
}

/** The promotions of the run that noticed every soak at once (the earliest timing). */
function earliest(result: SimulationResult): SimulatedPromotion[] {
  return result.promotions.filter((p) => p.onlyIf !== 'noticed-late');
}

/** Who ran which Freight when, rebuilt from the promotions of the earliest timing (per stage in commit order). */
function occupancy(result: SimulationResult): Map<string, Stay[]> {
  const byStage = new Map<string, SimulatedPromotion[]>();
  for (const p of earliest(result)) byStage.set(p.stage, [...(byStage.get(p.stage) ?? []), p]);
  const stays = new Map<string, Stay[]>();
  for (const [stage, list] of byStage) {
    stays.set(stage, list.map((p, i) => ({ freight: p.freight, from: p.atMinutes, to: list[i + 1]?.atMinutes ?? Infinity })));
  }
  return stays;
}

function approvedBefore(result: SimulationResult, stage: string, tag: string, at: number): boolean {
  return result.approvals.some((a) => a.stage === stage && a.tag === tag && a.outcome !== 'no-freight' && a.atMinutes <= at);
}

function forEachRun(check: (config: PipelineConfig, input: SimulationInput, result: SimulationResult) => void): void {
  fc.assert(
    fc.property(scenario, ({ specs, input }) => {
      const config = buildConfig(specs);
      fc.pre(config !== undefined);
      check(config, input, simulate(config, input));
    }),
    { numRuns: NUM_RUNS, seed: 20260105 },
  );
}

describe('simulation invariants (fast-check, 200 random pipelines each)', () => {
  it('no environment receives Freight its upstreams did not hold continuously for the soak time, unless approved (All = every upstream)', () => {
    forEachRun((config, _input, result) => {
      const stays = occupancy(result);
      for (const p of earliest(result)) {
        const env = config.pipelines[0]!.environments.find((e) => e.name === p.stage)!;
        if (env.upstreams.length === 0 || approvedBefore(result, p.stage, p.tag, p.promotedAtMinutes)) continue;
        expect(p.trigger).toBe('auto');
        const soak = env.promotion.soak === undefined ? 0 : parseDuration(env.promotion.soak)! / 60;
        const soakedIn = (u: string): boolean =>
          (stays.get(u) ?? []).some((s) => s.freight === p.freight && s.to - s.from >= soak && s.from + soak <= p.promotedAtMinutes);
        const ok = env.availability === 'All' ? env.upstreams.every(soakedIn) : env.upstreams.some(soakedIn);
        expect(ok, `${p.stage} got ${p.tag} at +${p.promotedAtMinutes}m`).toBe(true);
      }
    });
  });

  it('manual environments move only on an approval of that tag', () => {
    forEachRun((config, _input, result) => {
      for (const env of config.pipelines[0]!.environments.filter((e) => !e.promotion.auto)) {
        const moves = result.promotions.filter((p) => p.stage === env.name);
        for (const p of moves) {
          expect(p.trigger).toBe('approval');
          expect(result.approvals.some((a) => a.stage === env.name && a.outcome === 'promoted' && a.tag === p.tag && a.atMinutes <= p.promotedAtMinutes)).toBe(true);
        }
        expect(moves.length).toBeLessThanOrEqual(result.approvals.filter((a) => a.stage === env.name && a.outcome === 'promoted').length);
      }
    });
  });

  it('only Freight reaches an environment: rejected tags never do, Freight never before it exists', () => {
    forEachRun((_config, _input, result) => {
      const freight = new Map(result.freight.map((f) => [f.id, f]));
      for (const p of result.promotions) {
        const f = freight.get(p.freight);
        expect(f?.tag).toBe(p.tag);
        expect(f!.atMinutes).toBeLessThanOrEqual(p.promotedAtMinutes);
        expect(p.atMinutes).toBeGreaterThanOrEqual(p.argocdUpdateAtMinutes);
        expect(p.argocdUpdateAtMinutes).toBeGreaterThanOrEqual(p.mergedAtMinutes ?? p.promotedAtMinutes);
        expect(p.delayMinutes).toBe(p.atMinutes - p.argocdUpdateAtMinutes);
      }
      for (const r of result.rejected) {
        // A tag refused by the rules, or older than the newest, never gets Freight, not even from a later push.
        if (r.reason !== 'duplicate') expect(result.freight.some((f) => f.tag === r.tag)).toBe(false);
      }
    });
  });

  it('promotions are sorted by time then stage, within the horizon, and the run is deterministic', () => {
    forEachRun((config, input, result) => {
      for (let i = 1; i < result.promotions.length; i++) {
        const a = result.promotions[i - 1]!;
        const b = result.promotions[i]!;
        expect(a.atMinutes < b.atMinutes || (a.atMinutes === b.atMinutes && a.stage <= b.stage)).toBe(true);
      }
      if (input.untilMinutes !== undefined) for (const p of result.promotions) expect(p.atMinutes).toBeLessThanOrEqual(input.untilMinutes);
      expect(simulate(config, input)).toEqual(result);
    });
  });

  it('a direct auto environment without windows and approvals ends on the newest Freight', () => {
    forEachRun((config, input, result) => {
      const first = config.pipelines[0]!.environments[0]!;
      // A pull-request environment also needs merges (issue #16), so it is left out here.
      fc.pre(first.promotion.auto && first.promotion.mode !== 'pull-request' && first.windows.length === 0 && !(input.approvals ?? []).some((a) => a.stage === first.name));
      const last = result.freight.at(-1);
      expect(result.environments[0]!.finalTag).toBe(last?.tag ?? '1.0.0');
    });
  });

  it('latest ≥ earliest; with no soak on the way (Warehouse-fed, no windows, git) a promotion is immediate in both timings (regular_stages.go requeue)', () => {
    forEachRun((config, _input, result) => {
      for (const p of result.promotions) expect(p.latestAtMinutes).toBeGreaterThanOrEqual(p.atMinutes);
      const first = config.pipelines[0]!.environments[0]!;
      if (first.windows.length > 0 || first.promotion.mode === 'pull-request') return;
      for (const p of result.promotions.filter((x) => x.stage === first.name)) expect(p.latestAtMinutes).toBe(p.atMinutes);
    });
  });

  it('a pull request promotion that changes the tag lands only after a merge; a closed one fails (git_pr_waiter.go)', () => {
    forEachRun((_config, _input, result) => {
      for (const p of result.promotions.filter((x) => x.mode === 'pull-request' && x.change.from !== x.change.to)) {
        expect(p.mergedAtMinutes).toBeDefined();
        expect(result.pullRequests.some((a) => a.stage === p.stage && a.outcome === 'merged' && a.atMinutes === p.mergedAtMinutes)).toBe(true);
      }
      for (const f of result.failed) {
        expect(f.reason).toBe('pull-request-closed');
        expect(result.pullRequests.some((a) => a.stage === f.stage && a.outcome === 'closed' && a.atMinutes <= f.failedAtMinutes)).toBe(true);
      }
    });
  });
});
