// POST /webhooks/github: verify the raw bytes, classify, store durably, then acknowledge.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RelayConfig } from '../config.ts';
import { RelayError, RelayErrorCode } from '../errors.ts';
import { classify, payloadText, verifySignature, type Classified } from '../github.ts';

export const BODY_LIMIT = 1024 * 1024;

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

/** Registered without fastify-plugin: its raw-body parsers must stay inside this scope. */
export default function webhookRoutes(app: FastifyInstance, { config }: { config: RelayConfig }, done: (err?: Error) => void): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/x-www-form-urlencoded'], { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    done(null, body);
  });

  app.post('/webhooks/github', { schema: { headers: headersSchema, response: responseSchema }, bodyLimit: BODY_LIMIT }, async (request: WebhookRequest, reply: FastifyReply) => {
    const { metrics, inbox, router } = app;
    const event = request.headers['x-github-event'];
    const delivery = request.headers['x-github-delivery'];
    metrics.received.inc({ event });
    const raw = request.body;
    if (!Buffer.isBuffer(raw)) throw new RelayError(RelayErrorCode.BadPayload, 'a JSON or form-encoded body is required', { statusCode: 400 });

    const signature = request.headers['x-hub-signature-256'];
    if (signature === undefined) {
      metrics.rejected.inc({ reason: 'signature' });
      throw new RelayError(RelayErrorCode.MissingSignature, 'missing X-Hub-Signature-256 (set a secret on the hook)', { statusCode: 401 });
    }
    if (!verifySignature(config.webhookSecrets, raw, signature)) {
      metrics.rejected.inc({ reason: 'signature' });
      throw new RelayError(RelayErrorCode.BadSignature, 'signature does not match', { statusCode: 401 });
    }

    const contentType = request.headers['content-type'] ?? '';
    const isForm = contentType.toLowerCase().startsWith('application/x-www-form-urlencoded');
    const read = readDelivery(event, raw, isForm);
    if (read === undefined) {
      metrics.rejected.inc({ reason: 'bad_json' });
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
      metrics.rejected.inc({ reason: 'overloaded' });
      throw new RelayError(RelayErrorCode.Overloaded, 'inbox is full; retry later', { statusCode: 503, retryAfter: 30 });
    }
    const stored = await inbox.accept({
      id: delivery,
      hookId: request.headers['x-github-hook-id'],
      event,
      action: what.action,
      receivedAt: Date.now(),
      // The raw bytes are the JSON for JSON hooks; form hooks store the decoded payload field.
      payload: formPayload ?? raw,
      jobs: match.jobs,
    });
    if (!stored) {
      metrics.duplicates.inc();
      log.info({ delivery, event, hookId, status: 200 }, 'duplicate');
      return reply.code(200).send({ duplicate: true, delivery });
    }
    metrics.accepted.inc({ event });
    const elapsedMs = reply.elapsedTime;
    metrics.ackLatency.observe(elapsedMs / 1000);
    log.info({ delivery, event, hookId, status: 202, image: what.imageUrl, tag: what.tag, matched: match.matched, reason: match.reason, ms: Math.round(elapsedMs * 10) / 10 }, 'stored');
    return reply.code(202).send({ delivery, matched: match.matched, ...(match.reason === undefined ? {} : { reason: match.reason }) });
  });
  done();
}
