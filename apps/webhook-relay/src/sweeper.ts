// Asks GitHub to redeliver failed deliveries the inbox never stored (outages, load shedding), inside the 3-day window.
import type { FastifyBaseLogger } from 'fastify';
import { request } from 'undici';
import { z } from 'zod';
import type { SweeperConfig } from './config.ts';
import type { Inbox } from './inbox/inbox.ts';
import type { RelayMetrics } from './plugins/metrics.ts';

const WINDOW_MS = 3 * 86_400_000;
const MAX_PAGES = 10;

const DeliverySchema = z.object({
  id: z.number(),
  guid: z.string(),
  delivered_at: z.string(),
  status: z.string(),
  status_code: z.number(),
  event: z.string(),
});
type HookDelivery = z.infer<typeof DeliverySchema>;

/** Worth asking again: the relay could not answer, timed out, or shed load; never our own 4xx verdicts. */
function retryable(d: HookDelivery): boolean {
  return d.status !== 'OK' && (d.status_code === 0 || d.status_code === 408 || d.status_code === 429 || d.status_code >= 500);
}

function nextLink(link: string | string[] | undefined): string | undefined {
  const value = Array.isArray(link) ? link.join(',') : link;
  return value?.split(',').map((p) => /<([^>]+)>;\s*rel="next"/.exec(p)?.[1]).find((u) => u !== undefined);
}

export class Sweeper {
  readonly #config: SweeperConfig;
  readonly #inbox: Inbox;
  readonly #log: FastifyBaseLogger;
  readonly #metrics: RelayMetrics;
  /** GUIDs already asked for, so one outage does not trigger a redelivery per sweep. */
  readonly #asked = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  /** Aborts the GitHub requests of the running pass when the sweeper stops (its replica lost the lease). */
  #abort: AbortController | undefined;

  constructor(config: SweeperConfig, inbox: Inbox, log: FastifyBaseLogger, metrics: RelayMetrics) {
    this.#config = config;
    this.#inbox = inbox;
    this.#log = log;
    this.#metrics = metrics;
  }

  #headers(): Record<string, string> {
    return {
      authorization: `Bearer ${this.#config.token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'kargo-webhook-relay',
    };
  }

  /** Sweeps now-ish (within 5 s) and then every interval, until stop(); a second start() changes nothing. */
  start(): void {
    if (this.#timer !== undefined) return;
    const loop = () => {
      // One pass at a time: a pass slower than the interval is not overtaken by the next.
      if (this.#running === undefined) {
        const abort = new AbortController();
        this.#abort = abort;
        this.#running = this.sweep(Date.now(), abort.signal)
          .catch((error: unknown) => {
            if (!abort.signal.aborted) this.#log.warn({ err: error }, 'sweep failed');
          })
          .finally(() => {
            this.#running = undefined;
            if (this.#abort === abort) this.#abort = undefined;
          });
      }
      this.#timer = setTimeout(loop, this.#config.intervalMs);
    };
    this.#timer = setTimeout(loop, Math.min(5_000, this.#config.intervalMs));
  }

  /** No further pass; the running one is aborted (await `idle` for it to settle). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
  }

  get idle(): Promise<unknown> {
    return this.#running ?? Promise.resolve();
  }

  /** One pass: list recent deliveries, redeliver up to the limit; returns the GUIDs asked for. */
  async sweep(now = Date.now(), signal?: AbortSignal): Promise<string[]> {
    const deliveries: HookDelivery[] = [];
    let url: string | undefined = `${this.#config.apiUrl}/${this.#config.hookPath}/deliveries?per_page=100`;
    for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
      const res = await request(url, { headers: this.#headers(), headersTimeout: 15_000, bodyTimeout: 15_000, ...(signal === undefined ? {} : { signal }) });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`GitHub answered ${res.statusCode} listing hook deliveries`);
      }
      const items = z.array(DeliverySchema).parse(await res.body.json());
      deliveries.push(...items);
      // Newest first: once a page reaches past the window, older pages cannot matter.
      if (items.some((d) => now - Date.parse(d.delivered_at) > WINDOW_MS)) break;
      url = nextLink(res.headers.link);
    }
    const succeeded = new Set(deliveries.filter((d) => d.status === 'OK' || (d.status_code >= 200 && d.status_code < 300)).map((d) => d.guid));
    for (const [guid, at] of this.#asked) if (now - at > WINDOW_MS) this.#asked.delete(guid);
    const candidates = new Map<string, HookDelivery>();
    for (const d of deliveries) {
      if (!retryable(d) || succeeded.has(d.guid) || this.#asked.has(d.guid) || candidates.has(d.guid)) continue;
      // A little margin inside the window: GitHub refuses redeliveries older than it.
      if (now - Date.parse(d.delivered_at) > WINDOW_MS - 600_000) continue;
      if (this.#inbox.has(d.guid)) continue;
      candidates.set(d.guid, d);
    }
    const asked: string[] = [];
    for (const d of [...candidates.values()].slice(0, this.#config.maxRedeliveries)) {
      signal?.throwIfAborted();
      const res = await request(`${this.#config.apiUrl}/${this.#config.hookPath}/deliveries/${d.id}/attempts`, {
        method: 'POST',
        headers: this.#headers(),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
        ...(signal === undefined ? {} : { signal }),
      });
      await res.body.dump();
      if (res.statusCode === 202 || res.statusCode === 200) {
        this.#asked.set(d.guid, now);
        asked.push(d.guid);
        this.#metrics.sweeper.inc({ outcome: 'requested' });
      } else {
        this.#metrics.sweeper.inc({ outcome: 'error' });
        this.#log.warn({ guid: d.guid, status: res.statusCode }, 'GitHub refused a redelivery');
      }
    }
    if (asked.length > 0) this.#log.info({ count: asked.length, skipped: candidates.size - asked.length }, 'asked GitHub to redeliver missed deliveries');
    return asked;
  }
}
