// Drains the inbox: picks due jobs, coalesces bursts per (target, image), forwards, and records outcomes.
import type { FastifyBaseLogger } from 'fastify';
import { RelayTargetSchema, type RelayTarget } from '@kargo/model/relay';
import type { Inbox, JobRow, Outcome } from '../inbox/inbox.ts';
import type { RelayMetrics } from '../plugins/metrics.ts';
import { KargoWebhookForwarder } from './kargo-webhook.ts';
import { KubernetesForwarder } from './kubernetes.ts';
import type { ForwardResult } from './types.ts';

export interface WorkerOptions {
  readonly concurrency: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly giveUpMs: number;
  readonly forwardTimeoutMs: number;
  readonly coalesceWindowMs: number;
  readonly retentionMs: number;
  readonly secrets: ReadonlyMap<string, string>;
  readonly caBundles?: ReadonlyMap<string, string>;
  readonly kubeconfig: string | undefined;
  /** Longest sleep between polls; new deliveries wake the worker sooner. */
  readonly maxIdleMs?: number;
  readonly random?: () => number;
}

function targetKind(target: RelayTarget): string {
  return 'kargoWebhook' in target ? 'kargoWebhook' : 'kubernetes' in target ? 'kubernetes' : 'log';
}

/** Exponential backoff with equal jitter: half the step fixed, half random, so retries spread out. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 40));
  return Math.round(step / 2 + random() * (step / 2));
}

/** A failing tick (a full disk, a broken writer) is retried after this, doubling per failure up to the cap. */
export const TICK_BACKOFF_BASE_MS = 50;
export const TICK_BACKOFF_MAX_MS = 30_000;

/** The wait before the next try after `failures` failing ticks in a row (≥ 1): 50 ms doubling to 30 s, equal jitter. */
export function workerTickBackoffMs(failures: number, random: () => number = Math.random): number {
  return backoffMs(Math.max(0, failures - 1), TICK_BACKOFF_BASE_MS, TICK_BACKOFF_MAX_MS, random);
}

export class Worker {
  readonly #inbox: Inbox;
  readonly #log: FastifyBaseLogger;
  readonly #metrics: RelayMetrics;
  readonly #options: WorkerOptions;
  readonly #kargo: KargoWebhookForwarder;
  readonly #kube: KubernetesForwarder;
  /** Job ids and (target, image) groups being forwarded right now. */
  readonly #inflightJobs = new Set<number>();
  readonly #inflightGroups = new Set<string>();
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #stopped = false;
  #ticking = false;
  #tickAgain = false;
  #lastPrune = 0;
  /** Failing ticks in a row; logged when it becomes 1 and when a tick succeeds again, never per tick. */
  #tickFailures = 0;

  constructor(inbox: Inbox, log: FastifyBaseLogger, metrics: RelayMetrics, options: WorkerOptions) {
    this.#inbox = inbox;
    this.#log = log;
    this.#metrics = metrics;
    this.#options = options;
    this.#kargo = new KargoWebhookForwarder({ timeoutMs: options.forwardTimeoutMs, secrets: options.secrets, ...(options.caBundles === undefined ? {} : { caBundles: options.caBundles }) });
    this.#kube = new KubernetesForwarder({ kubeconfig: options.kubeconfig });
    inbox.onStored(() => this.#wake(options.coalesceWindowMs));
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  start(): void {
    this.#wake(0);
  }

  #wake(inMs: number): void {
    if (this.#stopped) return;
    const at = Date.now() + Math.max(0, inMs);
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#tick();
    }, Math.max(0, inMs));
  }

  #tick(): void {
    if (this.#stopped) return;
    // Claims are async (the writer thread commits them); one tick at a time, and one more if woken meanwhile.
    if (this.#ticking) {
      this.#tickAgain = true;
      return;
    }
    this.#ticking = true;
    void this.#tickOnce().finally(() => {
      this.#ticking = false;
      if (this.#tickAgain) {
        this.#tickAgain = false;
        this.#tick();
      }
    });
  }

  async #tickOnce(): Promise<void> {
    const now = Date.now();
    try {
      const free = this.#options.concurrency - this.#inflight.size;
      if (free > 0) {
        for (const job of this.#inbox.due(now, free * 4 + this.#inflightJobs.size)) {
          if (this.#stopped || this.#inflight.size >= this.#options.concurrency) break;
          const group = `${job.targetKey}\u0000${job.image}`;
          if (this.#inflightJobs.has(job.id) || this.#inflightGroups.has(group)) continue;
          const claim = await this.#inbox.claimGroup(job.targetKey, job.image, now, this.#inflightJobs);
          if (claim === undefined || this.#stopped) continue;
          if (claim.coalesced > 0) {
            this.#metrics.forwards.inc({ target: job.targetKey.split(':')[0] ?? 'unknown', outcome: 'coalesced' }, claim.coalesced);
            this.#log.debug({ into: claim.winner.deliveryId, image: claim.winner.image, coalesced: claim.coalesced }, 'coalesced');
          }
          this.#dispatch(claim.winner, group);
        }
      }
      if (now - this.#lastPrune > 600_000) {
        this.#lastPrune = now;
        const pruned = await this.#inbox.prune(now - this.#options.retentionMs);
        if (pruned.deliveries > 0 || pruned.segments > 0) this.#log.info({ pruned: pruned.deliveries, segments: pruned.segments }, 'pruned finished deliveries past retention');
      }
    } catch (error) {
      this.#tickFailures += 1;
      if (this.#tickFailures === 1) {
        const reason = error instanceof Error ? error.message : String(error);
        this.#log.error({ err: error }, `worker tick failing: ${reason}`);
      }
      // Back off: a full disk fails every claim, and retrying it every few milliseconds only burns CPU and log.
      if (!this.#stopped) this.#wake(workerTickBackoffMs(this.#tickFailures, this.#options.random));
      return;
    }
    if (this.#tickFailures > 0) {
      this.#log.info({ failures: this.#tickFailures }, `worker recovered after ${this.#tickFailures} failures`);
      this.#tickFailures = 0;
    }
    if (this.#stopped) return;
    // Sleep until the next due job, but poll now and then in case the clock or the database moved.
    const next = this.#inflight.size >= this.#options.concurrency ? undefined : this.#inbox.nextDueAt();
    const maxIdle = this.#options.maxIdleMs ?? 1_000;
    this.#wake(next === undefined ? maxIdle : Math.min(maxIdle, Math.max(next - Date.now(), 5)));
  }

  #dispatch(job: JobRow, group: string): void {
    this.#inflightJobs.add(job.id);
    this.#inflightGroups.add(group);
    const run = this.#run(job).finally(() => {
      this.#inflightJobs.delete(job.id);
      this.#inflightGroups.delete(group);
      this.#inflight.delete(run);
      // A slot is free: look for more work right away.
      this.#wake(0);
    });
    this.#inflight.add(run);
  }

  async #run(job: JobRow): Promise<void> {
    let target: RelayTarget;
    let result: ForwardResult;
    const parsed = RelayTargetSchema.safeParse(JSON.parse(job.target));
    if (!parsed.success) {
      target = { log: {} };
      result = { kind: 'failed', error: 'stored target no longer parses' };
    } else {
      target = parsed.data;
      result = await this.#forward(target, job);
    }
    const now = Date.now();
    let outcome: Outcome;
    if (result.kind === 'retry') {
      const attempts = job.attempts + 1;
      const delay = Math.min(this.#options.retryMaxMs, Math.max(result.retryAfterMs ?? 0, backoffMs(job.attempts, this.#options.retryBaseMs, this.#options.retryMaxMs, this.#options.random)));
      outcome =
        now - job.createdAt + delay > this.#options.giveUpMs
          ? { kind: 'failed', error: `gave up after ${attempts} attempts: ${result.error}` }
          : { kind: 'retry', error: result.error, nextAttemptAt: now + delay };
    } else {
      outcome = result;
    }
    const kind = targetKind(target);
    this.#metrics.forwards.inc({ target: kind, outcome: outcome.kind });
    if (outcome.kind === 'done') this.#metrics.pushToForward.observe((now - job.createdAt) / 1000);
    const logFields = { delivery: job.deliveryId, target: kind, image: job.image, tag: job.tag, attempt: job.attempts + 1 };
    if (outcome.kind === 'done') this.#log.info(logFields, 'forwarded');
    else if (outcome.kind === 'failed') this.#log.error({ ...logFields, error: outcome.error }, 'forward failed for good');
    else this.#log.warn({ ...logFields, error: outcome.error, retryInMs: outcome.nextAttemptAt - now }, 'forward will be retried');
    try {
      await this.#inbox.complete(job, outcome, now);
    } catch (error) {
      // The job stays pending in the database and is retried; at least once, never lost.
      this.#log.error({ err: error, delivery: job.deliveryId }, 'could not record forward outcome');
    }
  }

  async #forward(target: RelayTarget, job: JobRow): Promise<ForwardResult> {
    if ('kargoWebhook' in target) {
      // Read here, for the one job that is sent: claims and due lists stay small under a flood.
      let stored: ReturnType<Inbox['payloadOf']>;
      try {
        stored = this.#inbox.payloadOf(job.deliveryId);
      } catch (error) {
        // A missing or damaged segment will not heal by retrying: fail the job, visibly, with the reason.
        return { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
      if (stored === undefined) return { kind: 'failed', error: 'the delivery is no longer in the inbox' };
      return this.#kargo.forward(target.kargoWebhook, { deliveryId: job.deliveryId, event: job.event, payload: stored.payload, image: job.image, tag: job.tag });
    }
    if ('kubernetes' in target) return this.#kube.forward(target.kubernetes);
    this.#log.info({ delivery: job.deliveryId, image: job.image, tag: job.tag }, 'log target: would refresh');
    return Promise.resolve({ kind: 'done' });
  }

  /** Stops taking jobs and waits for in-flight forwards up to `deadlineMs`; unfinished ones stay pending. */
  async stop(deadlineMs: number): Promise<{ drained: boolean }> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    let timeout: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled([...this.#inflight]).then(() => true),
      new Promise<boolean>((resolve) => {
        timeout = setTimeout(() => resolve(false), deadlineMs);
      }),
    ]);
    clearTimeout(timeout);
    await (drained ? this.#kargo.close() : this.#kargo.destroy()).catch(() => undefined);
    return { drained };
  }
}
