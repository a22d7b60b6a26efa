// Where the read-only fixtures live (../shared beside the repository); KARGO_SHARED_DIR overrides.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const SHARED_DIR = process.env.KARGO_SHARED_DIR ?? resolve(import.meta.dirname, '../../../../shared');

export function fixturePath(name: string): string {
  return resolve(SHARED_DIR, 'fixtures/github-webhooks', name);
}

export function fixtureText(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/**
 * A fixture turned into what GHCR really sends (the octokit examples say `npm` and carry no tag): package type
 * CONTAINER, lower-case package_url with the tag, the tag in container_metadata.
 */
export function ghcrPayload(options: { image?: string; tag?: string; event?: 'package' | 'registry_package'; action?: string } = {}): Record<string, unknown> {
  const event = options.event ?? 'package';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a fixture edited in place
  const body = JSON.parse(fixtureText(event === 'package' ? 'package.published.2.json' : 'registry_package.published.1.json')) as Record<string, any>;
  const pkg = body[event];
  const image = options.image ?? 'ghcr.io/codertocat/hello-world';
  const tag = options.tag ?? '1.2.3';
  body.action = options.action ?? 'published';
  pkg.package_type = 'CONTAINER';
  pkg.ecosystem = 'CONTAINER';
  pkg.package_version.package_url = `${image}:${tag}`;
  pkg.package_version.container_metadata.tag.name = tag;
  return body;
}
