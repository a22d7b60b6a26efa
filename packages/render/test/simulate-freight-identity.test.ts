// Freight identity in the simulator: Kargo names Freight by a hash of the repository, the tag AND the digest
// (akuity/kargo v1.11.2 pkg/api/freight.go, imageHashPart), so only the same image under the same tag is a
// duplicate; `1.2.0` and `v1.2.0` are different Freight, and so is a tag pushed again with a new digest.
import type { PipelineConfig } from '@kargo/model';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSimulation, parsePushSpec, simulatePipeline, type SimulationInput, type SimulationResult } from '../src/index.ts';
import { SEVERAL, exampleConfig, parseConfig } from './support/configs.ts';

function run(config: PipelineConfig, input: SimulationInput): SimulationResult {
  const result = simulatePipeline(config, input);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.value;
}

const push = (tag: string, atMinutes: number, digest?: string) => ({ tag, atMinutes, ...(digest === undefined ? {} : { digest }) });
const decisions = (r: SimulationResult) => [
  ...r.freight.map((f) => ({ at: f.atMinutes, tag: f.tag, result: f.id })),
  ...r.rejected.map((x) => ({ at: x.atMinutes, tag: x.tag, result: x.reason })),
].sort((a, b) => a.at - b.at);

/** The example with another image strategy (the Warehouse rules are all that changes). */
function withStrategy(strategy: 'NewestBuild' | 'Lexical'): PipelineConfig {
  const config = exampleConfig();
  const pipeline = config.pipelines[0]!;
  const { constraint: _constraint, ...image } = pipeline.image;
  return { ...config, pipelines: [{ ...pipeline, image: { ...image, strategy } }] };
}

describe('Freight identity is repository + tag + digest', () => {
  it('1.2.0 after v1.2.0 is never called a duplicate: only v1.2.0 has Freight', () => {
    const r = run(exampleConfig(), { pushes: [push('v1.2.0', 0), push('1.2.0', 5), push('1.2.0', 10)] });
    expect(decisions(r)).toEqual([
      { at: 0, tag: 'v1.2.0', result: 'F1' },
      // SemVer ties break on the text, greater first, as Kargo's selector does: v1.2.0 stays the newest tag.
      { at: 5, tag: '1.2.0', result: 'not-newest' },
      { at: 10, tag: '1.2.0', result: 'not-newest' },
    ]);
    expect(r.rejected.every((x) => !/already has Freight/.test(x.message))).toBe(true);
  });

  it('1.2.0 and v1.2.0 are distinct Freight when each is the newest build', () => {
    const r = run(withStrategy('NewestBuild'), { pushes: [push('1.2.0', 0), push('v1.2.0', 5)] });
    expect(decisions(r)).toEqual([
      { at: 0, tag: '1.2.0', result: 'F1' },
      { at: 5, tag: 'v1.2.0', result: 'F2' },
    ]);
  });

  it('the same tag pushed again with a new digest is new Freight; the same digest again is a duplicate', () => {
    const r = run(exampleConfig(), {
      pushes: [push('1.8.4', 0, 'sha256:aaa'), push('1.8.4', 10, 'sha256:bbb'), push('1.8.4', 20, 'sha256:bbb'), push('1.8.4', 30, 'sha256:aaa')],
    });
    expect(decisions(r)).toEqual([
      { at: 0, tag: '1.8.4', result: 'F1' },
      { at: 10, tag: '1.8.4', result: 'F2' },
      { at: 20, tag: '1.8.4', result: 'duplicate' },
      { at: 30, tag: '1.8.4', result: 'duplicate' },
    ]);
    expect(r.freight.map((f) => f.digest)).toEqual(['sha256:aaa', 'sha256:bbb']);
    expect(r.rejected[0]).toMatchObject({ digest: 'sha256:bbb', message: '1.8.4@sha256:bbb already has Freight F2 (Kargo names Freight by repository, tag and digest)' });
    // dev moves to the rebuilt image; the values file keeps the same tag.
    expect(r.promotions.filter((p) => p.stage === 'dev').map((p) => [p.freight, p.change.from, p.change.to])).toEqual([
      ['F1', '1.0.0', '1.8.4'],
      ['F2', '1.8.4', '1.8.4'],
    ]);
    const text = formatSimulation(r);
    expect(text).toMatch(/^ {2}\+10m +1\.8\.4@sha256:bbb +Freight F2$/m);
    expect(text).toMatch(/^ {2}\+10m +Mon 2026-01-05 00:10 +1\.8\.4@sha256:bbb +auto +kargo\/values\/dev-values\.yaml: image\.tag: 1\.8\.4 → 1\.8\.4$/m);
    // Same tag, new image: the values file does not change, and the reader is told what that means.
    expect(r.notes).toContain('flask-app/dev: F2 (1.8.4@sha256:bbb) keeps image.tag 1.8.4, so the promotion changes no file and Argo CD has nothing new to sync');
  });

  it('without a digest a push of a known tag is the image it already points to', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.4', 0), push('1.8.4', 10, 'sha256:new'), push('1.8.4', 20)] });
    expect(decisions(r)).toEqual([
      { at: 0, tag: '1.8.4', result: 'F1' },
      { at: 10, tag: '1.8.4', result: 'F2' },
      { at: 20, tag: '1.8.4', result: 'duplicate' },
    ]);
    const plain = run(exampleConfig(), { pushes: [push('1.8.4', 0), push('1.8.4', 5)] });
    expect(plain.rejected[0]?.message).toBe('tag 1.8.4 still points to the image of Freight F1 (Kargo names Freight by repository, tag and digest; give TAG@DIGEST for a rebuilt image)');
  });

  it('a known tag with Freight that is no longer the newest is a duplicate, not an older tag', () => {
    const r = run(exampleConfig(), { pushes: [push('1.8.4', 0), push('1.8.5', 5), push('1.8.4', 10), push('1.8.4', 15, 'sha256:other')] });
    expect(decisions(r).map((d) => d.result)).toEqual(['F1', 'F2', 'duplicate', 'not-newest']);
  });

  it('NewestBuild: a re-push of the same image keeps its build time; a new digest is the newest build', () => {
    const r = run(withStrategy('NewestBuild'), { pushes: [push('a', 0), push('b', 5), push('a', 10), push('a', 15, 'sha256:rebuilt')] });
    expect(decisions(r)).toEqual([
      { at: 0, tag: 'a', result: 'F1' },
      { at: 5, tag: 'b', result: 'F2' },
      { at: 10, tag: 'a', result: 'duplicate' },
      { at: 15, tag: 'a', result: 'F3' },
    ]);
  });

  it('a Digest subscription makes Freight on every push of its tag, unless the digest is one it already has', () => {
    const config = parseConfig(SEVERAL, 'several.yaml');
    const r = run(config, {
      pushes: [
        { tag: 'stable', atMinutes: 0, pipeline: 'worker-pipeline' },
        { tag: 'stable', atMinutes: 5, pipeline: 'worker-pipeline' },
        { tag: 'stable', atMinutes: 10, pipeline: 'worker-pipeline', digest: 'sha256:c1' },
        { tag: 'stable', atMinutes: 15, pipeline: 'worker-pipeline', digest: 'sha256:c1' },
      ],
    });
    expect(r.freight.map((f) => [f.id, f.atMinutes])).toEqual([['F1', 0], ['F2', 5], ['F3', 10]]);
    expect(r.rejected.map((x) => [x.atMinutes, x.reason])).toEqual([[15, 'duplicate']]);
  });
});

describe('identity invariants (fast-check)', () => {
  const pushes = fc.array(fc.record({ tag: fc.constantFrom('1.2.0', 'v1.2.0', '1.3.0', '1.2.1'), digest: fc.constantFrom('sha256:a', 'sha256:b', 'sha256:c'), gap: fc.integer({ min: 1, max: 20 }) }), {
    minLength: 1,
    maxLength: 12,
  });
  const configs = { SemVer: exampleConfig(), NewestBuild: withStrategy('NewestBuild'), Lexical: withStrategy('Lexical') };

  it('every push makes Freight or is refused once; a duplicate repeats an earlier Freight exactly, Freight never does', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(configs) as (keyof typeof configs)[])), pushes, (strategy, list) => {
        let at = 0;
        const input = list.map((p) => ({ tag: p.tag, digest: p.digest, atMinutes: (at += p.gap) }));
        const r = run(configs[strategy], { pushes: input });
        expect(r.freight.length + r.rejected.length).toBe(input.length);
        const id = (x: { tag: string; digest?: string }) => `${x.tag}@${x.digest ?? ''}`;
        expect(new Set(r.freight.map(id)).size).toBe(r.freight.length);
        for (const x of r.rejected) {
          const earlier = r.freight.some((f) => id(f) === id(x) && f.atMinutes < x.atMinutes);
          expect(earlier).toBe(x.reason === 'duplicate');
        }
      }),
      { numRuns: 300, seed: 20260105 },
    );
  });
});

describe('--push TAG@DIGEST@OFFSET', () => {
  it.each([
    ['1.8.4@sha256:abc@10m', { tag: '1.8.4', digest: 'sha256:abc', atMinutes: 10 }],
    ['shop/1.8.4@sha256:abc', { tag: '1.8.4', digest: 'sha256:abc', atMinutes: 0, pipeline: 'shop' }],
    ['1.8.4@sha512:0f=_-A@1h', { tag: '1.8.4', digest: 'sha512:0f=_-A', atMinutes: 60 }],
    ['1.8.4@10m', { tag: '1.8.4', atMinutes: 10 }],
  ])('%s', (spec, value) => {
    expect(parsePushSpec(spec)).toEqual({ ok: true, value, warnings: [] });
  });

  it.each([
    ['1.8.4@sha256:@0m', /"sha256:" is not a digest/],
    ['1.8.4@SHA256:abc@0m', /"SHA256:abc" is not a digest/],
    ['1.8.4@sha256:a@b@0m', /"sha256:a@b" is not a digest/],
  ])('refuses %s', (spec, message) => {
    const result = parsePushSpec(spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(message);
  });
});
