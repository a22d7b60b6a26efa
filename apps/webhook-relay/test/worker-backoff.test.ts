// A failing worker tick (a full disk: every claim fails) backs off exponentially and logs once per state change
// (issue 13, defect 5), instead of retrying every 5 ms with a stack each time.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../src/errors.ts';
import { Worker } from '../src/forward/worker.ts';
import type { Inbox, JobRow } from '../src/inbox/inbox.ts';
import { createMetrics } from '../src/plugins/metrics.ts';
import { waitFor } from './helper.ts';

const JOB: JobRow = {
  id: 1,
  deliveryId: 'd-1',
  targetKey: 'log',
  target: JSON.stringify({ log: {} }),
  image: 'ghcr.io/acme/app',
  tag: '1.0.0',
  createdAt: Date.now(),
  attempts: 0,
  event: 'package',
};

/** An inbox whose writes fail like on a full disk while `failing` is set; reads keep working (they do on a full disk). */
class FailingStore {
  failing = true;
  claims = 0;
  onStored(): void {}
  due(): JobRow[] {
    return this.failing ? [JOB] : [];
  }
  nextDueAt(): number | undefined {
    return this.failing ? Date.now() - 1 : undefined;
  }
  claimGroup(): Promise<undefined> {
    this.claims += 1;
    if (this.failing) return Promise.reject(new RelayError(RelayErrorCode.Inbox, 'inbox write failed: Error: database or disk is full', { statusCode: 503, retryAfter: 5 }));
    return Promise.resolve(undefined);
  }
  prune(): Promise<{ deliveries: number; segments: number }> {
    return Promise.resolve({ deliveries: 0, segments: 0 });
  }
}

let stop: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

function start(store: FailingStore): { lines: { msg: string; level: number; err?: unknown }[] } {
  const lines: { msg: string; level: number; err?: unknown }[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as { msg: string; level: number }) });
  const worker = new Worker(store as unknown as Inbox, log, createMetrics(), {
    concurrency: 4,
    retryBaseMs: 50,
    retryMaxMs: 200,
    giveUpMs: 60_000,
    forwardTimeoutMs: 1_000,
    coalesceWindowMs: 0,
    retentionMs: 3_600_000,
    secrets: new Map(),
    kubeconfig: undefined,
    maxIdleMs: 100,
  });
  worker.start();
  stop = () => worker.stop(100);
  return { lines };
}

const failingLines = (lines: { msg: string }[]) => lines.filter((l) => /worker tick fail/.test(l.msg));
const recoveredLines = (lines: { msg: string }[]) => lines.filter((l) => /worker recovered/.test(l.msg));

describe('worker tick failing (full disk)', () => {
  it('backs off exponentially, logs once when it starts failing and once when it recovers, and resets on success', async () => {
    const store = new FailingStore();
    const { lines } = start(store);
    await new Promise((r) => setTimeout(r, 1_500));
    // 50 ms doubling with equal jitter: at most ~8 ticks in 1.5 s (a 5 ms retry made ~300).
    expect(store.claims).toBeGreaterThanOrEqual(3);
    expect(store.claims).toBeLessThanOrEqual(10);
    expect(failingLines(lines)).toHaveLength(1);
    expect(failingLines(lines)[0]!.msg).toBe('worker tick failing: inbox write failed: Error: database or disk is full');

    const failures = store.claims;
    store.failing = false;
    // The next tick comes within the current backoff step (≤ 1.6 s here).
    await waitFor(() => recoveredLines(lines).length > 0, 5_000, 'recovery logged');
    expect(recoveredLines(lines).map((l) => l.msg)).toEqual([`worker recovered after ${failures} failures`]);
    await new Promise((r) => setTimeout(r, 300));
    expect(recoveredLines(lines)).toHaveLength(1);
    expect(failingLines(lines)).toHaveLength(1);

    // Failing again starts over at the base step: several tries within 300 ms, one more log line.
    const before = store.claims;
    store.failing = true;
    await waitFor(() => store.claims >= before + 3, 2_000, 'fast retries after a reset');
    expect(failingLines(lines)).toHaveLength(2);
  }, 20_000);

  it('caps the backoff at 30 s', async () => {
    const { workerTickBackoffMs } = await import('../src/forward/worker.ts');
    expect(workerTickBackoffMs(1, () => 0.5)).toBeGreaterThanOrEqual(25);
    expect(workerTickBackoffMs(1, () => 0.5)).toBeLessThanOrEqual(50);
    for (let failures = 1; failures < 200; failures++) expect(workerTickBackoffMs(failures, () => 1)).toBeLessThanOrEqual(30_000);
    expect(workerTickBackoffMs(100, () => 1)).toBe(30_000);
  });
});
