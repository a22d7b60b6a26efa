// Prometheus metrics of the relay, on a registry of its own (one per app instance, so tests can build many).
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  /** Read at scrape time; the inbox plugin points them at the inbox. */
  const probes = { pendingJobs: () => 0, oldestPendingAgeSeconds: () => 0, diskBytes: (): Record<'payloads' | 'database', number> => ({ payloads: 0, database: 0 }) };
  // prom-client's default metrics are already named process_* and nodejs_*: with the relay's prefix they become
  // relay_process_cpu_seconds_total, relay_process_resident_memory_bytes, relay_nodejs_heap_size_used_bytes, ….
  collectDefaultMetrics({ register: registry, prefix: 'relay_' });
  return {
    registry,
    probes,
    received: new Counter({ name: 'relay_deliveries_received_total', help: 'Webhook requests received, by X-GitHub-Event.', labelNames: ['event'] as const, registers: [registry] }),
    accepted: new Counter({ name: 'relay_deliveries_accepted_total', help: 'Deliveries stored in the inbox, by event.', labelNames: ['event'] as const, registers: [registry] }),
    rejected: new Counter({
      name: 'relay_deliveries_rejected_total',
      help: 'Requests refused, by reason (signature, too_large, bad_json, unsupported_media_type, bad_request, overloaded, rate_limited).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    ignored: new Counter({ name: 'relay_deliveries_ignored_total', help: 'Well-signed deliveries acknowledged without forwarding, by kind.', labelNames: ['kind'] as const, registers: [registry] }),
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
