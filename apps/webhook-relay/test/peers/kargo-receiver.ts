// A loopback peer implementing Kargo 1.11's GitHub webhook receiver (reference/kargo.md §b), switchable to fail or hang.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { normalizeImageRepoUrl, packageUrlToRepoUrls } from '@kargo/model/relay';

const MAX_BODY = 2 * 1024 * 1024;
const EVENTS = new Set(['ping', 'push', 'package', 'registry_package', 'pull_request']);

export interface PeerWarehouse {
  readonly namespace: string;
  readonly name: string;
  readonly repoURL: string;
  /** Whether this Warehouse's subscription accepts the tag (Kargo's qualifier filter); all when absent. */
  readonly accepts?: (tag: string) => boolean;
}

export interface ReceivedForward {
  readonly deliveryId: string | undefined;
  readonly event: string;
  readonly image: string;
  readonly tag: string;
  readonly refreshed: readonly string[];
  readonly at: number;
}

export type PeerMode = 'ok' | 'fail500' | 'fail503' | 'hang';

export class KargoReceiverPeer {
  readonly server: Server | TlsServer;
  readonly secret: string;
  readonly path: string;
  readonly warehouses: PeerWarehouse[];
  mode: PeerMode = 'ok';
  /** Answer this much later (a slow but healthy receiver). */
  delayMs = 0;
  /** Requests that reached the handler, finished or not. */
  started = 0;
  /** Successful package deliveries (200 and at least the package parsed). */
  readonly received: ReceivedForward[] = [];
  /** Every request's status, in order. */
  readonly statuses: number[] = [];
  readonly #hanging = new Set<ServerResponse>();

  readonly basePath: string;
  readonly #scheme: 'http' | 'https';

  /**
   * The path is Kargo's: `<basePath>/github/<sha256(project + receiver + secret)>`, computed here on its own (not
   * with @kargo/model's kargoReceiverPath), so a relay that computes it differently gets 404 like from Kargo.
   * With `tls` it serves HTTPS, like the external webhooks server with its self-signed cert-manager certificate.
   */
  constructor(options: { secret: string; project?: string; receiver?: string; basePath?: string; warehouses?: PeerWarehouse[]; tls?: { key: string; cert: string } }) {
    this.secret = options.secret;
    this.basePath = (options.basePath ?? '').replace(/\/+$/, '');
    this.path = `${this.basePath}/github/${createHash('sha256').update(`${options.project ?? 'kargo-demo'}${options.receiver ?? 'ghcr'}${options.secret}`).digest('hex')}`;
    this.warehouses = options.warehouses ?? [];
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) this.#send(res, 500, {});
      });
    };
    this.#scheme = options.tls === undefined ? 'http' : 'https';
    this.server = options.tls === undefined ? createServer(handler) : createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler);
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `${this.baseURL}${this.path.slice(this.basePath.length)}`;
  }

  /** What Kargo calls `EXTERNAL_WEBHOOK_SERVER_BASE_URL`: scheme, host and the base path. */
  get baseURL(): string {
    const { port } = this.server.address() as AddressInfo;
    return `${this.#scheme}://127.0.0.1:${port}${this.basePath}`;
  }

  /** How many times each delivery id was successfully forwarded. */
  countsByDelivery(): Map<string, number> {
    const m = new Map<string, number>();
    for (const r of this.received) if (r.deliveryId !== undefined) m.set(r.deliveryId, (m.get(r.deliveryId) ?? 0) + 1);
    return m;
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    this.statuses.push(status);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The router matches status.webhookReceivers[].path exactly; no match at all → 404 {}.
    if (req.url !== this.path) return this.#send(res, 404, {});
    this.started += 1;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.mode === 'hang') {
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (this.mode === 'fail500') return this.#send(res, 500, {});
    if (this.mode === 'fail503') return this.#send(res, 503, {});

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) return this.#send(res, 413, {});
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks);

    const event = req.headers['x-github-event'];
    if (typeof event !== 'string' || !EVENTS.has(event)) return this.#send(res, 400, { error: `event type ${String(event)} is not supported` });

    // go-github ValidateSignature over the exact bytes, with the receiver Secret's `secret` value.
    const signature = req.headers['x-hub-signature-256'];
    if (typeof signature !== 'string' || signature === '') return this.#send(res, 401, { error: 'missing signature' });
    const [algo, hex] = signature.split('=', 2);
    const expected = algo === 'sha256' ? createHmac('sha256', this.secret).update(raw).digest() : undefined;
    const given = Buffer.from(hex ?? '', 'hex');
    if (expected === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) return this.#send(res, 401, { error: 'unauthorized' });

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an arbitrary webhook payload
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw.toString('utf8')) as typeof body;
      if (body === null || typeof body !== 'object') throw new Error('not an object');
    } catch {
      return this.#send(res, 400, { error: 'invalid request body' });
    }

    if (event === 'ping') return this.#send(res, 200, { msg: 'ping event received, webhook is configured correctly' });
    if (event !== 'package' && event !== 'registry_package') return this.#send(res, 200, {});
    if (body.action !== 'published' && body.action !== 'updated') return this.#send(res, 200, {});
    const pkg = body[event];
    if (pkg == null || pkg.package_version == null) return this.#send(res, 400, { error: 'invalid request body' });
    if (pkg.package_type !== 'CONTAINER' && pkg.package_type !== 'docker') return this.#send(res, 200, {});
    const packageUrl = String(pkg.package_version.package_url ?? '');
    const tag = String(pkg.package_version.container_metadata?.tag?.name ?? '');
    const mediaType = pkg.package_version.container_metadata?.manifest?.config?.media_type as string | undefined;
    const urls = new Set(packageUrlToRepoUrls(packageUrl, mediaType));
    const refreshed = this.warehouses
      .filter((w) => urls.has(normalizeImageRepoUrl(w.repoURL)))
      .filter((w) => tag === '' || (w.accepts?.(tag) ?? true))
      .map((w) => `${w.namespace}/${w.name}`);
    const delivery = req.headers['x-github-delivery'];
    this.received.push({ deliveryId: typeof delivery === 'string' ? delivery : undefined, event, image: [...urls][0] ?? '', tag, refreshed, at: Date.now() });
    return this.#send(res, 200, { msg: `refreshed ${refreshed.length} warehouse(s)` });
  }
}
