// The delivery dashboard's static files (public/admin/ in the package, shipped in the image beside dist/), served under
// /admin/ with a strict Content Security Policy. The page itself holds nothing secret: every figure comes from the admin
// API, which needs the token; the files are read once at boot, so nothing a request names is ever opened.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** From src/routes/ (tests) and dist/routes/ (built) alike, the package's public/admin/. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../public/admin/', import.meta.url));

/** The only files served, by URL under /admin/; anything else is 404. */
const FILES = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'api.js': { file: 'api.js', type: 'text/javascript; charset=utf-8' },
  'app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  'icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
} as const;

/**
 * Same origin only, no inline script or style, no framing, no plugins; `form-action 'none'` because the sign-in form
 * is handled by script and must never be submitted (that would put the token in a request of its own).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
} as const;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export default function dashboardRoutes(app: FastifyInstance, _options: unknown, done: (err?: Error) => void): void {
  const assets = new Map<string, Asset>();
  const missing: string[] = [];
  for (const [path, { file, type }] of Object.entries(FILES)) {
    try {
      const body = readFileSync(`${DASHBOARD_DIR}${file}`);
      assets.set(path, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    } catch {
      missing.push(`${DASHBOARD_DIR}${file}`);
    }
  }
  // A packaging mistake must not stop webhooks: the relay runs, the log and the page say what is missing.
  if (missing.length > 0) app.log.error({ missing }, 'dashboard files missing; /admin/ answers 500 until the image ships public/admin/');

  app.get('/admin', { config: { rateLimit: false } }, (_request, reply) => reply.code(308).header('location', '/admin/').send());

  function serve(name: string, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    void reply.headers(SECURITY_HEADERS);
    if (!Object.hasOwn(FILES, name)) return reply.code(404).send({ error: `no dashboard file ${name}`, code: 'RELAY_NOT_FOUND' });
    const asset = assets.get(name);
    if (asset === undefined) {
      return reply.code(500).send({ error: `dashboard file missing on the server: ${DASHBOARD_DIR}${FILES[name as keyof typeof FILES].file}`, code: 'RELAY_INTERNAL' });
    }
    void reply.header('cache-control', 'no-cache').header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  }

  app.get('/admin/', (request, reply) => serve('', request, reply));
  app.get<{ Params: { file: string } }>('/admin/:file', (request, reply) => serve(request.params.file, request, reply));
  done();
}
