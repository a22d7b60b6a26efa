// POST /webhooks/github: verify the raw bytes, classify, store durably, then acknowledge.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RelayConfig } from '../config.ts';
import { RelayError, RelayErrorCode } from '../errors.ts';
import { classify, payloadText, SIGNATURE_SHAPE, verifySignature, type Classified } from '../github.ts';
import { eventLabel, type RejectReason } from '../plugins/metrics.ts';
import { readBody, timedOut } from '../preauth.ts';

export const BODY_LIMIT = 1024 * 1024;
const EVENT_SHAPE = /^[a-z_]{1,64}$/;
const DELIVERY_SHAPE = /^[A-Za-z0-9._-]{1,128}$/;
/** Seconds a request refused by the pre-auth budget is told to wait. */
export const BUDGET_RETRY_AFTER_S = 5;

const headersSchema = {
  type: 'object',
  required: ['x-github-event', 'x-github-delivery'],
  properties: {
    'x-github-event': { type: 'string', pattern: '^[a-z_]{1,64}$' },
    'x-github-delivery': { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
    'x-github-hook-id': { type: 'string', maxLength: 32 },
    'x-hub-signature-256': { type: 'string', maxLength: 128 },
  },
} as const;

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, code: { type: 'string' } },
} as const;

const responseSchema = {
  200: {
    description: 'ping answered, or a duplicate of a stored delivery',
    type: 'object',
    properties: {
      duplicate: { type: 'boolean' },
      delivery: { type: 'string' },
      pong: { type: 'boolean' },
      hookId: { type: 'integer' },
      events: { type: 'array', items: { type: 'string' } },
    },
  },
  202: {
    description: 'stored for forwarding (matched lists the targets), or acknowledged and ignored',
    type: 'object',
    properties: {
      delivery: { type: 'string' },
      matched: { type: 'array', items: { type: 'string' } },
      reason: { type: 'string' },
      ignored: { type: 'string' },
    },
  },
  '4xx': errorSchema,
  '5xx': errorSchema,
} as const;

interface WebhookHeaders {
  'x-github-event': string;
  'x-github-delivery': string;
  'x-github-hook-id'?: string;
  'x-hub-signature-256'?: string;
}

type WebhookRequest = FastifyRequest<{ Headers: WebhookHeaders; Body: Buffer }>;

/**
 * Parses and classifies in a function of its own: the 16 KB text and the parsed tree then die here instead of
 * living in the async handler's frame until the commit returns (they would survive scavenges and be copied).
 * Undefined when the body is not JSON; `formPayload` is the decoded JSON bytes of a form body.
 */
function readDelivery(event: string, raw: Buffer, isForm: boolean): { what: Classified; formPayload: Buffer | undefined } | undefined {
  const text = payloadText(raw, isForm ? 'application/x-www-form-urlencoded' : 'application/json');
  if (text === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  return { what: classify(event, body), formPayload: isForm ? Buffer.from(text, 'utf8') : undefined };
}

/** The budget reservation of each request still unauthenticated; released once, whichever way it ends. */
const reservations = new WeakMap<IncomingMessage, () => void>();
const release = (request: FastifyRequest) => reservations.get(request.raw)?.();

/** Registered without fastify-plugin: its raw-body parsers must stay inside this scope. */
export default function webhookRoutes(app: FastifyInstance, { config }: { config: RelayConfig }, done: (err?: Error) => void): void {
  app.removeAllContentTypeParsers();
  // The body is read only for a request that passed the checks of `admit` (so its Content-Length is known and
  // within the limit and the budget), into one buffer of that length.
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], (request, payload, done) => {
    readBody(payload, Number(request.headers['content-length']), (error, body) => {
      // A body cut by the deadlines is counted as a timeout already.
      if (error !== null && !timedOut(payload.socket)) app.metrics.reject('aborted');
      done(error, body);
    });
  });

  /** Answers at once and closes the connection, so a body the client is still sending is never read. */
  function refuse(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, reason: RejectReason): FastifyReply {
    app.metrics.reject(reason);
    request.log.info({ code, status, url: request.url, delivery: request.headers['x-github-delivery'] }, message);
    if (status === 503) void reply.header('retry-after', String(BUDGET_RETRY_AFTER_S));
    return reply.header('connection', 'close').code(status).send({ error: message, code });
  }

  /**
   * Runs when the headers are in, before any byte of the body is read: refuses what GitHub never sends (no event,
   * delivery id or well-formed signature, no Content-Length, a body over the limit) and what exceeds the pre-auth
   * budget, and reserves the declared length in that budget until the request is verified or ends.
   */
  function admit(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
    const headers = request.headers;
    const event = headers['x-github-event'];
    const delivery = headers['x-github-delivery'];
    if (typeof event !== 'string' || !EVENT_SHAPE.test(event) || typeof delivery !== 'string' || !DELIVERY_SHAPE.test(delivery)) {
      refuse(request, reply, 400, 'RELAY_BAD_HEADERS', 'X-GitHub-Event and X-GitHub-Delivery are required', 'missing_headers');
      return;
    }
    const signature = headers['x-hub-signature-256'];
    if (typeof signature !== 'string' || !SIGNATURE_SHAPE.test(signature)) {
      refuse(request, reply, 401, RelayErrorCode.MissingSignature, 'missing or malformed X-Hub-Signature-256 (set a secret on the hook)', 'missing_signature');
      return;
    }
    const lengthHeader = headers['content-length'];
    if (lengthHeader === undefined) {
      refuse(request, reply, 411, 'RELAY_LENGTH_REQUIRED', 'Content-Length is required', 'length_required');
      return;
    }
    const length = Number(lengthHeader);
    if (!Number.isSafeInteger(length) || length > BODY_LIMIT) {
      refuse(request, reply, 413, 'RELAY_TOO_LARGE', `body over ${BODY_LIMIT} bytes`, 'too_large');
      return;
    }
    const reservation = app.preauth.reserve(length);
    if (reservation === undefined) {
      refuse(request, reply, 503, RelayErrorCode.Overloaded, 'too many unauthenticated requests in flight; retry later', 'budget');
      return;
    }
    reservations.set(request.raw, reservation);
    reply.raw.once('close', reservation);
    done();
  }

  app.post<{ Headers: WebhookHeaders; Body: Buffer }>(
    '/webhooks/github',
    {
      schema: { headers: headersSchema, response: responseSchema },
      bodyLimit: BODY_LIMIT,
      onRequest: admit,
      onResponse: (request, _reply, done) => {
        release(request);
        done();
      },
      onRequestAbort: (request, done) => {
        release(request);
        done();
      },
    },
    async (request: WebhookRequest, reply: FastifyReply) => {
      const { metrics, inbox, router } = app;
      const event = request.headers['x-github-event'];
      const delivery = request.headers['x-github-delivery'];
      const raw = request.body;
      const signature = request.headers['x-hub-signature-256'];
      // From here on the request is authenticated (or refused): its bytes leave the pre-auth budget.
      release(request);
      if (!Buffer.isBuffer(raw)) throw new RelayError(RelayErrorCode.BadPayload, 'a JSON or form-encoded body is required', { statusCode: 400 });
      if (signature === undefined) {
        metrics.reject('missing_signature');
        throw new RelayError(RelayErrorCode.MissingSignature, 'missing X-Hub-Signature-256 (set a secret on the hook)', { statusCode: 401 });
      }
      if (!verifySignature(config.webhookSecrets, raw, signature)) {
        metrics.reject('bad_signature');
        throw new RelayError(RelayErrorCode.BadSignature, 'signature does not match', { statusCode: 401 });
      }
      metrics.received.inc({ event: eventLabel(event) });

      const contentType = request.headers['content-type'] ?? '';
      const isForm = contentType.toLowerCase().startsWith('application/x-www-form-urlencoded');
      const read = readDelivery(event, raw, isForm);
      if (read === undefined) {
        metrics.reject('bad_json');
        throw new RelayError(RelayErrorCode.BadPayload, 'body is not JSON (nor a form with a JSON payload field)', { statusCode: 400 });
      }
      const { what, formPayload } = read;
      // One log line per delivery (request logging is off): the fields below plus what happened to it.
      const hookId = request.headers['x-github-hook-id'];
      const log = request.log;
      if (what.kind === 'ping') {
        const subscribed = what.events.includes('*') || what.events.includes('package') || what.events.includes('registry_package');
        if (!subscribed) log.warn({ delivery, event, hookId, events: what.events }, 'ping: the hook is not subscribed to package events; the relay will receive nothing to forward');
        if (what.contentType === 'form' || isForm) {
          log.warn({ delivery, event, hookId }, 'ping: the hook sends form-encoded bodies; the relay converts them, but JSON is smaller and preferred');
        }
        metrics.ignored.inc({ kind: 'ping' });
        log.info({ delivery, event, hookId, status: 200 }, 'ping');
        return reply.code(200).send({ pong: true, ...(what.hookId === undefined ? {} : { hookId: what.hookId }), events: [...what.events] });
      }
      if (what.kind === 'ignored') {
        metrics.ignored.inc({ kind: 'event' });
        log.info({ delivery, event, hookId, status: 202, reason: what.reason }, 'ignored');
        return reply.code(202).send({ ignored: what.reason });
      }

      // No SELECT for duplicates here: the insert (INSERT OR IGNORE on the id) decides, in the same commit. Only a
      // full inbox looks first, so a redelivered id is still answered 200 rather than 503.
      const match = router.match(what);
      if (match.jobs.length > 0 && inbox.full) {
        if (inbox.has(delivery)) {
          metrics.duplicates.inc();
          log.info({ delivery, event, hookId, status: 200 }, 'duplicate');
          return reply.code(200).send({ duplicate: true, delivery });
        }
        metrics.reject('overloaded');
        throw new RelayError(RelayErrorCode.Overloaded, 'inbox is full; retry later', { statusCode: 503, retryAfter: 30 });
      }
      const receivedAt = Date.now();
      const stored = await inbox.accept({
        id: delivery,
        hookId: request.headers['x-github-hook-id'],
        event,
        action: what.action,
        receivedAt,
        // The raw bytes are the JSON for JSON hooks; form hooks store the decoded payload field.
        payload: formPayload ?? raw,
        jobs: match.jobs,
      });
      if (!stored) {
        metrics.duplicates.inc();
        log.info({ delivery, event, hookId, status: 200 }, 'duplicate');
        return reply.code(200).send({ duplicate: true, delivery });
      }
      metrics.accepted.inc({ event: eventLabel(event) });
      // Jobs carry the route's image as the Router keys it, never the URL the client sent: series stay per route.
      const routed = match.jobs[0];
      if (routed !== undefined && what.tag !== '') metrics.recordPush(routed.image, what.tag, receivedAt);
      const elapsedMs = reply.elapsedTime;
      metrics.ackLatency.observe(elapsedMs / 1000);
      log.info({ delivery, event, hookId, status: 202, image: what.imageUrl, tag: what.tag, matched: match.matched, reason: match.reason, ms: Math.round(elapsedMs * 10) / 10 }, 'stored');
      return reply.code(202).send({ delivery, matched: match.matched, ...(match.reason === undefined ? {} : { reason: match.reason }) });
    },
  );
  done();
}
