// The relay as one async Fastify plugin: external plugins, our decorators, routes, and the single error handler.
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { RelayConfig } from './config.ts';
import { RelayError } from './errors.ts';
import { KubernetesForwarder } from './forward/kubernetes.ts';
import inboxPlugin from './plugins/inbox.ts';
import metricsPlugin, { type RejectReason } from './plugins/metrics.ts';
import workerPlugin from './plugins/worker.ts';
import { PreAuthBudget } from './preauth.ts';
import adminRoutes from './routes/admin.ts';
import dashboardRoutes from './routes/dashboard.ts';
import healthRoutes from './routes/health.ts';
import webhookRoutes from './routes/webhook.ts';

/** Fastify error codes that mean the client sent something wrong, mapped to the metric reason. */
const REJECT_REASON: Record<string, RejectReason> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_VALIDATION: 'bad_request',
};

export async function build(app: FastifyInstance, { config }: { config: RelayConfig }): Promise<void> {
  // Before anything opens the inbox: a kubeconfig client-node would refuse must stop the boot, not every forward.
  if (config.routes.routes.some((route) => route.targets.some((target) => 'kubernetes' in target))) {
    await new KubernetesForwarder({ kubeconfig: config.kubeconfig }).check();
  }
  await app.register(metricsPlugin);
  app.decorate('preauth', new PreAuthBudget(config.preauthMaxBytes, config.preauthMaxRequests));

  app.setErrorHandler((error: FastifyError | RelayError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (error instanceof RelayError && error.retryAfter !== undefined) void reply.header('retry-after', String(error.retryAfter));
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ error: status === 503 ? 'service unavailable, retry later' : 'internal error', code: status === 503 ? 'RELAY_UNAVAILABLE' : 'RELAY_INTERNAL' });
    }
    const reason = REJECT_REASON[error.code];
    if (reason !== undefined && request.routeOptions.url === '/webhooks/github') app.metrics.reject(reason);
    if (status === 429) app.metrics.reject('rate_limited');
    request.log.info({ code: error.code, status, url: request.url, delivery: request.headers['x-github-delivery'] }, error.message);
    return reply.code(status).send({ error: error.message, code: error.code });
  });

  await app.register(underPressure, {
    maxEventLoopDelay: 1_000,
    retryAfter: 10,
    // A 503 to GitHub is a lost delivery until the sweeper asks again; count it.
    pressureHandler: (_request, reply, type, value) => {
      app.metrics.reject('overloaded');
      void reply.header('retry-after', '10').code(503).send({ error: `under pressure (${type}${value === undefined ? '' : ` ${value}`})`, code: 'RELAY_OVERLOADED' });
    },
  });
  await app.register(rateLimit, { max: config.rateLimitPerMinute, timeWindow: 60_000 });
  await app.register(inboxPlugin, { config });
  await app.register(workerPlugin, { config });

  await app.register(healthRoutes);
  await app.register(webhookRoutes, { config });
  if (config.adminToken !== undefined) {
    await app.register(adminRoutes, { token: config.adminToken, dataDir: config.dataDir });
    await app.register(dashboardRoutes);
  }
}
