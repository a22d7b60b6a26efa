// Creates the Fastify server (logger with redaction, timeouts) and handles listen and graceful shutdown.
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { destination } from 'pino';
import { build } from './app.ts';
import type { RelayConfig } from './config.ts';

export function serverOptions(config: RelayConfig, logger: FastifyServerOptions['logger'] = true): FastifyServerOptions {
  return {
    logger:
      logger === true
        ? {
            level: config.logLevel,
            redact: {
              paths: [
                'req.headers["x-hub-signature-256"]',
                'req.headers["x-hub-signature"]',
                'req.headers.authorization',
                'headers["x-hub-signature-256"]',
                'headers.authorization',
                '*.secret',
                '*.token',
              ],
              censor: '[redacted]',
            },
            // Asynchronous stdout: a line written while the previous write is in flight joins the next write, so a
            // burst costs a few write(2)s instead of one blocking write per delivery on the event loop (measured:
            // the synchronous default was ~10% of the main thread at saturation). pino flushes it on exit; a
            // SIGKILL can lose the last lines of the log, never a delivery (the inbox is the record).
            stream: destination({ dest: 1, sync: false }),
          }
        : logger,
    // Fastify's two lines per request (incoming, completed) cost more CPU than the rest of an ack; the webhook
    // route logs one line per delivery and the error handler one per rejected request instead.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    // GitHub gives up after 10 s; nothing here should take that long.
    connectionTimeout: 30_000,
    requestTimeout: 15_000,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  };
}

export async function createServer(config: RelayConfig, logger?: FastifyServerOptions['logger']): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config, logger));
  // Not encapsulated: the app's decorators (inbox, metrics, worker) stay reachable on the root instance.
  await app.register(fp(build, { name: 'relay-app', fastify: '5.x' }), { config });
  return app;
}

/** Listens and closes gracefully on SIGTERM/SIGINT: stop accepting, drain forwards, close the inbox. */
export async function start(config: RelayConfig): Promise<FastifyInstance> {
  const app = await createServer(config);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        app.log.info('closed');
        process.exitCode = 0;
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'close failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen({ port: config.port, host: config.host });
  return app;
}
