// The test payload builders produce what the relay's parser relies on, at the size of real deliveries.
import { packageUrlToImage, packageUrlToRepoUrls } from '@kargo/model/relay';
import { describe, expect, it } from 'vitest';
import { classify, payloadText } from '../src/github.ts';
import { GHCR_IMAGE, ghcrPackage, ghcrPackageJson, HOOK_KINDS, npmPackage, npmPackageJson, ping, pingJson, type GitHubPackage, type PackageEventName } from './github-payloads.ts';

/** What the relay does with a JSON body: decode as the route does, parse, classify. */
function relayClassifies(event: string, text: string, contentType = 'application/json') {
  const body = payloadText(Buffer.from(text, 'utf8'), contentType);
  expect(body).toBeDefined();
  return classify(event, JSON.parse(body!));
}

const SHA256 = /^sha256:[0-9a-f]{64}$/;

describe('ghcrPackage', () => {
  it.each(['package', 'registry_package'] satisfies PackageEventName[])('builds a %s delivery the relay classifies as a tagged container push', (event) => {
    const text = ghcrPackageJson({ event, tag: '1.4.0' });
    const body = ghcrPackage({ event, tag: '1.4.0' });
    const pkg = (body as Record<string, unknown>)[event] as GitHubPackage;
    const version = pkg.package_version;
    expect(relayClassifies(event, text)).toEqual({ kind: 'package', action: 'published', imageUrl: `${GHCR_IMAGE}:1.4.0`, tag: '1.4.0', digest: version.version });
    // GHCR's own spellings, not the octokit examples'.
    expect(pkg).toMatchObject({ package_type: 'CONTAINER', ecosystem: 'CONTAINER', namespace: 'acme', name: 'flask-app', registry: { type: 'CONTAINER' } });
    expect(version.container_metadata?.tag).toEqual({ name: '1.4.0', digest: version.version });
    expect(version.version).toMatch(SHA256);
    expect(version.name).toBe(version.version);
    expect(version.container_metadata?.manifest.digest).toBe(version.version);
    expect(version.container_metadata?.manifest.config.media_type).toBe('application/vnd.docker.container.image.v1+json');
    expect(version.installation_command).toBe(`docker pull ${GHCR_IMAGE}:1.4.0`);
    // The other event's key is absent: the relay reads the package under the event's own name.
    expect(Object.keys(body)).not.toContain(event === 'package' ? 'registry_package' : 'package');
  });

  it('is as large as a real delivery and carries the full repository, organization and sender objects', () => {
    const text = ghcrPackageJson();
    expect(Buffer.byteLength(text)).toBeGreaterThan(3 * 1024);
    const body = ghcrPackage({ installationId: 61_234_567 });
    expect(body.repository).toMatchObject({ full_name: 'acme/flask-app', owner: { login: 'acme', type: 'Organization' }, default_branch: 'main' });
    expect(Object.keys(body.repository!).filter((k) => k.endsWith('_url')).length).toBeGreaterThanOrEqual(40);
    expect(body.organization).toMatchObject({ login: 'acme', hooks_url: 'https://api.github.com/orgs/acme/hooks' });
    expect(body.sender).toMatchObject({ login: 'github-actions[bot]', type: 'Bot' });
    for (const u of [body.sender, body.package.owner, body.package.package_version.author, body.repository!.owner]) {
      expect(Object.keys(u).filter((k) => k.endsWith('_url')).length).toBe(11);
    }
    expect(body.installation).toMatchObject({ id: 61_234_567 });
    expect(ghcrPackage().installation).toBeUndefined();
  });

  it('builds the untagged children of a multi-arch push: empty tag, package_url ending in a bare colon', () => {
    const body = ghcrPackage({ tag: '' });
    expect(body.package.package_version.package_url).toBe(`${GHCR_IMAGE}:`);
    expect(body.package.package_version.container_metadata?.tag.name).toBe('');
    expect(relayClassifies('package', JSON.stringify(body))).toMatchObject({ kind: 'package', imageUrl: `${GHCR_IMAGE}:`, tag: '' });
    expect(packageUrlToImage(body.package.package_version.package_url)).toBe(GHCR_IMAGE);
    const index = ghcrPackage({ tag: '1.4.0', artifact: 'index' }).package.package_version.container_metadata!.manifest;
    expect(index).toMatchObject({ media_type: 'application/vnd.oci.image.index.v1+json', layers: [] });
  });

  it('lower-cases the namespace and package_url but keeps the login casing, as GHCR does', () => {
    const body = ghcrPackage({ image: 'ghcr.io/Acme/flask-app', tag: '2.0.0' });
    expect(body.package.namespace).toBe('acme');
    expect(body.package.owner.login).toBe('Acme');
    expect(body.repository!.full_name).toBe('Acme/flask-app');
    expect(body.package.package_version.package_url).toBe('ghcr.io/acme/flask-app:2.0.0');
  });

  it('takes the typed options: action, digest, nested names, user-owned and unlinked packages, Helm charts', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(relayClassifies('package', ghcrPackageJson({ action: 'updated', digest }))).toMatchObject({ kind: 'package', action: 'updated', digest });
    expect(relayClassifies('package', ghcrPackageJson({ action: 'deleted' }))).toEqual({ kind: 'ignored', reason: 'action deleted is not relayed' });
    const nested = ghcrPackage({ image: 'ghcr.io/acme/flask-app/worker', tag: '1.0.0' });
    expect(nested.package).toMatchObject({ namespace: 'acme', name: 'flask-app/worker' });
    const personal = ghcrPackage({ image: 'ghcr.io/devon-okafor/scratch', ownerType: 'User', repo: null, sender: 'devon-okafor' });
    expect(personal.organization).toBeUndefined();
    expect(personal.repository).toBeUndefined();
    expect(personal.sender).toMatchObject({ login: 'devon-okafor', type: 'User' });
    expect(personal.package.html_url).toBe('https://github.com/users/devon-okafor/packages/container/package/scratch');
    const chart = ghcrPackage({ image: 'ghcr.io/acme/charts/flask-app', tag: '0.3.1', artifact: 'helm-chart' });
    const mediaType = chart.package.package_version.container_metadata!.manifest.config.media_type;
    expect(mediaType).toBe('application/vnd.cncf.helm.config.v1+json');
    expect(packageUrlToRepoUrls(chart.package.package_version.package_url, mediaType)).toHaveLength(1);
    expect(relayClassifies('package', ghcrPackageJson({ packageType: 'docker' }))).toMatchObject({ kind: 'package' });
    const big = ghcrPackage({ layers: 32 });
    expect(big.package.package_version.container_metadata!.manifest.layers).toHaveLength(32);
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(15_000);
  });

  it('is deterministic: the same options give the same bytes, another tag another digest', () => {
    expect(ghcrPackageJson({ tag: '1.0.0' })).toBe(ghcrPackageJson({ tag: '1.0.0' }));
    expect(ghcrPackage({ tag: '1.0.0' }).package.package_version.version).not.toBe(ghcrPackage({ tag: '1.0.1' }).package.package_version.version);
  });

  it('survives form encoding: the relay decodes the payload field back to the same object', () => {
    const text = ghcrPackageJson({ tag: '3.0.0' });
    const form = `payload=${encodeURIComponent(text)}`;
    expect(payloadText(Buffer.from(form), 'application/x-www-form-urlencoded')).toBe(text);
    expect(relayClassifies('registry_package', ghcrPackageJson({ event: 'registry_package', tag: '3.0.0' }))).toMatchObject({ tag: '3.0.0' });
  });
});

describe('npmPackage', () => {
  it.each(['package', 'registry_package'] satisfies PackageEventName[])('builds a %s delivery for an npm package, which the relay ignores', (event) => {
    const text = npmPackageJson({ event });
    expect(Buffer.byteLength(text)).toBeGreaterThan(3 * 1024);
    expect(relayClassifies(event, text)).toEqual({ kind: 'ignored', reason: 'package type npm is not a container image' });
    const pkg = (npmPackage({ event }) as Record<string, unknown>)[event] as GitHubPackage;
    expect(pkg).toMatchObject({ package_type: 'npm', ecosystem: 'npm', registry: { type: 'npm' } });
    expect(pkg.package_version.container_metadata).toBeUndefined();
    expect(pkg.package_version.package_files).toHaveLength(1);
    expect(JSON.parse(pkg.package_version.manifest)).toMatchObject({ name: '@acme/flask-app-ui', version: '1.0.0' });
  });

  it('can attach the release it was published from', () => {
    const { package: pkg } = npmPackage({ version: '2.3.0', release: true });
    expect(pkg.package_version.release).toMatchObject({ tag_name: 'v2.3.0', html_url: 'https://github.com/acme/flask-app/releases/tag/v2.3.0' });
    expect(npmPackage().package.package_version.release).toBeUndefined();
  });
});

describe('ping', () => {
  it.each(HOOK_KINDS)('builds the ping of the %s hook, with hook_id, events and content type as the relay reads them', (hook) => {
    const body = ping({ hook, events: ['package', 'registry_package'] });
    expect(relayClassifies('ping', pingJson({ hook, events: ['package', 'registry_package'] }))).toEqual({
      kind: 'ping',
      hookId: body.hook_id,
      events: ['package', 'registry_package'],
      contentType: 'json',
    });
    expect(body.hook.id).toBe(body.hook_id);
    expect(body.hook.type).toBe({ repository: 'Repository', organization: 'Organization', app: 'App' }[hook]);
    expect(body.zen.length).toBeGreaterThan(0);
    expect(body.repository === undefined).toBe(hook !== 'repository');
    expect(body.organization === undefined).toBe(hook !== 'organization');
    expect(body.hook.app_id === undefined).toBe(hook !== 'app');
  });

  it('passes the hook settings through', () => {
    expect(relayClassifies('ping', pingJson({ hookId: 4242, events: ['*'], contentType: 'form' }))).toEqual({ kind: 'ping', hookId: 4242, events: ['*'], contentType: 'form' });
    expect(ping({ hook: 'organization', hookId: 7 }).hook.ping_url).toBe('https://api.github.com/orgs/acme/hooks/7/pings');
  });
});

describe('our own example data', () => {
  it('names none of the upstream examples\' accounts', () => {
    const all = [ghcrPackageJson(), ghcrPackageJson({ event: 'registry_package' }), npmPackageJson({ release: true }), ...HOOK_KINDS.map((hook) => pingJson({ hook }))].join('\n');
    expect(all).not.toMatch(/codertocat|octocat|octocoders|hello-world/i);
  });
});
