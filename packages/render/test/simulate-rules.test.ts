// Each promotion rule of the simulator on the example pipeline and on fan-out/fan-in configs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PipelineConfig } from '@kargo/model';
import { describe, expect, it } from 'vitest';
import { formatSimulation, parseApprovalSpec, parseOffset, parsePushSpec, simulatePipeline, type SimulationInput, type SimulationResult } from '../src/index.ts';
import { SEVERAL, exampleConfig, parseConfig } from './support/configs.ts';

const FAN_OUT_FAN_IN = resolve(import.meta.dirname, '../../model/test/fixtures/config/fan-out-fan-in.yaml');
const fanOutFanIn = (): PipelineConfig => parseConfig(readFileSync(FAN_OUT_FAN_IN, 'utf8'), 'fan-out-fan-in.yaml');

function run(config: PipelineConfig, input: SimulationInput): SimulationResult {
  const result = simulatePipeline(config, input);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.value;
}

const push = (tag: string, atMinutes: number, pipeline?: string) => ({ tag, atMinutes, ...(pipeline === undefined ? {} : { pipeline }) });
const brief = (r: SimulationResult) => r.promotions.map((p) => [p.stage, p.tag, p.atMinutes]);

describe('Warehouse tag rules (example: SemVer ^1.0.0)', () => {
  it('rejects pre-releases, non-semver tags, older and repeated tags; creates Freight in push order otherwise', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0), push('1.9.0-rc.1', 1), push('latest', 2), push('1.8.4', 3), push('1.8.2', 4), push('1.8.4', 5), push('2.0.0', 6)] });
    expect(r.freight.map((f) => [f.id, f.tag, f.atMinutes])).toEqual([['F1', '1.8.3', 0], ['F2', '1.8.4', 3]]);
    expect(r.rejected.map((x) => [x.tag, x.reason])).toEqual([
      ['1.9.0-rc.1', 'outside-constraint'],
      ['latest', 'not-semver'],
      ['1.8.2', 'not-newest'],
      ['1.8.4', 'duplicate'],
      ['2.0.0', 'outside-constraint'],
    ]);
    expect(r.rejected[0]?.message).toBe('tag 1.9.0-rc.1 does not satisfy ^1.0.0');
  });

  it('a rejected tag promotes nothing', () => {
    const r = run(exampleConfig(), { pushes: [push('1.9.0-rc.1', 0)], approvals: [{ stage: 'prod', atMinutes: 60 }] });
    expect(r.promotions).toEqual([]);
    expect(r.approvals[0]).toMatchObject({ outcome: 'no-freight' });
    expect(r.environments.map((e) => e.finalTag)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
  });
});

describe('example pipeline: dev auto, staging after 30m soak, prod manual (PR)', () => {
  it('dev takes new Freight at once, staging 30 minutes later, prod never without an approval', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0)], untilMinutes: 24 * 60 });
    expect(brief(r)).toEqual([['dev', '1.8.3', 0], ['staging', '1.8.3', 30]]);
    expect(r.environments.find((e) => e.stage === 'prod')?.finalTag).toBe('1.0.0');
    expect(r.untilMinutes).toBe(1440);
  });

  it('soak needs continuous presence: Freight replaced in dev before 30m never reaches staging', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0), push('1.8.4', 10)] });
    expect(brief(r)).toEqual([['dev', '1.8.3', 0], ['dev', '1.8.4', 10], ['staging', '1.8.4', 40]]);
  });

  it('writes the values-file change of each promotion, from the previous tag', () => {
    // prod promotes by pull request: it lands once the pull request is merged (git_pr_waiter.go).
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0), push('1.8.4', 45)], approvals: [{ stage: 'prod', atMinutes: 80 }], merges: [{ stage: 'prod', atMinutes: 80 }] });
    const changes = r.promotions.map((p) => `${p.change.file}: ${p.change.key}: ${p.change.from} → ${p.change.to}`);
    expect(changes).toEqual([
      'kargo/values/dev-values.yaml: image.tag: 1.0.0 → 1.8.3',
      'kargo/values/staging-values.yaml: image.tag: 1.0.0 → 1.8.3',
      'kargo/values/dev-values.yaml: image.tag: 1.8.3 → 1.8.4',
      'kargo/values/staging-values.yaml: image.tag: 1.8.3 → 1.8.4',
      'kargo/values/prod-values.yaml: image.tag: 1.0.0 → 1.8.4',
    ]);
    expect(r.promotions.at(-1)).toMatchObject({ stage: 'prod', trigger: 'approval', mode: 'pull-request', atMinutes: 80 });
    const text = formatSimulation(r);
    expect(text).toContain('kargo/values/staging-values.yaml: image.tag: 1.8.3 → 1.8.4');
    expect(text).toContain('kargo/values/prod-values.yaml: image.tag: 1.0.0 → 1.8.4 (pull request)');
  });

  it('--approve promotes the newest Freight that reached the upstream and bypasses soak', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0)], approvals: [{ stage: 'staging', atMinutes: 5 }, { stage: 'prod', atMinutes: 6 }], merges: [{ stage: 'prod', atMinutes: 6 }] });
    expect(brief(r)).toEqual([['dev', '1.8.3', 0], ['staging', '1.8.3', 5], ['prod', '1.8.3', 6]]);
    expect(r.approvals.map((a) => a.outcome)).toEqual(['promoted', 'promoted']);
  });

  it('ENV=TAG approves a specific Freight, even an older one (a rollback); an unknown tag does nothing', () => {
    const r = run(exampleConfig(), {
      pushes: [push('1.8.3', 0), push('1.8.4', 40)],
      approvals: [{ stage: 'prod', atMinutes: 90, tag: '1.8.4' }, { stage: 'prod', atMinutes: 100, tag: '1.8.3' }, { stage: 'prod', atMinutes: 110, tag: '9.9.9' }],
      merges: [{ stage: 'prod', atMinutes: 90 }, { stage: 'prod', atMinutes: 100 }],
    });
    expect(r.promotions.filter((p) => p.stage === 'prod').map((p) => [p.tag, p.atMinutes])).toEqual([['1.8.4', 90], ['1.8.3', 100]]);
    expect(r.approvals.map((a) => a.outcome)).toEqual(['promoted', 'promoted', 'no-freight']);
  });

  it('an approval of Freight the environment already has changes nothing', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0)], approvals: [{ stage: 'dev', atMinutes: 10 }] });
    expect(r.approvals[0]).toMatchObject({ outcome: 'current', tag: '1.8.3' });
    expect(r.promotions.filter((p) => p.stage === 'dev')).toHaveLength(1);
  });

  it('--until stops the clock; later pushes are reported, not simulated', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0), push('1.8.4', 120)], untilMinutes: 20 });
    expect(brief(r)).toEqual([['dev', '1.8.3', 0]]);
    expect(r.notes).toEqual(['push 1.8.4 at +2h is after the end (+20m) and was not simulated']);
  });

  it('JSON promotions are sorted by time, then stage', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.3', 0)], approvals: [{ stage: 'staging', atMinutes: 0 }, { stage: 'prod', atMinutes: 0 }], merges: [{ stage: 'prod', atMinutes: 0 }] });
    expect(brief(r)).toEqual([['dev', '1.8.3', 0], ['prod', '1.8.3', 0], ['staging', '1.8.3', 0]]);
  });

  it('is deterministic', () => {
    const input = { pushes: [push('1.8.3', 0), push('1.8.4', 10), push('1.8.5', 50)], approvals: [{ stage: 'prod', atMinutes: 100 }] };
    expect(run(exampleConfig(), input)).toEqual(run(exampleConfig(), input));
  });
});

describe('fan-out / fan-in (staging → prod-eu + prod-us → global-check, All)', () => {
  it('fan-in All waits for every upstream; fan-out lets each branch move on its own approval', () => {
    const r = run(fanOutFanIn(), {
      pushes: [push('1.2.0', 0)],
      approvals: [{ stage: 'prod-us', atMinutes: 70 }, { stage: 'prod-eu', atMinutes: 9 * 60 }],
      merges: [{ stage: 'prod-us', atMinutes: 70 }, { stage: 'prod-eu', atMinutes: 9 * 60 }],
    });
    expect(brief(r)).toEqual([
      ['dev', '1.2.0', 0],
      ['staging', '1.2.0', 60],
      ['prod-us', '1.2.0', 70],
      // Same minute: sorted by stage name, as the JSON contract says.
      ['global-check', '1.2.0', 540],
      ['prod-eu', '1.2.0', 540],
    ]);
  });

  it('fan-in OneOf moves after the first upstream', () => {
    const config = fanOutFanIn();
    const pipeline = config.pipelines[0]!;
    const oneOf: PipelineConfig = { ...config, pipelines: [{ ...pipeline, environments: pipeline.environments.map((e) => (e.name === 'global-check' ? { ...e, availability: 'OneOf' } : e)) }] };
    const r = run(oneOf, { pushes: [push('1.2.0', 0)], approvals: [{ stage: 'prod-us', atMinutes: 70 }], merges: [{ stage: 'prod-us', atMinutes: 70 }] });
    expect(brief(r).filter(([s]) => s === 'global-check')).toEqual([['global-check', '1.2.0', 70]]);
    expect(r.promotions.find((p) => p.stage === 'global-check')?.change).toEqual({ application: 'shop-global-check', key: 'image.tag', from: '1.0.0', to: '1.2.0' });
  });

  it('an allow window (Mon–Thu 09:00–16:00 Berlin) holds the sync, not the commit, and says so', () => {
    // Monday 00:00 UTC is 01:00 in Berlin: the sync waits until 09:00 Berlin = 08:00 UTC.
    const r = run(fanOutFanIn(), { pushes: [push('1.2.0', 0)], approvals: [{ stage: 'prod-eu', atMinutes: 61 }], merges: [{ stage: 'prod-eu', atMinutes: 61 }] });
    const eu = r.promotions.find((p) => p.stage === 'prod-eu');
    expect(eu).toMatchObject({ promotedAtMinutes: 61, mergedAtMinutes: 61, argocdUpdateAtMinutes: 61, atMinutes: 480, delayMinutes: 419, delayedBy: ['allow-0'] });
    // Deliberately reworded for issue #16: the promotion is Running in argocd-update; the env branch has the commit.
    expect(formatSimulation(r)).toMatch(/approved, PR opened \+1h1m, merged \+1h1m, Running in argocd-update 6h59m \(sync blocked by allow-0\)/);
    expect(r.notes.some((n) => n.startsWith('shop/prod-eu: deployment windows hold the Argo CD sync, not the commit: the promotion stays Running in argocd-update') && n.includes('env/prod-eu already has the commit'))).toBe(true);
  });

  it('a deny date (christmas) holds the sync past the holidays, with --start', () => {
    const r = run(fanOutFanIn(), { pushes: [push('1.2.0', 0)], approvals: [{ stage: 'prod-eu', atMinutes: 90 }], merges: [{ stage: 'prod-eu', atMinutes: 90 }], start: '2026-12-24T08:00Z' });
    const eu = r.promotions.find((p) => p.stage === 'prod-eu');
    // Thu 24th and Fri 25th are denied, the weekend is outside the allow window: Monday 28th 09:00 Berlin.
    expect(eu).toMatchObject({ delayedBy: ['christmas'], atMinutes: 4 * 24 * 60 });
  });

  it('a window that never opens leaves the promotion pending', () => {
    const config = exampleConfig();
    const pipeline = config.pipelines[0]!;
    const frozen: PipelineConfig = {
      ...config,
      pipelines: [{ ...pipeline, environments: pipeline.environments.map((e) => (e.name === 'dev' ? { ...e, windows: [{ name: 'freeze', kind: 'deny', timezone: 'UTC', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], dates: [] }] } : e)) }],
    };
    const r = run(frozen, { pushes: [push('1.8.3', 0)] });
    expect(r.promotions).toEqual([]);
    // Deliberately extended for issue #16: when argocd-update started, and what the promotion waits for.
    expect(r.pending).toEqual([
      {
        pipeline: 'flask-app',
        stage: 'dev',
        tag: '1.8.3',
        freight: 'F1',
        trigger: 'auto',
        requestedAtMinutes: 0,
        promotedAtMinutes: 0,
        argocdUpdateAtMinutes: 0,
        delayedBy: ['freeze'],
        waitingFor: 'sync-window',
        reason: 'Running in argocd-update and no window opens within a year (sync blocked by freeze); env/dev already has the commit',
      },
    ]);
    expect(r.stalls.map((s) => [s.stage, s.kind])).toEqual([['dev', 'sync-window-never-opens']]);
  });

  it('soak with availability All never auto-promotes, as in Kargo (akuity/kargo#4586), and says so', () => {
    const config = fanOutFanIn();
    const pipeline = config.pipelines[0]!;
    const soakAll: PipelineConfig = { ...config, pipelines: [{ ...pipeline, environments: pipeline.environments.map((e) => (e.name === 'global-check' ? { ...e, promotion: { ...e.promotion, soak: '10m' } } : e)) }] };
    const r = run(soakAll, { pushes: [push('1.2.0', 0)], approvals: [{ stage: 'prod-us', atMinutes: 70 }, { stage: 'prod-eu', atMinutes: 540 }] });
    expect(r.promotions.some((p) => p.stage === 'global-check')).toBe(false);
    expect(r.notes[0]).toMatch(/shop\/global-check: Kargo does not auto-promote with a soak time and availability All/);
  });
});

describe('several pipelines', () => {
  const config = parseConfig(SEVERAL, 'several.yaml');

  it('a push without a pipeline reaches every Warehouse; PIPELINE/TAG only one', () => {
    const r = run(config, { pushes: [push('1.0.1', 0), push('stable', 5, 'worker-pipeline')] });
    expect(r.freight.map((f) => [f.pipeline, f.tag])).toEqual([['web', '1.0.1'], ['worker-pipeline', 'stable']]);
    expect(r.rejected).toEqual([{ pipeline: 'worker-pipeline', tag: '1.0.1', atMinutes: 0, reason: 'digest-mismatch', message: 'Digest subscriptions follow only tag "stable"' }]);
    expect(r.promotions.filter((p) => p.pipeline === 'worker-pipeline').map((p) => p.stage)).toEqual(['test']);
  });

  it('names unknown or ambiguous environments and pipelines as issues', () => {
    const twins = parseConfig(
      'apiVersion: kargo-env.dev/v1alpha1\nkind: PipelineConfig\npipelines:\n' +
        ['web', 'api'].map((app) => `  - app: ${app}\n    image: { repository: ghcr.io/acme/${app} }\n    git: { repoURL: https://github.com/acme/platform.git }\n`).join(''),
    );
    const bad = simulatePipeline(twins, { pushes: [push('1.0.1', 0, 'nope')], approvals: [{ stage: 'prod', atMinutes: 0 }, { stage: 'qa', atMinutes: 0 }, { stage: 'live', atMinutes: 0, pipeline: 'web' }] });
    expect(simulatePipeline(twins, { pushes: [push('1.0.1', 0)], approvals: [{ stage: 'prod', atMinutes: 0, pipeline: 'api' }] }).ok).toBe(true);
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.errors.map((e) => [e.path, e.code])).toEqual([
      ['pushes[0].pipeline', 'unknown-pipeline'],
      ['approvals[0].stage', 'ambiguous-stage'],
      ['approvals[1].stage', 'unknown-stage'],
      ['approvals[2].stage', 'unknown-stage'],
    ]);
    expect(bad.errors[1]?.message).toContain('write PIPELINE/prod');
  });
});

describe('command-line spellings', () => {
  it.each([
    ['0', 0],
    ['0m', 0],
    ['10m', 10],
    ['2h', 120],
    ['1h30m', 90],
    ['90s', 1.5],
  ])('offset %s = %d minutes', (text, minutes) => {
    expect(parseOffset(text)).toBe(minutes);
  });

  it.each(['', '-5m', '10', '1d', 'm'])('offset %j is refused', (text) => {
    expect(parseOffset(text)).toBeUndefined();
  });

  it('parses pushes and approvals with optional pipeline, tag and offset', () => {
    expect(parsePushSpec('1.8.4@10m')).toMatchObject({ ok: true, value: { tag: '1.8.4', atMinutes: 10 } });
    expect(parsePushSpec('shop/1.8.4@1h30m')).toMatchObject({ ok: true, value: { tag: '1.8.4', atMinutes: 90, pipeline: 'shop' } });
    expect(parsePushSpec('1.8.4')).toMatchObject({ ok: true, value: { tag: '1.8.4', atMinutes: 0 } });
    expect(parseApprovalSpec('prod@2h')).toMatchObject({ ok: true, value: { stage: 'prod', atMinutes: 120 } });
    expect(parseApprovalSpec('shop/prod=1.8.4@45m')).toEqual({ ok: true, value: { stage: 'prod', atMinutes: 45, tag: '1.8.4', pipeline: 'shop' }, warnings: [] });
  });

  it.each([
    [parsePushSpec, '1.8.4@soon', /offset "soon" is not a duration/],
    [parsePushSpec, 'bad tag@0m', /is not an image tag/],
    [parsePushSpec, '/1.8.4@0m', /empty pipeline name/],
    [parseApprovalSpec, '=1.8.4@0m', /missing environment name/],
    [parseApprovalSpec, 'prod=@0m', /is not an image tag/],
  ])('%o refuses %j', (parse, spec, message) => {
    const result = parse(spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(message);
  });
});
