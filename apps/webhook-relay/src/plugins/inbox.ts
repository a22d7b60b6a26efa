// Decorates the app with the durable inbox and the route matcher; closes the database last on shutdown.
import fp from 'fastify-plugin';
import type { RelayConfig } from '../config.ts';
import { Inbox } from '../inbox/inbox.ts';
import { Router } from '../routing.ts';

declare module 'fastify' {
  interface FastifyInstance {
    inbox: Inbox;
    router: Router;
  }
}

export default fp<{ config: RelayConfig }>(
  async (app, { config }) => {
    const inbox = new Inbox({
      dataDir: config.dataDir,
      maxPending: config.maxPending,
      coalesceWindowMs: config.coalesceWindowMs,
      onWarning: (message, err) => app.log.warn({ err }, message),
    });
    try {
      await inbox.ready();
    } catch (error) {
      await inbox.close().catch(() => undefined);
      throw error;
    }
    app.decorate('inbox', inbox);
    const router = new Router(config.routes);
    app.decorate('router', router);
    // The newest push per route image survives a restart (an upgrade restarts every replica): seeded from the inbox,
    // for the images the routes still name, so doctor's comparison with the Warehouse does not go blank.
    for (const push of inbox.lastPushes()) {
      if (router.routes(push.image)) app.metrics.recordPush(push.image, push.tag, push.receivedAt);
    }
    app.metrics.probes.pendingJobs = () => inbox.pendingJobs;
    app.metrics.probes.diskBytes = () => inbox.diskBytes();
    app.metrics.probes.oldestPendingAgeSeconds = () => {
      try {
        return inbox.oldestPendingAge(Date.now()) / 1000;
      } catch {
        return 0; // Closed during shutdown.
      }
    };
    app.addHook('onClose', async () => {
      await inbox.close();
    });
  },
  { name: 'relay-inbox', dependencies: ['relay-metrics'], fastify: '5.x' },
);
