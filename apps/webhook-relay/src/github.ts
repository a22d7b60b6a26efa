// GitHub delivery handling that needs no I/O: signature check, body decoding, and classifying a package event.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/i;

export function sign(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when any of `secrets` produced `header` over `raw`; constant time per comparison. */
export function verifySignature(secrets: readonly string[], raw: Buffer, header: string): boolean {
  if (!SIGNATURE.test(header)) return false;
  const given = Buffer.from(header.toLowerCase(), 'latin1');
  let ok = false;
  // Every secret is tried even after a match so timing does not reveal which one signed.
  for (const secret of secrets) {
    const expected = Buffer.from(sign(secret, raw), 'latin1');
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

/** The JSON text of a delivery: the body itself, or the `payload` field of a form-encoded body. */
export function payloadText(raw: Buffer, contentType: string): string | undefined {
  if (contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return new URLSearchParams(raw.toString('utf8')).get('payload') ?? undefined;
  }
  return raw.toString('utf8');
}

const PackageVersionSchema = z.object({
  version: z.string().optional(),
  package_url: z.string().optional(),
  container_metadata: z
    .object({
      tag: z.object({ name: z.string().optional() }).nullish(),
      manifest: z.object({ media_type: z.string().nullish(), config: z.object({ media_type: z.string().nullish() }).nullish() }).nullish(),
    })
    .nullish(),
});

const PackageSchema = z.object({
  name: z.string().optional(),
  namespace: z.string().optional(),
  package_type: z.string().optional(),
  package_version: PackageVersionSchema.nullish(),
});

const PingSchema = z.object({
  hook_id: z.number().optional(),
  hook: z
    .object({
      events: z.array(z.string()).optional(),
      config: z.object({ content_type: z.string().optional() }).optional(),
    })
    .optional(),
});

export interface PackageEvent {
  readonly kind: 'package';
  readonly action: string;
  /** `package_version.package_url` as GitHub sent it (`ghcr.io/owner/name:tag`, maybe a bare trailing `:`). */
  readonly imageUrl: string;
  /** Empty for untagged manifests. */
  readonly tag: string;
  readonly digest: string | undefined;
}

export type Classified =
  | PackageEvent
  | { readonly kind: 'ping'; readonly hookId: number | undefined; readonly events: readonly string[]; readonly contentType: string | undefined }
  | { readonly kind: 'ignored'; readonly reason: string };

const PACKAGE_EVENTS = new Set(['package', 'registry_package']);
const ACTIONS = new Set(['published', 'updated']);
const TYPES = new Set(['container', 'docker']);

/** Decides what a well-signed, parsed delivery is; never throws on odd payloads. */
export function classify(event: string, body: unknown): Classified {
  if (event === 'ping') {
    const ping = PingSchema.safeParse(body);
    const hook = ping.success ? ping.data : {};
    return { kind: 'ping', hookId: hook.hook_id, events: hook.hook?.events ?? [], contentType: hook.hook?.config?.content_type };
  }
  if (!PACKAGE_EVENTS.has(event)) return { kind: 'ignored', reason: `event ${event} is not relayed` };
  if (body === null || typeof body !== 'object') return { kind: 'ignored', reason: 'payload is not an object' };
  const record = body as Record<string, unknown>;
  const action = typeof record.action === 'string' ? record.action : '';
  if (!ACTIONS.has(action)) return { kind: 'ignored', reason: `action ${action || '(none)'} is not relayed` };
  const pkg = PackageSchema.safeParse(record[event]);
  if (!pkg.success || pkg.data.package_version == null) return { kind: 'ignored', reason: `payload has no ${event}.package_version` };
  const type = pkg.data.package_type ?? '';
  // GitHub sends CONTAINER in webhooks and container in its REST API; legacy packages say docker.
  if (!TYPES.has(type.toLowerCase())) return { kind: 'ignored', reason: `package type ${type || '(none)'} is not a container image` };
  const version = pkg.data.package_version;
  const tag = version.container_metadata?.tag?.name ?? '';
  let imageUrl: string;
  if (version.package_url !== undefined && version.package_url.trim() !== '') imageUrl = version.package_url;
  else if (pkg.data.namespace !== undefined && pkg.data.name !== undefined) imageUrl = `ghcr.io/${pkg.data.namespace}/${pkg.data.name}`;
  else return { kind: 'ignored', reason: 'payload names no image (no package_url, namespace or name)' };
  return { kind: 'package', action, imageUrl, tag, digest: version.version };
}
