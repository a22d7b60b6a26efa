// GitHub `package` deliveries as GHCR really sends them, signed the way GitHub signs them.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

export interface Delivery {
  readonly id: string;
  readonly headers: Record<string, string>;
  /** The exact bytes signed and sent. */
  readonly body: string;
}

/** `X-Hub-Signature-256`: HMAC-SHA256 of the raw body with the hook's secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function delivery(event: string, payload: unknown, secret: string, id: string = randomUUID()): Delivery {
  const body = JSON.stringify(payload);
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/2a3c1b9',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-github-hook-id': '512893447',
      'x-github-hook-installation-target-type': 'organization',
      'x-github-hook-installation-target-id': '88214930',
      'x-hub-signature-256': signature(secret, body),
    },
  };
}

export function newDigest(): string {
  return `sha256:${randomBytes(32).toString('hex')}`;
}

export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

export interface PackageVersionSpec {
  /** Empty for the untagged platform manifests of a multi-arch push. */
  readonly tag: string;
  readonly digest?: string;
  readonly mediaType?: string;
}

/**
 * A `package` `published` payload for ghcr.io/alkon/flask-app: package_type CONTAINER, lower-case namespace,
 * package_url `ghcr.io/alkon/flask-app:<tag>` (a bare trailing `:` when untagged), registry.url in GHCR's odd form.
 */
export function ghcrPublished(spec: PackageVersionSpec): Record<string, unknown> {
  const digest = spec.digest ?? newDigest();
  const mediaType = spec.mediaType ?? MediaType.OciIndex;
  const index = mediaType === MediaType.OciIndex;
  const owner = { login: 'alkon', id: 88214930, node_id: 'O_kgDOBUIz4g', type: 'Organization', site_admin: false };
  const url = `ghcr.io/alkon/flask-app:${spec.tag}`;
  return {
    action: 'published',
    package: {
      id: 4417203,
      name: 'flask-app',
      namespace: 'alkon',
      description: '',
      ecosystem: 'CONTAINER',
      package_type: 'CONTAINER',
      html_url: 'https://github.com/orgs/alkon/packages/container/package/flask-app',
      created_at: '2025-11-02T09:14:51Z',
      updated_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      owner,
      package_version: {
        id: Math.floor(Math.random() * 1e9),
        version: digest,
        name: digest,
        description: '',
        summary: '',
        body: '',
        body_html: '',
        html_url: `https://github.com/orgs/alkon/packages/container/flask-app/${digest.slice(7, 15)}`,
        target_commitish: 'main',
        target_oid: randomBytes(20).toString('hex'),
        created_at: '0001-01-01T00:00:00Z',
        updated_at: '0001-01-01T00:00:00Z',
        metadata: [],
        container_metadata: {
          tag: { name: spec.tag, digest },
          labels: { description: '', source: '', revision: '', image_url: '', licenses: '', all_labels: {} },
          manifest: {
            digest,
            media_type: mediaType,
            uri: `repositories/alkon/flask-app/manifests/${digest}`,
            size: index ? 1609 : 1032,
            config: index ? { digest: '', media_type: '', size: 0 } : { digest: newDigest(), media_type: MediaType.OciConfig, size: 2843 },
            layers: [],
          },
        },
        package_files: [],
        installation_command: `docker pull ${url}`,
        package_url: url,
      },
      registry: {
        about_url: 'https://docs.github.com/packages/learn-github-packages/introduction-to-github-packages',
        name: 'GitHub CONTAINER registry',
        type: 'CONTAINER',
        url: 'https://CONTAINER.pkg.github.com/alkon',
        vendor: 'GitHub Inc',
      },
    },
    repository: { id: 902311458, name: 'flask-app', full_name: 'alkon/flask-app', private: false, owner },
    organization: { login: 'alkon', id: 88214930 },
    sender: { login: 'github-actions[bot]', id: 41898282, type: 'Bot', site_admin: false },
  };
}

/**
 * One multi-arch `docker buildx --push`: a delivery per platform manifest (untagged, `package_url` ending
 * in `:`) and one for the tagged index, each with its own delivery id — in the order GHCR sends them.
 */
export function multiArchPush(tag: string): Record<string, unknown>[] {
  return [
    ghcrPublished({ tag: '', mediaType: MediaType.OciManifest }),
    ghcrPublished({ tag: '', mediaType: MediaType.OciManifest }),
    ghcrPublished({ tag, mediaType: MediaType.OciIndex }),
  ];
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** POSTs a delivery to the relay's GitHub endpoint. */
export async function send(relayUrl: string, d: Delivery): Promise<Answer> {
  const res = await fetch(`${relayUrl}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
