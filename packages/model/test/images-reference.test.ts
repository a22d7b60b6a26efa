import { describe, expect, it } from 'vitest';
import {
  ImageReferenceError,
  KargoModelError,
  ModelErrorCode,
  normalizeChartRepoUrl,
  normalizeImageRepoUrl,
  packageUrlToImage,
  packageUrlToRepoUrls,
  parseImageReference,
  sanitizeUrl,
  tryParseImageReference,
} from '../src/index.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('normalizeImageRepoUrl (Kargo pkg/urls image rule)', () => {
  it.each([
    // reference/kargo.md §b
    ['ghcr.io/Org/App:1.2.3', 'ghcr.io/org/app'],
    ['ghcr.io/alkon/flask-app', 'ghcr.io/alkon/flask-app'],
    ['ghcr.io/alkon/flask-app:1.8.4', 'ghcr.io/alkon/flask-app'],
    [`ghcr.io/alkon/flask-app@${DIGEST}`, 'ghcr.io/alkon/flask-app'],
    [`ghcr.io/alkon/flask-app:1.0.0@${DIGEST}`, 'ghcr.io/alkon/flask-app'],
    // Docker Hub (Kargo's own image_test.go rows)
    ['nginx', 'nginx'],
    ['docker.io/library/nginx', 'nginx'],
    ['index.docker.io/library/nginx:1.2', 'nginx'],
    ['index.docker.io/library/busybox', 'busybox'],
    ['index.docker.io/busybox', 'busybox'],
    ['registry-1.docker.io/library/busybox', 'busybox'],
    ['registry-1.docker.io/busybox', 'busybox'],
    ['docker.io/busybox', 'busybox'],
    ['library/busybox', 'busybox'],
    ['index.docker.io/example/repo', 'example/repo'],
    ['docker.io/example/repo', 'example/repo'],
    ['example/repo', 'example/repo'],
    ['quay.io/example/repo', 'quay.io/example/repo'],
    // registries with ports; a first segment without `.`/`:` is a Docker Hub namespace
    ['localhost:5000/team/app:dev', 'localhost:5000/team/app'],
    ['localhost/app', 'localhost/app'],
    ['[::1]:5000/app:1', '[::1]:5000/app'],
    // whitespace and non-printable runes, then lower case
    ['  ghcr.io/Org/App  ', 'ghcr.io/org/app'],
    ['\ufeffdocker.io/example/repo', 'example/repo'],
    ['docker.io/example/repo\u200b', 'example/repo'],
    ['\tdocker.io/example/repo\n', 'example/repo'],
    ['\u00a0docker.io/example/repo\u00a0', 'example/repo'],
    // unparseable input comes back sanitised and lower-cased
    ['invalid url', 'invalid url'],
    ['https://ghcr.io/Org/App', 'https://ghcr.io/org/app'],
    ['ghcr.io/org/app:bad tag!', 'ghcr.io/org/app:bad tag!'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeImageRepoUrl(input)).toBe(expected);
  });
});

describe('normalizeChartRepoUrl', () => {
  it.each([
    ['oci://ghcr.io/Akuity/kargo-charts/kargo', 'ghcr.io/akuity/kargo-charts/kargo'],
    ['OCI://ghcr.io/akuity/kargo-charts/kargo', 'ghcr.io/akuity/kargo-charts/kargo'],
    ['oci://registry-1.docker.io/bitnamicharts/nginx', 'bitnamicharts/nginx'],
    ['ghcr.io/org/chart:0.1.0', 'ghcr.io/org/chart'],
    ['https://charts.example.com', 'https://charts.example.com'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeChartRepoUrl(input)).toBe(expected);
  });
});

describe('packageUrlToImage / packageUrlToRepoUrls', () => {
  it('trims exactly one trailing colon (GHCR sends ghcr.io/u/img: for untagged versions)', () => {
    expect(packageUrlToImage('ghcr.io/u/img:')).toBe('ghcr.io/u/img');
    expect(packageUrlToImage('ghcr.io/Alkon/Flask-App:1.8.4')).toBe('ghcr.io/alkon/flask-app');
    // One colon is trimmed; go-containerregistry's weak validation tolerates the remaining empty tag, while
    // an untrimmed `img::` would leave `img:` in the repository and not parse at all.
    expect(packageUrlToImage('ghcr.io/u/img::')).toBe('ghcr.io/u/img');
    expect(normalizeImageRepoUrl('ghcr.io/u/img::')).toBe('ghcr.io/u/img::');
  });

  it('classifies by media type as the receiver does', () => {
    expect(packageUrlToRepoUrls('ghcr.io/o/chart:1.0.0', 'application/vnd.cncf.helm.config.v1+json')).toEqual(['ghcr.io/o/chart']);
    expect(packageUrlToRepoUrls('ghcr.io/o/app:1', 'application/vnd.oci.image.config.v1+json')).toEqual(['ghcr.io/o/app']);
    expect(packageUrlToRepoUrls('ghcr.io/o/app:1')).toEqual(['ghcr.io/o/app']);
    expect(packageUrlToRepoUrls('docker.io/library/nginx:1', 'application/vnd.oci.image.manifest.v1+json')).toEqual(['nginx']);
  });
});

describe('parseImageReference', () => {
  it.each([
    ['ghcr.io/org/app:1.2.3', { registry: 'ghcr.io', repository: 'org/app', tag: '1.2.3' }],
    ['ghcr.io/org/app', { registry: 'ghcr.io', repository: 'org/app' }],
    ['ghcr.io/org/app:', { registry: 'ghcr.io', repository: 'org/app' }],
    ['nginx', { registry: 'index.docker.io', repository: 'library/nginx' }],
    ['docker.io/team/app:v1', { registry: 'index.docker.io', repository: 'team/app', tag: 'v1' }],
    ['localhost:5000/app', { registry: 'localhost:5000', repository: 'app' }],
    [`ghcr.io/org/app:1.0@${DIGEST}`, { registry: 'ghcr.io', repository: 'org/app', tag: '1.0', digest: DIGEST }],
    [`ghcr.io/org/app@${DIGEST}`, { registry: 'ghcr.io', repository: 'org/app', digest: DIGEST }],
  ])('%j', (input, expected) => {
    expect(parseImageReference(input)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['ghcr.io/Org/App', 'upper case repository'],
    ['a', 'one-character repository'],
    ['ghcr.io/org/app:bad tag', 'space in tag'],
    [`ghcr.io/org/app:${'x'.repeat(128)}`, 'tag over 127 characters'],
    ['ghcr.io/org/app@sha256:abc', 'short digest'],
    ['https://ghcr.io/org/app', 'URL scheme'],
    ['ghcr.io:port/app', 'non-numeric port'],
  ])('rejects %j (%s) with a typed error', (input) => {
    expect(tryParseImageReference(input)).toBeUndefined();
    let caught: unknown;
    try {
      parseImageReference(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ImageReferenceError);
    expect(caught).toBeInstanceOf(KargoModelError);
    expect((caught as ImageReferenceError).code).toBe(ModelErrorCode.InvalidImageReference);
    expect((caught as ImageReferenceError).reference).toBe(input);
  });
});

describe('sanitizeUrl (Go unicode.IsPrint + TrimSpace)', () => {
  it('removes non-printable runes anywhere but keeps inner ASCII spaces', () => {
    expect(sanitizeUrl('\ufeff https://example.com/\u200brepo \ufeff')).toBe('https://example.com/repo');
    expect(sanitizeUrl('https://example.com/ myrepo')).toBe('https://example.com/ myrepo');
    expect(sanitizeUrl('   ')).toBe('');
  });
});
