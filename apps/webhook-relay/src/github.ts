// GitHub delivery handling that needs no I/O: signature check, body decoding, and classifying a package event.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The shape of X-Hub-Signature-256; anything else is refused before the body is read. */
export const SIGNATURE_SHAPE = /^sha256=[0-9a-f]{64}$/i;

export function sign(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when any of `secrets` produced `header` over `raw`; constant time per comparison. */
export function verifySignature(secrets: readonly string[], raw: Buffer, header: string): boolean {
  if (!SIGNATURE_SHAPE.test(header)) return false;
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

/** Reads one field of a parsed JSON object; undefined when `value` is not an object. */
function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** A string field, else undefined (GitHub sends null for absent tags and media types). */
function text(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === 'string' ? v : undefined;
}

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
    // Only a few fields of a 16 KB payload matter: read them directly instead of validating the whole body.
    const hook = field(body, 'hook');
    const hookId = field(body, 'hook_id');
    const events = field(hook, 'events');
    return {
      kind: 'ping',
      hookId: typeof hookId === 'number' ? hookId : undefined,
      events: Array.isArray(events) && events.every((e) => typeof e === 'string') ? events : [],
      contentType: text(field(hook, 'config'), 'content_type'),
    };
  }
  if (!PACKAGE_EVENTS.has(event)) return { kind: 'ignored', reason: `event ${event} is not relayed` };
  if (body === null || typeof body !== 'object') return { kind: 'ignored', reason: 'payload is not an object' };
  const record = body as Record<string, unknown>;
  const action = typeof record.action === 'string' ? record.action : '';
  if (!ACTIONS.has(action)) return { kind: 'ignored', reason: `action ${action || '(none)'} is not relayed` };
  const pkg = record[event];
  const version = field(pkg, 'package_version');
  if (version === null || typeof version !== 'object' || Array.isArray(version)) return { kind: 'ignored', reason: `payload has no ${event}.package_version` };
  const type = text(pkg, 'package_type') ?? '';
  // GitHub sends CONTAINER in webhooks and container in its REST API; legacy packages say docker.
  if (!TYPES.has(type.toLowerCase())) return { kind: 'ignored', reason: `package type ${type || '(none)'} is not a container image` };
  const tag = text(field(field(version, 'container_metadata'), 'tag'), 'name') ?? '';
  const packageUrl = text(version, 'package_url');
  const namespace = text(pkg, 'namespace');
  const name = text(pkg, 'name');
  let imageUrl: string;
  if (packageUrl !== undefined && packageUrl.trim() !== '') imageUrl = packageUrl;
  else if (namespace !== undefined && name !== undefined) imageUrl = `ghcr.io/${namespace}/${name}`;
  else return { kind: 'ignored', reason: 'payload names no image (no package_url, namespace or name)' };
  return { kind: 'package', action, imageUrl, tag, digest: text(version, 'version') };
}
