// Liveness, readiness and Prometheus metrics.
import type { FastifyInstance } from 'fastify';

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'boolean' } } },
} as const;

export default function healthRoutes(app: FastifyInstance, _options: unknown, done: (err?: Error) => void): void {
  app.get('/healthz', { schema: { response: { 200: statusSchema } }, config: { rateLimit: false } }, (_request, reply) => reply.send({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: statusSchema, 503: statusSchema } }, config: { rateLimit: false } }, async (_request, reply) => {
    const checks = { inboxWritable: !app.draining && (await app.inbox.writable()), routesLoaded: app.router.size >= 0, notDraining: !app.draining };
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', { schema: { response: { 200: { type: 'string' } } }, config: { rateLimit: false } }, async (_request, reply) => {
    const text = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(text);
  });
  done();
}
