// Runs the forward worker (and the sweeper when configured, on the Lease holder only when a Lease is) for the app's lifetime; drains on close.
import fp from 'fastify-plugin';
import type { RelayConfig } from '../config.ts';
import { Worker } from '../forward/worker.ts';
import { KubernetesLeaseLock, LeaseElector } from '../lease.ts';
import { Sweeper } from '../sweeper.ts';

declare module 'fastify' {
  interface FastifyInstance {
    worker: Worker;
    /** Present when GITHUB_TOKEN and the hook coordinates are set. */
    sweeper: Sweeper | undefined;
    /** Present with the sweeper when RELAY_SWEEPER_LEASE_NAME is set: the sweeper runs while it leads. */
    sweeperLease: LeaseElector | undefined;
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
    // Several replicas, one sweeper: with a Lease configured, the sweeper runs only while this replica holds it.
    const lease = config.sweeper?.lease;
    let elector: LeaseElector | undefined;
    if (sweeper !== undefined && lease !== undefined) {
      const lock = new KubernetesLeaseLock({ kubeconfig: config.kubeconfig, name: lease.name, namespace: lease.namespace });
      // At boot: credentials client-node would refuse stop the relay here, with the reason.
      await lock.check();
      elector = new LeaseElector(lock, lease, app.log.child({ component: 'sweeper-lease' }), {
        onStartedLeading: () => {
          app.metrics.sweeperLeader.set(1);
          sweeper.start();
        },
        onStoppedLeading: async () => {
          app.metrics.sweeperLeader.set(0);
          sweeper.stop();
          await sweeper.idle;
        },
      });
    }
    app.decorate('sweeperLease', elector);
    app.addHook('onReady', () => {
      worker.start();
      if (elector !== undefined) elector.start();
      else if (sweeper !== undefined) {
        app.metrics.sweeperLeader.set(1);
        sweeper.start();
      }
    });
    app.addHook('preClose', () => {
      app.draining = true;
    });
    // Registered after the inbox plugin, so this runs before the inbox closes the database.
    app.addHook('onClose', async () => {
      // The sweeper stops first; the Lease is released while the forwards drain.
      const released = elector === undefined ? Promise.resolve() : elector.stop();
      sweeper?.stop();
      await sweeper?.idle;
      const [{ drained }] = await Promise.all([worker.stop(config.drainTimeoutMs), released]);
      app.log.info({ drained }, drained ? 'forward worker drained' : 'drain deadline passed; unfinished forwards stay pending for the next start');
    });
    await Promise.resolve();
  },
  { name: 'relay-worker', dependencies: ['relay-inbox', 'relay-metrics'], fastify: '5.x' },
);
