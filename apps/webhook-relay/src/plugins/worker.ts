// Runs the forward worker (and the sweeper when configured) for the app's lifetime; drains on close.
import fp from 'fastify-plugin';
import type { RelayConfig } from '../config.ts';
import { Worker } from '../forward/worker.ts';
import { Sweeper } from '../sweeper.ts';

declare module 'fastify' {
  interface FastifyInstance {
    worker: Worker;
    /** Present when GITHUB_TOKEN and the hook coordinates are set. */
    sweeper: Sweeper | undefined;
    /** True from the moment shutdown starts (readiness turns 503). */
    draining: boolean;
  }
}

export default fp<{ config: RelayConfig }>(
  async (app, { config }) => {
    const worker = new Worker(app.inbox, app.log.child({ component: 'worker' }), app.metrics, {
      concurrency: config.forwardConcurrency,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      giveUpMs: config.giveUpMs,
      forwardTimeoutMs: config.forwardTimeoutMs,
      coalesceWindowMs: config.coalesceWindowMs,
      retentionMs: config.retentionMs,
      secrets: config.targetSecrets,
      caBundles: config.caBundles,
      kubeconfig: config.kubeconfig,
    });
    app.decorate('worker', worker);
    app.decorate('draining', false);
    const sweeper = config.sweeper === undefined ? undefined : new Sweeper(config.sweeper, app.inbox, app.log.child({ component: 'sweeper' }), app.metrics);
    app.decorate('sweeper', sweeper);
    app.addHook('onReady', () => {
      worker.start();
      sweeper?.start();
    });
    app.addHook('preClose', () => {
      app.draining = true;
    });
    // Registered after the inbox plugin, so this runs before the inbox closes the database.
    app.addHook('onClose', async () => {
      sweeper?.stop();
      await sweeper?.idle;
      const { drained } = await worker.stop(config.drainTimeoutMs);
      app.log.info({ drained }, drained ? 'forward worker drained' : 'drain deadline passed; unfinished forwards stay pending for the next start');
    });
    await Promise.resolve();
  },
  { name: 'relay-worker', dependencies: ['relay-inbox', 'relay-metrics'], fastify: '5.x' },
);
