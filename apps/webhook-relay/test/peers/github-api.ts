// A loopback peer for GitHub's hook-deliveries REST API: list deliveries, and redeliver one by re-sending it to the relay.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

export interface HookDelivery {
  readonly id: number;
  readonly guid: string;
  readonly deliveredAt: Date;
  /** 0 when the relay could not be reached. */
  readonly statusCode: number;
  readonly event: string;
  /** What GitHub sent (and resends), headers included. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

export class GitHubApiPeer {
  readonly server: Server;
  readonly token = 'ghp_testtoken';
  readonly hookPath: string;
  readonly deliveries: HookDelivery[] = [];
  readonly redeliveryRequests: number[] = [];
  #nextId = 1_000;

  /** `hookPath` like `repos/owner/repo/hooks/42`; `relayUrl` is where redeliveries go. */
  readonly relayUrl: () => string;

  constructor(hookPath: string, relayUrl: () => string) {
    this.hookPath = hookPath;
    this.relayUrl = relayUrl;
    this.server = createServer((req, res) => {
      const json = (code: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(code, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${this.token}`) return json(401, { message: 'Bad credentials' });
      const url = new URL(req.url ?? '/', 'http://peer');
      const list = `/${this.hookPath}/deliveries`;
      if (req.method === 'GET' && url.pathname === list) {
        const perPage = Number(url.searchParams.get('per_page') ?? '30');
        const page = Number(url.searchParams.get('page') ?? '1');
        const sorted = [...this.deliveries].sort((a, b) => b.deliveredAt.getTime() - a.deliveredAt.getTime());
        const items = sorted.slice((page - 1) * perPage, page * perPage).map((d) => ({
          id: d.id,
          guid: d.guid,
          delivered_at: d.deliveredAt.toISOString(),
          redelivery: false,
          duration: 0.1,
          status: d.statusCode >= 200 && d.statusCode < 300 ? 'OK' : d.statusCode === 0 ? 'failed to connect to host' : 'Invalid HTTP Response: ' + String(d.statusCode),
          status_code: d.statusCode,
          event: d.event,
          action: 'published',
          installation_id: null,
          repository_id: 1,
          throttled_at: null,
        }));
        const more = page * perPage < sorted.length;
        const headers: Record<string, string> = more ? { link: `<http://${req.headers.host ?? ''}${list}?per_page=${perPage}&page=${page + 1}>; rel="next"` } : {};
        return json(200, items, headers);
      }
      const attempt = new RegExp(`^${list}/(\\d+)/attempts$`).exec(url.pathname);
      if (req.method === 'POST' && attempt !== null) {
        const id = Number(attempt[1]);
        const original = this.deliveries.find((d) => d.id === id);
        if (original === undefined) return json(404, { message: 'Not Found' });
        this.redeliveryRequests.push(id);
        json(202, {});
        // Like GitHub: a new delivery record with the same GUID, sent asynchronously.
        void this.send(original.guid, original.event, original.headers, original.body);
        return;
      }
      return json(404, { message: 'Not Found' });
    });
  }

  /** Sends a delivery to the relay and records it the way GitHub's log would. */
  async send(guid: string, event: string, headers: Record<string, string>, body: string, deliveredAt = new Date()): Promise<number> {
    let statusCode: number;
    try {
      const res = await request(this.relayUrl(), { method: 'POST', headers, body });
      await res.body.dump();
      statusCode = res.statusCode;
    } catch {
      statusCode = 0;
    }
    this.deliveries.push({ id: this.#nextId++, guid, deliveredAt, statusCode, event, headers, body });
    return statusCode;
  }

  /** Records a delivery that never reached the relay (it was down). */
  recordFailed(guid: string, event: string, headers: Record<string, string>, body: string, deliveredAt = new Date(), statusCode = 0): void {
    this.deliveries.push({ id: this.#nextId++, guid, deliveredAt, statusCode, event, headers, body });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
