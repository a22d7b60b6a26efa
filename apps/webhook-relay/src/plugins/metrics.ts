// Prometheus metrics of the relay, on a registry of its own (one per app instance, so tests can build many).
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The only values the labels below take: nothing a client sends becomes a label, so no request creates a series.
 * Every series exists (at 0) from the start.
 */
export const EVENT_LABELS = ['package', 'registry_package', 'ping', 'other'] as const;
export type EventLabel = (typeof EVENT_LABELS)[number];
export const REJECT_REASONS = [
  'missing_headers',
  'missing_signature',
  'bad_signature',
  'length_required',
  'too_large',
  'budget',
  'timeout',
  'aborted',
  'bad_json',
  'unsupported_media_type',
  'bad_request',
  'overloaded',
  'rate_limited',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The event label of a verified delivery: its X-GitHub-Event when it is one the relay knows, else `other`. */
export function eventLabel(event: string): EventLabel {
  return (EVENT_LABELS as readonly string[]).includes(event) && event !== 'other' ? (event as EventLabel) : 'other';
}

/**
 * A tag as the OCI distribution spec defines it. Only such tags become a label value (GHCR sends no other), so a
 * signed body cannot put up to a megabyte into a series.
 */
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function createMetrics() {
  const registry = new Registry();
  /** Read at scrape time; the inbox plugin points them at the inbox. */
  const probes = { pendingJobs: () => 0, oldestPendingAgeSeconds: () => 0, diskBytes: (): Record<'payloads' | 'database', number> => ({ payloads: 0, database: 0 }) };
  // prom-client's default metrics are already named process_* and nodejs_*: with the relay's prefix they become
  // relay_process_cpu_seconds_total, relay_process_resident_memory_bytes, relay_nodejs_heap_size_used_bytes, ….
  collectDefaultMetrics({ register: registry, prefix: 'relay_' });
  const received = new Counter<'event'>({
    name: 'relay_deliveries_received_total',
    help: `Well-signed deliveries, by X-GitHub-Event (${EVENT_LABELS.join(', ')}; any other event is other), counted after the signature check.`,
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const accepted = new Counter<'event'>({ name: 'relay_deliveries_accepted_total', help: 'Deliveries stored in the inbox, by event (as received).', labelNames: ['event'] as const, registers: [registry] });
  const rejected = new Counter<'reason'>({
    name: 'relay_deliveries_rejected_total',
    help: `Requests refused, by reason (${REJECT_REASONS.join(', ')}).`,
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const event of EVENT_LABELS) {
    received.inc({ event }, 0);
    accepted.inc({ event }, 0);
  }
  for (const reason of REJECT_REASONS) rejected.inc({ reason }, 0);
  // The newest push per route image, for `kargo-env doctor` to compare with the Warehouse's newest Freight. Label
  // values: `image` is a configured route's image as the Router keys it (normalizeImageRepoUrl(route.image)) and each
  // image has at most one `tag` series, so the series are bounded by the routes file whatever clients send.
  const lastPushTimestamp = new Gauge<'image'>({
    name: 'relay_route_last_push_timestamp_seconds',
    help: "Unix time this replica stored the newest tagged push matching the route's image (normalised, as routes are keyed); read back from the inbox at start, absent while it keeps none. kargo-env doctor compares it, the max over replicas, with the Warehouse's newest Freight.",
    labelNames: ['image'] as const,
    registers: [registry],
  });
  const lastPushInfo = new Gauge<'image' | 'tag'>({
    name: 'relay_route_last_push_info',
    help: "1 for the tag of the newest tagged push this replica stored for the route's image (one series per image). kargo-env doctor compares it with the Warehouse's newest Freight.",
    labelNames: ['image', 'tag'] as const,
    registers: [registry],
  });
  /** Route image → its newest stored push on this replica. */
  const lastPush = new Map<string, { tag: string; receivedAt: number }>();
  const ignored = new Counter<'kind'>({ name: 'relay_deliveries_ignored_total', help: 'Well-signed deliveries acknowledged without forwarding, by kind (ping, event).', labelNames: ['kind'] as const, registers: [registry] });
  for (const kind of ['ping', 'event']) ignored.inc({ kind }, 0);
  return {
    registry,
    probes,
    received,
    accepted,
    rejected,
    /** The only way the relay counts a refused request: the reason is one of REJECT_REASONS. */
    reject(reason: RejectReason): void {
      rejected.inc({ reason });
    },
    ignored,
    /**
     * Records a stored, tagged delivery that matched a route (an empty or non-OCI tag records nothing). `image` must
     * be the route's image as the Router keys it (never the URL a client sent), so the series stay bounded by the
     * routes file. `receivedAt` (ms) orders pushes: a delivery whose commit finishes after a newer one's does not
     * replace it.
     */
    recordPush(image: string, tag: string, receivedAt: number): void {
      if (!OCI_TAG.test(tag)) return;
      const previous = lastPush.get(image);
      if (previous !== undefined && previous.receivedAt > receivedAt) return;
      if (previous !== undefined && previous.tag !== tag) lastPushInfo.remove({ image, tag: previous.tag });
      lastPush.set(image, { tag, receivedAt });
      lastPushInfo.set({ image, tag }, 1);
      lastPushTimestamp.set({ image }, receivedAt / 1000);
    },
    duplicates: new Counter({ name: 'relay_deliveries_duplicate_total', help: 'Deliveries whose X-GitHub-Delivery was already stored.', registers: [registry] }),
    forwards: new Counter({
      name: 'relay_forwards_total',
      help: 'Forward attempts by target kind and outcome (done, retry, failed, coalesced).',
      labelNames: ['target', 'outcome'] as const,
      registers: [registry],
    }),
    inboxDepth: new Gauge({
      name: 'relay_inbox_pending_jobs',
      help: 'Forward jobs waiting in the inbox.',
      registers: [registry],
      collect() {
        this.set(probes.pendingJobs());
      },
    }),
    oldestPending: new Gauge({
      name: 'relay_inbox_oldest_pending_age_seconds',
      help: 'Age of the oldest pending forward job.',
      registers: [registry],
      collect() {
        this.set(probes.oldestPendingAgeSeconds());
      },
    }),
    diskBytes: new Gauge({
      name: 'relay_inbox_disk_bytes',
      help: 'Bytes the inbox holds on its volume: payload segments, and the database with its WAL (size RELAY_DATA_DIR by it).',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        const bytes = probes.diskBytes();
        this.set({ kind: 'payloads' }, bytes.payloads);
        this.set({ kind: 'database' }, bytes.database);
      },
    }),
    ackLatency: new Histogram({
      name: 'relay_ack_duration_seconds',
      help: 'From request received to acknowledgement sent for stored deliveries (includes the durable commit).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    pushToForward: new Histogram({
      name: 'relay_push_to_forward_seconds',
      help: 'From delivery received to a successful forward (includes the coalescing window and retries).',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    sweeper: new Counter({ name: 'relay_sweeper_redeliveries_total', help: 'Redeliveries the sweeper asked GitHub for, by outcome.', labelNames: ['outcome'] as const, registers: [registry] }),
    sweeperLeader: new Gauge({
      name: 'relay_sweeper_leader',
      help: 'Whether this replica runs the sweeper: 1 while it holds the sweeper Lease (or always, with the sweeper on and no Lease configured), 0 otherwise.',
      registers: [registry],
    }),
  };
}

export type RelayMetrics = ReturnType<typeof createMetrics>;

declare module 'fastify' {
  interface FastifyInstance {
    metrics: RelayMetrics;
  }
}

export default fp(
  async (app) => {
    app.decorate('metrics', createMetrics());
    await Promise.resolve();
  },
  { name: 'relay-metrics', fastify: '5.x' },
);
