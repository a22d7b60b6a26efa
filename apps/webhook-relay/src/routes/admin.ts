// Admin endpoints behind RELAY_ADMIN_TOKEN: list deliveries by status, show one, replay one. Never a receiver URL's
// path (Kargo's receiver hash) or a receiver's body beyond a bounded, masked excerpt.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { classify } from '../github.ts';
import { RelayError, RelayErrorCode } from '../errors.ts';
import { redactTargetKey, redactText } from '../forward/redact.ts';
import type { DeliveryView } from '../inbox/inbox.ts';

const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    target: { type: 'string' },
    image: { type: 'string' },
    tag: { type: 'string' },
    status: { type: 'string' },
    attempts: { type: 'integer' },
    lastError: { type: ['string', 'null'] },
    coalescedInto: { type: ['integer', 'null'] },
  },
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    hookId: { type: ['string', 'null'] },
    event: { type: 'string' },
    action: { type: 'string' },
    receivedAt: { type: 'string' },
    status: { type: 'string' },
    jobs: { type: 'array', items: jobSchema },
  },
} as const;

const errorSchema = { type: 'object', required: ['error'], properties: { error: { type: 'string' }, code: { type: 'string' } } } as const;

/** What an admin sees of a delivery: targets by a redacted form, errors as masked excerpts (rows of older versions too). */
function redacted(d: DeliveryView): DeliveryView {
  return { ...d, jobs: d.jobs.map((j) => ({ ...j, target: redactTargetKey(j.target), lastError: j.lastError === null ? null : redactText(j.lastError) })) };
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } } } as const;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export default function adminRoutes(app: FastifyInstance, { token }: { token: string }, done: (err?: Error) => void): void {
  const expected = digest(`Bearer ${token}`);
  // Hashing both sides gives equal lengths, so the comparison is constant time whatever was sent.
  app.addHook('onRequest', (request: FastifyRequest, _reply, next) => {
    const given = digest(request.headers.authorization ?? '');
    if (!timingSafeEqual(given, expected)) next(new RelayError(RelayErrorCode.Unauthorized, 'admin endpoints need the bearer token', { statusCode: 401 }));
    else next();
  });

  app.get<{ Querystring: { status?: 'pending' | 'failed' | 'done'; limit: number } }>(
    '/deliveries',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['pending', 'failed', 'done'] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        },
        response: { 200: { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema } } }, '4xx': errorSchema },
      },
    },
    (request, reply) => reply.send({ deliveries: app.inbox.list(request.query.status, request.query.limit).map(redacted) }),
  );

  app.get<{ Params: { id: string } }>(
    '/deliveries/:id',
    { schema: { params: idParams, response: { 200: deliverySchema, '4xx': errorSchema } } },
    (request, reply) => {
      const found = app.inbox.get(request.params.id);
      if (found === undefined) throw new RelayError(RelayErrorCode.NotFound, `no delivery ${request.params.id} in the inbox`, { statusCode: 404 });
      return reply.send(redacted(found));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/deliveries/:id/replay',
    {
      schema: {
        params: idParams,
        response: {
          202: { type: 'object', properties: { delivery: { type: 'string' }, matched: { type: 'array', items: { type: 'string' } }, reason: { type: 'string' } } },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const stored = app.inbox.payloadOf(id);
      if (stored === undefined) throw new RelayError(RelayErrorCode.NotFound, `no delivery ${id} in the inbox`, { statusCode: 404 });
      // Matched again with the routes loaded now, so a fixed routes file can rescue a failed delivery.
      const what = classify(stored.event, JSON.parse(stored.payload.toString('utf8')));
      const match = what.kind === 'package' ? app.router.match(what) : { jobs: [], matched: [], reason: 'not a package event' };
      await app.inbox.replay(id, match.jobs, Date.now());
      request.log.info({ delivery: id, matched: match.matched }, 'replay requested');
      return reply.code(202).send({ delivery: id, matched: match.matched, ...(match.reason === undefined ? {} : { reason: match.reason }) });
    },
  );
  done();
}
