// Admin endpoints behind RELAY_ADMIN_TOKEN: list deliveries (by status, image, time), show one, replay one or every
// failed one a filter matches, totals with readiness and disk use, and live updates (Server-Sent Events) for the
// dashboard. Never a receiver URL's path (Kargo's receiver hash) or a receiver's body beyond a bounded, masked excerpt.
import { timingSafeEqual, createHash } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AdminStream, MAX_ADMIN_STREAMS, STREAM_INTERVAL_MS } from '../admin-stream.ts';
import { classify } from '../github.ts';
import { RelayError, RelayErrorCode } from '../errors.ts';
import { redactTargetKey, redactText } from '../forward/redact.ts';
import type { DeliveryView, InboxTotals, ListFilter } from '../inbox/inbox.ts';

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
    createdAt: { type: 'string' },
    nextAttemptAt: { type: ['string', 'null'] },
    finishedAt: { type: ['string', 'null'] },
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

/** Most deliveries one bulk replay re-queues; `more` in its answer says whether others matched. */
export const MAX_BULK_REPLAY = 1000;
/** The readiness probe writes and syncs a file: the summary reuses its answer this long. */
const READY_PROBE_CACHE_MS = 5_000;

/** Filters shared by the listing and the bulk replay: `image` matches part of the image name, times are ISO 8601. */
const filterProperties = {
  image: { type: 'string', maxLength: 200 },
  since: { type: 'string', maxLength: 40 },
  until: { type: 'string', maxLength: 40 },
} as const;

const BULK_REPLAY_FIELDS: ReadonlySet<string> = new Set(['status', 'limit', ...Object.keys(filterProperties)]);

interface FilterInput {
  readonly image?: string;
  readonly since?: string;
  readonly until?: string;
}

function instant(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new RelayError(RelayErrorCode.BadRequest, `${name}: ${JSON.stringify(value)} is not an ISO 8601 time (e.g. 2025-06-02T08:14:07Z)`, { statusCode: 400 });
  return ms;
}

function listFilter(input: FilterInput): ListFilter {
  const since = instant('since', input.since);
  const until = instant('until', input.until);
  if (since !== undefined && until !== undefined && since >= until) throw new RelayError(RelayErrorCode.BadRequest, `since (${input.since}) must be before until (${input.until})`, { statusCode: 400 });
  const image = input.image?.trim() ?? '';
  return { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }), ...(image === '' ? {} : { image }) };
}

export interface AdminSummary {
  readonly generatedAt: string;
  readonly totals: InboxTotals;
  readonly pendingJobs: number;
  readonly oldestPendingAgeSeconds: number;
  readonly ready: { readonly ready: boolean; readonly checks: { readonly inboxWritable: boolean; readonly notDraining: boolean }; readonly writeFailure: string | null };
  /** Inbox bytes (payload segments, database with WAL) and the volume RELAY_DATA_DIR is on (null when unknown). */
  readonly disk: { readonly payloadBytes: number; readonly databaseBytes: number; readonly volume: { readonly totalBytes: number; readonly freeBytes: number } | null };
  readonly streams: { readonly clients: number; readonly max: number };
}

const countsSchema = { type: 'object', properties: { total: { type: 'integer' }, pending: { type: 'integer' }, failed: { type: 'integer' }, done: { type: 'integer' } } } as const;
const summarySchema = {
  type: 'object',
  properties: {
    generatedAt: { type: 'string' },
    totals: {
      type: 'object',
      properties: {
        all: countsSchema,
        byImage: { type: 'array', items: { type: 'object', properties: { image: { type: 'string' }, ...countsSchema.properties } } },
      },
    },
    pendingJobs: { type: 'integer' },
    oldestPendingAgeSeconds: { type: 'number' },
    ready: {
      type: 'object',
      properties: {
        ready: { type: 'boolean' },
        checks: { type: 'object', properties: { inboxWritable: { type: 'boolean' }, notDraining: { type: 'boolean' } } },
        writeFailure: { type: ['string', 'null'] },
      },
    },
    disk: {
      type: 'object',
      properties: {
        payloadBytes: { type: 'integer' },
        databaseBytes: { type: 'integer' },
        volume: { type: ['object', 'null'], properties: { totalBytes: { type: 'integer' }, freeBytes: { type: 'integer' } } },
      },
    },
    streams: { type: 'object', properties: { clients: { type: 'integer' }, max: { type: 'integer' } } },
  },
} as const;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export default function adminRoutes(app: FastifyInstance, { token, dataDir }: { token: string; dataDir: string }, done: (err?: Error) => void): void {
  const expected = digest(`Bearer ${token}`);
  // Hashing both sides gives equal lengths, so the comparison is constant time whatever was sent.
  app.addHook('onRequest', (request: FastifyRequest, _reply, next) => {
    const given = digest(request.headers.authorization ?? '');
    if (!timingSafeEqual(given, expected)) next(new RelayError(RelayErrorCode.Unauthorized, 'admin endpoints need the bearer token', { statusCode: 401 }));
    else next();
  });
  // Nothing an admin sees is kept by a browser or a proxy.
  app.addHook('onSend', (_request, reply, payload, next) => {
    void reply.header('cache-control', 'no-store');
    next(null, payload);
  });

  let probe: { at: number; ok: boolean } | undefined;
  async function inboxWritable(): Promise<boolean> {
    if (probe === undefined || Date.now() - probe.at > READY_PROBE_CACHE_MS) probe = { at: Date.now(), ok: await app.inbox.writable() };
    return probe.ok;
  }

  async function summary(): Promise<AdminSummary> {
    const notDraining = !app.draining;
    const writable = notDraining && (await inboxWritable());
    const bytes = app.inbox.diskBytes();
    const volume = await statfs(dataDir).then(
      (s) => ({ totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize }),
      () => null,
    );
    return {
      generatedAt: new Date().toISOString(),
      totals: app.inbox.totals(),
      pendingJobs: app.inbox.pendingJobs,
      oldestPendingAgeSeconds: app.inbox.oldestPendingAge(Date.now()) / 1000,
      ready: { ready: writable && notDraining, checks: { inboxWritable: writable, notDraining }, writeFailure: app.inbox.writeFailure ?? null },
      disk: { payloadBytes: bytes.payloads, databaseBytes: bytes.database, volume },
      streams: { clients: stream.clients, max: stream.max },
    };
  }

  const stream = new AdminStream<AdminSummary>({
    max: MAX_ADMIN_STREAMS,
    intervalMs: STREAM_INTERVAL_MS,
    snapshot: summary,
    onError: (err) => app.log.warn({ err }, 'dashboard summary failed'),
  });
  const unsubscribe = app.inbox.onChange(() => stream.notify());
  // Before the server closes: open streams would otherwise hold it (and the drain) open.
  app.addHook('preClose', (next) => {
    unsubscribe();
    stream.close();
    next();
  });

  /** Matches the stored payload against the routes loaded now (so a fixed routes file can rescue it) and re-queues it. */
  async function replay(id: string, log: FastifyRequest['log']): Promise<{ delivery: string; matched: string[]; reason?: string }> {
    const stored = app.inbox.payloadOf(id);
    if (stored === undefined) throw new RelayError(RelayErrorCode.NotFound, `no delivery ${id} in the inbox`, { statusCode: 404 });
    const what = classify(stored.event, JSON.parse(stored.payload.toString('utf8')));
    const match = what.kind === 'package' ? app.router.match(what) : { jobs: [], matched: [], reason: 'not a package event' };
    await app.inbox.replay(id, match.jobs, Date.now());
    log.info({ delivery: id, matched: match.matched }, 'replay requested');
    return { delivery: id, matched: match.matched, ...(match.reason === undefined ? {} : { reason: match.reason }) };
  }

  app.get<{ Querystring: { status?: 'pending' | 'failed' | 'done'; limit: number } & FilterInput }>(
    '/deliveries',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['pending', 'failed', 'done'] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, ...filterProperties },
        },
        response: { 200: { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema } } }, '4xx': errorSchema },
      },
    },
    (request, reply) => reply.send({ deliveries: app.inbox.list(request.query.status, request.query.limit, listFilter(request.query)).map(redacted) }),
  );

  // Every failed delivery the filter matches (newest first, at most `limit`), each replayed as POST /deliveries/:id/replay does.
  app.post<{ Body: { status: 'failed'; limit: number } & FilterInput }>(
    '/deliveries/replay',
    {
      // Fastify's validator drops unknown fields; here a misspelt filter would widen the replay to every failed
      // delivery, so one is refused before validation.
      preValidation: (request, _reply, next) => {
        const body = request.body;
        const unknown = body !== null && typeof body === 'object' ? Object.keys(body).filter((k) => !BULK_REPLAY_FIELDS.has(k)) : [];
        if (unknown.length > 0) next(new RelayError(RelayErrorCode.BadRequest, `unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}; a bulk replay takes ${[...BULK_REPLAY_FIELDS].join(', ')}`, { statusCode: 400 }));
        else next();
      },
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: ['failed'], default: 'failed' }, limit: { type: 'integer', minimum: 1, maximum: MAX_BULK_REPLAY, default: MAX_BULK_REPLAY }, ...filterProperties },
        },
        response: {
          202: {
            type: 'object',
            properties: {
              replayed: { type: 'array', items: { type: 'string' } },
              skipped: { type: 'array', items: { type: 'object', properties: { delivery: { type: 'string' }, error: { type: 'string' } } } },
              more: { type: 'boolean' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { limit } = request.body;
      const found = app.inbox.list('failed', limit + 1, listFilter(request.body));
      const replayed: string[] = [];
      const skipped: { delivery: string; error: string }[] = [];
      for (const d of found.slice(0, limit)) {
        try {
          await replay(d.id, request.log);
          replayed.push(d.id);
        } catch (error) {
          // One unreadable payload must not stop the others; it is named in the answer.
          if (!(error instanceof RelayError) || error.statusCode >= 500) throw error;
          skipped.push({ delivery: d.id, error: error.message });
        }
      }
      return reply.code(202).send({ replayed, skipped, more: found.length > limit });
    },
  );

  app.get('/admin/api/summary', { schema: { response: { 200: summarySchema, '4xx': errorSchema } } }, async (_request, reply) => reply.send(await summary()));

  // Server-Sent Events: a `summary` event at once and after every change (at most one per STREAM_INTERVAL_MS). Read
  // with fetch() and the Authorization header (EventSource cannot send one, and the token never goes in a URL).
  app.get('/admin/api/events', { schema: { response: { '4xx': errorSchema, '5xx': errorSchema } } }, (request, reply) => {
    if (stream.full) {
      // Answered here, not by the error handler, which hides the message of every 5xx.
      return reply
        .code(503)
        .header('retry-after', '10')
        .send({ error: `${stream.max} dashboard streams are open already; close one or retry later`, code: RelayErrorCode.Overloaded });
    }
    // A GET has no body, but its end must be read: until then the relay's body deadline (RELAY_REQUEST_TIMEOUT_MS,
    // preauth.ts) stays armed on the socket and would cut the stream after 15 s.
    request.raw.resume();
    void reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    // The client reconnects after this long when the stream ends (a restart of the relay).
    res.write('retry: 2000\n\n');
    request.log.info({ clients: stream.clients + 1 }, 'dashboard stream opened');
    stream.add(res);
    return reply;
  });

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
    async (request, reply) => reply.code(202).send(await replay(request.params.id, request.log)),
  );
  done();
}
