// Values-file merge: Kargo's tag, comments, key order and unowned keys survive a re-render.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KargoRenderError, mergeValuesFile } from '../src/index.ts';

const owned = {
  replicaCount: 2,
  image: { repository: 'ghcr.io/acme/shop' },
  service: { type: 'LoadBalancer' },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
};

describe('mergeValuesFile', () => {
  it('replaces the header of the single-branch layout, and only that header', () => {
    const legacy = '# Helm values rendered by kargo-env. image.tag belongs to Kargo (promotions write it);\n# the other keys come from kargo-env.yaml. Comments and key order survive re-rendering.\n\nimage:\n  tag: "1.4.2"\n';
    const text = mergeValuesFile(legacy, owned, '1.0.0');
    expect(text.startsWith("# Helm values rendered by kargo-env from kargo-env.yaml. A promotion copies")).toBe(true);
    expect(text).toContain('tag: "1.4.2"');
    const own = '# our own words\n\nimage:\n  tag: "1.4.2"\n';
    expect(mergeValuesFile(own, owned, '1.0.0').startsWith('# our own words\n')).toBe(true);
  });

  it('writes a new file with the initial tag next to the repository and a header comment', () => {
    const text = mergeValuesFile(undefined, owned, '1.0.0');
    expect(text).toBe(`# Helm values rendered by kargo-env from kargo-env.yaml. A promotion copies this file to the environment's
# branch and sets image.tag there (Argo CD deploys that copy); image.tag here is only the placeholder it
# replaces. Comments and key order survive re-rendering.

replicaCount: 2
image:
  repository: ghcr.io/acme/shop
  tag: "1.0.0"
service:
  type: LoadBalancer
resources:
  requests:
    cpu: 100m
    memory: 128Mi
  limits:
    cpu: 100m
    memory: 128Mi
`);
  });

  it('keeps the tag Kargo wrote, comments, key order and keys it does not own; updates owned values', () => {
    const existing = `# my notes on this environment
service:
  type: ClusterIP # was internal only
image:
  tag: "1.8.4" # promoted by Kargo
  repository: ghcr.io/acme/old
  pullPolicy: Always
replicaCount: 1
podAnnotations:
  team: shop # kept
`;
    const text = mergeValuesFile(existing, owned, '1.0.0');
    expect(text).toBe(`# my notes on this environment
service:
  type: LoadBalancer # was internal only
image:
  tag: "1.8.4" # promoted by Kargo
  repository: ghcr.io/acme/shop
  pullPolicy: Always
replicaCount: 2
podAnnotations:
  team: shop # kept
resources:
  requests:
    cpu: 100m
    memory: 128Mi
  limits:
    cpu: 100m
    memory: 128Mi
`);
  });

  it('is a fixed point: merging its own output changes nothing', () => {
    const once = mergeValuesFile(undefined, owned, '1.0.0');
    const promoted = once.replace('tag: "1.0.0"', 'tag: "1.9.0"');
    expect(mergeValuesFile(promoted, owned, '1.0.0')).toBe(promoted);
  });

  it('adds the initial tag to an existing file that has none, and never takes image.tag from owned values', () => {
    const text = mergeValuesFile('image:\n  repository: x\n', { image: { repository: 'x', tag: 'evil' } }, '2.0.0');
    expect(parse(text)).toEqual({ image: { repository: 'x', tag: '2.0.0' } });
  });

  it('quotes the initial tag so a tag like 1.10 stays a string', () => {
    expect(parse(mergeValuesFile(undefined, {}, '1.10'))).toEqual({ image: { tag: '1.10' } });
  });

  it('replaces lists whole and merges extra nested values', () => {
    const text = mergeValuesFile('args: [a, b]\ningress:\n  enabled: true\n  host: x\n', { args: ['c'], ingress: { enabled: false } }, '1.0.0');
    expect(parse(text)).toEqual({ args: ['c'], ingress: { enabled: false, host: 'x' }, image: { tag: '1.0.0' } });
  });

  it('rejects a file that is not YAML or not a map, with a typed error', () => {
    expect(() => mergeValuesFile('a: [1,\n', owned, '1.0.0', { filename: 'values/dev-values.yaml' })).toThrow(KargoRenderError);
    expect(() => mergeValuesFile('- 1\n- 2\n', owned, '1.0.0')).toThrow(/not a map/);
    expect(() => mergeValuesFile('image: plain\n', owned, '1.0.0')).toThrow(/cannot set image.repository/);
  });
});
