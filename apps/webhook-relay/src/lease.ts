// Leader election over a coordination.k8s.io/v1 Lease, so that of several relay replicas exactly one runs the sweeper.
//
// The rules are client-go's (kubernetes/client-go tools/leaderelection/leaderelection.go and resourcelock/leaselock.go):
// - a Lease is valid for leaseDurationSeconds from the moment THIS process last saw its record change, on its own
//   clock (never from renewTime, which another node's clock wrote): clock skew between nodes does not matter;
// - a candidate may take the Lease when it does not exist (create), when its holderIdentity is empty (released), or
//   when the record has not changed for leaseDurationSeconds; taking it from another holder adds 1 to
//   leaseTransitions, renewing keeps acquireTime and leaseTransitions;
// - every write is a full update naming the resourceVersion last read (or written): a stale one gets 409 Conflict
//   and nothing changes, so two candidates can never both win the same record;
// - the leader renews every retry period and gives up when no renewal succeeded within the renew deadline, which is
//   shorter than the lease duration: it stops sweeping before anyone else may start;
// - on shutdown the leader releases the Lease (empty holderIdentity, leaseDurationSeconds 1) so a peer takes over
//   at its next retry instead of after a whole lease duration.
import { performance } from 'node:perf_hooks';
import type * as K8s from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import { LEASE_JITTER_FACTOR, type LeaseConfig } from './config.ts';
import { RelayError, RelayErrorCode } from './errors.ts';
import { credentialSource, loadKubeClient } from './forward/kubernetes.ts';

/** What the election reads from and writes to a Lease's spec (client-go's LeaderElectionRecord). */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  /** MicroTime text, as the API server stores it (`2006-01-02T15:04:05.000000Z`). */
  readonly acquireTime: string | undefined;
  readonly renewTime: string | undefined;
  readonly leaseTransitions: number;
}

/** A failed Lease API call; `status` is the HTTP status when the API server answered. */
export class LeaseApiError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LeaseApiError';
    this.status = status;
  }
}

/**
 * The Lease itself, as client-go's LeaseLock: `get` and `create` remember the object, `update` writes the record into
 * the remembered object and sends it with that object's resourceVersion (409 when someone wrote in between).
 */
export interface LeaseLock {
  /** The record, or undefined when the Lease does not exist (404). */
  get(signal: AbortSignal): Promise<LeaseRecord | undefined>;
  /** Creates the Lease; 409 AlreadyExists when a peer created it first. */
  create(record: LeaseRecord, signal: AbortSignal): Promise<void>;
  /** Replaces the spec of the object last read or written. */
  update(record: LeaseRecord, signal: AbortSignal): Promise<void>;
  /** `namespace/name`, for messages. */
  describe(): string;
}

/** RFC 3339 with exactly six fraction digits: the only form the API server's MicroTime decoder accepts. */
export function microTime(at: Date): string {
  return `${at.toISOString().slice(0, -1)}000Z`;
}

/** The Lease at `namespace/name` through the Kubernetes API, with the relay's credentials (KUBECONFIG or in-cluster). */
export class KubernetesLeaseLock implements LeaseLock {
  readonly #kubeconfig: string | undefined;
  readonly #name: string;
  readonly #namespace: string;
  #client: Promise<{ readonly api: K8s.CoordinationV1Api; readonly k8s: typeof K8s }> | undefined;
  #lease: K8s.V1Lease | undefined;

  constructor(options: { readonly kubeconfig: string | undefined; readonly name: string; readonly namespace: string }) {
    this.#kubeconfig = options.kubeconfig;
    this.#name = options.name;
    this.#namespace = options.namespace;
  }

  describe(): string {
    return `${this.#namespace}/${this.#name}`;
  }

  #api(): Promise<{ readonly api: K8s.CoordinationV1Api; readonly k8s: typeof K8s }> {
    if (this.#client === undefined) {
      const loading = loadKubeClient(this.#kubeconfig).then(({ kc, k8s }) => ({ api: kc.makeApiClient(k8s.CoordinationV1Api), k8s }));
      loading.catch(() => {
        if (this.#client === loading) this.#client = undefined;
      });
      this.#client = loading;
    }
    return this.#client;
  }

  /** Loads the credentials at boot, so a kubeconfig client-node would refuse stops the relay with a clear message. */
  async check(): Promise<void> {
    try {
      await this.#api();
    } catch (cause) {
      throw new RelayError(RelayErrorCode.InvalidConfig, `sweeper lease ${this.describe()}: cannot use ${credentialSource(this.#kubeconfig)}: ${(cause as Error).message}`, {
        cause,
        hint: 'fix the kubeconfig (or unset KUBECONFIG inside a cluster), or unset RELAY_SWEEPER_LEASE_NAME to run the sweeper without leader election (one replica only)',
      });
    }
  }

  async get(signal: AbortSignal): Promise<LeaseRecord | undefined> {
    const { api, k8s } = await this.#api();
    try {
      this.#lease = await api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }, withSignal(k8s, signal));
    } catch (cause) {
      if (cause instanceof k8s.ApiException && (cause as InstanceType<typeof k8s.ApiException<unknown>>).code === 404) return undefined;
      throw this.#error('read', k8s, cause);
    }
    return recordOf(this.#lease.spec);
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<void> {
    const { api, k8s } = await this.#api();
    const body: K8s.V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#name, namespace: this.#namespace }, spec: specOf(k8s, record) };
    try {
      this.#lease = await api.createNamespacedLease({ namespace: this.#namespace, body }, withSignal(k8s, signal));
    } catch (cause) {
      throw this.#error('create', k8s, cause);
    }
  }

  async update(record: LeaseRecord, signal: AbortSignal): Promise<void> {
    const { api, k8s } = await this.#api();
    if (this.#lease === undefined) throw new LeaseApiError(`lease ${this.describe()}: update before the Lease was read or created`, undefined);
    // The whole object as last seen (labels, owner references stay), its spec replaced, its resourceVersion the guard.
    const body: K8s.V1Lease = { ...this.#lease, spec: specOf(k8s, record) };
    try {
      this.#lease = await api.replaceNamespacedLease({ name: this.#name, namespace: this.#namespace, body }, withSignal(k8s, signal));
    } catch (cause) {
      throw this.#error('update', k8s, cause);
    }
  }

  #error(verb: string, k8s: typeof K8s, cause: unknown): LeaseApiError {
    if (cause instanceof k8s.ApiException) {
      const code = (cause as InstanceType<typeof k8s.ApiException<unknown>>).code;
      const body = (cause as InstanceType<typeof k8s.ApiException<unknown>>).body;
      const message = typeof body === 'string' ? (/"message":"((?:[^"\\]|\\.)*)"/.exec(body)?.[1] ?? '') : ((body as { message?: string } | undefined)?.message ?? '');
      const hint = code === 403 ? ` (the relay's service account needs get and update on leases/${this.#name} and create on leases in ${this.#namespace})` : '';
      return new LeaseApiError(`${verb} lease ${this.describe()}: answered ${code}${message === '' ? '' : `: ${message}`}${hint}`, code, cause);
    }
    const err = cause as Error & { code?: string };
    return new LeaseApiError(`${verb} lease ${this.describe()}: ${err.name === 'AbortError' ? 'timed out' : `${err.code ?? err.name}: ${err.message}`}`, undefined, cause);
  }
}

/** client-node options that abort the request with `signal` (a timeout, or shutdown). */
function withSignal(k8s: typeof K8s, signal: AbortSignal): K8s.ConfigurationOptions {
  const middleware: K8s.ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(signal);
      return new k8s.Observable(Promise.resolve(context));
    },
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** A Lease time as read: client-node leaves MicroTime as the server's text (a Date only if it ever parses it). */
function timeText(value: unknown): string | undefined {
  if (value instanceof Date) return microTime(value);
  return typeof value === 'string' ? value : undefined;
}

function recordOf(spec: K8s.V1LeaseSpec | undefined): LeaseRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: timeText(spec?.acquireTime),
    renewTime: timeText(spec?.renewTime),
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

function specOf(k8s: typeof K8s, record: LeaseRecord): K8s.V1LeaseSpec {
  // V1MicroTime serialises with six fraction digits; a plain Date would send three, which the API server refuses.
  const time = (text: string | undefined) => (text === undefined ? undefined : new k8s.V1MicroTime(Date.parse(text)));
  const acquireTime = time(record.acquireTime);
  const renewTime = time(record.renewTime);
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
    ...(acquireTime === undefined ? {} : { acquireTime }),
    ...(renewTime === undefined ? {} : { renewTime }),
  };
}

export interface LeaderCallbacks {
  /** This replica now holds the Lease. */
  onStartedLeading(): void;
  /** It no longer does (lost, or shutting down): stop the work, settled before the Lease is released. */
  onStoppedLeading(): Promise<void> | void;
}

/** Runs the election loop for one identity until stop(). */
export class LeaseElector {
  readonly #lock: LeaseLock;
  readonly #config: LeaseConfig;
  readonly #log: FastifyBaseLogger;
  readonly #callbacks: LeaderCallbacks;
  readonly #stop = new AbortController();
  #observed: LeaseRecord | undefined;
  #observedRaw = '';
  /** performance.now() when #observed last changed (or was written by us). */
  #observedAt = 0;
  #leading = false;
  /** When the last successful acquire or renew was sent: the renew deadline counts from there. */
  #renewedAt = 0;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #lastError: string | undefined;
  #reportedHolder: string | undefined;

  constructor(lock: LeaseLock, config: LeaseConfig, log: FastifyBaseLogger, callbacks: LeaderCallbacks) {
    this.#lock = lock;
    this.#config = config;
    this.#log = log;
    this.#callbacks = callbacks;
  }

  /** Whether this replica holds the Lease (and so runs the sweeper). */
  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends the loop, stops the work if leading, then releases the Lease if this replica holds it. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
    if (this.#leading) {
      this.#leading = false;
      await this.#callbacks.onStoppedLeading();
    }
    if (this.#isLeader()) await this.#release();
  }

  async #run(): Promise<void> {
    const { renewDeadlineMs, retryPeriodMs } = this.#config;
    // Ends with stop(); every turn waits a retry period, and every attempt is bounded by the renew deadline.
    while (!this.#stop.signal.aborted) {
      const started = performance.now();
      const budget = this.#leading ? this.#renewedAt + renewDeadlineMs - started : renewDeadlineMs;
      const ok = budget > 0 && (await this.#tryAcquireOrRenew(AbortSignal.any([this.#stop.signal, AbortSignal.timeout(Math.ceil(budget))])));
      if (this.#stop.signal.aborted) break;
      if (ok) {
        this.#renewedAt = started;
        if (!this.#leading) {
          this.#leading = true;
          this.#log.info({ lease: this.#lock.describe(), identity: this.#config.identity, transitions: this.#observed?.leaseTransitions }, 'acquired the sweeper lease: this replica sweeps');
          this.#callbacks.onStartedLeading();
        }
      } else if (this.#leading && performance.now() - this.#renewedAt >= renewDeadlineMs) {
        this.#leading = false;
        this.#log.warn({ lease: this.#lock.describe(), identity: this.#config.identity, error: this.#lastError }, 'could not renew the sweeper lease within the renew deadline: this replica stops sweeping');
        await this.#callbacks.onStoppedLeading();
      }
      this.#reportHolder();
      // A candidate waits a jittered period (client-go's wait.JitterUntil with JitterFactor), the leader a plain one.
      await this.#sleep(this.#leading ? retryPeriodMs : retryPeriodMs * (1 + Math.random() * LEASE_JITTER_FACTOR));
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      if (this.#stop.signal.aborted) done();
    });
  }

  #isLeader(): boolean {
    return this.#observed?.holderIdentity === this.#config.identity;
  }

  #leaseValid(now: number): boolean {
    return this.#observedAt + (this.#observed?.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  #setObserved(record: LeaseRecord): void {
    this.#observed = record;
    this.#observedAt = performance.now();
  }

  /** client-go's tryAcquireOrRenew: true when this replica holds the Lease afterwards. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const wall = microTime(new Date());
    const now = performance.now();
    const desired: LeaseRecord = {
      holderIdentity: this.#config.identity,
      leaseDurationSeconds: this.#config.leaseDurationSeconds,
      acquireTime: wall,
      renewTime: wall,
      leaseTransitions: 0,
    };
    try {
      const observed = this.#observed;
      // Fast path: renew the Lease this replica holds with the resourceVersion of its own last write.
      if (observed !== undefined && this.#isLeader() && this.#leaseValid(now)) {
        const renewed = { ...desired, acquireTime: observed.acquireTime, leaseTransitions: observed.leaseTransitions };
        try {
          await this.#lock.update(renewed, signal);
          this.#setObserved(renewed);
          this.#succeeded();
          return true;
        } catch (error) {
          if (signal.aborted) throw error;
          // Someone else wrote (409) or the call failed: read the Lease and decide again.
        }
      }
      const current = await this.#lock.get(signal);
      if (current === undefined) {
        await this.#lock.create(desired, signal);
        this.#setObserved(desired);
        this.#succeeded();
        return true;
      }
      const raw = JSON.stringify(current);
      if (raw !== this.#observedRaw) {
        this.#setObserved(current);
        this.#observedRaw = raw;
      }
      if (current.holderIdentity !== '' && this.#leaseValid(now) && !this.#isLeader()) {
        this.#succeeded();
        return false;
      }
      const next = this.#isLeader()
        ? { ...desired, acquireTime: current.acquireTime, leaseTransitions: current.leaseTransitions }
        : { ...desired, leaseTransitions: current.leaseTransitions + 1 };
      await this.#lock.update(next, signal);
      this.#setObserved(next);
      this.#succeeded();
      return true;
    } catch (error) {
      if (this.#stop.signal.aborted) return false;
      const message = error instanceof Error ? error.message : String(error);
      // One line per distinct problem, not one per retry period.
      if (message !== this.#lastError) this.#log.warn({ lease: this.#lock.describe(), error: message }, 'sweeper lease call failed');
      this.#lastError = message;
      return false;
    }
  }

  #succeeded(): void {
    if (this.#lastError !== undefined) this.#log.info({ lease: this.#lock.describe() }, 'sweeper lease calls succeed again');
    this.#lastError = undefined;
  }

  #reportHolder(): void {
    const holder = this.#observed?.holderIdentity;
    if (holder === undefined || holder === this.#reportedHolder) return;
    this.#reportedHolder = holder;
    if (holder !== this.#config.identity) this.#log.info({ lease: this.#lock.describe(), holder: holder === '' ? '(released)' : holder }, 'sweeper lease holder');
  }

  /** client-go's tryRelease, but only while the Lease still names this replica (a stale view never clears another's). */
  async #release(): Promise<void> {
    const signal = AbortSignal.timeout(this.#config.renewDeadlineMs);
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const current = await this.#lock.get(signal);
        if (current?.holderIdentity !== this.#config.identity) return;
        const at = microTime(new Date());
        const released: LeaseRecord = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: at, renewTime: at, leaseTransitions: current.leaseTransitions };
        await this.#lock.update(released, signal);
        this.#setObserved(released);
        this.#log.info({ lease: this.#lock.describe(), identity: this.#config.identity }, 'released the sweeper lease');
        return;
      } catch (error) {
        // A conflict means the Lease changed under us: read it again (at most three times).
        if (error instanceof LeaseApiError && error.status === 409 && !signal.aborted) continue;
        this.#log.warn({ lease: this.#lock.describe(), error: error instanceof Error ? error.message : String(error) }, 'could not release the sweeper lease; a peer takes over once it expires');
        return;
      }
    }
  }
}
