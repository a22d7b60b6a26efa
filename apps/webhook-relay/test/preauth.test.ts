// What an outsider without the secret can make the relay do, over real loopback sockets: answered before the body is
// read, bounded by a global budget, cut at the configured header/body deadlines, and no new metric series.
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { RelayError } from '../src/errors.ts';
import { build, delivery, SECRET, tempDir, waitFor, writeRoutes, type Built } from './helper.ts';
import { ghcrPackage } from './github-payloads.ts';

const MIB = 1024 * 1024;
const FAKE_SIGNATURE = `sha256=${'0'.repeat(64)}`;

let built: Built | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await built?.close();
  built = undefined;
});

async function listening(env: Record<string, string> = {}): Promise<number> {
  built = await build({ env: { RELAY_COALESCE_WINDOW_MS: '0', ...env } });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  return (built.app.server.address() as AddressInfo).port;
}

interface Raw {
  readonly socket: Socket;
  /** Everything the relay sent so far. */
  received(): string;
  /** ms from connect to the relay closing the socket, undefined while open. */
  closedAfter(): number | undefined;
}

function raw(port: number, head: string): Raw {
  const started = Date.now();
  let text = '';
  let closed: number | undefined;
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => {});
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  socket.on('close', () => (closed = Date.now() - started));
  socket.write(head);
  return { socket, received: () => text, closedAfter: () => closed };
}

function head(headers: Record<string, string | undefined>): string {
  const lines = ['POST /webhooks/github HTTP/1.1', 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

const hostileHeaders = (over: Record<string, string | undefined> = {}) => ({
  'Content-Type': 'application/json',
  'Content-Length': String(MIB),
  'X-GitHub-Event': 'package',
  'X-GitHub-Delivery': randomUUID(),
  'X-Hub-Signature-256': FAKE_SIGNATURE,
  ...over,
});

const status = (r: Raw) => /^HTTP\/1\.1 (\d{3})/.exec(r.received())?.[1];

describe('requests refused before the body is read', () => {
  it.each([
    ['no X-Hub-Signature-256', { 'X-Hub-Signature-256': undefined }, '401'],
    ['a signature of the wrong shape', { 'X-Hub-Signature-256': 'sha1=abc' }, '401'],
    ['no X-GitHub-Event', { 'X-GitHub-Event': undefined }, '400'],
    ['no X-GitHub-Delivery', { 'X-GitHub-Delivery': undefined }, '400'],
    ['a Content-Length over 1 MiB', { 'Content-Length': String(MIB + 1) }, '413'],
    ['no Content-Length (chunked)', { 'Content-Length': undefined, 'Transfer-Encoding': 'chunked' }, '411'],
  ])('answers %s at once, without the body, and closes the connection', async (_what, over, expected) => {
    const port = await listening();
    const r = raw(port, head(hostileHeaders(over)));
    // Not one byte of the declared body is sent: the answer must not wait for it.
    await waitFor(() => status(r), 3_000, 'an answer without the body');
    expect(status(r)).toBe(expected);
    expect(r.received().toLowerCase()).toContain('connection: close');
    await waitFor(() => r.closedAfter() !== undefined, 3_000, 'the relay to close the connection');
  });
});

describe('the budget of unauthenticated requests', () => {
  it('answers 503 + Retry-After past the concurrent request budget, and releases it when those requests end', async () => {
    const port = await listening({ RELAY_PREAUTH_MAX_REQUESTS: '2' });
    const held = [raw(port, head(hostileHeaders({ 'Content-Length': '1000' })) + '{'), raw(port, head(hostileHeaders({ 'Content-Length': '1000' })) + '{')];
    await waitFor(() => built!.app.preauth.requests === 2, 3_000, 'two requests in flight');
    const third = raw(port, head(hostileHeaders({ 'Content-Length': '1000' })));
    await waitFor(() => status(third), 3_000, 'the third request to be answered');
    expect(status(third)).toBe('503');
    expect(third.received().toLowerCase()).toMatch(/retry-after: \d+/);
    // Aborted by the client: the budget comes back.
    for (const h of held) h.socket.destroy();
    await waitFor(() => built!.app.preauth.requests === 0 && built!.app.preauth.bytes === 0, 3_000, 'the budget to be released');
    const ok = await built!.app.inject({ method: 'POST', url: '/webhooks/github', ...toInject(delivery('package', ghcrPackage())) });
    expect(ok.statusCode).toBe(202);
    const metrics = (await built!.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('relay_deliveries_rejected_total{reason="budget"} 1');
  });

  it('answers 503 past the byte budget (declared Content-Length), and a request that completes releases its bytes', async () => {
    const port = await listening({ RELAY_PREAUTH_MAX_BYTES: String(MIB) });
    const big = raw(port, head(hostileHeaders({ 'Content-Length': String(MIB - 10) })) + '{');
    await waitFor(() => built!.app.preauth.bytes === MIB - 10, 3_000, 'the big request in flight');
    const small = raw(port, head(hostileHeaders({ 'Content-Length': '100' })));
    await waitFor(() => status(small), 3_000, 'the second request to be answered');
    expect(status(small)).toBe('503');
    big.socket.end(Buffer.alloc(MIB - 11, 0x20));
    await waitFor(() => status(big), 3_000, 'the big request to be answered');
    expect(status(big)).toBe('401');
    await waitFor(() => built!.app.preauth.bytes === 0 && built!.app.preauth.requests === 0, 3_000, 'the budget to be released');
  });
});

describe('header and body deadlines', () => {
  it('cuts a slow body at RELAY_REQUEST_TIMEOUT_MS and slow headers at RELAY_HEADERS_TIMEOUT_MS (+ 500 ms)', async () => {
    const port = await listening({ RELAY_HEADERS_TIMEOUT_MS: '1000', RELAY_REQUEST_TIMEOUT_MS: '1500' });
    const body = raw(port, head(hostileHeaders({ 'Content-Length': '1000' })) + '{');
    const headers = raw(port, 'POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // 1 byte each 200 ms, at most 5 s.
    for (let i = 0; i < 25 && (body.closedAfter() === undefined || headers.closedAfter() === undefined); i++) {
      await sleep(200);
      if (!body.socket.destroyed) body.socket.write(' ');
      if (!headers.socket.destroyed) headers.socket.write('x');
    }
    expect(headers.closedAfter(), 'slow headers').toBeDefined();
    expect(body.closedAfter(), 'slow body').toBeDefined();
    expect(headers.closedAfter()!).toBeLessThan(1_000 + 500);
    expect(headers.closedAfter()!).toBeGreaterThanOrEqual(900);
    expect(body.closedAfter()!).toBeLessThan(1_500 + 500);
    expect(body.closedAfter()!).toBeGreaterThanOrEqual(1_400);
    expect(status(body)).toBe('408');
    await waitFor(() => built!.app.preauth.requests === 0, 3_000, 'the budget to be released');
    const metrics = (await built!.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/relay_deliveries_rejected_total\{reason="timeout"\} [1-9]/);
  });
});

function toInject(d: { headers: Record<string, string>; body: string }) {
  return { headers: d.headers, payload: d.body };
}

/** The relay's own series (process and Node.js metrics may gain series as GC kinds appear). */
function relaySeries(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('relay_deliveries_'));
}

describe('metric series', () => {
  it('500 unsigned requests with random events leave the series fixed; labels come from a fixed set after verification', async () => {
    await listening();
    const app = built!.app;
    const before = relaySeries((await app.inject({ url: '/metrics' })).body);
    for (let i = 0; i < 500; i++) {
      const event = Array.from(randomBytes(10), (b) => String.fromCharCode(97 + (b % 26))).join('');
      const res = await app.inject({
        method: 'POST',
        url: '/webhooks/github',
        headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': FAKE_SIGNATURE },
        payload: '{}',
      });
      expect(res.statusCode).toBe(401);
    }
    const after = relaySeries((await app.inject({ url: '/metrics' })).body);
    expect(after.length).toBe(before.length);
    expect(after.join('\n')).not.toMatch(/event="(?!package"|registry_package"|ping"|other")/);
    expect(after).toContain('relay_deliveries_rejected_total{reason="bad_signature"} 500');
    // Counted after verification, unknown events as `other`.
    expect(after.some((l) => l.startsWith('relay_deliveries_received_total{event="other"} 0'))).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/webhooks/github', ...toInject(delivery('push', { ref: 'refs/heads/main' })) })).statusCode).toBe(202);
    expect((await app.inject({ method: 'POST', url: '/webhooks/github', ...toInject(delivery('package', ghcrPackage())) })).statusCode).toBe(202);
    const final = relaySeries((await app.inject({ url: '/metrics' })).body);
    expect(final).toContain('relay_deliveries_received_total{event="other"} 1');
    expect(final).toContain('relay_deliveries_received_total{event="package"} 1');
    expect(final.length).toBe(before.length);
  });
});

describe('configuration', () => {
  it('defaults, and reports a header deadline longer than the request deadline with every other problem', () => {
    const dir = tempDir('relay-preauth-config-');
    try {
      const base = { GITHUB_WEBHOOK_SECRETS: SECRET, RELAY_ROUTES_FILE: writeRoutes(dir, { routes: [] }), RELAY_DATA_DIR: join(dir, 'data') };
      expect(loadConfig(base)).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, preauthMaxBytes: 16 * MIB, preauthMaxRequests: 128 });
      let message = '';
      try {
        loadConfig({ ...base, RELAY_HEADERS_TIMEOUT_MS: '20000', RELAY_PREAUTH_MAX_BYTES: '1000', PORT: 'x' });
      } catch (error) {
        expect(error).toBeInstanceOf(RelayError);
        message = (error as Error).message;
      }
      expect(message).toContain('PORT: "x" is not an integer');
      expect(message).toContain('RELAY_HEADERS_TIMEOUT_MS: 20000 is more than RELAY_REQUEST_TIMEOUT_MS (15000)');
      expect(message).toContain('RELAY_PREAUTH_MAX_BYTES: "1000" is not an integer from 1048576');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
