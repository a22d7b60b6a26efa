// What doctor learns from the webhook relay: its replicas' readiness and metrics, read through the API server's
// proxy (the pod proxy per replica, so a StatefulSet of several is summed, not sampled; the Service's proxy when the
// pod proxy is forbidden), and the newest push each replica stored per route image
// (relay_route_last_push_{info,timestamp_seconds}, apps/webhook-relay/src/plugins/metrics.ts).
import { isForbidden, resourcePath, type KubeClient, type KubeObject } from './client.ts';

/** The relay's metrics, summed (pending, failed) or maxed (oldest, newest push) over the replicas read. */
export interface RelayMetrics {
  readonly pending: number | undefined;
  readonly failed: number;
  readonly oldestSeconds: number | undefined;
  /** Route image (normalised as the relay keys routes) → the newest push any replica stored. */
  readonly lastPush: ReadonlyMap<string, { readonly tag: string; readonly at: number }>;
}

export interface ReplicaProbe {
  readonly name: string;
  /** How it was reached: `pod` (pods/proxy) or `service` (services/proxy, one replica the Service picked). */
  readonly via: 'pod' | 'service';
  /** `ready` 200, `not-ready` the relay's own non-200, `unreachable` the API server could not dial it, `forbidden`. */
  readonly readyz: 'ready' | 'not-ready' | 'unreachable' | 'forbidden';
  readonly detail: string;
  readonly metrics: RelayMetrics | undefined;
}

type PodObject = KubeObject & {
  readonly spec?: { readonly containers?: readonly { readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[] }[] };
  readonly status?: { readonly phase?: string; readonly podIP?: string };
};

const LABELS = /(\w+)="((?:[^"\\]|\\.)*)"/g;

function labels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(LABELS)) out[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}

/** Parses the Prometheus text the relay serves (prom-client's exposition format). */
export function parseRelayMetrics(text: string): RelayMetrics {
  let pending: number | undefined;
  let oldest: number | undefined;
  let failed = 0;
  const tags = new Map<string, string>();
  const times = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const [, name, labelText = '', raw] = m as unknown as [string, string, string | undefined, string];
    const value = Number(raw);
    if (name === 'relay_inbox_pending_jobs') pending = value;
    else if (name === 'relay_inbox_oldest_pending_age_seconds') oldest = value;
    else if (name === 'relay_forwards_total' && labels(labelText)['outcome'] === 'failed') failed += value;
    else if (name === 'relay_route_last_push_info' && value === 1) {
      const l = labels(labelText);
      if (l['image'] !== undefined && l['tag'] !== undefined) tags.set(l['image'], l['tag']);
    } else if (name === 'relay_route_last_push_timestamp_seconds') {
      const image = labels(labelText)['image'];
      if (image !== undefined && Number.isFinite(value)) times.set(image, value * 1000);
    }
  }
  const lastPush = new Map<string, { tag: string; at: number }>();
  for (const [image, tag] of tags) {
    const at = times.get(image);
    if (at !== undefined) lastPush.set(image, { tag, at });
  }
  return { pending, failed, oldestSeconds: oldest, lastPush };
}

/** Sums what adds up over replicas and keeps the newest push per image. */
export function mergeRelayMetrics(all: readonly RelayMetrics[]): RelayMetrics | undefined {
  if (all.length === 0) return undefined;
  const lastPush = new Map<string, { tag: string; at: number }>();
  for (const m of all) {
    for (const [image, push] of m.lastPush) {
      const seen = lastPush.get(image);
      if (seen === undefined || push.at > seen.at) lastPush.set(image, push);
    }
  }
  const pendings = all.map((m) => m.pending).filter((p): p is number => p !== undefined);
  const oldest = all.map((m) => m.oldestSeconds).filter((p): p is number => p !== undefined);
  return {
    pending: pendings.length === 0 ? undefined : pendings.reduce((a, b) => a + b, 0),
    failed: all.reduce((a, m) => a + m.failed, 0),
    oldestSeconds: oldest.length === 0 ? undefined : Math.max(...oldest),
    lastPush,
  };
}

/**
 * A 503 the API server wrote because it could not dial the backend (k8s.io/apimachinery pkg/util/proxy/transport.go
 * wraps the dial error as ServiceUnavailable "error trying to reach service: …"; "no endpoints available" when the
 * Service has no ready backend), as opposed to the relay's own 503 from /readyz (JSON without `kind: Status`).
 */
export function apiServerProxyFailure(status: number, body: string): string | undefined {
  if (status < 500) return undefined;
  try {
    const parsed = JSON.parse(body) as { kind?: string; message?: string };
    if (parsed.kind === 'Status') return parsed.message ?? `HTTP ${status}`;
  } catch {
    // Not JSON: the relay (or something behind the proxy) answered.
  }
  return undefined;
}

/**
 * The pod proxy path: the bare pod name when `http` is the pod's first declared port — the port the API server dials
 * for `pods/<name>/proxy` (kubernetes pkg/registry/core/pod/strategy.go ResourceLocation: the first port of the first
 * container that declares one), and the name the read-only role's resourceNames list — else `<name>:<number>` (the
 * proxy takes a number there, not a port name).
 */
function podProxy(ns: string, pod: PodObject): string | undefined {
  const ports = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  const http = ports.find((p) => p.name === 'http');
  if (http === undefined) return undefined;
  const name = pod.metadata.name as string;
  return `/api/v1/namespaces/${ns}/pods/${ports[0] === http ? name : `${name}:${http.containerPort}`}/proxy`;
}

async function probe(client: KubeClient, base: string, name: string, via: ReplicaProbe['via']): Promise<ReplicaProbe> {
  const readyz = await client.text(`${base}/readyz`);
  if (readyz.status === 403) return { name, via, readyz: 'forbidden', detail: `the ${via === 'pod' ? 'pod' : 'service'} proxy is forbidden`, metrics: undefined };
  const failure = apiServerProxyFailure(readyz.status, readyz.body);
  if (failure !== undefined) return { name, via, readyz: 'unreachable', detail: failure, metrics: undefined };
  const metrics = await client.text(`${base}/metrics`);
  const parsed = metrics.status === 200 ? parseRelayMetrics(metrics.body) : undefined;
  if (readyz.status !== 200) return { name, via, readyz: 'not-ready', detail: `HTTP ${readyz.status} ${readyz.body.slice(0, 160).trim()}`, metrics: parsed };
  return { name, via, readyz: 'ready', detail: 'HTTP 200', metrics: parsed };
}

/**
 * Every running replica through the pod proxy; when that is forbidden (the read-only role allows it for the pods
 * kargo-webhook-relay-0…9 only), the Service GitHub reaches (not the StatefulSet's headless one, which the proxy
 * cannot use) — one replica, whichever the Service picks.
 */
export async function probeRelay(client: KubeClient, ns: string, selector: string, fallbackService: string): Promise<ReplicaProbe[]> {
  const pods = await client.list<PodObject>(resourcePath({ group: '', version: 'v1', plural: 'pods', namespace: ns }), { labelSelector: selector }).catch((error: unknown) => {
    if (isForbidden(error)) return undefined;
    throw error;
  });
  const running = (pods?.items ?? []).filter((p) => p.status?.phase === 'Running').sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  const probes: ReplicaProbe[] = [];
  for (const pod of running) {
    const base = podProxy(ns, pod);
    if (base === undefined) continue;
    probes.push(await probe(client, base, pod.metadata.name as string, 'pod'));
  }
  if (probes.length > 0 && probes.some((p) => p.readyz !== 'forbidden')) return probes;
  const services = await client.list<KubeObject & { spec?: { clusterIP?: string } }>(`/api/v1/namespaces/${ns}/services`, { labelSelector: selector }).catch(() => undefined);
  const service = services?.items.find((svc) => svc.spec?.clusterIP !== 'None')?.metadata.name ?? fallbackService;
  return [await probe(client, `/api/v1/namespaces/${ns}/services/${service}:http/proxy`, `service ${service}`, 'service')];
}
