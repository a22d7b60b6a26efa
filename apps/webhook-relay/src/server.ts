// Creates the Fastify server (logger with redaction, timeouts) and handles listen and graceful shutdown.
import type { Server } from 'node:http';
import Fastify, { LogController, type FastifyHttpOptions, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { destination } from 'pino';
import { build } from './app.ts';
import type { RelayConfig } from './config.ts';
import { enforceDeadlines } from './preauth.ts';

const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * Node's own header/request deadlines stay on as a backstop, later than the relay's timers by this much; Node checks
 * them only every `connectionsCheckingInterval`, and dripped bytes were seen to postpone them further.
 */
const NODE_DEADLINE_GRACE_MS = 1_000;

export function serverOptions(config: RelayConfig, logger: FastifyServerOptions['logger'] = true): FastifyHttpOptions<Server> {
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
    // GitHub gives up after 10 s; nothing here should take that long. The header and body deadlines
    // (RELAY_HEADERS_TIMEOUT_MS, RELAY_REQUEST_TIMEOUT_MS) are enforced by timers of the relay (preauth.ts).
    connectionTimeout: 30_000,
    requestTimeout: config.requestTimeoutMs + NODE_DEADLINE_GRACE_MS,
    http: {
      headersTimeout: config.headersTimeoutMs + NODE_DEADLINE_GRACE_MS,
      requestTimeout: config.requestTimeoutMs + NODE_DEADLINE_GRACE_MS,
      connectionsCheckingInterval: 1_000,
    },
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  };
}

export async function createServer(config: RelayConfig, logger?: FastifyServerOptions['logger']): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config, logger));
  enforceDeadlines(app.server, { headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs, keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS }, () => {
    if (app.hasDecorator('metrics')) app.metrics.reject('timeout');
  });
  // Not encapsulated: the app's decorators (inbox, metrics, worker) stay reachable on the root instance.
  await app.register(fp(build, { name: 'relay-app', fastify: '5.x' }), { config });
  return app;
}

/**
 * Listens and closes gracefully on SIGTERM/SIGINT: readiness turns 503 at once; after RELAY_SHUTDOWN_DELAY_MS of
 * still accepting deliveries (Kubernetes removes a terminating pod from its Service's endpoints while the ingress
 * controller and kube-proxy catch up, so requests keep arriving for a moment), stop accepting, drain forwards,
 * release the sweeper Lease, close the inbox.
 */
export async function start(config: RelayConfig): Promise<FastifyInstance> {
  const app = await createServer(config);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.draining = true;
    app.log.info({ signal, delayMs: config.shutdownDelayMs }, 'shutting down');
    const delay = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownDelayMs));
    delay.then(() => app.close()).then(
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
