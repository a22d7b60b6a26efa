// Live updates for the delivery dashboard: Server-Sent Events to a bounded number of admin clients. One summary is
// computed per change burst (at most once per `intervalMs`) and written to every client, whatever their number.
import type { ServerResponse } from 'node:http';

/** Dashboards connected at once; past it a new stream is refused (503), so admins cannot pile up work on the relay. */
export const MAX_ADMIN_STREAMS = 8;
/** Changes within this window become one `summary` event. */
export const STREAM_INTERVAL_MS = 500;
/**
 * A summary runs on the main thread (SQLite reads: ~0.2 s for a full 1 Gi inbox of 55,000 deliveries on a busy 2-core
 * machine), so the next one waits at least this many times as long as the last took: summaries never take more than
 * a tenth of the event loop, however large the inbox, and webhook acknowledgements keep their latency.
 */
export const STREAM_COST_FACTOR = 10;
/** A comment line this often keeps proxies from closing an idle stream and shows a dead client sooner. */
export const KEEPALIVE_MS = 15_000;
/** A client that does not read (its socket buffer holds more than this) is dropped instead of buffered for. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export class AdminStream<T> {
  readonly #clients = new Set<ServerResponse>();
  readonly #max: number;
  readonly #intervalMs: number;
  readonly #snapshot: () => Promise<T>;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;
  #lastSent = 0;
  /** How long the last summary took to compute (ms). */
  #lastCostMs = 0;
  #sending = false;
  #dirty = false;
  #closed = false;

  constructor(options: { max: number; intervalMs: number; snapshot: () => Promise<T>; onError: (error: unknown) => void }) {
    this.#max = options.max;
    this.#intervalMs = options.intervalMs;
    this.#snapshot = options.snapshot;
    this.#onError = options.onError;
  }

  get clients(): number {
    return this.#clients.size;
  }

  get max(): number {
    return this.#max;
  }

  /** Whether another client may connect now. */
  get full(): boolean {
    return this.#closed || this.#clients.size >= this.#max;
  }

  /**
   * Takes over `res` (headers already written by the caller) and sends it the current summary at once; false when
   * the stream is full or closed (the caller answers 503).
   */
  add(res: ServerResponse): boolean {
    if (this.full) return false;
    this.#clients.add(res);
    res.on('close', () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stopKeepalive();
    });
    this.#keepalive ??= setInterval(() => this.#write(': keepalive\n\n'), KEEPALIVE_MS).unref();
    // The new client needs a first summary; the others get it too, which costs one computation.
    this.#dirty = true;
    this.#schedule(0);
    return true;
  }

  /** The inbox changed: a summary follows within `intervalMs` (only while someone is connected). */
  notify(): void {
    if (this.#clients.size === 0 || this.#closed) return;
    this.#dirty = true;
    this.#schedule(Math.max(0, this.#lastSent + this.#gapMs() - Date.now()));
  }

  /** The least time between two summaries. */
  #gapMs(): number {
    return Math.max(this.#intervalMs, this.#lastCostMs * STREAM_COST_FACTOR);
  }

  #schedule(inMs: number): void {
    if (this.#timer !== undefined || this.#sending) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#send();
    }, inMs);
  }

  async #send(): Promise<void> {
    if (!this.#dirty || this.#clients.size === 0 || this.#closed) return;
    this.#dirty = false;
    this.#sending = true;
    const started = performance.now();
    try {
      const data = JSON.stringify(await this.#snapshot());
      this.#lastCostMs = performance.now() - started;
      this.#write(`event: summary\ndata: ${data}\n\n`);
    } catch (error) {
      this.#onError(error);
    } finally {
      this.#sending = false;
      this.#lastSent = Date.now();
      // Changes that came while the summary was computed.
      if (this.#dirty) this.#schedule(this.#gapMs());
    }
  }

  #write(chunk: string): void {
    for (const res of this.#clients) {
      if (res.writableEnded || res.destroyed) continue;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        continue;
      }
      res.write(chunk);
    }
  }

  #stopKeepalive(): void {
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    this.#keepalive = undefined;
  }

  /** Ends every stream (shutdown must not wait for dashboards) and refuses new ones. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopKeepalive();
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}
